import { abortedError, TitanError } from './errors.js';
import { TrustedWorker } from '../internal/trusted-worker.js';
import type { FileDag, FileHashes, HashJob, Md5Reply, Md5Request } from './md5-core.js';

export type { FileDag, FileHashes } from './md5-core.js';

export interface Md5Options {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /**
   * Hash in a module Worker (default true), falling back to the main thread when none can
   * start; false hashes on the main thread; 'require' fails instead of falling back.
   */
  worker?: boolean | 'require';
  /**
   * How long the read of the file (in the hashing Worker, or on the main thread where none
   * starts) may bring nothing before it is started again (once; a read can hang in the browser)
   * and then failed with a `md5` error that a retry can clear (default 60 s). Like Uppy's upload
   * `timeout`, it times silence, not the whole read: a slow read reports progress every second.
   */
  stallTimeoutMs?: number;
}

export interface HashFileOptions extends Md5Options {
  /**
   * Also compute the CID a Titan node will answer for the file (its UnixFS root, as the node's
   * go-unixfsnode builds it), from the same read as the md5. It is left out where no SHA-256
   * can run (a page neither served from a secure context nor allowing WebAssembly).
   */
  cid?: boolean;
}

export { TRUSTED_TYPES_POLICY } from '../internal/trusted-worker.js';

// A module-local `Worker`: the literal `new Worker(new URL(…, import.meta.url))` form, which
// Vite recognises and bundles, goes through Trusted Types at run time.
const Worker = TrustedWorker;

// The worker reports when the page's CSP refused WebAssembly, so later workers start with the
// plain-JS hasher instead of hitting (and reporting) the same refusal.
let wasmRefused = false;

/**
 * A worker that never takes its job (blocked without an error event) must not hang an upload.
 * The start is timed on its own: the worker says `started` before reading, so a slow first read
 * (a network drive, a file a sync client fetches on read) is not taken for a failed start. Past
 * the start, silence is timed (`stallTimeoutMs`), and a slow read reports progress every second.
 */
const WORKER_START_TIMEOUT_MS = 10_000;

/** `Md5Options.stallTimeoutMs`'s default. */
const WORKER_STALL_MS = 60_000;

/** What a read answers when it went silent (the Worker after its start, or the main thread's). */
const STALLED = 'stalled';

// Once a Worker could not start (strict CSP, no Worker support), stop trying on this page.
let workersUnavailable = false;

/**
 * Lowercase hex MD5 of a Blob of any size, streamed in slices (memory bounded by one slice).
 * Runs in a module Worker so hashing a large file does not block the page, and falls back
 * to the main thread when a Worker cannot be created.
 */
export async function md5(blob: Blob, options: Md5Options = {}): Promise<string> {
  return (await hashFile(blob, { ...options, cid: false })).md5;
}

/**
 * `md5()`, and with `cid: true` the file's Titan CID as well, both computed from one read of the
 * file in the same pass (in the Worker, or on the main thread where none can start).
 */
export async function hashFile(blob: Blob, options: HashFileOptions = {}): Promise<FileHashes> {
  const { cid = false } = options;
  return inWorkerOrHere(blob, options, { cid }, (msg) =>
    msg.type === 'done' ? (msg.cid ? { md5: msg.md5, cid: msg.cid } : { md5: msg.md5 }) : undefined,
  );
}

/**
 * The file's UnixFS DAG (root, size, and where each block is) for a folder's CAR, from one read
 * of the file (in the Worker, or on the main thread where none can start).
 */
export function fileDag(blob: Blob, options: Md5Options = {}): Promise<FileDag> {
  return inWorkerOrHere(blob, options, { dag: true }, (msg) => (msg.type === 'dag' ? msg.dag : undefined));
}

/**
 * Runs one read of `blob` in a hashing Worker (`job` tells it what to compute, `answer` reads its
 * reply), or on the main thread (md5-here) where no Worker starts. A read that goes silent for
 * `stallTimeoutMs` is started again once (in a new Worker), and fails on a second stall. Typed
 * errors either way.
 */
