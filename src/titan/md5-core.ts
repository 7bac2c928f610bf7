import { createMD5 } from 'hash-wasm';

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
  const hasher = await createMD5();
  hasher.init();
  const total = blob.size;
  for (let offset = 0; offset < total; offset += sliceBytes) {
    if (isAborted()) return undefined;
    const end = Math.min(total, offset + sliceBytes);
    hasher.update(new Uint8Array(await blob.slice(offset, end).arrayBuffer()));
    onProgress?.(end, total);
  }
  if (isAborted()) return undefined;
  return hasher.digest('hex');
}

/** Messages between `md5.ts` and `md5.worker.ts`. */
export type Md5Request = { blob: Blob; sliceBytes?: number };
export type Md5Reply =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; md5: string }
  | { type: 'error'; message: string };
