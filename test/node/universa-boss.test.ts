// The BOSS decoder reads contracts from issuers, that is from anyone (issue 12): linear in the
// input, no prototype games, and every malformed input a typed BossError within 50 ms.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { BossError, unpackBoss, type BossErrorCode, type BossValue } from '../../src/universa/boss.js';
import { packBoss } from '../../src/sandbox/boss.js';
import { typedWithin } from './within.js';

/** Decodes, and answers the BossError code when it throws one (anything else is rethrown). */
function outcome(bytes: Uint8Array): BossValue | { error: BossErrorCode } {
  try {
    return unpackBoss(bytes);
  } catch (err) {
    if (err instanceof BossError) return { error: err.code };
    throw err;
  }
}

/** A header with a varint-sized payload: `code | 31 << 3`, the length, then the bytes. */
function longHeader(code: number, payload: Uint8Array): Uint8Array {
  const varint: number[] = [];
  let n = payload.length;
  for (; n > 0x7f; n = Math.floor(n / 128)) varint.push(n & 0x7f);
  varint.push(n | 0x80);
  return new Uint8Array([code | 0xf8, ...varint, ...payload]);
}

const contractShaped = {
  __type: 'UniversaContract',
  version: 3,
  definition: { issuer: { keys: ['a', 'b'] }, created_at: new Date(1_700_000_000_000), data: { name: 'SHT' } },
  state: { owner: '2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ', data: { amount: '120' }, revision: 1 },
  signatures: [new Uint8Array(64).fill(7)],
};

describe('unpackBoss', () => {
  describe('when an integer is 256 KiB long (valid BOSS)', () => {
    it('decodes it in one step, not byte by byte (the old decoder took minutes)', () => {
      const payload = new Uint8Array(256 * 1024).fill(0xff);
      const started = performance.now();
      const value = unpackBoss(longHeader(0, payload));
      const ms = performance.now() - started;
      assert.equal(typeof value, 'bigint');
      assert.equal(value, 2n ** BigInt(8 * payload.length) - 1n);
      assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
    });
  });

  describe('when a dictionary has a __proto__ key', () => {
    it('it is an own key of a null-prototype object; no prototype changes', () => {
      // {"__proto__": "polluted"}: DICT 1, TEXT 9 "__proto__", TEXT 8 "polluted".
      const text = (s: string) => new TextEncoder().encode(s);
      const forged = new Uint8Array([0x0f, 0x4b, ...text('__proto__'), 0x43, ...text('polluted')]);
      const value = unpackBoss(forged) as Record<string, BossValue>;
      assert.equal(Object.getPrototypeOf(value), null);
      assert.ok(Object.hasOwn(value, '__proto__'));
      assert.deepEqual(Object.keys(value), ['__proto__']);
      assert.equal(value['__proto__'], 'polluted');
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  });

  describe('when input is malformed', () => {
    for (const [what, bytes, code] of [
      ['text that is not UTF-8', new Uint8Array([0x13, 0xc3, 0x28]), 'bad-utf8'],
      ['a time past what a Date holds', new Uint8Array([0x79, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x8f]), 'bad-date'],
      ['a list that contains itself (CREF 1 inside list 1)', new Uint8Array([0x0e, 0x0d]), 'cycle'],
      ['a dictionary whose value is itself', new Uint8Array([0x0f, 0x0b, 0x61, 0x0d]), 'cycle'],
      ['a reference to nothing', new Uint8Array([0x1d]), 'bad-reference'],
      ['a length past the data', new Uint8Array([0xbb, 0xff]), 'bad-length'],
      ['truncated data', new Uint8Array([0xc0, 0x01]), 'truncated'],
      ['bytes after the object', new Uint8Array([0x00, 0x00]), 'trailing-bytes'],
      ['an unknown extra type', new Uint8Array([0x19]), 'unknown-type'],
      ['a dictionary keyed by a list', new Uint8Array([0x0f, 0x06, 0x00]), 'bad-key'],
      ['a varint that never ends', new Uint8Array([0xf9, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f]), 'too-long'],
    ] as Array<[string, Uint8Array, BossErrorCode]>) {
      it(`${what}: BossError ${code}`, () => {
        assert.deepEqual(outcome(bytes), { error: code });
      });
    }

    it('nesting deeper than maxDepth: BossError too-deep', () => {
      const deep = new Uint8Array(100).fill(0x0e); // a list of one list of one list …
      assert.deepEqual(outcome(new Uint8Array([...deep, 0x00])), { error: 'too-deep' });
      assert.deepEqual(unpackBoss(new Uint8Array([0x0e, 0x0e, 0x00]), { maxDepth: 2 }), [[0]]);
    });
  });

  describe('when the same list is referenced twice (a shared, not cyclic, object)', () => {
    it('decodes both references to it', () => {
      // [[1], CREF 2]: the outer list is cache 1, the inner list cache 2.
      const value = unpackBoss(new Uint8Array([0x16, 0x0e, 0x08, 0x15])) as BossValue[][];
      assert.deepEqual(value, [[1], [1]]);
      assert.equal(value[0], value[1]);
    });
  });

  describe('fuzzing (fast-check)', () => {
    const bounded = (bytes: Uint8Array) => typedWithin(BossError, () => unpackBoss(bytes));

    it('any bytes: a value or a BossError, within 50 ms', async () => {
      await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), bounded), { numRuns: 2000 });
    });

    it('a real contract with bytes changed, cut or added: a value or a BossError, within 50 ms', async () => {
      const packed = packBoss(contractShaped as never);
      const mutated = fc
        .tuple(
          fc.array(fc.tuple(fc.nat(packed.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
          fc.nat(packed.length),
          fc.uint8Array({ maxLength: 16 }),
        )
        .map(([flips, cut, tail]) => {
          const bytes = packed.slice(0, cut);
          for (const [at, b] of flips) if (at < bytes.length) bytes[at] = b;
          return new Uint8Array([...bytes, ...tail]);
        });
      await fc.assert(fc.asyncProperty(mutated, bounded), { numRuns: 3000 });
    });

    it('what the encoder writes, the decoder reads back', () => {
      const leaf = fc.oneof(
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string(),
        fc.uint8Array({ maxLength: 64 }),
        fc.integer({ min: 0, max: 4e9 }).map((s) => new Date(s * 1000)),
      );
      const tree = fc.letrec((tie) => ({
        value: fc.oneof({ depthSize: 'small' }, leaf, tie('list'), tie('dict')),
        list: fc.array(tie('value'), { maxLength: 5 }),
        dict: fc.dictionary(fc.string(), tie('value'), { maxKeys: 5 }),
      })).value;
      const normal = (v: unknown): unknown => {
        if (typeof v === 'bigint') return v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
        if (typeof v === 'number' && Object.is(v, -0)) return 0;
        if (v instanceof Uint8Array || v instanceof Date || v === null || typeof v !== 'object') return v;
        if (Array.isArray(v)) return v.map(normal);
        return Object.assign(Object.create(null) as object, Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normal(x)])));
      };
      fc.assert(
        fc.property(tree, (value) => {
          assert.deepStrictEqual(unpackBoss(packBoss(value as BossValue)), normal(value));
        }),
        { numRuns: 500 },
      );
    });
  });
});