async function inWorkerOrHere<T>(
  blob: Blob,
  options: Md5Options,
  job: HashJob,
  answer: (msg: Extract<Md5Reply, { wasm: boolean }>) => T | undefined,
): Promise<T> {
  const { signal, onProgress } = options;
  if (signal?.aborted) throw abortedError();
  const stallMs = options.stallTimeoutMs ?? WORKER_STALL_MS;
  let inWorker = options.worker === 'require' || (options.worker !== false && !workersUnavailable);
  const read = async (): Promise<T | 'stalled'> => {
    if (inWorker) {
      const viaWorker = await runInWorker(blob, signal, onProgress, job, answer, stallMs);
      if (viaWorker !== undefined) return viaWorker;
      if (options.worker === 'require') throw new TitanError('md5', 'The hashing worker could not start.');
      inWorker = false;
      workersUnavailable = true;
      // Once per page: the page goes on working, but a large file now pauses it while hashing.
      console.warn(
        'upload-elements: no hashing Worker could start (CSP worker-src: allow blob: and the CDN origin); ' +
          'hashing runs on the main thread and pauses the page on large files. See the README, "Strict Content-Security-Policy".',
      );
    }
    // Pages where no Worker starts fetch the main thread's read on first use.
    const { readHere } = await import('./md5-here.js').catch((err: Error) => {
      throw new TitanError('md5', `Could not read the file to hash it: ${err.message}`, { cause: err });
    });
    return readHere<T>(blob, job, signal, onProgress, stallMs);
  };
  let result = await read();
  if (result === STALLED) result = await read();
  if (result === STALLED) {
    throw new TitanError('md5', `Reading the file stalled: nothing was read for ${Math.round(stallMs / 1000)} s, twice. Try again.`);
  }
  return result;
}

/** How long an idle hashing worker is kept for the next file. */
const IDLE_WORKER_MS = 15_000;
let idle: { worker: Worker; timer: ReturnType<typeof setTimeout> } | undefined;

/**
 * The warm idle worker if there is one (its module and WebAssembly are loaded already, which
 * a batch of files would otherwise pay for every file), else a new one.
 */
function takeWorker(): Worker {
  if (idle) {
    clearTimeout(idle.timer);
    const { worker } = idle;
    idle = undefined;
    return worker;
  }
  // Kept literally in this form: Vite recognises it and bundles the worker.
  return new Worker(new URL('./md5.worker.ts', import.meta.url), { type: 'module' });
}

function releaseWorker(worker: Worker): void {
  worker.onmessage = null;
  worker.onerror = null;
  if (idle) return worker.terminate();
  const timer = setTimeout(() => {
    if (idle?.worker === worker) idle = undefined;
    worker.terminate();
  }, IDLE_WORKER_MS);
  idle = { worker, timer };
}

/**
 * Resolves `undefined` when the worker could not start, so the caller falls back, and `STALLED`
 * when it started but then said nothing for `stallMs`, so the caller may start the read again.
 */
function runInWorker<T>(
  blob: Blob,
  signal: AbortSignal | undefined,
  onProgress: Md5Options['onProgress'],
  job: HashJob,
  answer: (msg: Extract<Md5Reply, { wasm: boolean }>) => T | undefined,
  stallMs: number,
): Promise<T | undefined | 'stalled'> {
  let worker: Worker;
  try {
    worker = takeWorker();
  } catch {
    return Promise.resolve(undefined);
  }
  return new Promise<T | undefined | 'stalled'>((resolve, reject) => {
    let started = false;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    // A worker that finished its job is kept for the next one; any other end terminates it
    // (that is also how a running hash is cancelled).
    const finish = (reusable = false) => {
      clearTimeout(watchdog);
      signal?.removeEventListener('abort', onAbort);
      if (reusable) releaseWorker(worker);
      else worker.terminate();
    };
    const onAbort = () => {
      finish();
      reject(abortedError());
    };
    /** Ends the job with `outcome` if the worker says nothing for `ms`. */
    const watch = (ms: number, outcome: undefined | 'stalled') => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        finish();
        resolve(outcome);
      }, ms);
    };
    watch(WORKER_START_TIMEOUT_MS, undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.onmessage = (event: MessageEvent<Md5Reply>) => {
      started = true;
      const msg = event.data;
      if (msg.type === 'started' || msg.type === 'progress') {
        watch(stallMs, STALLED);
        if (msg.type === 'progress') onProgress?.(msg.done, msg.total);
      } else if (msg.type !== 'error') {
        if (!msg.wasm) wasmRefused = true;
        finish(true);
        const result = answer(msg);
        if (result === undefined) reject(new TitanError('md5', 'The hashing worker answered another job.'));
        else resolve(result);
      } else {
        finish();
        reject(new TitanError('md5', `Could not hash the file: ${msg.message}`));
      }
    };
    // An error before any message means the script never ran (CSP, missing file): fall back.
    worker.onerror = (event) => {
      event.preventDefault();
      finish();
      if (started) reject(new TitanError('md5', `The hashing worker failed: ${event.message || 'unknown error'}`));
      else resolve(undefined);
    };
    worker.postMessage({ blob, wasm: !wasmRefused, ...job } satisfies Md5Request);
  });
}
