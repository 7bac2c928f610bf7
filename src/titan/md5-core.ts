// Reading a file to hash it: shared by the hashing Worker and the main thread's read (md5-here),
// which the page fetches only where no Worker starts.
import { pageSha256, refuseWasm, wasmAllowed } from './page-hash.js';
import type { DagBlock, UnixFsFileHasher } from './unixfs.js';

/** Progress is reported about this often (bytes), not on every chunk of the stream. */
export const MD5_PROGRESS_BYTES = 4 * 1024 * 1024;

/** The one buffer a BYOB read fills again and again. */
export const MD5_READ_BYTES = 1024 * 1024;

/** What one read of a file gives: its md5, and its Titan (UnixFS) CID when asked for. */
export interface FileHashes {
  /** Lowercase hex. */
  md5: string;
  /**
   * The root CID a Titan node computes for the file (`bafk…`/`bafy…`). Absent unless asked for,
   * and where no SHA-256 can run (a page that neither is a secure context nor allows WebAssembly).
   */
  cid?: string;
}

export interface DigestBlobOptions {
  onProgress?: (done: number, total: number) => void;
  /** Polled between chunks; true stops hashing (the result is then `undefined`). */
  isAborted?: () => boolean;
  /** Stops hashing as `isAborted` does, and also cancels a read in progress (one that may never return). */
  signal?: AbortSignal;
  progressBytes?: number;
  /** Also compute the UnixFS CID, from the same chunks. */
  cid?: boolean;
}

/**
 * Lowercase hex MD5 of `blob`, read as a stream through an incremental hasher, so memory stays
 * bounded whatever the file size. Where the stream is a byte stream (Chromium, Firefox) one
 * buffer is read into over and over, so hashing a GiB leaves no GiB of garbage behind; elsewhere
 * the stream's own chunks are hashed. (Both measured faster than reading `slice().arrayBuffer()`s.)
 * Shared by the worker and the main-thread fallback; `isAborted` is polled between chunks.
 */
export async function hashBlob(
  blob: Blob,
  onProgress?: (done: number, total: number) => void,
  isAborted?: () => boolean,
  progressBytes?: number,
): Promise<string | undefined> {
  return (await digestBlob(blob, { onProgress, isAborted, progressBytes }))?.md5;
}

/** `hashBlob`, and with `cid` the UnixFS CID too, both fed from each chunk of the one read. */
export async function digestBlob(blob: Blob, options: DigestBlobOptions = {}): Promise<FileHashes | undefined> {
  const { onProgress, progressBytes = MD5_PROGRESS_BYTES } = options;
  const isAborted = stopped(options);
  const hasher = await createHasher();
  const tree = options.cid ? await createCidHasher() : undefined;
  const total = blob.size;
  const read = await readBlob(blob, { onProgress, isAborted, progressBytes, signal: options.signal }, async (chunk) => {
    // The tree starts its leaf hashes (WebCrypto's run on threads of their own) before md5 takes
    // this thread; the chunk is free for the next read once both are done with it.
    const treeDone = tree?.update(chunk);
    hasher.update(chunk);
    await treeDone;
  });
  if (!read || isAborted()) return undefined;
  const md5 = hasher.digest();
  const cid = await tree?.digest();
  onProgress?.(total, total);
  return cid ? { md5, cid } : { md5 };
}

/** A file's UnixFS DAG as a folder's CAR needs it: its root, and where each of its blocks is. */
export interface FileDag {
  /** The root CID's bytes. */
  cid: Uint8Array;
  /** The file's size. */
  size: number;
  /** Bytes of all its blocks (the Tsize of a directory's link to it). */
  stored: number;
  /** Every block in file order, leaves as places in the file (their bytes are the file's); the CAR writes a repeated one once. */
  blocks: DagBlock[];
}

/**
 * The file's UnixFS DAG (the one a Titan node builds for it), read once as a stream: its root and
 * a list of its blocks, raw leaves as offsets into the file and nodes as their bytes. Memory: the
 * list (a few dozen bytes a leaf, about 8 KiB a node), not the file. No md5.
 */
export async function dagOfBlob(blob: Blob, options: Omit<DigestBlobOptions, 'cid'> = {}): Promise<FileDag | undefined> {
  const { onProgress, progressBytes = MD5_PROGRESS_BYTES } = options;
  const isAborted = stopped(options);
  const blocks: DagBlock[] = [];
  const tree = await createCidHasher((block) => blocks.push(block));
  if (!tree) throw new Error('no SHA-256 here (neither a secure context nor WebAssembly)');
  if (!(await readBlob(blob, { onProgress, isAborted, progressBytes, signal: options.signal }, (chunk) => tree.update(chunk))))
    return undefined;
  const root = await tree.root();
  onProgress?.(blob.size, blob.size);
  return { cid: root.cid.bytes, size: root.bytes, stored: root.stored, blocks };
}

