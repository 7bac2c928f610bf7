import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  createMemoryNonceStore,
  signTitanCallback,
  TitanCallbackError,
  verifyTitanCallback,
  type NonceStore,
  type TitanCallbackRejection,
} from '../../src/server/callback.js';
import { callbackSigningInput, type UploadNotification } from '../../src/titan/protocol.js';

const SECRET = 'tenant-secret';
const PATH = '/app/titan/callback';
const NOTE: UploadNotification = {
  ExtraID: 'x-1',
  TenantID: 'tenant',
  UserID: 'tenant/alice',
  AssetName: 'a.txt',
  AssetCID: 'bafkreiexample',
  AssetType: 'file',
  AssetSize: 12,
  GroupID: 0,
  CreatedTime: '2025-01-02T03:04:05Z',
  AssetDirectUrl: 'http://127.0.0.1/x',
};
const RAW = JSON.stringify(NOTE);

function signed(overrides: { rawBody?: string; secret?: string; timestamp?: string | Date; nonce?: string } = {}) {
  const headers = signTitanCallback({ secret: overrides.secret ?? SECRET, method: 'POST', path: PATH, rawBody: overrides.rawBody ?? RAW, timestamp: overrides.timestamp, nonce: overrides.nonce });
  return { headers, rawBody: overrides.rawBody ?? RAW };
}

async function rejection(p: Promise<unknown>): Promise<TitanCallbackRejection> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof TitanCallbackError, String(err));
    return err.reason;
  }
  assert.fail('expected a rejection');
}

