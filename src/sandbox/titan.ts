import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import * as Digest from 'multiformats/hashes/digest';
import { sha256 } from 'multiformats/hashes/sha2';
import { signTitanCallback } from '../server/callback.js';
import {
  CALLBACK_ACK,
  CALLBACK_RETRY_DELAYS_MS,
  CODES,
  HEADERS,
  PATHS,
  UPLOAD_FIELD,
  bareNodeId,
  type DeleteNotification,
  type TitanClaims,
  type TokenData,
  type TransferReportItem,
  type UploadInfo,
  type UploadNotification,
} from '../titan/protocol.js';
import { HttpError, readJson, requestOrigin, sendJson, sleep } from './http.js';
import { MultipartError, MultipartParser, multipartBoundary } from './titan-multipart.js';
import { signJwt, verifyJwt } from './titan-jwt.js';
import type { SandboxContext, SandboxService } from './types.js';

/**
 * The Titan double: tenant API and storage API under `/titan` (so the API base is
 * `${ctx.url}/titan`), upload nodes under `/titan-node/<id>`. Behaviour follows
 * docs/titan-protocol.md; knobs are listed at `control`.
 */

const API = '/titan';
const NODE = '/titan-node';
/** Two nodes so clients exercise falling over from the first to the second. */
const NODE_IDS = ['node1', 'node2'] as const;
const AREAS = ['Asia-China-Guangdong-Shenzhen', 'NorthAmerica-UnitedStates-California-SanJose'];
const SUB_ACCOUNT_ROLE = 0;
const NODE_TOKEN_TTL_SECONDS = 3600;
const STORAGE_QUOTA = 100 * 1024 ** 3;
const CALLBACK_TIMEOUT_MS = 10_000;

/** Sandbox-chosen `err` numbers (Titan's own list is not public), except 1017 which is real. */
const ERR = { invalidParams: 1001, notFound: 1002, sizeMismatch: 1003 } as const;

type NodeMode = 'ok' | 'down' | 'error' | 'slow';
type UnauthorizedShape = 'http' | 'envelope';

interface User {
  id: string;
  entryUuid: string;
  username: string;
  avatar: string;
  email: string;
  createdAt: string;
}

/** Bytes a node received, by CID. One file per CID, shared by every node (they serve each other's). */
interface StoredBlob {
  cid: string;
  path: string;
  size: number;
  md5: string;
  nodeId: string;
  uploadedBy: string;
}

export interface SandboxTitanAsset {
  userId: string;
  cid: string;
  name: string;
  type: string;
  size: number;
  md5: string;
  groupId: number;
  nodeId: string;
  extraId: string;
  areaIds: string[];
  createdAt: string;
  url: string;
  /** True when another user had this CID first (create_asset answered `data: []`). */
  deduplicated: boolean;
}

export interface SandboxTitanDelivery {
  kind: 'upload' | 'delete';
  url: string;
  /** 1-based. */
  attempt: number;
  /** HTTP status, 0 when the app backend could not be reached. */
  status: number;
  ok: boolean;
  /** The notification sent. */
  body: UploadNotification | DeleteNotification;
  /** What the app backend answered (first 200 characters) or the network error. */
  response: string;
  at: number;
}

export interface SandboxTitanReport {
  userId: string;
  items: TransferReportItem[];
  at: number;
}

interface NodeFault {
  mode: Exclude<NodeMode, 'ok'>;
  delayMs: number;
  /** Requests still to fail; undefined = until reset. */
  remaining: number | undefined;
}

interface NodeTokenClaims {
  id: string;
  md5: string;
  node: string;
  exp: number;
}

interface UserClaims extends TitanClaims {
  /** Issue serial, so `expire-tokens` can revoke "everything issued so far" in O(1). */
  jti: string;
}

