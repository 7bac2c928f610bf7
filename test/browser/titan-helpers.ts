// Shared by the titan-*.test.ts files: talk to the sandbox the way the tests' assertions need.
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { sandboxLog, sandboxUrl, type LogEntry } from './sandbox-client.js';

export { knob, resetSandbox, sandboxUrl, type LogEntry } from './sandbox-client.js';

export async function titanApi(): Promise<string> {
  return `${await sandboxUrl()}/titan`;
}

export const requestLog = (service: 'titan' | 'app-titan'): Promise<LogEntry[]> => sandboxLog(service);

export const is = {
  uploadInfo: (e: LogEntry) => e.path.endsWith('/api/v1/storage/get_upload_info'),
  createAsset: (e: LogEntry) => e.path.endsWith('/api/v1/storage/create_asset'),
  nodeUpload: (node?: string) => (e: LogEntry) => e.method === 'POST' && (node ? e.path === `/titan-node/${node}/upload` : /^\/titan-node\/[^/]+\/upload$/.test(e.path)),
  token: (e: LogEntry) => e.path === '/app/titan/token',
  extraId: (e: LogEntry) => e.path === '/app/titan/extra-id',
};

/** A token for a demo user straight from the demo app backend (counts as a token request). */
export async function demoToken(user = 'demo'): Promise<string> {
  const r = await fetch('/app/titan/token', { method: 'POST', headers: { 'x-demo-user': user } });
  if (!r.ok) throw new Error(`token failed: ${r.status}`);
  return ((await r.json()) as { token: string }).token;
}

/** Random bytes, so every test stores content Titan has not seen. */
export function randomFile(size: number, name = 'file.bin', type = 'application/octet-stream'): File {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  return new File([bytes], name, { type });
}

/** The CID the sandbox node documents (CIDv1, raw codec, sha2-256 over the whole file), computed here independently. */
export async function expectedCid(file: Blob): Promise<string> {
  const digest = await sha256.digest(new Uint8Array(await file.arrayBuffer()));
  return CID.create(1, raw.code, digest).toString();
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