describe('signTitanCallback', () => {
  test('is hex HMAC-SHA256 over METHOD + path + body + timestamp + nonce', () => {
    const h = signTitanCallback({ secret: SECRET, method: 'post', path: PATH, rawBody: RAW, timestamp: '2025-01-02T03:04:05Z', nonce: 'n-1' });
    const expected = createHmac('sha256', SECRET).update(callbackSigningInput('POST', PATH, RAW, '2025-01-02T03:04:05Z', 'n-1')).digest('hex');
    assert.deepEqual(h, { 'X-Timestamp': '2025-01-02T03:04:05Z', 'X-Nonce': 'n-1', 'X-Signature': expected });
    const fresh = signTitanCallback({ secret: SECRET, method: 'POST', path: PATH, rawBody: RAW });
    assert.match(fresh['X-Timestamp']!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.notEqual(fresh['X-Nonce'], signTitanCallback({ secret: SECRET, method: 'POST', path: PATH, rawBody: RAW })['X-Nonce']);
  });
});

describe('verifyTitanCallback', () => {
  const verify = (s: { headers: Record<string, string> | Headers; rawBody: string | Uint8Array }, extra: { secret?: string; nonceStore?: NonceStore; now?: number; path?: string } = {}) =>
    verifyTitanCallback({ secret: extra.secret ?? SECRET, method: 'POST', path: extra.path ?? PATH, rawBody: s.rawBody, headers: s.headers, nonceStore: extra.nonceStore ?? createMemoryNonceStore(), now: extra.now });

  test('a good callback parses into an upload notification', async () => {
    const result = await verify(signed());
    assert.deepEqual(result, { kind: 'upload', notification: NOTE });
  });

  test('bytes as well as strings, and Headers as well as plain objects', async () => {
    const s = signed();
    const result = await verify({ headers: new Headers(s.headers), rawBody: new TextEncoder().encode(s.rawBody) });
    assert.equal(result.kind, 'upload');
  });

  test('a body changed by one byte is a bad signature', async () => {
    const s = signed();
    const changed = s.rawBody.replace('"AssetSize":12', '"AssetSize":13');
    assert.notEqual(changed, s.rawBody);
    assert.equal(await rejection(verify({ ...s, rawBody: changed })), 'bad-signature');
  });

  test('a different path or a wrong secret is a bad signature', async () => {
    assert.equal(await rejection(verify(signed(), { path: '/other' })), 'bad-signature');
    assert.equal(await rejection(verify(signed({ secret: 'wrong' }))), 'bad-signature');
    assert.equal(await rejection(verify(signed(), { secret: 'wrong' })), 'bad-signature');
  });

  test('a malformed signature header is a bad signature, missing headers are reported as such', async () => {
    const s = signed();
    assert.equal(await rejection(verify({ ...s, headers: { ...s.headers, 'X-Signature': 'zz' } })), 'bad-signature');
    const { 'X-Nonce': _drop, ...noNonce } = s.headers;
    assert.equal(await rejection(verify({ ...s, headers: noNonce })), 'missing-headers');
  });

  test('a 6-minute-old timestamp is stale even when correctly signed, as is one far ahead', async () => {
    const now = Date.now();
    assert.equal(await rejection(verify(signed({ timestamp: new Date(now - 6 * 60_000) }), { now })), 'stale-timestamp');
    assert.equal(await rejection(verify(signed({ timestamp: new Date(now + 6 * 60_000) }), { now })), 'stale-timestamp');
    assert.equal(await rejection(verify(signed({ timestamp: 'yesterday' }), { now })), 'stale-timestamp');
    assert.equal((await verify(signed({ timestamp: new Date(now - 4 * 60_000) }), { now })).kind, 'upload');
  });

  test('a replayed nonce is rejected', async () => {
    const store = createMemoryNonceStore();
    const s = signed();
    await verify(s, { nonceStore: store });
    assert.equal(await rejection(verify(s, { nonceStore: store })), 'replayed-nonce');
    // Same nonce, new signature over a new timestamp: still a replay.
    assert.equal(await rejection(verify(signed({ nonce: s.headers['X-Nonce'] }), { nonceStore: store })), 'replayed-nonce');
  });

  test('a forged request does not burn the nonce of the genuine one', async () => {
    const store = createMemoryNonceStore();
    const genuine = signed({ nonce: 'shared-nonce' });
    const forged = { rawBody: genuine.rawBody.replace('x-1', 'x-2'), headers: genuine.headers };
    assert.equal(await rejection(verify(forged, { nonceStore: store })), 'bad-signature');
    assert.equal((await verify(genuine, { nonceStore: store })).kind, 'upload');
  });

  test('header names and body keys are read case-insensitively, exact keys first', async () => {
    const rawBody = JSON.stringify({ extraid: 'lower', ExtraID: 'exact', assetcid: 'bafy', ASSETSIZE: '42', assetname: 'n', groupid: 3 });
    const s = signed({ rawBody });
    const headers = Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k.toLowerCase(), [v]]));
    const result = await verify({ rawBody, headers: headers as unknown as Record<string, string> });
    assert.equal(result.kind, 'upload');
    assert.equal(result.notification.ExtraID, 'exact');
    assert.equal(result.notification.AssetCID, 'bafy');
    assert.ok(result.kind === 'upload' && result.notification.AssetSize === 42 && result.notification.GroupID === 3);
    const upper = Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k.toUpperCase(), v]));
    assert.equal((await verify({ rawBody, headers: upper })).kind, 'upload');
  });

  test('a delete body is recognised as a delete notification', async () => {
    const rawBody = JSON.stringify({ ExtraID: 'x', TenantID: 't', UserID: 't/u', AssetCID: 'bafy' });
    const result = await verify(signed({ rawBody }));
    assert.deepEqual(result, { kind: 'delete', notification: { ExtraID: 'x', TenantID: 't', UserID: 't/u', AssetCID: 'bafy' } });
  });

  test('a signed body that is not a JSON object is bad-json', async () => {
    assert.equal(await rejection(verify(signed({ rawBody: 'not json' }))), 'bad-json');
    assert.equal(await rejection(verify(signed({ rawBody: '[1]' }))), 'bad-json');
  });

  test('the memory nonce store forgets nonces once their window has passed', async () => {
    let clock = 1_000_000;
    const store = createMemoryNonceStore({ now: () => clock });
    assert.equal(await store.remember('a', clock + 300_000), true);
    assert.equal(await store.remember('a', clock + 300_000), false);
    clock += 300_001;
    assert.equal(await store.remember('a', clock + 300_000), true);
  });

  test('a shared store is consulted, so instances sharing it refuse each other\'s replays', async () => {
    const calls: string[] = [];
    const shared = createMemoryNonceStore();
    const store: NonceStore = { remember: (n, at) => (calls.push(n), shared.remember(n, at)) };
    const s = signed({ nonce: 'cross-instance' });
    await verify(s, { nonceStore: store });
    assert.equal(await rejection(verify(s, { nonceStore: store })), 'replayed-nonce');
    assert.deepEqual(calls, ['cross-instance', 'cross-instance']);
  });
});
