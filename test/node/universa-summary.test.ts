// The received contract's summary (issue 13, item 2), from fixtures built here with the BOSS
// encoder in the structure of Universa's own `.unicon` files (a sealed capsule, a TransactionPack
// around one; UniversaBlockchain/universa Contract.java and TransactionPack.java), not copied files.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { packBoss, type BossValue } from '../../src/sandbox/boss.js';
import { keyAddresses, type KeyAddresses } from '../../src/sandbox/universa-keys.js';
import { parseUniversaAddress } from '../../src/universa/address.js';
import { summarizeContract } from '../../src/universa/summary.js';

const OWNER = '2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ';
const CREATED = new Date('2026-01-02T03:04:05Z');
const EXPIRES = new Date('2027-01-02T03:04:05Z');

let issuer: KeyAddresses;
let packedKey: Uint8Array;

before(() => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  issuer = keyAddresses(publicKey);
  const jwk = publicKey.export({ format: 'jwk' });
  packedKey = packBoss(
    [1, Buffer.from(jwk.e!, 'base64url'), Buffer.from(jwk.n!, 'base64url')].map((x) =>
      typeof x === 'number' ? x : new Uint8Array(x),
    ) as BossValue,
  );
});

/** A sealed contract: `{type: "unicapsule", version: 3, data: BOSS({contract}), signatures}`. */
function sealed(
  data: Record<string, BossValue> = { amount: '120' },
  defData: Record<string, BossValue> = { currency_code: 'SHT', name: 'She-Token' },
): Uint8Array {
  const contract = {
    __type: 'UniversaContract',
    api_level: 3,
    definition: {
      created_at: CREATED,
      data: defData,
      issuer: { __type: 'SimpleRole', name: 'issuer', keys: [{ __type: 'KeyRecord', key: { __type: 'RSAPublicKey', packed: packedKey } }] },
    },
    state: {
      owner: { __type: 'SimpleRole', name: 'owner', addresses: [{ __type: 'KeyAddress', uaddress: parseUniversaAddress(OWNER).bytes }] },
      data,
      created_at: CREATED,
      expires_at: EXPIRES,
      revision: 1,
    },
  };
  return packBoss({
    type: 'unicapsule',
    version: 3,
    data: packBoss({ contract, revoking: [], new: [] } as BossValue),
    signatures: [new Uint8Array(64)],
  } as BossValue);
}

describe('summarizeContract', () => {
  describe('when the contract is a sealed token contract', () => {
    it('reads kind, amount, unit, name, dates and size', () => {
      const bytes = sealed();
      assert.deepEqual(
        { ...summarizeContract(bytes), issuer: undefined, owner: undefined },
        {
          kind: 'contract',
          size: bytes.length,
          readable: true,
          issuer: undefined,
          owner: undefined,
          amount: '120',
          unit: 'SHT',
          name: 'She-Token',
          createdAt: CREATED.getTime(),
          expiresAt: EXPIRES.getTime(),
        },
      );
    });

    it("computes the issuer's address from its RSA key as KeyAddress does (the same as the sandbox's node:crypto SHA3)", () => {
      assert.deepEqual(summarizeContract(sealed()).issuer, [issuer.short]);
    });

    it("reads the owner's address from its KeyAddress bytes", () => {
      assert.deepEqual(summarizeContract(sealed()).owner, [OWNER]);
    });

    it('takes the unit from unit_short_name first, and a numeric amount as text', () => {
      const s = summarizeContract(sealed({ amount: 2500 }, { unit_short_name: 'UTN', unit_name: 'Unit token', currency_code: 'X' }));
      assert.deepEqual([s.amount, s.unit, s.name], ['2500', 'UTN', 'Unit token']);
    });
  });

  describe('when the contract comes in a TransactionPack', () => {
    it('is a transaction-pack with the inner contract read', () => {
      const pack = packBoss({ __type: 'TransactionPack', contract: sealed(), subItems: [], keys: [] } as BossValue);
      const s = summarizeContract(pack);
      assert.deepEqual([s.kind, s.readable, s.owner, s.size], ['transaction-pack', true, [OWNER], pack.length]);
    });
  });

  describe('when the bytes are not a contract it reads', () => {
    for (const [what, bytes] of [
      ['random bytes', new Uint8Array(200).map((_, i) => (i * 37) % 256)],
      ['a BOSS value of another shape', packBoss({ hello: 'world' })],
      [
        'an old capsule whose data is text (version 2)',
        packBoss({ type: 'unicapsule', version: 2, data: 'not binary', signatures: [] } as BossValue),
      ],
      [
        'a capsule whose data is not BOSS',
        packBoss({ type: 'unicapsule', version: 3, data: new Uint8Array([0xff, 0xff]), signatures: [] } as BossValue),
      ],
    ] as Array<[string, Uint8Array]>) {
      it(`${what}: readable false, the size still known, nothing thrown`, () => {
        const s = summarizeContract(bytes);
        assert.equal(s.readable, false);
        assert.equal(s.size, bytes.length);
        assert.deepEqual([s.issuer, s.owner], [[], []]);
      });
    }
  });
});
