import {
  bareNodeId,
  CODES,
  DEFAULT_API_URL,
  HEADERS,
  isUnauthorized,
  PATHS,
  UPLOAD_FIELD,
  type CreateAssetData,
  type CreateAssetRequest,
  type Envelope,
  type NodeUploadResponse,
  type TransferReportItem,
  type UploadInfo,
  type UploadNode,
} from './protocol.js';
import { abortedError, TitanError } from './errors.js';
import { md5 as hashMd5, type Md5Options } from './md5.js';

export { TitanError } from './errors.js';

/** The steps of one upload, in order (`upload-info` … `create-asset` talk to Titan). */
export type TitanUploadPhase = 'md5' | 'upload-info' | 'node-upload' | 'create-asset' | 'done';

export interface TitanClientOptions {
  /** Titan API base; default the JS SDK's test API. */
  apiUrl?: string;
  /** Initial user token. Without one, the first request asks `tokenProvider`. */
  token?: string;
  /** Returns a fresh user token; called at start (when no token) and on every 401. */
  tokenProvider?: () => Promise<string>;
  /** Node upload retries: `perNode` tries on each node (default 3), waiting `delaysMs[i]` after try i. */
  retry?: { perNode?: number; delaysMs?: number[] };
  /** Hash in a module Worker (default true, falling back to the main thread); see `md5()`. */
  md5Worker?: boolean | 'require';
  /** A node upload that makes no progress for this long is abandoned as failed (default 120 s). */
  nodeStallTimeoutMs?: number;
}

export interface UploadAssetOptions {
  /** asset_name; default the File's name. */
  name?: string;
  areaId?: string[];
  /** Folder id (group_id); default 0, the root. */
  groupId?: number;
  /**
   * The app's id for this asset; Titan echoes it in the upload callback. Send the same one when
   * retrying a file: after an answer lost on the way, the asset Titan kept carries the first.
   */
  extraId?: string;
  /** A precomputed lowercase hex md5 (skips hashing). */
  md5?: string;
  /**
   * Cancels the upload up to create_asset. Once create_asset is sent Titan records the asset
   * (and calls the app back), so the call finishes and resolves even if aborted meanwhile.
   */
  signal?: AbortSignal;
  /** Bytes sent to the upload node so far. */
  onProgress?: (sent: number, total: number) => void;
  /** Bytes hashed so far. */
  onMd5Progress?: (done: number, total: number) => void;
  onPhase?: (phase: TitanUploadPhase) => void;
}

export interface UploadAssetResult {
  cid: string;
  /** Direct link, when Titan returned `assetDirectUrl`. */
  url?: string;
  /**
   * True when Titan already held these bytes, so no new copy was stored: get_upload_info
   * answered AlreadyExists, create_asset answered an empty list (another user has them) or
   * err 1017 (this user has them).
   */
  deduplicated: boolean;
  /** The node that received the bytes, without its `c_` prefix; absent when none did. */
  nodeId?: string;
  md5: string;
  /**
   * The extra_id sent with create_asset. After err 1017 (this user had the file already) Titan
   * created no asset, so no upload callback carries it unless it was this file's own retry.
   */
  extraId?: string;
}

const UNAUTHORIZED = Symbol('unauthorized');
type Unauthorized = typeof UNAUTHORIZED;

interface ApiAnswer<T> {
  status: number;
  envelope: Envelope<T> | undefined;
}

interface NodeAttempt {
  node: UploadNode;
  started: number;
  ended: number;
  ok: boolean;
  cid: string;
  errors: string[];
}

const DEFAULT_DELAYS_MS = [1000, 2000, 4000];

/**
 * Headless Titan Storage client: the upload flow of the Titan JS SDK (md5 → get_upload_info →
 * multipart POST to a node → create_asset → transfer/report) with streamed hashing, real
 * upload progress, abort, node fallback, and single-flight token renewal.
 *
 * Fires `tokenrenewed` (an `Event`; also `ontokenrenewed`) after a rejected token was replaced.
 */
export class TitanClient extends EventTarget {
  ontokenrenewed: ((event: Event) => void) | null = null;
  tokenProvider: (() => Promise<string>) | undefined;

  #apiUrl = DEFAULT_API_URL;
  #token: string | undefined;
  #tokenRequest: Promise<string> | undefined;
  readonly #perNode: number;
  readonly #delaysMs: number[];
  readonly #md5Worker: boolean | 'require';
  readonly #stallMs: number;

