// hash-wasm's MD5 alone, so that md5-core can fetch it on demand without pulling in every
// hash-wasm algorithm (a dynamic import of the package would).
export { createMD5 } from 'hash-wasm';
