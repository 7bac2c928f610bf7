import { createMD5 } from 'hash-wasm';
import { Md5 } from './md5-js.js';

/**
 * Slice size for streamed hashing: large enough that the per-slice overhead (an
 * `arrayBuffer()` read and a WASM call) disappears, small enough that a GiB file never needs
 * more than one slice in memory at a time.
 */
export const MD5_SLICE_BYTES = 4 * 1024 * 1024;

/**
 * Lowercase hex MD5 of `blob`, read slice by slice through hash-wasm's incremental hasher, so
 * memory stays bounded by one slice whatever the file size. Shared by the worker and the
 * main-thread fallback; `isAborted` is polled between slices.
 */
export async function hashBlob(
  blob: Blob,
  onProgress?: (done: number, total: number) => void,
  isAborted: () => boolean = () => false,
  sliceBytes: number = MD5_SLICE_BYTES,
): Promise<string | undefined> {
  const hasher = await createHasher();
  const total = blob.size;
  for (let offset = 0; offset < total; offset += sliceBytes) {
    if (isAborted()) return undefined;
    const end = Math.min(total, offset + sliceBytes);
    hasher.update(new Uint8Array(await blob.slice(offset, end).arrayBuffer()));
    onProgress?.(end, total);
  }
  if (isAborted()) return undefined;
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
export type Md5Request = { blob: Blob; sliceBytes?: number; wasm?: boolean };
export type Md5Reply =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; md5: string; wasm: boolean }
  | { type: 'error'; message: string };