  constructor(options: TitanClientOptions = {}) {
    super();
    this.apiUrl = options.apiUrl ?? DEFAULT_API_URL;
    this.#token = options.token || undefined;
    this.tokenProvider = options.tokenProvider;
    this.#perNode = Math.max(1, options.retry?.perNode ?? 3);
    this.#delaysMs = options.retry?.delaysMs?.length ? options.retry.delaysMs : DEFAULT_DELAYS_MS;
    this.#md5Worker = options.md5Worker ?? true;
    this.#stallMs = options.nodeStallTimeoutMs ?? 120_000;
  }

  /** Titan API base, without a trailing slash; empty falls back to the default. */
  get apiUrl(): string {
    return this.#apiUrl;
  }

  set apiUrl(url: string) {
    this.#apiUrl = (url || DEFAULT_API_URL).replace(/\/+$/, '');
  }

  /** The current user token, if one is known. */
  get token(): string | undefined {
    return this.#token;
  }

  /** Replaces the user token (for apps that renew it themselves). */
  updateToken(token: string): void {
    this.#token = token || undefined;
  }

  /** Resolves once a token is known, asking the provider when there is none yet. */
  async ensureToken(signal?: AbortSignal): Promise<string> {
    return this.#token ?? (await raceAbort(this.#requestToken(undefined), signal));
  }

  /** Lowercase hex MD5 of `file`, streamed (in a Worker when possible). */
  md5(file: Blob, options: Omit<Md5Options, 'worker'> = {}): Promise<string> {
    return hashMd5(file, { ...options, worker: this.#md5Worker });
  }

  /** Uploads one file and registers it as an asset of the user. */
  async uploadAsset(file: Blob & { name?: string }, options: UploadAssetOptions = {}): Promise<UploadAssetResult> {
    const { signal, onPhase } = options;
    const name = options.name ?? file.name ?? 'file';
    const areaId = options.areaId ?? [];
    const extraId = options.extraId ?? '';
    const total = file.size;
    throwIfAborted(signal);

    onPhase?.('md5');
    const md5 = options.md5 ?? (await this.md5(file, { signal, onProgress: options.onMd5Progress }));
    throwIfAborted(signal);

    onPhase?.('upload-info');
    const info = await this.getUploadInfo(md5, areaId, signal);

    let cid: string;
    let nodeId: string | undefined;
    let deduplicated = false;
    let attempts: NodeAttempt[] = [];
    if (info.AlreadyExists && info.CID) {
      cid = info.CID;
      deduplicated = true;
    } else {
      onPhase?.('node-upload');
      const outcome = await this.#uploadToNodes(info.List, file, name, signal, options.onProgress);
      attempts = outcome.attempts;
      if (!outcome.success) {
        this.#report(attempts, info.TraceID, total);
        throw outcome.error;
      }
      cid = outcome.success.cid;
      nodeId = bareNodeId(outcome.success.node.NodeID);
    }
    // A cancelled upload stops here. Past this point Titan records the asset whether or not
    // this page still waits for the answer, so create_asset is not aborted: a file reported
    // as cancelled must not turn up stored (and called back for).
    throwIfAborted(signal);

    onPhase?.('create-asset');
    const created = await this.#createAsset({
      asset_name: name,
      asset_type: 'file',
      asset_size: total,
      asset_cid: cid,
      group_id: options.groupId ?? 0,
      node_id: nodeId ?? '',
      extra_id: extraId,
      md5,
      area_id: areaId,
    });
    if (attempts.length) this.#report(attempts, info.TraceID, total);
    onPhase?.('done');
    return {
      cid,
      ...(created.url ? { url: created.url } : {}),
      deduplicated: deduplicated || created.deduplicated,
      ...(nodeId ? { nodeId } : {}),
      md5,
      ...(extraId ? { extraId } : {}),
    };
  }

