/**
 * Universa addresses of real RSA keys, computed as Universa's own `KeyAddress` does
 * (UniversaBlockchain/universa crypto/src/main/java/com/icodici/crypto/KeyAddress.java and
 * PublicKey.updateDigestWithKeyComponents): byte 0 is `keyMask << 4 | typeMark` (key mask 1, 2,
 * 3 for RSA 2048, 4096, 8192 with e = 65537), then SHA3-256 (short) or SHA3-384 (long) over the
 * unsigned big-endian bytes of e followed by those of n, then CRC32 of all of it, big-endian;
 * Safe58 text. So tests use addresses of keys that exist, typed by no one.
 */
import { createHash, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { crc32, encodeSafe58 } from '../universa/address.js';

export interface KeyAddresses {
  publicKeyPem: string;
  bits: number;
  keyMask: number;
  typeMark: number;
  short: string;
  long: string;
}

const MASKS: Record<number, number> = { 2048: 1, 4096: 2, 8192: 3 };

/** The short and long address of `publicKey` with `typeMark` (0–15), as KeyAddress computes them. */
export function keyAddresses(publicKey: KeyObject, typeMark = 0): KeyAddresses {
  if (!Number.isInteger(typeMark) || typeMark < 0 || typeMark > 15) throw new RangeError('type mark must be in 0…15');
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || !jwk.n || !jwk.e) throw new TypeError('not an RSA public key');
  const n = Buffer.from(jwk.n, 'base64url');
  const e = Buffer.from(jwk.e, 'base64url');
  const bits = n.length * 8;
  const keyMask = e.equals(Buffer.from([1, 0, 1])) ? MASKS[bits] : undefined;
  if (!keyMask) throw new RangeError(`KeyAddress has no key mask for RSA ${bits} with e = 0x${e.toString('hex')}`);
  const address = (hash: 'sha3-256' | 'sha3-384') => {
    const body = Buffer.concat([Buffer.from([(keyMask << 4) | typeMark]), createHash(hash).update(e).update(n).digest()]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return encodeSafe58(Buffer.concat([body, crc]));
  };
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    bits,
    keyMask,
    typeMark,
    short: address('sha3-256'),
    long: address('sha3-384'),
  };
}

/** A fresh RSA key (2048 or 4096 bits, e = 65537) and its addresses. */
export async function newKeyAddresses(bits: 2048 | 4096 = 2048, typeMark = 0): Promise<KeyAddresses> {
  const { publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  return keyAddresses(publicKey, typeMark);
}
