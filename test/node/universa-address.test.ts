import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32, decodeSafe58, encodeSafe58, parseUniversaAddress, UniversaAddressError } from '../../src/universa/address.js';

const SHORT = '2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ';
const LONG = 'sriuQrCVN3FNyH6VJEUhMD6t82duanKvBJp2ccyPGYD5gKQdofZNH7aTrQZ8aiCKuAjBRUv6';
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Builds an address text from a header byte and a digest, with a correct CRC. */
function makeAddress(header: number, digestLength: number, crcDelta = 0): string {
  const body = new Uint8Array(1 + digestLength);
  body[0] = header;
  for (let i = 1; i < body.length; i++) body[i] = (i * 37 + 11) & 0xff;
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, (zlibCrc32(body) + crcDelta) >>> 0);
  return encodeSafe58(out);
}

function reason(text: string): string {
  try {
    parseUniversaAddress(text);
    return 'valid';
  } catch (err) {
    assert.ok(err instanceof UniversaAddressError, `typed error for ${text}`);
    assert.equal(err.code, 'bad-address');
    return err.reason;
  }
}

test('the documented short and long test vectors parse', () => {
  const short = parseUniversaAddress(SHORT);
  assert.equal(short.kind, 'short');
  assert.equal(short.bytes.length, 37);
  assert.equal(short.bytes[0], 0x30);
  assert.equal(short.keyMask, 3);
  assert.equal(short.typeMark, 0);
  assert.equal(short.text, SHORT);
  const long = parseUniversaAddress(LONG);
  assert.equal(long.kind, 'long');
  assert.equal(long.bytes.length, 53);
  assert.equal(long.keyMask, 3);
});

test('crc32 is IEEE CRC32 as zlib computes it, stored big-endian', () => {
  const bytes = parseUniversaAddress(LONG).bytes;
  const body = bytes.subarray(0, -4);
  assert.equal(crc32(body), zlibCrc32(body));
  assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 4), crc32(body));
});

test('Safe58 round-trips and reads look-alike characters leniently', () => {
  assert.equal(encodeSafe58(decodeSafe58(SHORT)!), SHORT);
  assert.equal(encodeSafe58(decodeSafe58(LONG)!), LONG);
  // Every "1" may be typed as I, l, ! or |; every "o" as O or 0.
  for (const [from, to] of [
    ['1', 'I'],
    ['1', 'l'],
    ['1', '!'],
    ['1', '|'],
    ['o', 'O'],
    ['o', '0'],
  ] as const) {
    const source = SHORT.includes(from) ? SHORT : LONG;
    assert.ok(source.includes(from), `a vector contains ${from}`);
    const lenient = source.replaceAll(from, to);
    const parsed = parseUniversaAddress(lenient);
    assert.equal(parsed.text, source, `${to} reads as ${from}`);
  }
  assert.equal(parseUniversaAddress(`  ${SHORT}\n`).text, SHORT, 'surrounding whitespace is ignored');
});

test('changing any single character of a valid address fails', () => {
  // Look-alikes decode to the same digit, so they are not a change.
  const same = (a: string, b: string) => (decodeSafe58(a) ?? []).toString() === (decodeSafe58(b) ?? []).toString();
  let tried = 0;
  for (const address of [SHORT, LONG]) {
    for (let i = 0; i < address.length; i++) {
      for (const ch of ALPHABET) {
        if (same(ch, address[i]!)) continue;
        const changed = address.slice(0, i) + ch + address.slice(i + 1);
        assert.notEqual(reason(changed), 'valid', `position ${i} → ${ch}`);
        tried++;
      }
    }
  }
  assert.equal(tried, (SHORT.length + LONG.length) * (ALPHABET.length - 1));
});

test('errors say why: empty, alphabet, length, crc, key mask', () => {
  assert.equal(reason(''), 'empty');
  assert.equal(reason('   '), 'empty');
  assert.equal(reason(SHORT.slice(0, 20) + '+' + SHORT.slice(21)), 'alphabet');
  assert.equal(reason(SHORT.slice(0, 20) + ' ' + SHORT.slice(21)), 'alphabet');
  assert.equal(reason(SHORT.slice(0, -3)), 'length');
  assert.equal(reason(SHORT + LONG), 'length');
  assert.equal(reason(makeAddress(0x30, 32, 1)), 'crc');
  assert.equal(reason(makeAddress(0x30, 32)), 'valid');
  assert.equal(reason(makeAddress(0x1f, 48)), 'valid');
  assert.equal(reason(makeAddress(0x40, 32)), 'key-mask', 'key mask 4 is not an RSA key size');
  assert.equal(reason(makeAddress(0x05, 32)), 'key-mask', 'key mask 0');
});