  /** get_upload_info: the nodes to upload to, or `AlreadyExists` + `CID` when Titan has the bytes. */
  async getUploadInfo(md5: string, areaId: string[] = [], signal?: AbortSignal): Promise<UploadInfo> {
    const query = new URLSearchParams({ t: String(Date.now()), need_trace: 'true', md5 });
    for (const id of areaId) query.append('area_id', id);
    const env = await this.#call<unknown>('GET', PATHS.getUploadInfo, { query, signal });
    const data = expectOk(env, 'get_upload_info');
    const merged = { ...(isRecord(env.envelope) ? env.envelope : {}), ...(isRecord(data) ? data : {}) };
    const list = Array.isArray(data) ? data : merged['List'];
    const info: UploadInfo = {
      List: Array.isArray(list) ? (list as UploadNode[]).filter((n) => n && typeof n.UploadURL === 'string') : [],
      TraceID: typeof merged['TraceID'] === 'string' ? merged['TraceID'] : '',
      AlreadyExists: merged['AlreadyExists'] === true,
      ...(typeof merged['CID'] === 'string' && merged['CID'] ? { CID: merged['CID'] } : {}),
    };
    if (!info.AlreadyExists && info.List.length === 0) {
      throw new TitanError('no-nodes', 'Titan offered no upload node for this file.');
    }
    return info;
  }

  /** share_asset: Titan's download/share links for an asset, as Titan returns them. */
  async shareAsset(cid: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const env = await this.#call<unknown>('GET', PATHS.shareAsset, { query: new URLSearchParams({ asset_cid: cid }), signal });
    const data = expectOk(env, 'share_asset');
    return Array.isArray(data) ? { List: data } : isRecord(data) ? data : {};
  }

  /** delete_asset: removes the user's asset (optionally only in some areas). */
  async deleteAsset(cid: string, areaId: string[] = [], signal?: AbortSignal): Promise<void> {
    const query = new URLSearchParams({ asset_cid: cid });
    for (const id of areaId) query.append('area_id', id);
    expectOk(await this.#call<unknown>('GET', PATHS.deleteAsset, { query, signal }), 'delete_asset');
  }

  /** get_area_id: the storage areas the user may pick from. */
  async getAreaIds(signal?: AbortSignal): Promise<string[]> {
    const data = expectOk(await this.#call<unknown>('GET', PATHS.getAreaId, { signal }), 'get_area_id');
    const list = Array.isArray(data) ? data : isRecord(data) ? (data['List'] ?? data['list']) : undefined;
    return Array.isArray(list) ? list.map(String) : [];
  }

  // ---------------------------------------------------------------- node upload

  async #uploadToNodes(
    nodes: UploadNode[],
    file: Blob,
    name: string,
    signal: AbortSignal | undefined,
    onProgress: UploadAssetOptions['onProgress'],
  ): Promise<{ attempts: NodeAttempt[]; success?: NodeAttempt; error: TitanError }> {
    const attempts: NodeAttempt[] = [];
    let lastError = new TitanError('node-upload', 'No upload node accepted the file.');
    for (const node of nodes) {
      const attempt: NodeAttempt = { node, started: Date.now(), ended: 0, ok: false, cid: '', errors: [] };
      attempts.push(attempt);
      for (let i = 0; i < this.#perNode; i++) {
        throwIfAborted(signal);
        try {
          const answer = await this.#authorized(signal, (token) => this.#postToNode(node, token, file, name, signal, onProgress));
          attempt.ended = Date.now();
          attempt.ok = true;
          attempt.cid = answer.cid;
          return { attempts, success: attempt, error: lastError };
        } catch (err) {
          // Aborts and a token that stays rejected end the upload; anything else is the node's fault.
          if (isAbort(err, signal)) throw abortedError();
          if (err instanceof TitanError && (err.code === 401 || err.code === 'token-renewal')) throw err;
          const message = err instanceof Error ? err.message : String(err);
          attempt.errors.push(message);
          attempt.ended = Date.now();
          lastError = new TitanError('node-upload', `Upload to node ${bareNodeId(node.NodeID)} failed: ${message}`, { cause: err });
        }
        // Waiting only makes sense before trying the same node again.
        if (i < this.#perNode - 1) await sleep(this.#delaysMs[Math.min(i, this.#delaysMs.length - 1)] ?? 0, signal);
      }
    }
    const tried = attempts.map((a) => bareNodeId(a.node.NodeID)).join(', ');
    return {
      attempts,
      error: new TitanError('node-upload', `No upload node accepted the file (tried ${tried}). Last error: ${lastError.message}`, {
        cause: lastError,
      }),
    };
  }

  /** One multipart POST through XHR: fetch has no upload progress. */
  #postToNode(
    node: UploadNode,
    token: string,
    file: Blob,
    name: string,
    signal: AbortSignal | undefined,
    onProgress: UploadAssetOptions['onProgress'],
  ): Promise<{ cid: string } | Unauthorized> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      let stall: ReturnType<typeof setTimeout> | undefined;
      const cleanup = () => {
        clearTimeout(stall);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: TitanError) => {
        cleanup();
        reject(err);
      };
      const armStall = () => {
        clearTimeout(stall);
        stall = setTimeout(() => {
          xhr.abort();
          fail(new TitanError('network', `no progress for ${Math.round(this.#stallMs / 1000)} s`));
        }, this.#stallMs);
      };
      const onAbort = () => {
        xhr.abort();
        fail(abortedError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      xhr.open('POST', node.UploadURL, true);
      xhr.setRequestHeader(HEADERS.nodeAuth, `Bearer ${node.Token}`);
      xhr.setRequestHeader(HEADERS.jwt, `Bearer ${token}`);
      xhr.upload.onprogress = (event) => {
        armStall();
        onProgress?.(event.loaded, event.lengthComputable ? event.total : file.size);
      };
      xhr.onreadystatechange = armStall;
      xhr.onerror = () => fail(new TitanError('network', 'network error (node unreachable or CORS refused)'));
      xhr.onload = () => {
        cleanup();
        const body = parseJson<NodeUploadResponse>(xhr.responseText);
        if (isUnauthorized(xhr.status, body)) return resolve(UNAUTHORIZED);
        if (xhr.status < 200 || xhr.status >= 300) {
          return reject(new TitanError(xhr.status, `HTTP ${xhr.status}${body?.msg ? `: ${body.msg}` : ''}`));
        }
        if (!body) return reject(new TitanError('bad-response', 'the node did not answer JSON'));
        if (body.code !== CODES.ok || !body.cid) {
          return reject(new TitanError(body.code, body.msg || `code ${body.code}${body.cid ? '' : ', no cid'}`));
        }
        onProgress?.(file.size, file.size);
        resolve({ cid: body.cid });
      };
      const form = new FormData();
      form.append(UPLOAD_FIELD, file, name);
      armStall();
      xhr.send(form);
    });
  }

  // ---------------------------------------------------------------- create_asset, report

  async #createAsset(request: CreateAssetRequest): Promise<{ url?: string; deduplicated: boolean }> {
    const answer = await this.#call<unknown>('POST', PATHS.createAsset, { body: request });
    const env = answer.envelope;
    const data = env?.data;
    const url = pickUrl(data) ?? pickUrl(env);
    // 1017 arrives top level or, as the JS SDK merges it, inside data.
    if (env && (env.err === CODES.assetExists || (isRecord(data) && data['err'] === CODES.assetExists))) {
      return { ...(url ? { url } : {}), deduplicated: true };
    }
    expectOk(answer, 'create_asset');
    const emptyList =
      (Array.isArray(data) && data.length === 0) ||
      (isRecord(data) && Array.isArray(data['List']) && (data['List'] as unknown[]).length === 0);
    return { ...(url ? { url } : {}), deduplicated: emptyList };
  }

