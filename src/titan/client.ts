import {
  CODES,
  DEFAULT_API_URL,
  ERR,
  HEADERS,
  PATHS,
  TRANSFER_STATE,
  UPLOAD_FIELD,
  type CreateAssetEntry,
  type CreateAssetRequest,
  type Envelope,
  type TransferReport,
  type UploadInfo,
  type UploadNode,
} from './protocol.js';
import type { ShareLink, ShareLinkOptions } from './share.js';
import type { TitanFolder } from './groups.js';
import type { FolderEntry, UploadFolderOptions, UploadFolderResult } from './folder.js';
import type * as HashCacheModule from './hash-cache.js';
import { abortedError, TitanError, type TitanErrorCode } from './errors.js';
import { requestJson, type JsonAnswer } from '../internal/request.js';
import * as abort from '../internal/abort.js';
import { TypedEventTarget } from '../internal/typed-events.js';
import { fileDag, hashFile, md5 as hashMd5, type FileHashes, type Md5Options } from './md5.js';
import { pageSha256 } from './page-hash.js';

export { TitanError } from './errors.js';
export type { FileHashes } from './md5.js';
export type { FolderEntry, UploadFolderOptions, UploadFolderResult } from './folder.js';

/** The steps of one upload, in order (`upload-info` … `report` talk to Titan). */
export type TitanUploadPhase = 'md5' | 'upload-info' | 'node-upload' | 'create-asset' | 'report' | 'done';

/** Titan's message language: `cn` answers Chinese `msg`s, `en` English (the `Lang` header). */
export type TitanLang = 'en' | 'cn';

export interface TitanClientOptions {
  /** Titan API base; default the JS SDK's test API. */
  apiUrl?: string;
  /** Initial user token. Without one, the first request asks `tokenProvider`. */
  token?: string;
  /** Returns a fresh user token; called at start (when no token), when it expired, and on every 401. */
  tokenProvider?: () => Promise<string>;
  /** Node upload retries: `perNode` tries on each node (default 3), waiting `delaysMs[i]` after try i. */
  retry?: { perNode?: number; delaysMs?: number[] };
  /** Hash in a module Worker (default true, falling back to the main thread); see `md5()`. */
  md5Worker?: boolean | 'require';
  /**
   * Remember the md5 and CID of files hashed here (IndexedDB, by name, size and lastModified), so
   * a file picked again is not read again. A stale entry cannot register anything: the node's
   * CID must match, and a mismatch forgets it. Default true where IndexedDB exists. Files under
   * 256 KiB are read again instead: reading them costs less than looking them up.
   */
  hashCache?: boolean;
  /** A node upload that makes no progress for this long is abandoned as failed (default 120 s). */
  nodeStallTimeoutMs?: number;
  /** Language of Titan's error messages (default `en`). */
  lang?: TitanLang;
  /** transfer/report tries (default 3) and the waits between them (default 1 s, 2 s). */
  report?: { tries?: number; delaysMs?: number[] };
}

export interface UploadAssetOptions {
  /** asset_name; default the File's name. */
  name?: string;
  /** Storage areas: country names as `getAreaIds()` lists them (e.g. `China`); Titan picks nodes there. */
  areaId?: string[];
  /** Folder id (group_id); default 0, the root. */
  groupId?: number;
  /** A folder path (`invoices/2026`) to store the file in, its missing folders created; overrides `groupId`. */
  folder?: string;
  /**
   * The app's id for this asset; Titan echoes it in the upload callback. Send the same one when
   * retrying a file: after an answer lost on the way, the asset Titan kept carries the first.
   */
  extraId?: string;
  /**
   * Hashes computed beforehand (by `hash()`), so the file is not read again. With `md5` alone
   * the node's CID cannot be checked (`verified: false`).
   */
  hashes?: FileHashes;
  /** @deprecated Pass `hashes: {md5, cid}` (from `hash()`); an md5 alone leaves the CID unverified. */
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
  /**
   * A file this large or larger, without `hashes`, uploads while it hashes: Titan's
   * get_upload_info takes md5 as optional, so nodes are asked for at once and the node upload
   * runs next to the hashing; the md5 is asked about once known, and if Titan has the file
   * already (with this CID) the transfer stops and the existing file is registered. Default
   * `PARALLEL_HASH_BYTES`; `Infinity` always hashes first.
   */
  parallelHashBytes?: number;
}

/**
 * Where uploading while hashing starts to pay. `npm run bench -- parallel`, on 2 cores with the
 * sandbox node computing its CID on the same cores: up to 32 MiB hashing first was faster (the
 * extra get_upload_info and the contention cost more than the overlap saves); at 1 GiB uploading
 * while hashing was faster in every run (medians of 3 on loopback: 1.10–1.55× max(hash, upload)
 * against 1.33–1.86× hashing first, CPU-bound; with the nodes reading at 100 MB/s, 0.96–1.01×
 * against 1.21–1.25×). A real node is remote, so the overlap pays sooner there; 64 MiB stays
 * clear of where it measurably costs.
 */
