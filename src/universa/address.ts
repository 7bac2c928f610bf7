/**
 * Universa KeyAddress text form: Safe58 over `keyMask << 4 | typeMark`, a SHA3 digest and a
 * big-endian CRC32. DOM-free; the sandbox issuer validates `ok_url` bodies with it too.
 */
import { UploadElementsError } from '../internal/errors.js';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** Characters people confuse when copying by hand; Safe58 reads them as their look-alikes. */
const LENIENT: Record<string, string> = { I: '1', l: '1', '!': '1', '|': '1', O: 'o', '0': 'o' };

export type AddressProblem = 'empty' | 'alphabet' | 'length' | 'crc' | 'key-mask';

export class UniversaAddressError extends UploadElementsError {
  declare readonly code: 'bad-address';
  constructor(
    readonly reason: AddressProblem,
    message: string,
  ) {
    super('bad-address', message);
  }
}

export interface UniversaAddress {
  /** The canonical text (look-alike characters replaced). */
  text: string;
  bytes: Uint8Array;
  kind: 'short' | 'long';
  /** 1, 2 or 3: which RSA key size the address stands for. */
  keyMask: number;
  typeMark: number;
}

/** Decodes Safe58 text, reading look-alikes leniently; returns undefined on a foreign character. */
export function decodeSafe58(text: string): Uint8Array | undefined {
  const out: number[] = [];
  let zeros = 0;
  let leading = true;
  for (const ch of text) {
    const digit = ALPHABET.indexOf(LENIENT[ch] ?? ch);
    if (digit < 0) return undefined;
    if (leading && digit === 0) zeros++;
    else leading = false;
    // out is little-endian base 256: multiply by 58 and add the digit.
    let carry = digit;
    for (let i = 0; i < out.length; i++) {
      carry += out[i]! * 58;
      out[i] = carry & 0xff;
      carry >>= 8;
    }
    for (; carry; carry >>= 8) out.push(carry & 0xff);
  }
  return Uint8Array.from([...Array.from({ length: zeros }, () => 0), ...out.reverse()]);
}

export function encodeSafe58(bytes: Uint8Array): string {
  const digits: number[] = [];
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]!;
    for (let j = 0; j < digits.length; j++) {
      carry += digits[j]! << 8;
      digits[j] = carry % 58;
      carry = (carry / 58) | 0;
    }
    for (; carry; carry = (carry / 58) | 0) digits.push(carry % 58);
  }
  return (
    '1'.repeat(zeros) +
    digits
      .reverse()
      .map((d) => ALPHABET[d])
      .join('')
  );
}

/** CRC32, IEEE polynomial (reflected 0xEDB88320), as zlib computes it; bitwise, as inputs are tiny. */
export function crc32(bytes: Uint8Array): number {
  let crc = -1;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/**
 * Parses a Universa address typed, pasted or picked by the user. Throws a
 * `UniversaAddressError` whose `reason` says what is wrong, checked in this order:
 * empty, alphabet, length, CRC, key mask.
 */
export function parseUniversaAddress(input: string): UniversaAddress {
  const raw = input.trim();
  if (!raw) throw new UniversaAddressError('empty', 'No address.');
  // A long address is 72 characters; anything much longer is not one (and base58 decoding is quadratic).
  if (raw.length > 100) throw new UniversaAddressError('length', 'Longer than any address.');
  const bytes = decodeSafe58(raw);
  if (!bytes) throw new UniversaAddressError('alphabet', 'Not Safe58.');
  // 37 bytes = 1 + SHA3-256 + CRC32; 53 bytes = 1 + SHA3-384 + CRC32.
  const kind = bytes.length === 37 ? 'short' : bytes.length === 53 ? 'long' : undefined;
  if (!kind) throw new UniversaAddressError('length', 'Not 37 or 53 bytes.');
  const sum = new DataView(bytes.buffer).getUint32(bytes.length - 4);
  if (crc32(bytes.subarray(0, -4)) !== sum) throw new UniversaAddressError('crc', 'Checksum mismatch.');
  const keyMask = bytes[0]! >> 4;
  if (keyMask < 1 || keyMask > 3) throw new UniversaAddressError('key-mask', 'Unknown key type.');
  const text = [...raw].map((ch) => LENIENT[ch] ?? ch).join('');
  return { text, bytes, kind, keyMask, typeMark: bytes[0]! & 15 };
}