  /** transfer/report, best effort: never awaited by the upload, never fails it. */
  #report(attempts: NodeAttempt[], traceId: string, size: number): void {
    const items: TransferReportItem[] = attempts.map((a) => {
      const elapsedTime = Math.max(1, (a.ended || Date.now()) - a.started);
      const nodeId = bareNodeId(a.node.NodeID);
      return {
        status: a.ok ? 1 : 2,
        msg: a.ok ? '' : (a.errors.at(-1) ?? 'failed'),
        elapsedTime,
        transferRate: a.ok ? Math.floor((size / elapsedTime) * 1000) : 0,
        size,
        traceId,
        nodeId,
        cId: a.cid,
        log: a.errors.length ? JSON.stringify({ [nodeId]: a.errors }) : '',
      };
    });
    this.#call('POST', PATHS.transferReport, { body: items }).catch(() => undefined);
  }

  // ---------------------------------------------------------------- API calls and tokens

  /** One authorized API call with renewal; answers the raw envelope for the caller to judge. */
  #call<T>(
    method: 'GET' | 'POST',
    path: string,
    options: { query?: URLSearchParams; body?: unknown; signal?: AbortSignal },
  ): Promise<ApiAnswer<T>> {
    return this.#authorized(options.signal, async (token) => {
      const url = `${this.apiUrl}${path}${options.query ? `?${options.query}` : ''}`;
      const headers: Record<string, string> = { accept: 'application/json', [HEADERS.jwt]: `Bearer ${token}` };
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers,
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: options.signal,
        });
      } catch (err) {
        if (isAbort(err, options.signal)) throw abortedError();
        throw new TitanError('network', `Could not reach Titan at ${this.apiUrl} (${pathName(path)}): network or CORS failure.`, {
          cause: err,
        });
      }
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        if (isAbort(err, options.signal)) throw abortedError();
        throw new TitanError('network', `The connection to Titan broke while reading ${pathName(path)}.`, { cause: err });
      }
      const envelope = parseJson<Envelope<T>>(text);
      if (isUnauthorized(res.status, envelope)) return UNAUTHORIZED;
      return { status: res.status, envelope: isRecord(envelope) ? envelope : undefined };
    });
  }

  /**
   * Runs `run` with the current token; on a 401 (either shape) renews once — shared by every
   * request of this client that sees the same stale token — and runs it once more.
   */
  async #authorized<R>(signal: AbortSignal | undefined, run: (token: string) => Promise<R | Unauthorized>): Promise<R> {
    const token = await this.ensureToken(signal);
    const first = await run(token);
    if (first !== UNAUTHORIZED) return first;
    throwIfAborted(signal);
    const renewed = await raceAbort(this.#requestToken(token), signal);
    const second = await run(renewed);
    if (second !== UNAUTHORIZED) return second;
    throw new TitanError(CODES.unauthorized, 'Titan rejected the user token even after renewing it (401 Unauthorized).');
  }

  /**
   * Single flight: every caller that finds the token missing or rejected joins one provider
   * call. `stale` is the token the caller saw rejected; if another caller already replaced it,
   * the new token is used without asking again.
   */
  #requestToken(stale: string | undefined): Promise<string> {
    if (this.#token && this.#token !== stale) return Promise.resolve(this.#token);
    if (this.#tokenRequest) return this.#tokenRequest;
    const provider = this.tokenProvider;
    const renewal = stale !== undefined;
    const request = (async () => {
      if (!provider) {
        throw new TitanError(
          'token-renewal',
          renewal
            ? 'Titan rejected the user token and no token source (tokenProvider / token-url) is configured to renew it.'
            : 'No Titan user token: set a token or a token source (tokenProvider / token-url).',
        );
      }
      let fresh: string;
      try {
        fresh = await provider();
      } catch (err) {
        const cause = err instanceof Error ? err.message : String(err);
        throw new TitanError('token-renewal', `Could not get a Titan token: ${cause}`, { cause: err });
      }
      if (typeof fresh !== 'string' || !fresh) {
        throw new TitanError('token-renewal', 'Could not get a Titan token: the token source returned an empty token.');
      }
      this.#token = fresh;
      if (renewal) {
        const event = new Event('tokenrenewed');
        this.dispatchEvent(event);
        this.ontokenrenewed?.(event);
      }
      return fresh;
    })();
    this.#tokenRequest = request;
    const clear = () => {
      if (this.#tokenRequest === request) this.#tokenRequest = undefined;
    };
    request.then(clear, clear);
    return request;
  }
}

// ---------------------------------------------------------------- helpers

function expectOk<T>(answer: ApiAnswer<T>, what: string): T | undefined {
  const env = answer.envelope;
  if (answer.status >= 200 && answer.status < 300 && env && env.code === CODES.ok) return env.data;
  if (env && typeof env.code === 'number') {
    const code = env.err ?? env.code;
    throw new TitanError(code, `Titan ${what} failed: ${env.msg || 'no message'} (code ${code}).`);
  }
  throw new TitanError(
    answer.status >= 200 && answer.status < 300 ? 'bad-response' : answer.status,
    `Titan ${what} answered HTTP ${answer.status} without a valid envelope.`,
  );
}

function pickUrl(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const url = value['assetDirectUrl'] ?? value['AssetDirectUrl'];
  return typeof url === 'string' && url ? url : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson<T>(text: string): T | undefined {
  try {
    return text ? (JSON.parse(text) as T) : undefined;
  } catch {
    return undefined;
  }
}

function pathName(path: string): string {
  return path.split('/').pop() ?? path;
}

function isAbort(err: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (err instanceof TitanError && err.code === 'aborted');
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError();
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
