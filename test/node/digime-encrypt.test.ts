import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt, randomBytes, type KeyObject } from 'node:crypto';
import { encryptForPostbox, type EncryptedPayload } from '../../src/digime/encrypt.js';
import type { FileDescriptor } from '../../src/digime/protocol.js';

const descriptor: FileDescriptor = { mimeType: 'text/plain', accounts: [{ accountId: 'acc-1' }], reference: ['r1'], tags: ['t1'] };

function keyPair(type: 'pkcs1' | 'spki'): { publicKeyPem: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { publicKeyPem: publicKey.export({ type, format: 'pem' }).toString(), privateKey };
}

/** Decrypts the way the digi.me postbox does (node:crypto, independent of WebCrypto). */
function decrypt(privateKey: KeyObject, symmetricalKey: string, ivHex: string, data: Uint8Array): Buffer {
  const key = privateDecrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    Buffer.from(symmetricalKey, 'base64'),
  );
  assert.equal(key.length, 32, 'an AES-256 key');
  const decipher = createDecipheriv('aes-256-cbc', key, Buffer.from(ivHex, 'hex'));
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

describe('encryptForPostbox', () => {
  describe('when encrypting bytes for a PKCS#1 key', () => {
    const plain = new TextEncoder().encode('hello digi.me');
    let privateKey: KeyObject;
    let out: EncryptedPayload<Uint8Array>;
    before(async () => {
      const pair = keyPair('pkcs1');
      assert.match(pair.publicKeyPem, /BEGIN RSA PUBLIC KEY/);
      privateKey = pair.privateKey;
      out = await encryptForPostbox(plain, descriptor, pair.publicKeyPem);
    });

    it('returns the ciphertext as bytes', () => {
      assert.ok(out.ciphertext instanceof Uint8Array);
    });

    it('gives a 16-byte IV in hex', () => {
      assert.match(out.iv, /^[0-9a-f]{32}$/);
    });

    it('pads with PKCS#7 to whole blocks', () => {
      assert.equal(out.ciphertext.length, 16, 'PKCS#7 pads 13 bytes to one block');
    });

    it('lets the postbox decrypt exactly the bytes', () => {
      assert.deepEqual(decrypt(privateKey, out.symmetricalKey, out.iv, out.ciphertext), Buffer.from(plain));
    });

    it('lets the postbox decrypt the descriptor from the metadata', () => {
      const meta = decrypt(privateKey, out.symmetricalKey, out.iv, Buffer.from(out.metadata, 'base64'));
      assert.deepEqual(JSON.parse(meta.toString('utf8')), descriptor);
    });
  });

  describe('when encrypting a multi-chunk Blob for an SPKI key', () => {
    const plain = randomBytes(2 * 1024 * 1024 + 7);
    let privateKey: KeyObject;
    let out: EncryptedPayload<Blob>;
    let cipher: Uint8Array;
    before(async () => {
      const pair = keyPair('spki');
      privateKey = pair.privateKey;
      out = await encryptForPostbox(new Blob([plain]), descriptor, pair.publicKeyPem);
      cipher = new Uint8Array(await out.ciphertext.arrayBuffer());
    });

    it('returns the ciphertext as a Blob', () => {
      assert.ok(out.ciphertext instanceof Blob);
    });

    it('pads to the next whole block', () => {
      assert.equal(cipher.length, plain.length + 16 - (plain.length % 16));
    });

    it('equals the one-shot cipher: the postbox decrypts exactly the bytes', () => {
      assert.ok(decrypt(privateKey, out.symmetricalKey, out.iv, cipher).equals(plain));
    });
  });

  for (const [what, size] of [
    ['an exact multiple of the chunk size', 1024 * 1024],
    ['empty', 0],
  ] as const) {
    describe(`when the file is ${what}`, () => {
      const plain = randomBytes(size);
      let privateKey: KeyObject;
      let out: EncryptedPayload<Blob>;
      let cipher: Uint8Array;
      before(async () => {
        const pair = keyPair('pkcs1');
        privateKey = pair.privateKey;
        out = await encryptForPostbox(new Blob([plain]), descriptor, pair.publicKeyPem);
        cipher = new Uint8Array(await out.ciphertext.arrayBuffer());
      });

      it('adds one whole block of padding', () => {
        assert.equal(cipher.length, size + 16, `size ${size}`);
      });

      it('round-trips', () => {
        assert.ok(decrypt(privateKey, out.symmetricalKey, out.iv, cipher).equals(plain));
      });
    });
  }

  describe('when called twice for the same bytes', () => {
    let a: EncryptedPayload<Uint8Array>;
    let b: EncryptedPayload<Uint8Array>;
    before(async () => {
      const { publicKeyPem } = keyPair('pkcs1');
      a = await encryptForPostbox(new Uint8Array(32), descriptor, publicKeyPem);
      b = await encryptForPostbox(new Uint8Array(32), descriptor, publicKeyPem);
    });

    it('uses a fresh IV', () => {
      assert.notEqual(a.iv, b.iv);
    });

    it('gives a different ciphertext', () => {
      assert.notDeepEqual(a.ciphertext, b.ciphertext);
    });
  });

  describe('when the key is not a PEM public key', () => {
    it('refuses text that is no key with the typed error bad-public-key', async () => {
      await assert.rejects(encryptForPostbox(new Uint8Array(1), descriptor, 'not a key'), { code: 'bad-public-key' });
    });

    it('refuses a private key with the typed error bad-public-key', async () => {
      const { privateKey } = keyPair('pkcs1');
      const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await assert.rejects(encryptForPostbox(new Uint8Array(1), descriptor, privatePem), { code: 'bad-public-key' });
    });
  });
});
