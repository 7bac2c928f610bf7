import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { startSandbox } from '../../src/sandbox/index.js';
import { keyAddresses, type KeyAddresses } from '../../src/sandbox/universa-keys.js';
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

describe('parseUniversaAddress', () => {
  describe('when given the documented short test vector', () => {
    const short = parseUniversaAddress(SHORT);

    it('reads it as a short address of 37 bytes', () => {
      assert.equal(short.kind, 'short');
      assert.equal(short.bytes.length, 37);
    });

    it('reads its header byte: key mask 3, type mark 0', () => {
      assert.equal(short.bytes[0], 0x30);
      assert.equal(short.keyMask, 3);
      assert.equal(short.typeMark, 0);
    });

    it('gives back its text', () => {
      assert.equal(short.text, SHORT);
    });
  });

  describe('when given the documented long test vector', () => {
    const long = parseUniversaAddress(LONG);

    it('reads it as a long address of 53 bytes', () => {
      assert.equal(long.kind, 'long');
      assert.equal(long.bytes.length, 53);
    });

    it('reads key mask 3', () => {
      assert.equal(long.keyMask, 3);
    });
  });

  describe('when look-alike characters are typed', () => {
    // Every "1" may be typed as I, l, ! or |; every "o" as O or 0.
    for (const [from, to] of [
      ['1', 'I'],
      ['1', 'l'],
      ['1', '!'],
      ['1', '|'],
      ['o', 'O'],
      ['o', '0'],
    ] as const) {
      it(`reads ${to} as ${from}`, () => {
        const source = SHORT.includes(from) ? SHORT : LONG;
        assert.ok(source.includes(from), `a vector contains ${from}`);
        const lenient = source.replaceAll(from, to);
        const parsed = parseUniversaAddress(lenient);
        assert.equal(parsed.text, source, `${to} reads as ${from}`);
      });
    }
  });

  describe('when the address is surrounded by whitespace', () => {
    it('ignores it', () => {
      assert.equal(parseUniversaAddress(`  ${SHORT}\n`).text, SHORT, 'surrounding whitespace is ignored');
    });
  });

  describe('when any single character of a valid address is changed', () => {
    it('fails, for every position and every other character', () => {
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
  });

  describe('when the address is not valid, the typed error says why', () => {
    it('empty', () => {
      assert.equal(reason(''), 'empty');
      assert.equal(reason('   '), 'empty');
    });

    it('alphabet: a character Safe58 does not have', () => {
      assert.equal(reason(SHORT.slice(0, 20) + '+' + SHORT.slice(21)), 'alphabet');
      assert.equal(reason(SHORT.slice(0, 20) + ' ' + SHORT.slice(21)), 'alphabet');
    });

    it('length: neither short nor long', () => {
      assert.equal(reason(SHORT.slice(0, -3)), 'length');
      assert.equal(reason(SHORT + LONG), 'length');
    });

    it('crc: the checksum does not match', () => {
      assert.equal(reason(makeAddress(0x30, 32, 1)), 'crc');
    });

    it('key-mask: a mask that is no RSA key size', () => {
      assert.equal(reason(makeAddress(0x40, 32)), 'key-mask', 'key mask 4 is not an RSA key size');
      assert.equal(reason(makeAddress(0x05, 32)), 'key-mask', 'key mask 0');
    });
  });

  describe('when an address is built with a correct CRC and a known key mask', () => {
    it('is valid, short or long', () => {
      assert.equal(reason(makeAddress(0x30, 32)), 'valid');
      assert.equal(reason(makeAddress(0x1f, 48)), 'valid');
    });
  });
});

describe('crc32', () => {
  describe('when computed over an address body', () => {
    const bytes = parseUniversaAddress(LONG).bytes;
    const body = bytes.subarray(0, -4);

    it('is IEEE CRC32 as zlib computes it', () => {
      assert.equal(crc32(body), zlibCrc32(body));
    });

    it('is stored big-endian at the end of the address', () => {
      assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 4), crc32(body));
    });
  });
});

describe('Safe58', () => {
  describe('when an address is decoded and encoded again', () => {
    it('round-trips', () => {
      assert.equal(encodeSafe58(decodeSafe58(SHORT)!), SHORT);
      assert.equal(encodeSafe58(decodeSafe58(LONG)!), LONG);
    });
  });
});

// Addresses of real keys (issue 13, item 3): the sandbox makes RSA keys and computes their
// addresses as Universa's KeyAddress.java does (src/sandbox/universa-keys.ts), so these are
// addresses no one typed, with the key they belong to.
describe('addresses of real RSA keys (sandbox knob key-address)', () => {
  let sb: Awaited<ReturnType<typeof startSandbox>>;
  before(async () => {
    sb = await startSandbox();
  });
  after(() => sb.close());

  for (const [bits, keyMask] of [
    [2048, 1],
    [4096, 2],
  ] as const) {
    describe(`when the key is RSA ${bits}`, () => {
      let key: KeyAddresses;
      before(async () => {
        key = await sb.control('universa', 'key-address', { bits, typeMark: bits === 2048 ? 0 : 7 });
      });

      it(`parses its short address: 37 bytes, key mask ${keyMask}, the type mark given`, () => {
        const a = parseUniversaAddress(key.short);
        assert.deepEqual([a.kind, a.bytes.length, a.keyMask, a.typeMark], ['short', 37, keyMask, key.typeMark]);
        assert.equal(a.text, key.short);
      });

      it('parses its long address: 53 bytes', () => {
        const a = parseUniversaAddress(key.long);
        assert.deepEqual([a.kind, a.bytes.length, a.keyMask], ['long', 53, keyMask]);
      });

      it("the digest is SHA3 of the key's e then n (recomputed here from the PEM)", () => {
        const jwk = createPublicKey(key.publicKeyPem).export({ format: 'jwk' });
        const en = Buffer.concat([Buffer.from(jwk.e!, 'base64url'), Buffer.from(jwk.n!, 'base64url')]);
        assert.deepEqual(Buffer.from(parseUniversaAddress(key.short).bytes.subarray(1, 33)), createHash('sha3-256').update(en).digest());
        assert.deepEqual(Buffer.from(parseUniversaAddress(key.long).bytes.subarray(1, 49)), createHash('sha3-384').update(en).digest());
      });

      it('any one character changed fails the checksum (or the alphabet)', () => {
        for (let i = 0; i < key.short.length; i++) {
          const ch = key.short[i] === 'a' ? 'b' : 'a';
          const broken = key.short.slice(0, i) + ch + key.short.slice(i + 1);
          assert.throws(() => parseUniversaAddress(broken), UniversaAddressError, broken);
        }
      });
    });
  }

  describe('when the key is not one KeyAddress has a mask for', () => {
    it('RSA 3072 is refused', () => {
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
      assert.throws(() => keyAddresses(publicKey), RangeError);
    });
  });
});
