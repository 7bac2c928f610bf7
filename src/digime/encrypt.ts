import { UploadElementsError } from '../internal/errors.js';
import type { EncryptedFields, FileDescriptor } from './protocol.js';

/** The postbox payload: ciphertext for the `file` part plus the fields the JWT carries. */
export interface EncryptedPayload<C extends Blob | Uint8Array = Blob | Uint8Array> extends EncryptedFields {
  ciphertext: C;
}

/**
 * Chunk size for encrypting a Blob. WebCrypto has no streaming cipher, so a large file is
 * encrypted slice by slice with CBC chaining carried over by hand; a multiple of the AES block.
 */
const CHUNK_BYTES = 1024 * 1024;
const BLOCK = 16;

/**
 * Encrypts one file for a digi.me postbox exactly as the SDK's `write` does, but in the
 * browser (WebCrypto; also runs on Node ≥ 20): a fresh AES-256 key and IV, the bytes and the
 * descriptor JSON in AES-256-CBC (PKCS#7), the key wrapped with RSA-OAEP (SHA-1) under the
 * postbox public key (PEM, PKCS#1 or SPKI). Only the returned values leave the browser.
 *
 * A Blob comes back as a Blob, bytes as bytes.
 */
export async function encryptForPostbox(data: Blob, descriptor: FileDescriptor, publicKeyPem: string): Promise<EncryptedPayload<Blob>>;
export async function encryptForPostbox(
  data: Uint8Array | ArrayBuffer,
  descriptor: FileDescriptor,
  publicKeyPem: string,
): Promise<EncryptedPayload<Uint8Array>>;
export async function encryptForPostbox(
  data: Blob | Uint8Array | ArrayBuffer,
  descriptor: FileDescriptor,
  publicKeyPem: string,
): Promise<EncryptedPayload> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle)
    throw new UploadElementsError('no-webcrypto', 'WebCrypto is unavailable (a secure context, https or localhost, is required).');
  const rsaKey = await importPostboxKey(publicKeyPem);
  const rawKey = crypto.getRandomValues(new Uint8Array(32));
  const iv = crypto.getRandomValues(new Uint8Array(BLOCK));
  const aesKey = await subtle.importKey('raw', rawKey, { name: 'AES-CBC' }, false, ['encrypt']);

  const ciphertext =
    data instanceof Blob
      ? await encryptBlob(aesKey, iv, data)
      : await aesCbc(aesKey, iv, data instanceof Uint8Array ? data : new Uint8Array(data));
  const metadata = await aesCbc(aesKey, iv, new TextEncoder().encode(JSON.stringify(descriptor)));
  const wrapped = new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP' }, rsaKey, rawKey));
  rawKey.fill(0);
  return { ciphertext, metadata: toBase64(metadata), symmetricalKey: toBase64(wrapped), iv: toHex(iv) };
}

async function aesCbc(key: CryptoKey, iv: Uint8Array, bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-CBC', iv: iv as Uint8Array<ArrayBuffer> }, key, bytes as Uint8Array<ArrayBuffer>),
  );
}

/**
 * CBC over slices: each full slice is encrypted with the previous ciphertext block as IV and its
 * trailing padding block dropped; only the last slice keeps its padding. The result is
 * byte-identical to encrypting the whole file at once, without holding the plaintext in memory.
 */
async function encryptBlob(key: CryptoKey, iv: Uint8Array, blob: Blob): Promise<Blob> {
  const parts: Uint8Array[] = [];
  let chain = iv;
  let offset = 0;
  while (blob.size - offset > CHUNK_BYTES) {
    const plain = new Uint8Array(await blob.slice(offset, offset + CHUNK_BYTES).arrayBuffer());
    const out = (await aesCbc(key, chain, plain)).subarray(0, CHUNK_BYTES);
    parts.push(out);
    chain = out.subarray(CHUNK_BYTES - BLOCK);
    offset += CHUNK_BYTES;
  }
  const last = new Uint8Array(await blob.slice(offset).arrayBuffer());
  parts.push(await aesCbc(key, chain, last));
  return new Blob(parts as Uint8Array<ArrayBuffer>[], { type: 'application/octet-stream' });
}

/** Imports the postbox public key for RSA-OAEP (SHA-1). digi.me hands out PKCS#1 PEM. */
export async function importPostboxKey(pem: string): Promise<CryptoKey> {
  let der: Uint8Array;
  let pkcs1: boolean;
  try {
    ({ der, pkcs1 } = parsePem(pem));
  } catch (err) {
    throw new UploadElementsError('bad-public-key', 'The postbox public key is not a PEM public key.', { cause: err });
  }
  const spki = pkcs1 ? pkcs1ToSpki(der) : der;
  try {
    return await crypto.subtle.importKey('spki', spki as Uint8Array<ArrayBuffer>, { name: 'RSA-OAEP', hash: 'SHA-1' }, false, ['encrypt']);
  } catch (err) {
    throw new UploadElementsError('bad-public-key', 'The postbox public key could not be imported as an RSA key.', { cause: err });
  }
}

function parsePem(pem: string): { der: Uint8Array; pkcs1: boolean } {
  const match = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  const label = match?.[1] ?? 'PUBLIC KEY';
  if (label !== 'PUBLIC KEY' && label !== 'RSA PUBLIC KEY') throw new Error(`unexpected PEM label ${label}`);
  // A '+' that went through form decoding arrives as a space; base64 bodies never hold spaces.
  const body = (match?.[2] ?? pem).replace(/ /g, '+').replace(/\s+/g, '');
  if (!body || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new Error('PEM body is not base64');
  return { der: fromBase64(body), pkcs1: label === 'RSA PUBLIC KEY' };
}

/** SubjectPublicKeyInfo around a PKCS#1 RSAPublicKey (WebCrypto imports only SPKI). */
function pkcs1ToSpki(pkcs1: Uint8Array): Uint8Array {
  // SEQUENCE { OID 1.2.840.113549.1.1.1 (rsaEncryption), NULL }
  const algorithm = Uint8Array.of(0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00);
  const bitString = der(0x03, concat(Uint8Array.of(0x00), pkcs1));
  return der(0x30, concat(algorithm, bitString));
}

function der(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const length =
    n < 0x80
      ? Uint8Array.of(n)
      : n < 0x100
        ? Uint8Array.of(0x81, n)
        : n < 0x10000
          ? Uint8Array.of(0x82, n >> 8, n & 0xff)
          : Uint8Array.of(0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
  return concat(Uint8Array.of(tag), length, content);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
