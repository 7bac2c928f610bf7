/**
 * A key's Universa address as KeyAddress.java computes it (UniversaBlockchain/universa
 * crypto/src/main/java/com/icodici/crypto/KeyAddress.java, PublicKey.updateDigestWithKeyComponents):
 * byte 0 `keyMask << 4 | typeMark` (key mask 1, 2, 3 for RSA 2048, 4096, 8192 with e = 65537),
 * then SHA3-256 (short) or SHA3-384 (long) over the unsigned big-endian bytes of e then n, then
 * CRC32 of all that, big-endian. DOM-free; the contract summary and the sandbox both use it.
 */
import { sha3_256, sha3_384 } from '@noble/hashes/sha3.js';
import { crc32 } from './address.js';

/** KeyAddress's key mask by modulus length in bytes, for e = 65537. */
const MASKS: Record<number, number> = { 256: 1, 512: 2, 1024: 3 };

/** The packed address bytes (37 short, 53 long), or undefined for a key KeyAddress has no mask for. */
export function keyAddressBytes(e: Uint8Array, n: Uint8Array, { long = false, typeMark = 0 } = {}): Uint8Array | undefined {
  const keyMask = e.length === 3 && e[0] === 1 && e[1] === 0 && e[2] === 1 ? MASKS[n.length] : undefined;
  if (!keyMask) return undefined;
  const en = new Uint8Array(e.length + n.length);
  en.set(e);
  en.set(n, e.length);
  const digest = long ? sha3_384(en) : sha3_256(en);
  const packed = new Uint8Array(1 + digest.length + 4);
  packed[0] = (keyMask << 4) | typeMark;
  packed.set(digest, 1);
  new DataView(packed.buffer).setUint32(1 + digest.length, crc32(packed.subarray(0, 1 + digest.length)));
  return packed;
}
