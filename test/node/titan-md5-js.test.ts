import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Md5 } from '../../src/titan/md5-js.js';

const nodeMd5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

describe('Md5 (the pure-JS fallback)', () => {
  describe('when given the RFC 1321 test suite', () => {
    const vectors: Record<string, string> = {
      '': 'd41d8cd98f00b204e9800998ecf8427e',
      a: '0cc175b9c0f1b6a831c399e269772661',
      abc: '900150983cd24fb0d6963f7d28e17f72',
      'message digest': 'f96b697d7cb7938d525a2f31aaf161d0',
      abcdefghijklmnopqrstuvwxyz: 'c3fcd3d76192e4007dfb496cca67e13b',
      '12345678901234567890123456789012345678901234567890123456789012345678901234567890': '57edf4a22be3c955ac49da2e2107b67a',
    };
    for (const [input, hex] of Object.entries(vectors)) {
      it(`digests ${JSON.stringify(input)} to ${hex}`, () => {
        assert.equal(new Md5().update(new TextEncoder().encode(input)).digest(), hex, input);
      });
    }
  });

  describe('when the bytes arrive in several updates', () => {
    it('equals node:crypto for every length around block edges, split anywhere', () => {
      for (let len = 0; len < 300; len++) {
        const data = randomBytes(len);
        const split = len ? (len * 7) % len : 0;
        const h = new Md5().update(data.subarray(0, split)).update(data.subarray(split));
        assert.equal(h.digest(), nodeMd5(data), `length ${len}`);
      }
    });

    it('equals node:crypto for a 3 MiB file fed in 64 KiB + 1 slices', () => {
      const big = randomBytes(3 * 1024 * 1024 + 17);
      const h = new Md5();
      for (let at = 0; at < big.length; at += 65_537) h.update(big.subarray(at, at + 65_537));
      assert.equal(h.digest(), nodeMd5(big));
    });
  });
});
