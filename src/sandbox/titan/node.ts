import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CID } from 'multiformats/cid';
import { UPLOAD_FIELD } from '../../titan/protocol.js';
import { sleep } from '../http.js';
import { base64Error, decodeJsonSegment, hmacMatches } from './jwt.js';
import { MultipartError, MultipartParser, multipartBoundary } from './multipart.js';
import { unixfsCidOfBytes, unixfsCidOfStream } from '../unixfs-cid.js';
import { header } from './auth.js';
import { verifyCar } from './car.js';
import type { NodeId, NodeState, Titan } from './state.js';

/**
 * An upload node (titan-node node/httpserver) at `/titan-node/<id>`: routed by first path
 * segment as handler.go `ServeHTTP` does, `/uploadv2` (a file), `/upload` (a CAR announced by
 * create_asset) and `/ipfs/<cid>` (downloads with a share_asset token).
 */

/**
 * handler_upload.go `uploadResult`: always HTTP 200, `{code, err: 0, msg}`. Written without a
 * Content-Type, so Go's sniffing labels it text/plain.
 */
function result(res: ServerResponse, code: number, msg: string, cid?: string): void {
  const body = JSON.stringify(cid === undefined ? { code, err: 0, msg } : { code, err: 0, msg, cid });
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
}
const fail = (res: ServerResponse, reason: string, status: number) => result(res, -1, `${reason}, http status code ${status}`);

/** handler_upload.go `getContentType`: the media type before `;`, compared case-sensitively. */
const contentType = (req: IncomingMessage) => header(req, 'content-type').split(';')[0]!.trim();

/** A multipart body as `ParseMultipartForm` leaves it: the first `file` file part on disk, the value parts. */
interface Form {
  file?: { path: string; size: number; filename: string };
  values: Map<string, string[]>;
}

const WRITE_BATCH_BYTES = 1 << 20;

/** `r.ParseMultipartForm`, streaming. Parts without a filename are values; other files are dropped. */
async function readForm(req: AsyncIterable<Buffer>, contentTypeHeader: string, tmpDir: string): Promise<Form | { error: string }> {
  const boundary = multipartBoundary(contentTypeHeader);
  if (!boundary) return { error: 'no multipart boundary param in Content-Type' };
  const form: Form = { values: new Map() };
  const path = join(tmpDir, randomUUID());
  let fh: FileHandle | undefined;
  // Written in batches of about 1 MiB: one awaited write per socket chunk (64 KiB) left the
  // receive waiting on the disk thread 16,000 times a GiB, at a third of the speed.
  let batch: Buffer[] = [];
  let batched = 0;
  const flush = async () => {
    if (fh && batched) await fh.writev(batch);
    batch = [];
    batched = 0;
  };
  let value: { name: string; chunks: Buffer[] } | undefined;
  try {
    const parser = new MultipartParser(boundary);
    for await (const chunk of req) {
      for (const ev of parser.feed(chunk)) {
        if (ev.type === 'part') {
          const isFile = !!ev.part.filename;
          if (isFile && ev.part.name === UPLOAD_FIELD && !form.file) {
            fh = await open(path, 'w');
            form.file = { path, size: 0, filename: ev.part.filename! };
          }
          value = !isFile && ev.part.name ? { name: ev.part.name, chunks: [] } : undefined;
        } else if (ev.type === 'data') {
          if (fh) {
            form.file!.size += ev.data.length;
            batch.push(ev.data);
            if ((batched += ev.data.length) >= WRITE_BATCH_BYTES) await flush();
          } else {
            value?.chunks.push(Buffer.from(ev.data));
          }
        } else {
          await flush();
          await fh?.close();
          fh = undefined;
          if (value) form.values.set(value.name, [...(form.values.get(value.name) ?? []), Buffer.concat(value.chunks).toString('utf8')]);
          value = undefined;
        }
      }
    }
    parser.end();
    return form;
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await rm(path, { force: true });
    if (err instanceof MultipartError) return { error: err.message };
    throw err;
  }
}

/**
 * The request body's chunks, on average no faster than `bytesPerSecond` (the `link` knob: what is
 * not read waits in the socket, so the page sends as over a slower network); the request itself
 * without one (no generator between it and the reader on every upload).
 */
