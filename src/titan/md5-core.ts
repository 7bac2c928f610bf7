import { createMD5 } from 'hash-wasm';
import { Md5 } from './md5-js.js';

/** Progress is reported about this often (bytes), not on every chunk of the stream. */
export const MD5_PROGRESS_BYTES = 4 * 1024 * 1024;

/**
 * Lowercase hex MD5 of `blob`, read as a stream through an incremental hasher, so memory stays
 * bounded by one stream chunk whatever the file size. (Measured faster than reading 4 MiB
 * `slice().arrayBuffer()`s: no copy into a fresh buffer per slice.) Shared by the worker and
 * the main-thread fallback; `isAborted` is polled between chunks.
 */
export async function hashBlob(
  blob: Blob,
  onProgress?: (done: number, total: number) => void,
  isAborted: () => boolean = () => false,
  progressBytes: number = MD5_PROGRESS_BYTES,
): Promise<string | undefined> {
  const hasher = await createHasher();
  const total = blob.size;
  const reader = blob.stream().getReader();
  let done = 0;
  let reported = 0;
  try {
    for (;;) {
      if (isAborted()) return undefined;
      const chunk = await reader.read();
      if (chunk.done) break;
      hasher.update(chunk.value);
      done += chunk.value.length;
      if (done - reported >= progressBytes) {
        reported = done;
        onProgress?.(done, total);
      }
    }
  } finally {
    reader.releaseLock();
  }
  if (isAborted()) return undefined;
  onProgress?.(total, total);
  return hasher.digest();
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

/** hash-wasm's MD5, or the plain-JS one where the page's CSP forbids compiling WebAssembly. */
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
  return new Md5();
}

/** Messages between `md5.ts` and `md5.worker.ts`. */
export type Md5Request = { blob: Blob; progressBytes?: number; wasm?: boolean };
export type Md5Reply =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; md5: string; wasm: boolean }
  | { type: 'error'; message: string };
