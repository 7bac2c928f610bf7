import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BossError, packBoss, unpackBoss } from '../../../src/sandbox/boss.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('BOSS (the sandbox encoder)', () => {
  describe('when a value is packed, its header follows the BOSS layout (code = b & 7, value = b >> 3)', () => {
    it('writes small integers in the header', () => {
      assert.equal(hex(packBoss(0)), '00');
      assert.equal(hex(packBoss(7)), '38'); // 7 << 3 | INT
      assert.equal(hex(packBoss(22)), 'b0');
    });

    it('writes larger integers as a little-endian payload after the header', () => {
      assert.equal(hex(packBoss(23)), 'b817'); // 23 → one byte follows (value 23 = 22 + 1)
      assert.equal(hex(packBoss(0x1234)), 'c03412'); // little-endian payload
    });

    it('writes a negative integer as NINT', () => {
      assert.equal(hex(packBoss(-1)), '0a'); // NINT
    });

    it('writes null as CREF 0', () => {
      assert.equal(hex(packBoss(null)), '05'); // CREF 0
    });

    it('writes true and false as EXTRA 12 and 13', () => {
      assert.equal(hex(packBoss(true)), '61'); // EXTRA 12
      assert.equal(hex(packBoss(false)), '69'); // EXTRA 13
    });

    it('writes text, bytes, lists and dictionaries with their length', () => {
      assert.equal(hex(packBoss('ab')), '136162'); // TEXT len 2
      assert.equal(hex(packBoss(new Uint8Array([1, 2]))), '140102'); // BIN len 2
      assert.equal(hex(packBoss([1, 2])), '160810'); // LIST len 2
      assert.equal(hex(packBoss({ a: 1 })), '0f' + '0b61' + '08'); // DICT len 1
    });
  });

  describe('when a text repeats', () => {
    const packed = packBoss(['key', 'key', { key: 'key' }]);

    it('writes it once, then as cache references', () => {
      // The list is cache entry 1, "key" entry 2: written once, then CREF 2 (0x15) three times.
      assert.equal(hex(packed), '1e' + '1b6b6579' + '15' + '0f' + '15' + '15');
    });

    it('reads the references back', () => {
      assert.deepEqual(unpackBoss(packed), ['key', 'key', Object.assign(Object.create(null) as object, { key: 'key' })]);
    });
  });

  describe('when a contract-shaped tree is packed and read back', () => {
    const when = new Date(1_700_000_000_000);
    const value = {
      __type: 'UniversaContract',
      version: 3,
      big: 2n ** 80n,
      negative: -123456789,
      pi: 3.25,
      one: 1,
      flags: [true, false, null],
      created_at: when,
      id: new Uint8Array([0, 255, 7]),
      nested: { list: ['a', 'b', 'a'], empty: {} },
    };
    const back = unpackBoss(packBoss(value)) as Record<string, unknown>;

    it('gives back the same tree', () => {
      // Dictionaries come back as null-prototype objects.
      assert.deepEqual(JSON.parse(JSON.stringify(back, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))), {
        ...JSON.parse(JSON.stringify({ ...value, big: '1208925819614629174706176n', id: { 0: 0, 1: 255, 2: 7 } })),
      });
    });

    it('gives back a big integer as a bigint', () => {
      assert.equal(back.big, 2n ** 80n);
    });

    it('gives back bytes as bytes', () => {
      assert.deepEqual([...(back.id as Uint8Array)], [0, 255, 7]);
    });

    it('gives back a date as the same Date', () => {
      assert.ok(back.created_at instanceof Date);
      assert.equal((back.created_at as Date).getTime(), when.getTime());
    });
  });

  describe('when the input is not one whole BOSS value', () => {
    const packed = packBoss({ a: 'text' });

    it('rejects it truncated', () => {
      assert.throws(() => unpackBoss(packed.subarray(0, -1)), BossError);
    });

    it('rejects trailing bytes', () => {
      assert.throws(() => unpackBoss(new Uint8Array([...packed, 0])), BossError);
    });

    it('rejects a reference to nothing cached', () => {
      assert.throws(() => unpackBoss(new Uint8Array([0x1d])), BossError); // CREF 3 with an empty cache
    });

    it('rejects a varint that never ends', () => {
      assert.throws(() => unpackBoss(new Uint8Array([0xf9, 0xff])), BossError); // EXTRA 31 + varint that never ends
    });
  });
});