function paced(req: IncomingMessage, bytesPerSecond: number | undefined): AsyncIterable<Buffer> {
  return bytesPerSecond ? pace(req as AsyncIterable<Buffer>, bytesPerSecond) : (req as AsyncIterable<Buffer>);
}

async function* pace(req: AsyncIterable<Buffer>, bytesPerSecond: number): AsyncGenerator<Buffer> {
  const started = performance.now();
  let bytes = 0;
  for await (const chunk of req) {
    yield chunk;
    bytes += chunk.length;
    const early = started + (bytes / bytesPerSecond) * 1000 - performance.now();
    if (early > 0) await sleep(early);
  }
}

/**
 * handler_uploadv2.go `verifyToken` / handler_upload.go `verifyUserToken`: the `Authorization`
 * header, else the `token` form value (the query's first, then the body's, which means parsing
 * the whole body first), which must then read `Bearer <token>`.
 */
async function tokenOf(
  req: IncomingMessage,
  url: URL,
  form: () => Promise<Form | { error: string }>,
): Promise<{ token: string } | { error: string }> {
  let value = header(req, 'authorization');
  if (!value) {
    const parsed = url.searchParams.has('token') ? undefined : await form();
    const token = url.searchParams.get('token') ?? (parsed && 'values' in parsed ? parsed.values.get('token')?.[0] : undefined) ?? '';
    value = token ? `Bearer ${token}` : '';
  }
  if (!value) return { token: '' };
  if (!value.startsWith('Bearer ')) return { error: 'missing Bearer prefix in auth header' };
  return { token: value.slice('Bearer '.length) };
}

/**
 * gbrlsnchs/jwt v3 `jwt.Verify` with the node's HMAC key: two dots, a header that decodes, the
 * signature, then the payload. No `alg` check and no expiry check (nothing validates claims).
 */
export function verifyNodeJwt(secret: Buffer, token: string): { payload: Record<string, unknown> } | { error: string } {
  const sep1 = token.indexOf('.');
  const sep2 = sep1 < 0 ? -1 : token.indexOf('.', sep1 + 1);
  if (sep2 < 0) return { error: 'jwt: malformed token' };
  const head = decodeJsonSegment(token.slice(0, sep1));
  if ('error' in head) return head;
  const sig = token.slice(sep2 + 1);
  const sigError = base64Error(sig) ?? (hmacMatches(secret, token.slice(0, sep2), sig) ? undefined : 'jwt: HMAC verification failed');
  if (sigError) return { error: sigError };
  const payload = decodeJsonSegment(token.slice(sep1 + 1, sep2));
  if ('error' in payload) return payload;
  if (typeof payload.value !== 'object' || Array.isArray(payload.value))
    return { error: 'json: cannot unmarshal payload into a Go struct' };
  return { payload: (payload.value ?? {}) as Record<string, unknown> };
}

/**
 * The `node` knob's fault for this request: true when it answered, `'wrong-cid'` when the
 * upload goes on and its answer is to be tampered with.
 */
async function applyFault(
  t: Titan,
  node: NodeState,
  req: IncomingMessage,
  res: ServerResponse,
  /** The request is a CAR for `/upload` (a failed one forgets the upload create_asset announced). */
  car: boolean,
): Promise<boolean | 'wrong-cid'> {
  const fault = t.faults.takeNode(node.id);
  switch (fault?.mode) {
    case undefined:
      return false;
    case 'wrong-cid':
      return 'wrong-cid';
    case 'down':
      // Whatever fronts a dead node; the body is left unread, so the client sees the 503.
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 503, msg: `${node.id} is unavailable` }));
      return true;
    case 'hang-up':
      req.socket.destroy();
      return true;
    case 'bad-token':
      fail(res, 'jwt: HMAC verification failed', 401);
      return true;
    case 'error':
      for await (const _ of req); // the body is read before storage is allocated
      // A CAR that could not be stored is forgotten (node/asset manager.go SaveUserAsset), so
      // create_asset may announce it to this node again.
      if (car) forgetUpload(node, req);
      fail(res, 'can not allocate storage for file no space left on device', 500);
      return true;
    case 'slow': {
      // Stop waiting as soon as the client gives up (a cancelled upload closes the request).
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      await sleep(fault.delayMs, gone.signal);
      const left = req.destroyed || res.destroyed;
      // A CAR whose client went away is a body read that failed: forgotten, as `error` above.
      if (left && car) forgetUpload(node, req);
      return left;
    }
  }
}