export const PARALLEL_HASH_BYTES = 64 * 1024 * 1024;

/**
 * The smallest file the hash cache keeps. In Chromium on 2 cores, a lookup that finds the entry
 * took 2.5–3 ms whatever the size, and one that misses and stores 5–7 ms more than hashing;
 * md5 + CID took 2 ms at 64 KiB, 3.3 ms at 256 KiB, 8 ms at 1 MiB. Below this the cache cannot
 * pay, even for a file picked again, and a batch of small files paid it on every file.
 */
const HASH_CACHE_MIN_BYTES = 256 * 1024;

/** What became of the transfer/report that lets Titan call the app backend back. */
export interface TransferReportOutcome {
  /** `sent`: Titan accepted it; `failed`: every try failed (the file is stored all the same). */
  status: 'sent' | 'failed';
  tries: number;
  /** Why the last try failed. */
  error?: { code: number | string; message: string };
}

export interface UploadAssetResult {
  cid: string;
  /** Direct link: share_asset's first URL, or the `assetDirectUrl` of Titan's 1017 answer. */
  url?: string;
  /**
   * True when Titan already held these bytes, so no new copy was sent: get_upload_info
   * answered AlreadyExists, or create_asset answered err 1017 (this user has them).
   */
  deduplicated: boolean;
  /** True when `cid` equals the CID computed here from the file's bytes. */
  verified: boolean;
  /** The node that received the bytes, exactly as Titan named it (`c_…`); absent when none did. */
  nodeId?: string;
  md5: string;
  /**
   * The extra_id sent with create_asset. After err 1017 (this user had the file already) Titan
   * created no asset, so no upload callback carries it unless it was this file's own retry.
   */
  extraId?: string;
  /** The transfer/report, which is what makes Titan call the app's upload callback. */
  report: TransferReportOutcome;
}

/**
 * An answer that says (or may say) the user token was refused: `explicit` (HTTP 401 or
 * `{code: 401}`) or `blank-500` (an empty HTTP 500, which is also how a real server failure looks).
 */
interface Unauthorized {
  unauthorized: 'explicit' | 'blank-500';
}
const isUnauthorized = (value: unknown): value is Unauthorized => isRecord(value) && 'unauthorized' in value;

interface ApiAnswer<T> {
  status: number;
  envelope: Envelope<T> | undefined;
}

/** One node's part in an upload, for the transfer/report. */
export interface NodeAttempt {
  node: UploadNode;
  started: number;
  firstByte: number;
  ended: number;
  errors: string[];
}

/** The `detail` of each of a `TitanClient`'s events. */
export interface TitanClientEvents {
  /** A refused user token was replaced by one from the token source (the request is being retried). */
  tokenrenewed: Record<string, never>;
}

type HashCache = typeof HashCacheModule;

/** What the node uploads of one file came to: the node and its CID, or the last error. */
export interface NodeOutcome {
  attempts: NodeAttempt[];
  cid?: string;
  node?: UploadNode;
  error: TitanError;
}

const DEFAULT_DELAYS_MS = [1000, 2000, 4000];
/** The largest Titan API answer read (a file list of a few hundred entries is well under it). */
const MAX_API_ANSWER_BYTES = 1024 * 1024;
const DEFAULT_REPORT_DELAYS_MS = [1000, 2000];
/** Renew a token this long before its `exp`, so a request does not leave with one about to lapse. */
const EXPIRY_MARGIN_S = 30;

/**
 * Headless Titan Storage client: the upload flow of Titan's own server (md5 + UnixFS CID in one
 * read → get_upload_info → multipart POST to a node, whose CID is checked → create_asset →
 * transfer/report → share_asset) with real upload progress, abort, node fallback, and
 * single-flight token renewal.
 *
 * Fires `tokenrenewed` (also `ontokenrenewed`) after a rejected token was replaced.
 */
export class TitanClient extends TypedEventTarget<TitanClientEvents> {
  ontokenrenewed: ((event: CustomEvent<TitanClientEvents['tokenrenewed']>) => void) | null = null;
  tokenProvider: (() => Promise<string>) | undefined;
  /** Language of Titan's messages. */
  lang: TitanLang;

  #apiUrl = DEFAULT_API_URL;
  /** Folder paths resolved (or being resolved) to ids; a rename, move or delete here forgets them. */
  readonly #folders = new Map<string, Promise<number>>();
  #token: string | undefined;
  #tokenRequest: Promise<string> | undefined;
  readonly #perNode: number;
  readonly #delaysMs: number[];
  readonly #md5Worker: boolean | 'require';
  readonly #hashCache: boolean;
  readonly #stallMs: number;
  readonly #reportTries: number;
  readonly #reportDelaysMs: number[];

