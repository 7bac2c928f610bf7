import { createMD5 } from 'hash-wasm';

/** Progress is reported about this often (bytes), not on every chunk of the stream. */
export const MD5_PROGRESS_BYTES = 4 * 1024 * 1024;

/** The one buffer a BYOB read fills again and again. */
export const MD5_READ_BYTES = 1024 * 1024;

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
  isAborted: () => boolean = () => false,
  progressBytes: number = MD5_PROGRESS_BYTES,
): Promise<string | undefined> {
  const hasher = await createHasher();
  const total = blob.size;
  const read = byteReader(blob.stream());
  let done = 0;
  let reported = 0;
  try {
    for (;;) {
      if (isAborted()) return undefined;
      const chunk = await read.next();
      if (!chunk) break;
      hasher.update(chunk);
      done += chunk.length;
      if (done - reported >= progressBytes) {
        reported = done;
        onProgress?.(done, total);
      }
    }
  } finally {
    read.release();
  }
  if (isAborted()) return undefined;
  onProgress?.(total, total);
  return hasher.digest();
}

/** Reads a stream chunk by chunk, into one reused buffer when it is a byte stream. */
function byteReader(stream: ReadableStream<Uint8Array>): { next(): Promise<Uint8Array | undefined>; release(): void } {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    // Not a byte stream: the default reader below.
  }
  if (byob) {
    const reader = byob;
    let buffer = new ArrayBuffer(MD5_READ_BYTES);
    return {
      async next() {
        const { value } = await reader.read(new Uint8Array(buffer));
        // The read transferred the buffer into `value`; it comes back for the next read.
        if (value) buffer = value.buffer as ArrayBuffer;
        return value && value.length ? value : undefined;
      },
      release: () => reader.releaseLock(),
    };
  }
  const reader = stream.getReader();
  return {
    next: async () => (await reader.read()).value,
    release: () => reader.releaseLock(),
  };
}

interface Hasher {
  update(data: Uint8Array): unknown;
  digest(): string;
}

// Decided once per realm: a CSP without 'wasm-unsafe-eval' refuses every compile.
let wasmRefused = false;

/** False once this realm's CSP refused WebAssembly (or it was told so). */
export const wasmAllowed = (): boolean => !wasmRefused;

/** Skip hash-wasm from now on (another realm of this page already saw it refused). */
export function refuseWasm(): void {
  wasmRefused = true;
}

/**
 * hash-wasm's MD5, or the plain-JS one where the page's CSP forbids compiling WebAssembly. That
 * one is fetched only then (strict pages are rare; the worker bundles it, so it stays one file).
 */
async function createHasher(): Promise<Hasher> {
  if (!wasmRefused) {
    try {
      const wasm = await createMD5();
      wasm.init();
      return { update: (data) => wasm.update(data), digest: () => wasm.digest('hex') };
    } catch {
      wasmRefused = true;
    }
  }
  const { Md5 } = await import('./md5-js.js');
  return new Md5();
}

/** Messages between `md5.ts` and `md5.worker.ts`. */
export type Md5Request = { blob: Blob; progressBytes?: number; wasm?: boolean };
export type Md5Reply =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; md5: string; wasm: boolean }
  | { type: 'error'; message: string };