/**
 * What both upload handlers do first: POST only, then the node's own token (header or form
 * field). Answers the failure itself and resolves undefined, or gives the (lazily read) form.
 */
async function authorize(t: Titan, node: NodeState, req: IncomingMessage, res: ServerResponse, url: URL) {
  if (req.method !== 'POST') return void fail(res, 'only allow post method', 405);
  const tmp = join(t.dir(), 'tmp');
  await mkdir(tmp, { recursive: true });
  let form: Promise<Form | { error: string }> | undefined;
  const body = paced(req, t.faults.linkBytesPerSecond);
  const getForm = () => (form ??= readForm(body, header(req, 'content-type'), tmp));
  const token = await tokenOf(req, url, getForm);
  const verified = 'error' in token ? token : verifyNodeJwt(node.secret, token.token);
  if ('error' in verified) return void fail(res, verified.error, 401);
  return { getForm, verified, tmp, body };
}

/** handler_uploadv2.go `uploadv2Handler` + `handleUploadFileV2`: the node computes the CID itself. */
async function uploadV2(t: Titan, node: NodeState, req: IncomingMessage, res: ServerResponse, url: URL, tampered = false): Promise<void> {
  const authorized = await authorize(t, node, req, res, url);
  if (!authorized) return;
  const { getForm } = authorized;
  const type = contentType(req);
  if (type !== 'multipart/form-data') return fail(res, `unsupported Content-type ${type}`, 400);
  const parsed = await getForm();
  if ('error' in parsed) return fail(res, parsed.error, 400);
  if (!parsed.file) return fail(res, 'http: no such file', 400);
  const cid = await unixfsCidOfStream(createReadStream(parsed.file.path, { highWaterMark: 1 << 20 }));
  await keep(t, node, cid, parsed.file.path, 'file');
  if (tampered) return result(res, 0, '', await unixfsCidOfBytes(new TextEncoder().encode(`not ${cid}`)));
  result(res, 0, '', cid);
}

/** Files by CID, one copy for all nodes (same CID, same bytes); each node records what it holds. */
async function keep(t: Titan, node: NodeState, cid: string, tmpPath: string, kind: 'file' | 'car'): Promise<void> {
  if (node.store.has(cid)) return void (await rm(tmpPath, { force: true }));
  const blobs = join(t.dir(), 'blobs');
  await mkdir(blobs, { recursive: true });
  const path = join(blobs, cid);
  await rename(tmpPath, path);
  node.store.set(cid, { cid, path, size: (await stat(path)).size, kind });
}

/** The upload the request's node token announces, forgotten (its storing failed). */
function forgetUpload(node: NodeState, req: IncomingMessage): void {
  const verified = verifyNodeJwt(node.secret, header(req, 'authorization').replace(/^Bearer /, ''));
  if ('error' in verified) return;
  try {
    node.uploading.delete(Buffer.from(CID.parse(String(verified.payload.AssetCID)).multihash.bytes).toString('hex'));
  } catch {
    // Not a CID: nothing was announced under it.
  }
}

/** handler_upload.go `uploadHandler`: a CAR for an asset create_asset announced to this node. */
async function uploadCar(t: Titan, node: NodeState, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const authorized = await authorize(t, node, req, res, url);
  if (!authorized) return;
  const { getForm, verified, tmp } = authorized;
  // types.AuthUserUploadDownloadAsset
  const p = verified.payload as { UserID?: string; AssetCID?: string; AssetSize?: number; Expiration?: string };
  if (!(Date.now() <= Date.parse(p.Expiration ?? '')))
    return fail(res, `token is expire, userID ${p.UserID ?? ''}, cid:${p.AssetCID ?? ''}`, 401);
  let root: CID;
  try {
    root = CID.parse(p.AssetCID ?? '');
  } catch (err) {
    return fail(res, `invalid cid: ${(err as Error).message}`, 500);
  }
  const hash = Buffer.from(root.multihash.bytes).toString('hex');
  if (!node.uploading.has(hash)) return fail(res, `asset ${root} not in update status`, 400);

  const type = contentType(req);
  let source: string;
  try {
    if (type === 'multipart/form-data') {
      const parsed = await getForm();
      if ('error' in parsed) return fail(res, parsed.error, 400);
      if (!parsed.file) return fail(res, 'http: no such file', 400);
      source = parsed.file.path;
    } else if (type === 'application/car') {
      source = join(tmp, randomUUID());
      await pipeline(authorized.body, (await open(source, 'w')).createWriteStream());
    } else {
      return fail(res, `unsupported Content-type ${type}`, 400);
    }
  } catch (err) {
    // The body broke off (the client went away): StoreUserAsset's read fails, the upload is forgotten.
    node.uploading.delete(hash);
    throw err;
  }
  // node/asset/storage asset.go saveUserAsset: nothing to do for a root it has; else the size
  // the token names, a CAR, and the root's DAG in it. A failure forgets the upload (Manager.SaveUserAsset).
  const error = node.store.has(root.toString()) ? undefined : await checkCar(source, p.AssetSize ?? 0, root);
  if (error) {
    node.uploading.delete(hash);
    await rm(source, { force: true });
    return fail(res, `save user asset error ${error}`, 500);
  }
  node.uploading.delete(hash); // SetAssetUploadProgress: done
  await keep(t, node, root.toString(), source, 'car');
  result(res, 0, 'Upload succeeded');
}