  constructor(options: TitanClientOptions = {}) {
    super();
    this.apiUrl = options.apiUrl ?? DEFAULT_API_URL;
    this.#token = options.token || undefined;
    this.tokenProvider = options.tokenProvider;
    this.lang = options.lang ?? 'en';
    this.#perNode = Math.max(1, options.retry?.perNode ?? 3);
    this.#delaysMs = options.retry?.delaysMs?.length ? options.retry.delaysMs : DEFAULT_DELAYS_MS;
    this.#md5Worker = options.md5Worker ?? true;
    this.#hashCache = options.hashCache ?? true;
    this.#stallMs = options.nodeStallTimeoutMs ?? 120_000;
    this.#reportTries = Math.max(1, options.report?.tries ?? 3);
    this.#reportDelaysMs = options.report?.delaysMs?.length ? options.report.delaysMs : DEFAULT_REPORT_DELAYS_MS;
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

  /** Resolves once a usable token is known, asking the provider when there is none or it expired. */
  async ensureToken(signal?: AbortSignal): Promise<string> {
    const token = this.#token;
    if (token && !isExpired(token)) return token;
    return raceAbort(this.#requestToken(token), signal);
  }

  /** Lowercase hex MD5 of `file`, streamed (in a Worker when possible). */
  md5(file: Blob, options: Omit<Md5Options, 'worker'> = {}): Promise<string> {
    return hashMd5(file, { ...options, worker: this.#md5Worker });
  }

  /** md5 and the UnixFS CID Titan's node will compute, from one streamed read (in a Worker when possible). */
  async hash(file: Blob, options: Omit<Md5Options, 'worker'> = {}): Promise<FileHashes> {
    const cache = await this.#cacheFor(file);
    return (await cache?.cachedHashes(file as File).catch(() => undefined)) ?? this.#hashAndRemember(file, options, cache);
  }

  /** Reads the file for its hashes (the cache was asked already) and remembers them. */
  async #hashAndRemember(file: Blob, options: Omit<Md5Options, 'worker'>, cache: HashCache | undefined): Promise<FileHashes> {
    const hashes = await hashFile(file, { ...options, worker: this.#md5Worker, cid: true });
    void cache?.rememberHashes(file as File, hashes).catch(() => undefined);
    return hashes;
  }

  /** The hash cache, for a picked file large enough to gain from it, where IndexedDB exists (loaded then). */
  #cacheFor(file: Blob) {
    return this.#hashCache && file instanceof File && file.size >= HASH_CACHE_MIN_BYTES && typeof indexedDB !== 'undefined'
      ? import('./hash-cache.js')
      : undefined;
  }

  /** Uploads one file and registers it as an asset of the user. */
  async uploadAsset(file: Blob & { name?: string }, options: UploadAssetOptions = {}): Promise<UploadAssetResult> {
    const { signal, onPhase } = options;
    const name = options.name ?? file.name ?? 'file';
    const areaId = options.areaId ?? [];
    const extraId = options.extraId ?? '';
    const total = file.size;
    throwIfAborted(signal);
    // Titan refuses size 0 (createAssetRequest `binding:"required"`) and the scheduler refuses the
    // empty file's hash (asset_impl.go CreateAsset): say so before reading or sending anything.
    if (total === 0) throw new TitanError('empty-file', `${name} is empty: Titan does not store empty files.`);

    onPhase?.('md5');
    const started = Date.now();
    const cache = await this.#cacheFor(file);
    const given =
      options.hashes ??
      (options.md5 ? { md5: options.md5 } : undefined) ??
      (await cache?.cachedHashes(file as File).catch(() => undefined));
    const hashing = given ? Promise.resolve(given) : this.#hashAndRemember(file, { signal, onProgress: options.onMd5Progress }, cache);
    hashing.catch(() => undefined);
    // Upload while hashing: nodes at once, the transfer next to the hash (stopped if Titan turns
    // out to have the file).
    let early: Promise<NodeOutcome> | undefined;
    let first: UploadInfo | undefined;
    const stopEarly = new AbortController();
    if (!given && total >= (options.parallelHashBytes ?? PARALLEL_HASH_BYTES)) {
      first = await this.getUploadInfo(undefined, areaId, signal);
      onPhase?.('node-upload');
      const both = AbortSignal.any([stopEarly.signal, ...(signal ? [signal] : [])]);
      early = this.#uploadToNodes(
        first.List ?? [],
        file,
        name,
        hashing.then((h) => h.cid),
        { renew: this.#freshNodes(areaId, signal), signal: both, onProgress: options.onProgress },
      );
      early.catch(() => undefined);
    }
    const hashes = await raceAbort(hashing, signal).catch((err: unknown) => {
      stopEarly.abort();
      throw err;
    });
    const { md5 } = hashes;
    throwIfAborted(signal);

    onPhase?.('upload-info');
    // With a transfer under way, this only asks whether Titan has the file: no trace of its own.
    let info = await this.getUploadInfo(md5, areaId, signal, !first);
    // Titan's copy of bytes with this md5 must be these bytes under this CID; otherwise they are
    // uploaded, so that nothing is registered that was not verified.
    if (info.AlreadyExists && hashes.cid && info.CID !== hashes.cid) {
      info = first ?? (await this.getUploadInfo(undefined, areaId, signal));
    }
    if (info.AlreadyExists) stopEarly.abort();
    else if (first) info = first;

    let cid: string;
    let node: UploadNode | undefined;
    let attempts: NodeAttempt[] = [];
    if (info.AlreadyExists) {
      cid = info.CID;
    } else {
      onPhase?.('node-upload');
      const outcome = await (early ??
        this.#uploadToNodes(info.List ?? [], file, name, hashes.cid, {
          renew: this.#freshNodes(areaId, signal),
          signal,
          onProgress: options.onProgress,
        }));
      attempts = outcome.attempts;
      if (!outcome.cid) {
        // Hashes remembered for a file whose bytes changed since: hash it afresh next time.
        if (outcome.error.code === 'cid-mismatch') void cache?.forgetHashes(file as File).catch(() => undefined);
        await this.#report(outcome.attempts, info.TraceID, '', total, TRANSFER_STATE.failure, started);
        throw outcome.error;
      }
      cid = outcome.cid;
      node = outcome.node;
    }
    // A cancelled upload stops here. Past this point Titan records the asset whether or not
    // this page still waits for the answer, so create_asset is not aborted: a file reported
    // as cancelled must not turn up stored (and called back for).
    throwIfAborted(signal);

    onPhase?.('create-asset');
    const groupId = options.folder ? await this.folderId(options.folder) : (options.groupId ?? 0);
    const created = await this.#createAsset({
      asset_name: name,
      asset_cid: cid,
      area_id: areaId,
      node_id: node?.NodeID ?? '',
      asset_type: 'file',
      asset_size: total,
      group_id: groupId,
      md5,
      extra_id: extraId,
      need_trace: true,
    });

    // The report is what makes Titan call the app back (events.go AssetTransferReport), so it is
    // sent even when no bytes moved, and after 1017 too: that answer may follow a first try whose
    // create_asset went through but whose answer (and so whose report) was lost.
    onPhase?.('report');
    const report = await this.#report(attempts, info.TraceID, cid, total, TRANSFER_STATE.success, started);
    const url = created.url ?? (await this.#directUrl(cid));
    onPhase?.('done');
    return {
      cid,
      ...(url ? { url } : {}),
      deduplicated: info.AlreadyExists || created.exists,
      verified: cid === hashes.cid,
      ...(node ? { nodeId: node.NodeID } : {}),
      md5,
      ...(extraId ? { extraId } : {}),
      report,
    };
  }

  /**
   * Uploads a folder as ONE Titan asset, as Titan's JS SDK does (folderLoader.js): its files are
   * packed as a CAR of a UnixFS directory whose root CID is computed here, announced by
   * create_asset (`asset_type: "folder"`), then the CAR goes to a node create_asset names. The
   * files are read once, to hash them; the CAR is a Blob of slices of them, never a copy in
   * memory. `entries` are the files with their paths inside the folder (`a.txt`, `photos/b.jpg`).
   * The packing code loads on first use.
   */
  async uploadFolder(entries: FolderEntry[], options: UploadFolderOptions = {}): Promise<UploadFolderResult> {
    const { uploadFolder } = await import('./folder.js');
    return uploadFolder(entries, options, {
      dag: (blob, { worker, ...o }) => fileDag(blob, { ...o, worker: worker && this.#md5Worker }),
      sha256: pageSha256,
      folderId: (path) => this.folderId(path),
      createAsset: (request) => this.#createAsset(request),
      toNodes: (nodes, car, name, root, o) => this.#uploadToNodes(nodes, car, name, root, { ...o, car: true }),
      report: (attempts, traceId, cid, size, state, started) => this.#report(attempts, traceId, cid, size, state, started),
      directUrl: (cid) => this.#directUrl(cid),
      deleteAsset: (cid) => this.deleteAsset(cid),
      claims: jwtClaims,
    });
  }

  /**
   * get_upload_info: the nodes to upload to, or `AlreadyExists` + `CID` when Titan has bytes with
   * this md5 (Titan treats md5 as optional: without one it always offers nodes).
   */
  async getUploadInfo(md5: string | undefined, areaId: string[] = [], signal?: AbortSignal, needTrace = true): Promise<UploadInfo> {
    const query = new URLSearchParams({ t: String(Date.now()), need_trace: String(needTrace) });
    if (md5) query.set('md5', md5);
    for (const id of areaId) query.append('area_id', id);
    const data = expectOk(await this.#call<unknown>('GET', PATHS.getUploadInfo, { query, signal }), 'get_upload_info');
    const bad = (why: string) => new TitanError('bad-response', `Titan get_upload_info answered ${why}.`);
    if (!isRecord(data) || typeof data['AlreadyExists'] !== 'boolean') throw bad('without AlreadyExists');
    const info: UploadInfo = {
      AlreadyExists: data['AlreadyExists'],
      Log: str(data['Log']),
      CID: str(data['CID']),
      TraceID: str(data['TraceID']),
    };
    if (typeof data['AreaID'] === 'string') info.AreaID = data['AreaID'];
    if (info.AlreadyExists) {
      if (!info.CID) throw bad('AlreadyExists without a CID');
      return info;
    }
    const list = data['List'];
    if (!Array.isArray(list)) throw bad('neither AlreadyExists nor a List of nodes');
    info.List = list.map((n: unknown) => {
      if (!isRecord(n) || typeof n['UploadURL'] !== 'string' || typeof n['Token'] !== 'string' || typeof n['NodeID'] !== 'string') {
        throw bad('a node without UploadURL, Token and NodeID');
      }
      return { UploadURL: n['UploadURL'], Token: n['Token'], NodeID: n['NodeID'] };
    });
    if (info.List.length === 0) throw new TitanError('no-nodes', 'Titan offered no upload node for this file.');
    return info;
  }

  /** share_asset: the download URLs of one of the user's assets (each ends in `&filename=`). */
  async shareAsset(cid: string, signal?: AbortSignal): Promise<string[]> {
    const query = new URLSearchParams({ asset_cid: cid });
    const data = expectOk(await this.#call<unknown>('GET', PATHS.shareAsset, { query, signal }), 'share_asset');
    const urls = isRecord(data) ? data['url'] : undefined;
    if (!Array.isArray(urls)) throw new TitanError('bad-response', 'Titan share_asset answered without a url list.');
    return urls.filter((u): u is string => typeof u === 'string' && this.#isSafeUrl(u));
  }

  /**
   * A share link for one of the user's stored files (create_link, then share_status_set), with
   * an optional expiry and password; sharing a file again answers the same link. Loaded on
   * first use.
   */
  async createShareLink(cid: string, options?: ShareLinkOptions): Promise<ShareLink> {
    return (await import('./share.js')).createShareLink(this, cid, options);
  }

  /** A folder in `parent` (default the root). At most 20 folders per user (err 10019). */
  async createFolder(name: string, parent?: number, signal?: AbortSignal): Promise<TitanFolder> {
    return (await import('./groups.js')).createFolder(this, name, parent, signal);
  }

  /** The folders in `parent` (default the root), newest first. */
  async listFolders(parent?: number, signal?: AbortSignal): Promise<TitanFolder[]> {
    return (await import('./groups.js')).listFolders(this, parent, signal);
  }

  async renameFolder(id: number, name: string, signal?: AbortSignal): Promise<void> {
    this.#folders.clear();
    return (await import('./groups.js')).renameFolder(this, id, name, signal);
  }

  /** Moves a folder into `target` (0: the root); not into itself or its own subfolders. */
  async moveFolder(id: number, target: number, signal?: AbortSignal): Promise<void> {
    this.#folders.clear();
    return (await import('./groups.js')).moveFolder(this, id, target, signal);
  }

  /** Deletes a folder with its subfolders and the files in them. */
  async deleteFolder(id: number, signal?: AbortSignal): Promise<void> {
    this.#folders.clear();
    return (await import('./groups.js')).deleteFolder(this, id, signal);
  }

  /**
   * The id of the folder at `path` (`invoices/2026`), creating the folders that are missing.
   * Asked once per path by this client: files uploaded at the same time share the answer.
   */
  folderId(path: string): Promise<number> {
    let id = this.#folders.get(path);
    if (!id) {
      id = import('./groups.js').then((m) => m.resolveFolder(this, path));
      this.#folders.set(path, id);
      id.catch(() => this.#folders.delete(path));
    }
    return id;
  }

  /**
   * One storage API call with this client's token (renewed on a 401), Titan's envelope judged:
   * resolves its `data`, or throws a `TitanError` whose code is Titan's `err` number. For the
   * calls this client has no method of its own for.
   */
  async api<T = unknown>(
    method: 'GET' | 'POST',
    path: string,
    options: { query?: URLSearchParams; body?: unknown; signal?: AbortSignal } = {},
  ): Promise<T | undefined> {
    return expectOk(await this.#call<T>(method, path, options), pathName(path));
  }

  /** The signed-in user's Titan id: the token's `id` claim (`<tenant>/<username>` for tenant users). */
  async userId(signal?: AbortSignal): Promise<string> {
    const id = jwtClaims(await this.ensureToken(signal))?.['id'];
    if (typeof id !== 'string' || !id) throw new TitanError('bad-response', 'The Titan token names no user.');
    return id;
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
    const list = isRecord(data) ? data['list'] : undefined;
    if (!Array.isArray(list)) throw new TitanError('bad-response', 'Titan get_area_id answered without a list.');
    return list.map(String);
  }

  // ---------------------------------------------------------------- node upload

  /**
   * Tries the nodes in order, `perNode` times each. A node that refuses its token (the node
   * answers HTTP 200 `{code:-1, msg:"…, http status code 401"}`) gets fresh node tokens from
   * `renew` once, where there is one; a node whose CID differs from the file's ends the upload.
   * With `car`, the body is a folder's CAR, which the node answers without a CID: its root is
   * `expectedCid`, which the node's token names and the node checks the CAR against.
   */
  async #uploadToNodes(
    nodes: UploadNode[],
    file: Blob,
    name: string,
    /** The file's CID, or its promise while the file is still being hashed. */
    expectedCid: string | undefined | Promise<string | undefined>,
    options: {
      renew?: (() => Promise<UploadNode[]>) | undefined;
      car?: boolean;
      signal: AbortSignal | undefined;
      onProgress: UploadAssetOptions['onProgress'];
    },
  ): Promise<NodeOutcome> {
    const { signal } = options;
    const attempts: NodeAttempt[] = [];
    let lastError = new TitanError('node-upload', 'No upload node accepted the file.');
    let renewedNodeTokens = false;
    for (let n = 0; n < nodes.length; n++) {
      const node = nodes[n]!;
      const attempt: NodeAttempt = { node, started: Date.now(), firstByte: 0, ended: 0, errors: [] };
      attempts.push(attempt);
      if (!this.#isSafeUrl(node.UploadURL)) {
        attempt.errors.push(`refused upload URL ${node.UploadURL.slice(0, 100)}`);
        lastError = new TitanError(
          'bad-node-url',
          `Titan offered node ${node.NodeID} at a URL this page does not send files to (not https).`,
        );
        continue;
      }
      for (let i = 0; i < this.#perNode; i++) {
        throwIfAborted(signal);
        let answer: NodeAnswer;
        try {
          answer = await this.#postToNode(
            node,
            file,
            name,
            attempt,
            signal,
            options.onProgress,
            options.car ? await expectedCid : undefined,
          );
        } catch (err) {
          if (isAbort(err, signal)) throw abortedError();
          answer = { ok: false, message: err instanceof Error ? err.message : String(err), code: (err as TitanError).code ?? 'network' };
        }
        attempt.ended = Date.now();
        if (answer.ok) {
          const expected = await expectedCid;
          if (expected && answer.cid !== expected && !encryptsAtNode(node.Token)) {
            const error = new TitanError(
              'cid-mismatch',
              `Node ${node.NodeID} stored ${name} as ${answer.cid}, but its bytes hash to ${expected}: not registered. Was the file changed while it uploaded?`,
            );
            attempt.errors.push(error.message);
            return { attempts, error };
          }
          return { attempts, cid: answer.cid, node, error: lastError };
        }
        attempt.errors.push(answer.message);
        lastError = new TitanError(answer.code, `Upload to node ${node.NodeID} failed: ${answer.message}`);
        if (answer.unauthorized) {
          if (renewedNodeTokens || !options.renew) break;
          renewedNodeTokens = true;
          nodes = await options.renew();
          n = -1;
          break;
        }
        // Waiting only makes sense before trying the same node again.
        if (i < this.#perNode - 1) await sleep(this.#delaysMs[Math.min(i, this.#delaysMs.length - 1)] ?? 0, signal);
      }
    }
    const tried = [...new Set(attempts.map((a) => a.node.NodeID))].join(', ');
    return {
      attempts,
      error: new TitanError(lastError.code, `No upload node accepted the file (tried ${tried}). Last error: ${lastError.message}`, {
        cause: lastError,
      }),
    };
  }

  /** Node tokens come from get_upload_info (titan-node GetNodeUploadInfoV2): new ones from there. */
  #freshNodes(areaId: string[], signal: AbortSignal | undefined): () => Promise<UploadNode[]> {
    return async () => (await this.getUploadInfo(undefined, areaId, signal)).List ?? [];
  }

  /**
   * One multipart POST through XHR (fetch has no upload progress), authorized with the node's own
   * token only. The node answers HTTP 200 with its verdict in the body (handler_uploadv2.go).
   */
  #postToNode(
    node: UploadNode,
    file: Blob,
    name: string,
    attempt: NodeAttempt,
    signal: AbortSignal | undefined,
    onProgress: UploadAssetOptions['onProgress'],
    /** A CAR's root: the node's success answer (handler_upload.go `uploadResult`) has no CID. */
    carRoot?: string,
  ): Promise<NodeAnswer> {
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

      const sent = Date.now();
      xhr.open('POST', node.UploadURL, true);
      xhr.setRequestHeader(HEADERS.nodeAuth, `Bearer ${node.Token}`);
      xhr.upload.onprogress = (event) => {
        attempt.firstByte ||= Date.now() - sent;
        armStall();
        onProgress?.(event.loaded, event.lengthComputable ? event.total : file.size);
      };
      xhr.onreadystatechange = armStall;
      xhr.onerror = () => fail(new TitanError('network', 'network error (node unreachable or CORS refused)'));
      xhr.onload = () => {
        cleanup();
        const body = parseJson<unknown>(xhr.responseText);
        const code = isRecord(body) && typeof body['code'] === 'number' ? body['code'] : undefined;
        const msg = isRecord(body) && typeof body['msg'] === 'string' ? body['msg'] : '';
        const cid = carRoot ?? (isRecord(body) && typeof body['cid'] === 'string' ? body['cid'] : '');
        if (code === CODES.ok && cid) {
          onProgress?.(file.size, file.size);
          return resolve({ ok: true, cid });
        }
        const status = xhr.status;
        // A proxy in front of a node may answer with a status of its own.
        const unauthorized = /http status code 401\b/.test(msg) || status === 401 || status === 403;
        const message =
          code !== undefined
            ? `${msg || 'no message'} (code ${code})`
            : `HTTP ${status}${xhr.responseText ? `: ${xhr.responseText.slice(0, 200)}` : ''} (not a node answer)`;
        resolve({ ok: false, message, code: code ?? (status >= 200 && status < 300 ? 'bad-response' : status), unauthorized });
      };
      const form = new FormData();
      form.append(UPLOAD_FIELD, file, name);
      armStall();
      xhr.send(form);
    });
  }

  /** Links and node URLs must be https (or http on loopback or on the API's own host). */
  #isSafeUrl(value: string): boolean {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    if (url.protocol === 'https:') return true;
    if (url.protocol !== 'http:') return false;
    const api = new URL(this.apiUrl, globalThis.location?.href);
    return /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(url.hostname) || url.hostname === api.hostname;
  }

  // ---------------------------------------------------------------- create_asset, report, link

  async #createAsset(request: CreateAssetRequest): Promise<{ url?: string; exists: boolean; list: CreateAssetEntry[] }> {
    const answer = await this.#call<unknown>('POST', PATHS.createAsset, { body: request });
    const env = answer.envelope;
    // 1017: this user already has the asset; a success, with the direct link (CreateAssetPostHandler).
    if (env?.code === CODES.error && env.err === ERR.fileExists) {
      const link = isRecord(env.data) ? env.data['assetDirectUrl'] : undefined;
      return { exists: true, list: [], ...(typeof link === 'string' && this.#isSafeUrl(link) ? { url: link } : {}) };
    }
    const data = expectOk(answer, 'create_asset');
    if (!Array.isArray(data)) throw new TitanError('bad-response', 'Titan create_asset answered without a data list.');
    // Where a folder's CAR goes (events.go: CandidateAddr, Token, TraceID).
    const list = data
      .filter(isRecord)
      .map((e) => ({ CandidateAddr: str(e['CandidateAddr']), Token: str(e['Token']), TraceID: str(e['TraceID']) }));
    return { exists: false, list };
  }

  /** The first share_asset URL; an upload that stored its file does not fail for want of a link. */
  async #directUrl(cid: string): Promise<string | undefined> {
    try {
      return (await this.shareAsset(cid))[0];
    } catch {
      return undefined;
    }
  }

  /**
   * transfer/report: ONE `model.AssetTransferLog` object per upload (events.go
   * `AssetTransferReport`), retried a bounded number of times. Titan answers `{"msg":"success"}`
   * without a `code` when it took it; an accepted report is never sent again (each accepted
   * success queues one callback). Never throws.
   */
  async #report(
    attempts: NodeAttempt[],
    traceId: string | undefined,
    cid: string,
    size: number,
    state: TransferReport['state'],
    started: number,
  ): Promise<TransferReportOutcome> {
    const last = attempts.at(-1);
    const costMs = Math.max(1, (last?.ended || Date.now()) - (last?.started ?? started));
    const failures = Object.fromEntries(attempts.filter((a) => a.errors.length).map((a) => [a.node.NodeID, a.errors.join('; ')]));
    const body: TransferReport = {
      trace_id: traceId ?? '',
      cid,
      node_id: last?.node.NodeID ?? '',
      rate: last && state === TRANSFER_STATE.success ? Math.floor((size / costMs) * 1000) : 0,
      cost_ms: costMs,
      total_size: size,
      state,
      transfer_type: 'upload',
      log: Object.keys(failures).length ? JSON.stringify(failures) : '',
      first_byte_time: last?.firstByte ?? 0,
      available_bandwidth: 0,
    };
    let error: TitanError | undefined;
    for (let i = 0; i < this.#reportTries; i++) {
      if (i > 0) await sleep(this.#reportDelaysMs[Math.min(i - 1, this.#reportDelaysMs.length - 1)] ?? 0, undefined);
      try {
        const answer = await this.#call<unknown>('POST', PATHS.transferReport, { body });
        const env = answer.envelope as Record<string, unknown> | undefined;
        if (answer.status === 200 && env?.['msg'] === 'success' && (env['code'] === undefined || env['code'] === CODES.ok)) {
          return { status: 'sent', tries: i + 1 };
        }
        expectOk(answer, 'transfer/report');
        return { status: 'sent', tries: i + 1 };
      } catch (err) {
        error = err instanceof TitanError ? err : new TitanError('error', String(err), { cause: err });
        // A body Titan cannot bind will not bind the next time either.
        if (error.code === ERR.invalidParams) return { status: 'failed', tries: i + 1, error: error.toJSON() };
      }
    }
    return { status: 'failed', tries: this.#reportTries, ...(error ? { error: error.toJSON() } : {}) };
  }

  // ---------------------------------------------------------------- API calls and tokens

  /** One authorized API call with renewal; answers the raw envelope for the caller to judge. */
  #call<T>(
    method: 'GET' | 'POST',
    path: string,
    options: { query?: URLSearchParams; body?: unknown; signal?: AbortSignal },
  ): Promise<ApiAnswer<T>> {
    return this.#authorized(options.signal, async (token): Promise<ApiAnswer<T> | Unauthorized> => {
      const url = `${this.apiUrl}${path}${options.query ? `?${options.query}` : ''}`;
      // Only headers Titan's CORS allow-list names (api/jwt.go `Cors`: content-type, jwtauthorization, lang).
      let answer: JsonAnswer;
      try {
        answer = await requestJson(url, {
          method,
          headers: { [HEADERS.jwt]: `Bearer ${token}`, [HEADERS.lang]: this.lang },
          json: options.body,
          signal: options.signal,
          // Titan's answers are small JSON envelopes; more is not an answer to read.
          maxBytes: MAX_API_ANSWER_BYTES,
        });
      } catch (err) {
        if (isAbort(err, options.signal)) throw abortedError();
        if ((err as { code?: unknown }).code === 'too-large') throw new TitanError('bad-response', (err as Error).message);
        throw new TitanError(
          'network',
          `Could not reach Titan at ${this.apiUrl} (${pathName(path)}): network or CORS failure. Check api-url / apiUrl.`,
          { cause: err },
        );
      }
      const envelope = answer.json as Envelope<T> | undefined;
      // gin-jwt answers HTTP 200 {code: 401}; proxies and the report's bad token answer HTTP 401;
      // a missing or expired token on an AuthRequired route falls through to a handler that
      // panics, which gin.Recovery answers with an empty HTTP 500 (api/jwt.go, api/api.go).
      if (answer.status === 401 || envelope?.code === CODES.unauthorized) return { unauthorized: 'explicit' };
      if (answer.status === 500 && !isRecord(envelope)) return { unauthorized: 'blank-500' };
      return { status: answer.status, envelope: isRecord(envelope) ? envelope : undefined };
    });
  }

