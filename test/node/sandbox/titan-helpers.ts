// Shared by the Titan sandbox suites: raw HTTP against the replica, so tests see exact status,
// headers and body bytes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import type { Sandbox } from '../../../src/sandbox/index.js';
import { HEADERS, PATHS, type UploadInfo, type UploadNode } from '../../../src/titan/protocol.js';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed, when it is one JSON document. */
  // oxlint-disable-next-line typescript/no-explicit-any -- tests read answers field by field
  json: any;
}

export async function call(
  sb: Sandbox,
  method: string,
  path: string,
  init: { token?: string; headers?: Record<string, string>; query?: Record<string, string | string[]>; body?: unknown } = {},
): Promise<Answer> {
  const url = new URL(path.startsWith('http') ? path : `${sb.url}/titan${path}`);
  for (const [k, v] of Object.entries(init.query ?? {})) for (const x of [v].flat()) url.searchParams.append(k, x);
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  const res = await fetch(url, {
    method,
    headers: {
      ...(init.token ? { [HEADERS.jwt]: `Bearer ${init.token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** sso_login straight on the wire (api/tenant.go SSOLoginHandler). */
export async function login(sb: Sandbox, username = 'alice', entryUuid = `e-${username}`): Promise<string> {
  const r = await call(sb, 'POST', PATHS.ssoLogin, {
    headers: { [HEADERS.tenantApiKey]: sb.options.tenant.apiKey },
    body: { entry_uuid: entryUuid, username },
  });
  assert.equal(r.json?.code, 0, r.text);
  return r.json.data.token as string;
}

export const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** A file of one chunk is its raw leaf: CIDv1, raw codec, sha2-256, computed here with multiformats alone. */
export const rawLeafCid = async (b: Uint8Array) => CID.create(1, raw.code, await sha256.digest(b)).toString();

export async function uploadInfo(sb: Sandbox, token: string, query: Record<string, string | string[]> = {}): Promise<UploadInfo> {
  const r = await call(sb, 'GET', PATHS.getUploadInfo, { token, query: { need_trace: 'true', ...query } });
  assert.equal(r.json?.code, 0, r.text);
  return r.json.data as UploadInfo;
}

/** POST to a node's /uploadv2 with the node token in `Authorization` (or nowhere, with `token: undefined`). */
export async function nodePost(
  url: string,
  token: string | undefined,
  bytes: Uint8Array,
  opts: { field?: string; filename?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const form = new FormData();
  form.append('note', 'ignored');
  form.append(opts.field ?? 'file', new Blob([new Uint8Array(bytes)]), opts.filename ?? 'data.bin');
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }), ...opts.headers },
    body: form,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) };
}

/** get_upload_info → node upload → create_asset; returns the CID, the node used and create_asset's answer. */
export async function store(
  sb: Sandbox,
  token: string,
  bytes: Uint8Array,
  extra: Record<string, unknown> = {},
): Promise<{ cid: string; node: UploadNode; created: Answer; traceId: string }> {
  const info = await uploadInfo(sb, token, { md5: md5(bytes) });
  const node = info.List![0]!;
  const up = await nodePost(node.UploadURL, node.Token, bytes);
  assert.equal(up.json.code, 0, up.text);
  const created = await call(sb, 'POST', PATHS.createAsset, {
    token,
    body: {
      asset_name: 'data.bin',
      asset_type: 'file',
      asset_size: bytes.length,
      asset_cid: up.json.cid,
      node_id: node.NodeID,
      group_id: 0,
      extra_id: '',
      md5: md5(bytes),
      area_id: [],
      need_trace: true,
      ...extra,
    },
  });
  return { cid: up.json.cid as string, node, created, traceId: info.TraceID ?? '' };
}

/** transfer/report as the client sends it after a successful upload (one AssetTransferLog). */
export function report(sb: Sandbox, token: string | undefined, cid: string, fields: Record<string, unknown> = {}): Promise<Answer> {
  return call(sb, 'POST', PATHS.transferReport, {
    token,
    body: {
      trace_id: '',
      cid,
      node_id: 'node1',
      rate: 1000,
      cost_ms: 12,
      total_size: 100,
      state: 1,
      transfer_type: 'upload',
      log: '',
      first_byte_time: 3,
      available_bandwidth: 0,
      ...fields,
    },
  });
}

export async function waitFor<T>(what: string, get: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A JWT's payload, decoded without checking anything. */
export const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
