// This realm's hashing abilities, at load for the page's own use (a folder's block hashes): whether
// WebAssembly may compile here, and the SHA-256 UnixFS blocks are hashed with. The file reading
// code (md5-core) loads only where it runs: in the hashing Worker, or on demand.
import type { Sha256 } from './unixfs.js';

// Decided once per realm: a CSP without 'wasm-unsafe-eval' refuses every compile.
let wasmRefused = false;

/** False once this realm's CSP refused WebAssembly (or it was told so). */
export const wasmAllowed = (): boolean => !wasmRefused;

/** Skip hash-wasm from now on (another realm of this page already saw it refused). */
export function refuseWasm(): void {
  wasmRefused = true;
}

/**
 * This realm's SHA-256 for UnixFS blocks: WebCrypto's where there is one (secure contexts; it
 * runs off this thread, with the CPU's SHA instructions), else hash-wasm's; with neither, none.
 */
export async function pageSha256(): Promise<Sha256 | undefined> {
  const { webCryptoSha256, wasmSha256 } = await import('./unixfs.js');
  if (globalThis.crypto?.subtle) return webCryptoSha256;
  if (!wasmRefused) {
    try {
      return await wasmSha256();
    } catch {
      wasmRefused = true;
    }
  }
  return undefined;
}