/**
 * At least this often while bytes come in, progress is reported however few they are: a slow
 * read (a network drive) then shows as moving, which is what the page's stall watchdog watches.
 */
const PROGRESS_MS = 1000;

/** Whether hashing was told to stop, by `isAborted` or `signal`. */
const stopped =
  ({ isAborted, signal }: Pick<DigestBlobOptions, 'isAborted' | 'signal'>) =>
  () =>
    signal?.aborted === true || isAborted?.() === true;

/**
 * Feeds `blob` to `onChunk` chunk by chunk (a chunk may be reused once `onChunk` resolves),
 * reporting progress every `progressBytes` or `PROGRESS_MS`; false when `isAborted` stopped it.
 * `signal` cancels the read in progress too.
 */
async function readBlob(
  blob: Blob,
  {
    onProgress,
    isAborted,
    progressBytes,
    signal,
  }: { onProgress?: DigestBlobOptions['onProgress']; isAborted: () => boolean; progressBytes: number; signal?: AbortSignal | undefined },
  onChunk: (chunk: Uint8Array) => unknown,
): Promise<boolean> {
  const read = byteReader(blob.stream(), blob.size);
  const cancel = () => void read.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  let done = 0;
  let reported = 0;
  let reportedAt = Date.now();
  try {
    for (;;) {
      if (isAborted()) return false;
      const chunk = await read.next();
      // A cancelled read ends as if the file had: stopped, not read through.
      if (!chunk) return !isAborted();
      await onChunk(chunk);
      done += chunk.length;
      if (done - reported >= progressBytes || Date.now() - reportedAt >= PROGRESS_MS) {
        reportedAt = Date.now();
        onProgress?.((reported = done), blob.size);
      }
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
    read.release();
  }
}

/** Reads a stream chunk by chunk, into one reused buffer when it is a byte stream. */
function byteReader(
  stream: ReadableStream<Uint8Array>,
  size: number,
): { next(): Promise<Uint8Array | undefined>; cancel(): Promise<void>; release(): void } {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    // Not a byte stream: the default reader below.
  }
  if (byob) {
    const reader = byob;
    // No bigger than the file: a folder of a thousand small files must not churn a MiB each.
    let buffer = new ArrayBuffer(Math.max(1, Math.min(MD5_READ_BYTES, size)));
    return {
      async next() {
        const { value } = await reader.read(new Uint8Array(buffer));
        // The read transferred the buffer into `value`; it comes back for the next read.
        if (value) buffer = value.buffer as ArrayBuffer;
        return value && value.length ? value : undefined;
      },
      cancel: () => reader.cancel(),
      release: () => reader.releaseLock(),
    };
  }
  const reader = stream.getReader();
  return {
    next: async () => (await reader.read()).value,
    cancel: () => reader.cancel(),
    release: () => reader.releaseLock(),
  };
}

interface Hasher {
  update(data: Uint8Array): unknown;
  digest(): string;
}

/**
 * hash-wasm's MD5, or the plain-JS one where the page's CSP forbids compiling WebAssembly. Both
 * are fetched when first needed: a page whose Worker hashes never loads either (the worker
 * bundles both, so it stays one file).
 */
async function createHasher(): Promise<Hasher> {
  if (wasmAllowed()) {
    try {
      const { createMD5 } = await import('./md5-wasm.js');
      const wasm = await createMD5();
      wasm.init();
      return { update: (data) => wasm.update(data), digest: () => wasm.digest('hex') };
    } catch {
      refuseWasm();
    }
  }
  const { Md5 } = await import('./md5-js.js');
  return new Md5();
}

/**
 * The UnixFS CID hasher, fetched only when a CID is asked for (the worker bundles it). Its SHA-256
 * is WebCrypto's where there is one (secure contexts): it runs off this thread, beside md5, with
 * the CPU's SHA instructions; else hash-wasm's. With neither, no CID.
 */
async function createCidHasher(onBlock?: (block: DagBlock) => void): Promise<UnixFsFileHasher | undefined> {
  const { UnixFsFileHasher } = await import('./unixfs.js');
  const sha256 = await pageSha256();
  return sha256 && new UnixFsFileHasher(sha256, { onBlock });
}

/** Messages between `md5.ts` and `md5.worker.ts`. */
export type Md5Request = { blob: Blob; progressBytes?: number; wasm?: boolean; cid?: boolean; dag?: boolean };
/** What one read computes: the md5 (and with `cid` the CID), or with `dag` a file's DAG. */
export type HashJob = Pick<Md5Request, 'cid' | 'dag'>;
export type Md5Reply =
  /** The worker runs and took the job: whatever the read takes from here is not a failed start. */
  | { type: 'started' }
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; md5: string; cid?: string; wasm: boolean }
  | { type: 'dag'; dag: FileDag; wasm: boolean }
  | { type: 'error'; message: string };