export function createTitanService(ctx: SandboxContext): SandboxService {
  const jwtSecret = randomBytes(32);
  const nodeSecret = randomBytes(32);
  const opts = ctx.options;

  const users = new Map<string, User>();
  let assets: SandboxTitanAsset[] = [];
  let blobs = new Map<string, StoredBlob>();
  let reports: SandboxTitanReport[] = [];
  let deliveries: SandboxTitanDelivery[] = [];
  const faults = new Map<string, NodeFault>();
  /** `storage` knob: storage API calls (by last path segment) answered late or with HTTP 500. */
  const storageFaults = new Map<string, { delayMs: number; failCount: number }>();
  let unauthorizedShape: UnauthorizedShape = 'http';
  let notify = defaultNotify();
  let serial = 0;
  let revokedThrough = 0;
  // Files of one generation live in their own directory, so reset can drop it without racing
  // uploads that start right after.
  let generation = 0;
  const timers = new Set<NodeJS.Timeout>();
  const inflight = new Set<AbortController>();

  function defaultNotify(): { uploadUrl: string; deleteUrl: string } {
    return { uploadUrl: `${ctx.url}/app/titan/callback`, deleteUrl: `${ctx.url}/app/titan/callback` };
  }

  const root = () => join(opts.dataDir, 'titan', String(generation));
  const nowSec = () => Date.now() / 1000;

  // ---- tokens -------------------------------------------------------------------------

  function issueToken(user: User, origIat?: number): TokenData {
    const iat = Math.floor(nowSec());
    const exp = iat + opts.tokenTtlSeconds;
    const claims: UserClaims = { id: user.id, role: SUB_ACCOUNT_ROLE, exp, orig_iat: origIat ?? iat, jti: String(++serial) };
    return { token: signJwt(jwtSecret, { ...claims }), exp };
  }

  type TokenResult = { ok: true; claims: UserClaims; user: User } | { ok: false; msg: string; expired?: UserClaims };

  function checkToken(token: string): TokenResult {
    const v = verifyJwt<UserClaims>(jwtSecret, token);
    if (!v.ok) return { ok: false, msg: v.reason === 'malformed' ? 'token is malformed' : 'signature is invalid' };
    const c = v.claims;
    if (typeof c.id !== 'string' || typeof c.exp !== 'number' || typeof c.orig_iat !== 'number') {
      return { ok: false, msg: 'token is malformed' };
    }
    const user = users.get(c.id);
    if (!user) return { ok: false, msg: 'user not found' };
    if (nowSec() >= c.exp || Number(c.jti) <= revokedThrough) return { ok: false, msg: 'token is expired', expired: c };
    return { ok: true, claims: c, user };
  }

  function unauthorized(res: ServerResponse, msg: string): void {
    // Titan answers some 401s as HTTP 200 with an envelope; clients must treat both as renewal.
    sendJson(res, unauthorizedShape === 'http' ? 401 : 200, { code: CODES.unauthorized, msg });
  }

  function authUser(req: IncomingMessage, res: ServerResponse): User | undefined {
    const raw = headerValue(req, HEADERS.jwt);
    const token = raw && /^Bearer\s+(\S+)$/i.exec(raw)?.[1];
    if (!token) {
      unauthorized(res, raw ? 'auth header is malformed' : 'auth header is empty');
      return undefined;
    }
    const r = checkToken(token);
    if (!r.ok) {
      unauthorized(res, r.msg);
      return undefined;
    }
    return r.user;
  }

  function requireTenant(req: IncomingMessage): void {
    if (headerValue(req, HEADERS.tenantApiKey) !== opts.tenant.apiKey) {
      throw new HttpError(401, 'invalid tenant api key', { code: CODES.unauthorized, msg: 'invalid tenant api key' });
    }
  }

  // ---- envelopes ------------------------------------------------------------------------

  const ok = (res: ServerResponse, data?: unknown) => sendJson(res, 200, data === undefined ? { code: 0 } : { code: 0, data });
  const fail = (res: ServerResponse, err: number, msg: string) => sendJson(res, 200, { code: -1, err, msg });

  // ---- tenant API -----------------------------------------------------------------------

  function upsertUser(body: Record<string, unknown>): User | string {
    const entryUuid = body.entry_uuid;
    const username = body.username;
    if (typeof entryUuid !== 'string' || !entryUuid) return 'entry_uuid is required';
    if (typeof username !== 'string' || !username) return 'username is required';
    const id = `${opts.tenant.id}/${username}`;
    const user: User = users.get(id) ?? { id, entryUuid, username, avatar: '', email: '', createdAt: new Date().toISOString() };
    user.entryUuid = entryUuid;
    if (typeof body.avatar === 'string') user.avatar = body.avatar;
    if (typeof body.email === 'string') user.email = body.email;
    users.set(id, user);
    return user;
  }

  async function tenantApi(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    requireTenant(req);
    switch (path) {
      case PATHS.ssoLogin: {
        expectMethod(req, 'POST');
        const user = upsertUser(await readJson(req));
        return typeof user === 'string' ? fail(res, ERR.invalidParams, user) : ok(res, issueToken(user));
      }
      case PATHS.refreshToken: {
        expectMethod(req, 'GET');
        const token = url.searchParams.get('token') ?? '';
        const r = checkToken(token);
        const claims = r.ok ? r.claims : r.expired;
        if (!claims) return sendJson(res, 401, { code: CODES.unauthorized, msg: r.ok ? '' : r.msg });
        // gin-jwt's MaxRefresh: an expired token stays refreshable until orig_iat + window.
        if (nowSec() > claims.orig_iat + opts.refreshWindowSeconds) {
          return sendJson(res, 401, { code: CODES.unauthorized, msg: 'token is expired beyond the refresh window' });
        }
        return ok(res, issueToken(users.get(claims.id)!, claims.orig_iat));
      }
      case PATHS.syncUser: {
        expectMethod(req, 'POST');
        const user = upsertUser(await readJson(req));
        return typeof user === 'string' ? fail(res, ERR.invalidParams, user) : ok(res);
      }
      case PATHS.deleteUser: {
        expectMethod(req, 'DELETE');
        const entryUuid = url.searchParams.get('entry_uuid');
        if (!entryUuid) return fail(res, ERR.invalidParams, 'entry_uuid is required');
        const gone = [...users.values()].filter((u) => u.entryUuid === entryUuid);
        if (!gone.length) return fail(res, ERR.notFound, 'user not found');
        const ids = new Set(gone.map((u) => u.id));
        for (const id of ids) users.delete(id);
        if (url.searchParams.get('with_assets') === 'true') assets = assets.filter((a) => !ids.has(a.userId));
        return ok(res);
      }
      default:
        throw new HttpError(404, `no tenant API ${path}`, { code: 404, msg: `no tenant API ${path}` });
    }
  }

  // ---- storage API ----------------------------------------------------------------------

  function nodeUrl(origin: string, nodeId: string, suffix: string): string {
    return `${origin}${NODE}/${nodeId}${suffix}`;
  }

  async function storageApi(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    const user = authUser(req, res);
    if (!user) return;
    const fault = storageFaults.get(path.split('/').pop()!);
    /** Answers HTTP 500 while the call has failures left to inject. */
    const injected = (): boolean => {
      if (!fault?.failCount) return false;
      fault.failCount--;
      sendJson(res, 500, { code: 500, msg: 'injected storage fault' });
      return true;
    };
    // create_asset fails after its body is read, so the log shows what was sent.
    if (path !== PATHS.createAsset && injected()) return;
    const q = url.searchParams;
    const origin = requestOrigin(req, ctx.url);
    switch (path) {
      case PATHS.getUploadInfo: {
        expectMethod(req, 'GET');
        const md5 = (q.get('md5') ?? '').toLowerCase();
        if (!/^[0-9a-f]{32}$/.test(md5)) return fail(res, ERR.invalidParams, 'md5 is required (32 hex digits)');
        const exp = Math.floor(nowSec()) + NODE_TOKEN_TTL_SECONDS;
        const existing = assets.find((a) => a.md5 === md5);
        const info: UploadInfo = {
          List: NODE_IDS.map((node) => ({
            NodeID: `c_${node}`,
            UploadURL: nodeUrl(origin, node, '/upload'),
            Token: signJwt(nodeSecret, { id: user.id, md5, node, exp } satisfies NodeTokenClaims),
          })),
          TraceID: randomUUID(),
          AlreadyExists: !!existing,
          ...(existing ? { CID: existing.cid } : {}),
        };
        return ok(res, info);
      }
      case PATHS.createAsset: {
        expectMethod(req, 'POST');
        const body = await readJson<Record<string, unknown>>(req);
        if (injected()) return;
        // Like a real server, a slow create_asset still records the asset if the client hangs up.
        if (fault?.delayMs) await sleep(fault.delayMs);
        return createAsset(origin, res, user, body);
      }
      case PATHS.transferReport: {
        expectMethod(req, 'POST');
        const body = await readJson<unknown>(req);
        if (!Array.isArray(body)) return fail(res, ERR.invalidParams, 'report must be a JSON array');
        reports.push({ userId: user.id, items: body as TransferReportItem[], at: Date.now() });
        return ok(res);
      }
      case PATHS.shareAsset: {
        const asset = userAsset(user, q.get('asset_cid'));
        if (!asset) return fail(res, ERR.notFound, 'asset not found');
        return ok(res, { asset_cid: asset.cid, asset_name: asset.name, size: asset.size, url: NODE_IDS.map((n) => nodeUrl(origin, n, `/ipfs/${asset.cid}`)) });
      }
      case PATHS.deleteAsset: {
        const asset = userAsset(user, q.get('asset_cid'));
        if (!asset) return fail(res, ERR.notFound, 'asset not found');
        assets = assets.filter((a) => a !== asset);
        const notification: DeleteNotification = { ExtraID: asset.extraId, TenantID: opts.tenant.id, UserID: user.id, AssetCID: asset.cid };
        deliver('delete', notify.deleteUrl, notification);
        return ok(res);
      }
      case PATHS.getAreaId:
        return ok(res, AREAS);
      case PATHS.getStorageSize: {
        const used = assets.filter((a) => a.userId === user.id).reduce((sum, a) => sum + a.size, 0);
        return ok(res, { TotalSize: STORAGE_QUOTA, UsedSize: used, TotalBandwidth: 0, PeakBandwidth: 0 });
      }
      default:
        throw new HttpError(404, `no storage API ${path}`, { code: 404, msg: `no storage API ${path} in the sandbox` });
    }
  }

  function userAsset(user: User, cid: string | null): SandboxTitanAsset | undefined {
    return cid ? assets.find((a) => a.userId === user.id && a.cid === cid) : undefined;
  }

  function createAsset(origin: string, res: ServerResponse, user: User, body: Record<string, unknown>): void {
    const problems: string[] = [];
    const name = body.asset_name;
    const type = body.asset_type ?? 'file';
    const size = typeof body.asset_size === 'string' ? Number(body.asset_size) : body.asset_size;
    const cid = body.asset_cid;
    const groupId = body.group_id ?? 0;
    const extraId = body.extra_id ?? '';
    const areaIds = body.area_id === undefined || body.area_id === null ? [] : Array.isArray(body.area_id) ? body.area_id : [body.area_id];
    if (typeof name !== 'string' || !name) problems.push('asset_name is required');
    if (type !== 'file' && type !== 'folder') problems.push('asset_type must be "file" or "folder"');
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) problems.push('asset_size must be a non-negative integer');
    if (typeof cid !== 'string' || !cid) problems.push('asset_cid is required');
    if (typeof groupId !== 'number' || !Number.isSafeInteger(groupId)) problems.push('group_id must be an integer');
    if (typeof extraId !== 'string') problems.push('extra_id must be a string');
    if (body.node_id !== undefined && typeof body.node_id !== 'string') problems.push('node_id must be a string');
    if (!areaIds.every((a): a is string => typeof a === 'string')) problems.push('area_id must be a list of strings');
    if (problems.length) return fail(res, ERR.invalidParams, `invalid params: ${problems.join('; ')}`);
    const c = cid as string;

    const blob = blobs.get(c);
    const first = assets.find((a) => a.cid === c);
    if (!blob && !first) return fail(res, ERR.notFound, `unknown asset_cid ${c}: upload the file to a node first`);
    if (blob && blob.size !== size) return fail(res, ERR.sizeMismatch, `asset_size ${String(size)} differs from the ${blob.size} bytes uploaded`);
    if (assets.some((a) => a.userId === user.id && a.cid === c)) {
      return sendJson(res, 200, { code: -1, err: CODES.assetExists, msg: 'asset already exists' });
    }
    const other = assets.find((a) => a.cid === c && a.userId !== user.id);
    const requested = typeof body.node_id === 'string' ? bareNodeId(body.node_id) : '';
    const nodeId = (NODE_IDS as readonly string[]).includes(requested) ? requested : (blob?.nodeId ?? other?.nodeId ?? NODE_IDS[0]);
    const asset: SandboxTitanAsset = {
      userId: user.id,
      cid: c,
      name: name as string,
      type: type as string,
      size: size as number,
      md5: blob?.md5 ?? first?.md5 ?? (typeof body.md5 === 'string' ? body.md5.toLowerCase() : ''),
      groupId: groupId as number,
      nodeId,
      extraId: extraId as string,
      areaIds: areaIds as string[],
      createdAt: rfc3339(new Date()),
      url: nodeUrl(origin, nodeId, `/ipfs/${c}`),
      deduplicated: !!other,
    };
    assets.push(asset);
    if (asset.extraId) {
      const notification: UploadNotification = {
        ExtraID: asset.extraId,
        TenantID: opts.tenant.id,
        UserID: user.id,
        AssetName: asset.name,
        AssetCID: asset.cid,
        AssetType: asset.type,
        AssetSize: asset.size,
        GroupID: asset.groupId,
        CreatedTime: asset.createdAt,
        AssetDirectUrl: asset.url,
      };
      deliver('upload', notify.uploadUrl, notification);
    }
    // Fast upload (someone else stored these bytes already) answers an empty list.
    return other ? ok(res, []) : ok(res, { assetDirectUrl: asset.url });
  }

  // ---- upload nodes ---------------------------------------------------------------------

  async function nodeRequest(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const m = /^\/titan-node\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const nodeId = m?.[1] ?? '';
    const rest = m?.[2] ?? '';
    if (!(NODE_IDS as readonly string[]).includes(nodeId)) throw new HttpError(404, `no node ${nodeId}`, { code: 404, msg: `no node ${nodeId}` });
    if (rest === '/upload') {
      expectMethod(req, 'POST');
      return nodeUpload(req, res, nodeId);
    }
    const ipfs = /^\/ipfs\/([A-Za-z0-9]+)$/.exec(rest);
    if (ipfs && (req.method === 'GET' || req.method === 'HEAD')) return serveBlob(req, res, ipfs[1]!);
    throw new HttpError(404, `no node route ${rest}`, { code: 404, msg: `no node route ${rest}` });
  }

  /** Applies and consumes the node's fault; true when the request has been answered. */
  async function applyFault(req: IncomingMessage, res: ServerResponse, nodeId: string): Promise<boolean> {
    const fault = faults.get(nodeId);
    if (!fault) return false;
    if (fault.remaining !== undefined && --fault.remaining <= 0) faults.delete(nodeId);
    switch (fault.mode) {
      case 'down':
        // The body is left unread; Node discards it after the answer so the client sees the 503.
        sendJson(res, 503, { code: 503, msg: `${nodeId} is unavailable` });
        return true;
      case 'error':
        sendJson(res, 200, { code: 500, msg: `${nodeId} failed to store the file` });
        return true;
      case 'slow': {
        // Stop waiting as soon as the client gives up (a cancelled upload closes the request).
        const gone = new AbortController();
        res.once('close', () => gone.abort());
        await sleep(fault.delayMs, gone.signal);
        return req.destroyed || res.destroyed;
      }
    }
  }

  async function nodeUpload(req: IncomingMessage, res: ServerResponse, nodeId: string): Promise<void> {
    if (await applyFault(req, res, nodeId)) return;

    const nodeAuth = /^Bearer\s+(\S+)$/i.exec(headerValue(req, HEADERS.nodeAuth) ?? '')?.[1];
    const nodeCheck = nodeAuth ? verifyJwt<NodeTokenClaims>(nodeSecret, nodeAuth) : undefined;
    if (!nodeCheck?.ok || nodeCheck.claims.node !== nodeId || !(nowSec() < nodeCheck.claims.exp)) {
      return sendJson(res, 403, { code: 403, msg: `missing, invalid or expired node token for ${nodeId}` });
    }
    const user = authUser(req, res);
    if (!user) return;
    const claims = nodeCheck.claims;
    if (claims.id !== user.id) return sendJson(res, 403, { code: 403, msg: 'node token was issued to another user' });

    const boundary = multipartBoundary(headerValue(req, 'content-type'));
    if (!boundary) return sendJson(res, 400, { code: -1, msg: 'expected multipart/form-data with a boundary' });

    const dir = root();
    await mkdir(join(dir, 'tmp'), { recursive: true });
    await mkdir(join(dir, 'blobs'), { recursive: true });
    const tmp = join(dir, 'tmp', `${randomUUID()}.part`);
    let fh: FileHandle | undefined;
    let received: { size: number; md5: string; sha256: Buffer } | undefined;
    try {
      const parser = new MultipartParser(boundary);
      const md5 = createHash('md5');
      const sha = createHash('sha256');
      let size = 0;
      let writing = false;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        for (const ev of parser.feed(chunk)) {
          if (ev.type === 'part') {
            // Only the first `file` part counts, as Go's FormFile reads only the first.
            writing = ev.part.name === UPLOAD_FIELD && !fh;
            if (writing) fh = await open(tmp, 'w');
          } else if (ev.type === 'data') {
            if (!writing) continue;
            md5.update(ev.data);
            sha.update(ev.data);
            size += ev.data.length;
            await fh!.write(ev.data);
          } else if (writing) {
            writing = false;
            received = { size, md5: md5.digest('hex'), sha256: sha.digest() };
          }
        }
      }
      parser.end();
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await rm(tmp, { force: true });
      if (err instanceof MultipartError) return sendJson(res, 400, { code: -1, msg: err.message });
      throw err;
    }
    await fh?.close();
    if (!received) {
      await rm(tmp, { force: true });
      return sendJson(res, 400, { code: -1, msg: `multipart body has no "${UPLOAD_FIELD}" part` });
    }
    // The token carries the md5 get_upload_info was asked for: any byte missing, added or
    // changed on the way shows up here, which is the node's size and integrity check.
    if (received.md5 !== claims.md5) {
      await rm(tmp, { force: true });
      return sendJson(res, 400, {
        code: -1,
        msg: `received ${received.size} bytes with md5 ${received.md5}, but the upload token is for md5 ${claims.md5}`,
      });
    }
    // CIDv1 with the raw codec (0x55) over a sha2-256 of the whole file as ONE block. Real
    // Titan chunks big files into a UnixFS DAG (dag-pb root), so its CIDs differ from ours for
    // the same bytes; a single raw block is what an independent checker can recompute with
    // multiformats alone, and the protocol treats the CID as opaque anyway.
    const cid = CID.create(1, raw.code, Digest.create(sha256.code, new Uint8Array(received.sha256))).toString();
    const path = join(dir, 'blobs', cid);
    await rename(tmp, path);
    blobs.set(cid, { cid, path, size: received.size, md5: received.md5, nodeId, uploadedBy: user.id });
    sendJson(res, 200, { code: 0, cid });
  }

  async function serveBlob(req: IncomingMessage, res: ServerResponse, cid: string): Promise<void> {
    const blob = blobs.get(cid);
    if (!blob) throw new HttpError(404, `no content for ${cid}`, { code: 404, msg: `no content for ${cid}` });
    const name = assets.find((a) => a.cid === cid)?.name;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': blob.size,
      etag: `"${cid}"`,
      ...(name ? { 'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(name)}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    await pipeline(createReadStream(blob.path), res);
  }

  // ---- callbacks ------------------------------------------------------------------------

  /**
   * Titan's delivery: an immediate first attempt, then a retry after each delay of
   * CALLBACK_RETRY_DELAYS_MS (scaled by timeScale) until one succeeds or the list runs out.
   * Every attempt is signed afresh, as its timestamp must be current.
   */
  function deliver(kind: 'upload' | 'delete', url: string, notification: UploadNotification | DeleteNotification): void {
    if (!url) return; // no notify URL registered for this event
    const gen = generation;
    const rawBody = JSON.stringify(notification);
    const attempt = async (n: number): Promise<void> => {
      if (gen !== generation) return;
      const controller = new AbortController();
      inflight.add(controller);
      const entry: SandboxTitanDelivery = { kind, url, attempt: n + 1, status: 0, ok: false, body: notification, response: '', at: Date.now() };
      try {
        const headers = signTitanCallback({ secret: opts.tenant.apiSecret, method: 'POST', path: new URL(url).pathname, rawBody });
        const r = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: rawBody,
          signal: AbortSignal.any([controller.signal, AbortSignal.timeout(CALLBACK_TIMEOUT_MS)]),
        });
        const text = await r.text();
        entry.status = r.status;
        entry.response = text.slice(0, 200);
        // The explorer compares the body to exactly `success` (docs/titan-protocol.md): an app that
        // answers `{"result":"success"}` or `success\n` would see every callback retried.
        entry.ok = r.status === 200 && text === CALLBACK_ACK;
      } catch (err) {
        entry.response = (err as Error).message;
      } finally {
        inflight.delete(controller);
      }
      if (gen !== generation) return;
      deliveries.push(entry);
      const delay = CALLBACK_RETRY_DELAYS_MS[n];
      if (!entry.ok && delay !== undefined) later(() => attempt(n + 1), delay * opts.timeScale);
    };
    later(() => attempt(0), 0);
  }

  function later(fn: () => Promise<void>, ms: number): void {
    const t = setTimeout(() => {
      timers.delete(t);
      void fn();
    }, ms);
    timers.add(t);
  }

  function stopDeliveries(): void {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const c of inflight) c.abort();
    inflight.clear();
  }

  // ---- knobs ----------------------------------------------------------------------------

  function setNodeFault(body: Record<string, unknown>): unknown {
    const nodeId = typeof body.nodeId === 'string' ? bareNodeId(body.nodeId) : '';
    if (!(NODE_IDS as readonly string[]).includes(nodeId)) throw new HttpError(400, `nodeId must be one of ${NODE_IDS.join(', ')}`);
    const mode = body.mode;
    if (mode !== 'ok' && mode !== 'down' && mode !== 'error' && mode !== 'slow') throw new HttpError(400, 'mode must be ok, down, error or slow');
    const delayMs = body.delayMs === undefined ? 1000 : body.delayMs;
    const failCount = body.failCount;
    if (typeof delayMs !== 'number' || delayMs < 0) throw new HttpError(400, 'delayMs must be a non-negative number');
    if (failCount !== undefined && (typeof failCount !== 'number' || !Number.isInteger(failCount) || failCount < 1)) {
      throw new HttpError(400, 'failCount must be a positive integer');
    }
    if (mode === 'ok') faults.delete(nodeId);
    else faults.set(nodeId, { mode, delayMs, remaining: failCount });
    return { ok: true, nodeId, mode, delayMs, failCount: failCount ?? null };
  }

  return {
    name: 'titan',
    prefixes: [API, NODE],

    async handle(req, res, url) {
      if (url.pathname === NODE || url.pathname.startsWith(`${NODE}/`)) return nodeRequest(req, res, url);
      const path = url.pathname.slice(API.length);
      if (path.startsWith('/api/v1/tenant/')) return tenantApi(req, res, path, url);
      if (path.startsWith('/api/v1/storage/')) return storageApi(req, res, path, url);
      throw new HttpError(404, `no Titan API ${path}`, { code: 404, msg: `no Titan API ${path}` });
    },

    /**
     * - `expire-tokens` {} — every user token issued so far now fails as expired (refresh
     *   inside the window still works; tokens issued afterwards work).
     * - `unauthorized-as` {shape: 'http' | 'envelope'} — HTTP 401, or HTTP 200 `{code: 401}`.
     * - `node` {nodeId, mode: 'ok'|'down'|'error'|'slow', delayMs?, failCount?} — upload faults.
     * - `storage` {call: 'create_asset'|…, delayMs?, failCount?} — a storage API call answers
     *   `delayMs` late (create_asset) or HTTP 500 for the next `failCount` calls; {call} clears.
     * - `callbacks` {} — deliveries `[{kind, url, attempt, status, ok, body, response, at}]`.
     * - `assets` {}, `reports` {}, `users` {} — stored state.
     * - `notify` {uploadUrl?, deleteUrl?} — where callbacks go ('' = none registered).
     */
    control(action, body) {
      switch (action) {
        case 'expire-tokens':
          revokedThrough = serial;
          return { ok: true, expiredThrough: serial };
        case 'unauthorized-as': {
          if (body.shape !== 'http' && body.shape !== 'envelope') throw new HttpError(400, 'shape must be "http" or "envelope"');
          unauthorizedShape = body.shape;
          return { ok: true, shape: unauthorizedShape };
        }
        case 'node':
          return setNodeFault(body);
        case 'storage': {
          const call = String(body.call ?? '');
          if (!Object.values(PATHS).some((p) => p === `/api/v1/storage/${call}`)) throw new HttpError(400, `call must name a storage API (e.g. create_asset)`);
          const delayMs = Number(body.delayMs ?? 0);
          const failCount = Number(body.failCount ?? 0);
          if (!(delayMs >= 0) || !Number.isInteger(failCount) || failCount < 0) throw new HttpError(400, 'delayMs and failCount must be non-negative numbers');
          if (!delayMs && !failCount) storageFaults.delete(call);
          else storageFaults.set(call, { delayMs, failCount });
          return { ok: true, call, delayMs, failCount };
        }
        case 'callbacks':
          return deliveries;
        case 'assets':
          return assets;
        case 'reports':
          return reports;
        case 'users':
          return [...users.values()];
        case 'notify': {
          for (const key of ['uploadUrl', 'deleteUrl'] as const) {
            const v = body[key];
            if (v === undefined) continue;
            if (typeof v !== 'string') throw new HttpError(400, `${key} must be a string`);
            notify[key] = v;
          }
          return { ok: true, ...notify };
        }
        default:
          throw new HttpError(404, `no titan knob "${action}"`);
      }
    },

    reset() {
      stopDeliveries();
      const old = root();
      generation++;
      void rm(old, { recursive: true, force: true }).catch(() => undefined);
      // Accounts survive a reset (as sub-accounts survive anything but delete_user), so a page
      // that still holds a valid token is not forced into a renewal by another test's reset.
      assets = [];
      blobs = new Map();
      reports = [];
      deliveries = [];
      faults.clear();
      storageFaults.clear();
      unauthorizedShape = 'http';
      notify = defaultNotify();
    },

    async close() {
      stopDeliveries();
      generation++;
      await rm(join(opts.dataDir, 'titan'), { recursive: true, force: true });
    },
  };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function expectMethod(req: IncomingMessage, method: string): void {
  if (req.method !== method) throw new HttpError(405, `use ${method}`, { code: 405, msg: `use ${method}` });
}

/** Go's time.RFC3339: second precision. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
