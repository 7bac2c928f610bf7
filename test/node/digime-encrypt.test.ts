import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt, randomBytes, type KeyObject } from 'node:crypto';
import { encryptForPostbox } from '../../src/digime/encrypt.js';
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

test('bytes with a PKCS#1 key: postbox-side decryption gives back the bytes and the descriptor', async () => {
  const { publicKeyPem, privateKey } = keyPair('pkcs1');
  assert.match(publicKeyPem, /BEGIN RSA PUBLIC KEY/);
  const plain = new TextEncoder().encode('hello digi.me');
  const out = await encryptForPostbox(plain, descriptor, publicKeyPem);
  assert.ok(out.ciphertext instanceof Uint8Array);
  assert.match(out.iv, /^[0-9a-f]{32}$/);
  assert.equal(out.ciphertext.length, 16, 'PKCS#7 pads 13 bytes to one block');
  assert.deepEqual(decrypt(privateKey, out.symmetricalKey, out.iv, out.ciphertext), Buffer.from(plain));
  const meta = decrypt(privateKey, out.symmetricalKey, out.iv, Buffer.from(out.metadata, 'base64'));
  assert.deepEqual(JSON.parse(meta.toString('utf8')), descriptor);
});

test('a multi-chunk Blob with an SPKI key: chunked CBC equals the one-shot cipher', async () => {
  const { publicKeyPem, privateKey } = keyPair('spki');
  const plain = randomBytes(2 * 1024 * 1024 + 7);
  const out = await encryptForPostbox(new Blob([plain]), descriptor, publicKeyPem);
  assert.ok(out.ciphertext instanceof Blob);
  const cipher = new Uint8Array(await out.ciphertext.arrayBuffer());
  assert.equal(cipher.length, plain.length + 16 - (plain.length % 16));
  assert.ok(decrypt(privateKey, out.symmetricalKey, out.iv, cipher).equals(plain));
});

test('an exact multiple of the chunk size and an empty file round-trip', async () => {
  const { publicKeyPem, privateKey } = keyPair('pkcs1');
  for (const size of [1024 * 1024, 0]) {
    const plain = randomBytes(size);
    const out = await encryptForPostbox(new Blob([plain]), descriptor, publicKeyPem);
    const cipher = new Uint8Array(await out.ciphertext.arrayBuffer());
    assert.equal(cipher.length, size + 16, `size ${size}`);
    assert.ok(decrypt(privateKey, out.symmetricalKey, out.iv, cipher).equals(plain));
  }
});

test('every call uses a fresh key and IV', async () => {
  const { publicKeyPem } = keyPair('pkcs1');
  const a = await encryptForPostbox(new Uint8Array(32), descriptor, publicKeyPem);
  const b = await encryptForPostbox(new Uint8Array(32), descriptor, publicKeyPem);
  assert.notEqual(a.iv, b.iv);
  assert.notDeepEqual(a.ciphertext, b.ciphertext);
});

test('a key that is not a PEM public key is a typed error', async () => {
  await assert.rejects(encryptForPostbox(new Uint8Array(1), descriptor, 'not a key'), { code: 'bad-public-key' });
  const { privateKey } = keyPair('pkcs1');
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await assert.rejects(encryptForPostbox(new Uint8Array(1), descriptor, privatePem), { code: 'bad-public-key' });
});
