/**
 * Universa addresses of real RSA keys, computed as Universa's own `KeyAddress` does (the library's
 * `keyAddressBytes`, src/universa/key-address.ts), Safe58 text: tests use addresses of keys that
 * exist, typed by no one (and recompute the digest with node:crypto on their own).
 */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { encodeSafe58 } from '../universa/address.js';
import { keyAddressBytes } from '../universa/key-address.js';

export interface KeyAddresses {
  publicKeyPem: string;
  bits: number;
  keyMask: number;
  typeMark: number;
  short: string;
  long: string;
}

/** The short and long address of `publicKey` with `typeMark` (0–15), as KeyAddress computes them. */
export function keyAddresses(publicKey: KeyObject, typeMark = 0): KeyAddresses {
  if (!Number.isInteger(typeMark) || typeMark < 0 || typeMark > 15) throw new RangeError('type mark must be in 0…15');
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || !jwk.n || !jwk.e) throw new TypeError('not an RSA public key');
  const n = new Uint8Array(Buffer.from(jwk.n, 'base64url'));
  const e = new Uint8Array(Buffer.from(jwk.e, 'base64url'));
  const bits = n.length * 8;
  const [short, long] = [false, true].map((isLong) => keyAddressBytes(e, n, { long: isLong, typeMark }));
  if (!short || !long) throw new RangeError(`KeyAddress has no key mask for RSA ${bits} with e = 0x${Buffer.from(e).toString('hex')}`);
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    bits,
    keyMask: short[0]! >> 4,
    typeMark,
    short: encodeSafe58(short),
    long: encodeSafe58(long),
  };
}

/** A fresh RSA key (2048 or 4096 bits, e = 65537) and its addresses. */
export async function newKeyAddresses(bits: 2048 | 4096 = 2048, typeMark = 0): Promise<KeyAddresses> {
  const { publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  return keyAddresses(publicKey, typeMark);
}