/** Read from disk as the node's CAR reader does: folders of gigabytes are not held in memory. */
async function checkCar(path: string, size: number, root: CID): Promise<string | undefined> {
  const actual = (await stat(path)).size;
  if (actual !== size) return `require asset size is ${size}, but upload asset size is ${actual}`;
  const file = await open(path);
  try {
    return await verifyCar(file, root);
  } finally {
    await file.close();
  }
}

/**
 * handler_get.go `getHandler` for a file: the `token` from share_asset names the asset; a bad
 * one is HTTP 200 `{code: -1, msg: "verify token error: …"}` (`authResult`). `?filename=` sets
 * Content-Disposition (`download=true` makes it an attachment).
 */
async function download(t: Titan, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const text = `method ${req.method} not allowed\n`;
    return void res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(text);
  }
  const verified = verifyNodeJwt(t.downloadSecret, url.searchParams.get('token') ?? '');
  let cid = '';
  if ('payload' in verified) {
    try {
      cid = String((JSON.parse(String(verified.payload.Extend ?? '')) as { AssetCID?: unknown }).AssetCID ?? '');
    } catch {
      cid = '';
    }
  }
  if (!cid) {
    const body = JSON.stringify({ code: -1, msg: `verify token error: ${'error' in verified ? verified.error : 'invalid token payload'}` });
    return void res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
  }
  const blob = [...t.nodes.values()].map((n) => n.store.get(cid)).find((b) => b);
  if (!blob) return void res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`${cid} not found\n`);
  if (blob.kind === 'car')
    return void res.writeHead(501, { 'content-type': 'text/plain; charset=utf-8' }).end('sandbox: folders are stored, not served\n');
  const headers: Record<string, string | number> = {
    'content-type': 'application/octet-stream',
    'content-length': blob.size,
    etag: `"${cid}"`,
  };
  const filename = url.searchParams.get('filename');
  if (filename) {
    // oxlint-disable-next-line eslint/no-control-regex -- the range is all of ASCII, not control characters
    const ascii = encodeURIComponent(filename.replace(/[^\x00-\x7f]/g, '_'));
    headers['content-disposition'] =
      `${url.searchParams.get('download') === 'true' ? 'attachment' : 'inline'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
  }
  res.writeHead(200, headers);
  if (req.method === 'HEAD') return void res.end();
  await pipeline(createReadStream(blob.path), res);
}

export async function handleNode(t: Titan, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const m = /^\/titan-node\/([^/]+)(\/[^/]*)?/.exec(url.pathname);
  const node = t.nodes.get(`c_${m?.[1] ?? ''}` as NodeId);
  // handler.go setAccessControlAllowForHeader (Access-Control-Allow-Headers: *); the origin
  // handling is the sandbox router's.
  res.setHeader('access-control-expose-headers', 'Authorization');
  const segment = m?.[2] ?? '';
  if (node && (segment === '/uploadv2' || segment === '/upload')) {
    const fault = await applyFault(t, node, req, res, segment === '/upload');
    if (fault === true) return;
    return segment === '/upload' ? uploadCar(t, node, req, res, url) : uploadV2(t, node, req, res, url, fault === 'wrong-cid');
  }
  if (node && segment === '/ipfs') return download(t, req, res, url);
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
}