  /**
   * Runs `run` with the current token; on a 401 (any shape, or an empty 500) renews once — shared by every
   * request of this client that sees the same stale token — and runs it once more.
   */
  async #authorized<R>(signal: AbortSignal | undefined, run: (token: string) => Promise<R | Unauthorized>): Promise<R> {
    const token = await this.ensureToken(signal);
    const first = await run(token);
    if (!isUnauthorized(first)) return first;
    throwIfAborted(signal);
    const renewed = await raceAbort(this.#requestToken(token), signal);
    const second = await run(renewed);
    if (!isUnauthorized(second)) return second;
    // With a fresh token, an empty 500 is the server failing, not the token.
    if (second.unauthorized === 'blank-500') throw new TitanError(500, 'Titan answered HTTP 500 without a body (a server failure).');
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
        const event = new CustomEvent('tokenrenewed', { detail: {} });
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

type NodeAnswer = { ok: true; cid: string } | { ok: false; message: string; code: TitanErrorCode; unauthorized?: boolean };

// ---------------------------------------------------------------- helpers

/** `data` of a `{code: 0}` answer; anything else is a TitanError with Titan's `err`/`code` and `msg`. */
function expectOk<T>(answer: ApiAnswer<T>, what: string): T | undefined {
  const env = answer.envelope;
  if (answer.status >= 200 && answer.status < 300 && env && env.code === CODES.ok) return env.data;
  if (env && typeof env.code === 'number') {
    const code = typeof env.err === 'number' ? env.err : env.code;
    throw new TitanError(code, `Titan ${what} failed: ${env.msg || 'no message'} (code ${code}).`);
  }
  throw new TitanError(
    answer.status >= 200 && answer.status < 300 ? 'bad-response' : answer.status,
    `Titan ${what} answered HTTP ${answer.status} without a valid envelope.`,
  );
}

/** The JWT's payload, unverified (only the issuer can verify it; this reads its own claims). */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  try {
    const part = token.split('.')[1] ?? '';
    const claims: unknown = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
    return isRecord(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** True when the token says it has expired (a token without a readable `exp` is left to Titan). */
function isExpired(token: string): boolean {
  const exp = jwtClaims(token)?.['exp'];
  return typeof exp === 'number' && exp - EXPIRY_MARGIN_S < Date.now() / 1000;
}

/** A node token with a `FilePassNonce` makes the node encrypt the file first, so its CID is of other bytes. */
function encryptsAtNode(nodeToken: string): boolean {
  return !!jwtClaims(nodeToken)?.['FilePassNonce'];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
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

const throwIfAborted = (signal: AbortSignal | undefined) => abort.throwIfAborted(signal, abortedError);
const raceAbort = <T>(promise: Promise<T>, signal: AbortSignal | undefined) => abort.raceAbort(promise, signal, abortedError);
const sleep = (ms: number, signal: AbortSignal | undefined) => abort.sleep(ms, signal, abortedError);
