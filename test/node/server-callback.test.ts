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
import { callbackSigningInput } from '../../src/titan/protocol.js';
import { NOTE, SECRET } from './titan-callback-fixture.js';

/** Titan's real delete body (job/handler_delete_nofify.go): every upload key zeroed, plus three more. */
const DELETE_RAW =
  '{"ExtraID":"x-1","TenantID":"tenant","UserID":"tenant/alice","AssetName":"","AssetCID":"bafkreiexample","AssetType":"","AssetSize":0,"GroupID":0,"CreatedTime":"0001-01-01T00:00:00Z","AssetDirectUrl":"","Area":"","NotifyUrl":"","RetryCount":0}';

const PATH = '/app/titan/callback';
const RAW = JSON.stringify(NOTE);

function signed(overrides: { rawBody?: string; secret?: string; timestamp?: string | Date; nonce?: string } = {}) {
  const headers = signTitanCallback({
    secret: overrides.secret ?? SECRET,
    method: 'POST',
    path: PATH,
    rawBody: overrides.rawBody ?? RAW,
    timestamp: overrides.timestamp,
    nonce: overrides.nonce,
  });
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
    const h = signTitanCallback({
      secret: SECRET,
      method: 'post',
      path: PATH,
      rawBody: RAW,
      timestamp: '2025-01-02T03:04:05Z',
      nonce: 'n-1',
    });
    const expected = createHmac('sha256', SECRET)
      .update(callbackSigningInput('POST', PATH, RAW, '2025-01-02T03:04:05Z', 'n-1'))
      .digest('hex');
    assert.deepEqual(h, { 'X-Timestamp': '2025-01-02T03:04:05Z', 'X-Nonce': 'n-1', 'X-Signature': expected });
    const fresh = signTitanCallback({ secret: SECRET, method: 'POST', path: PATH, rawBody: RAW });
    assert.match(fresh['X-Timestamp']!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(fresh['X-Nonce']!, /^(0|[1-9]\d{0,15})$/, 'a decimal below 10^16, as Titan makes it');
    assert.notEqual(fresh['X-Nonce'], signTitanCallback({ secret: SECRET, method: 'POST', path: PATH, rawBody: RAW })['X-Nonce']);
  });
});

describe('verifyTitanCallback', () => {
  const verify = (
    s: { headers: Record<string, string> | Headers; rawBody: string | Uint8Array },
    extra: {
      secret?: string;
      nonceStore?: NonceStore;
      now?: number;
      path?: string;
      kind?: 'upload' | 'delete';
      maxFutureSkewMs?: number;
    } = {},
  ) =>
    verifyTitanCallback({
      kind: extra.kind ?? 'upload',
      secret: extra.secret ?? SECRET,
      method: 'POST',
      path: extra.path ?? PATH,
      rawBody: s.rawBody,
      headers: s.headers,
      nonceStore: extra.nonceStore ?? createMemoryNonceStore(),
      now: extra.now,
      maxFutureSkewMs: extra.maxFutureSkewMs,
    });

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

  test('a 6-minute-old timestamp is stale even when correctly signed; 4 minutes old is fine', async () => {
    const now = Date.now();
    assert.equal(await rejection(verify(signed({ timestamp: new Date(now - 6 * 60_000) }), { now })), 'stale-timestamp');
    assert.equal((await verify(signed({ timestamp: new Date(now - 4 * 60_000) }), { now })).kind, 'upload');
  });

  test('a timestamp ahead of our clock is accepted within the skew (default 10 minutes, configurable)', async () => {
    const now = Date.now();
    assert.equal((await verify(signed({ timestamp: new Date(now + 6 * 60_000) }), { now })).kind, 'upload');
    assert.equal((await verify(signed({ timestamp: new Date(now + 9 * 60_000) }), { now })).kind, 'upload');
    assert.equal(await rejection(verify(signed({ timestamp: new Date(now + 11 * 60_000) }), { now })), 'stale-timestamp');
    assert.equal(
      await rejection(verify(signed({ timestamp: new Date(now + 2 * 60_000) }), { now, maxFutureSkewMs: 60_000 })),
      'stale-timestamp',
    );
    assert.equal((await verify(signed({ timestamp: new Date(now + 20 * 60_000) }), { now, maxFutureSkewMs: 30 * 60_000 })).kind, 'upload');
  });

  test('only strict RFC 3339 timestamps: what Date.parse also takes is bad-timestamp', async () => {
    const now = Date.parse('2025-01-02T03:04:05Z');
    for (const timestamp of [
      '2025-01-02T03:04:05', // no zone: Date.parse reads it as local time
      '2025-01-02', // date only
      '2025-01-02T03:04:05+0800', // offset without a colon
      '2025-01-02t03:04:05z', // Go's time.RFC3339 wants T and Z
      '2025-01-02 03:04:05Z',
      'Thu, 02 Jan 2025 03:04:05 GMT',
      '2025-02-30T03:04:05Z', // no such day
      '2025-01-02T24:00:00Z',
      '2025-01-02T03:04:05+24:00',
      'yesterday',
    ]) {
      assert.equal(await rejection(verify(signed({ timestamp }), { now })), 'bad-timestamp', timestamp);
    }
    assert.equal((await verify(signed({ timestamp: '2025-01-02T11:04:05+08:00' }), { now })).kind, 'upload');
    assert.equal((await verify(signed({ timestamp: '2025-01-02T03:04:05.123456789Z' }), { now })).kind, 'upload');
    assert.equal((await verify(signed({ timestamp: '2025-01-01T22:04:05-05:00' }), { now })).kind, 'upload');
  });

  test('a replayed callback is rejected', async () => {
    const store = createMemoryNonceStore();
    const s = signed();
    await verify(s, { nonceStore: store });
    assert.equal(await rejection(verify(s, { nonceStore: store })), 'replayed-nonce');
  });

  test('the replay store is keyed on the signature, lower case: an upper-cased signature is the same replay', async () => {
    const keys: string[] = [];
    const inner = createMemoryNonceStore();
    const store: NonceStore = { remember: (key, at) => (keys.push(key), inner.remember(key, at)) };
    const s = signed({ nonce: '4820935718263301' });
    await verify(s, { nonceStore: store });
    assert.deepEqual(keys, [s.headers['X-Signature']]);
    const upper = { ...s, headers: { ...s.headers, 'X-Signature': s.headers['X-Signature']!.toUpperCase() } };
    assert.equal(await rejection(verify(upper, { nonceStore: store })), 'replayed-nonce');
  });

  test('a genuine callback with one character shifted between X-Timestamp and X-Nonce is refused', async (t) => {
    // The signed string is …timestamp+nonce with no separator, so the shifted pair carries the
    // same valid signature. Date.parse read the zoneless "…05" as local time (UTC here).
    const tz = process.env.TZ;
    process.env.TZ = 'UTC';
    t.after(() => void (tz === undefined ? delete process.env.TZ : (process.env.TZ = tz)));
    const now = Date.parse('2025-01-02T03:04:30Z');
    const store = createMemoryNonceStore();
    const genuine = signed({ timestamp: '2025-01-02T03:04:05Z', nonce: '4820935718263301' });
    assert.equal((await verify(genuine, { nonceStore: store, now })).kind, 'upload');
    const shifted = { ...genuine, headers: { ...genuine.headers, 'X-Timestamp': '2025-01-02T03:04:05', 'X-Nonce': 'Z4820935718263301' } };
    await assert.rejects(verify(shifted, { nonceStore: store, now }), TitanCallbackError);
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

  test("at a delete endpoint Titan's real delete body (every upload key zeroed) is a delete", async () => {
    const result = await verify(signed({ rawBody: DELETE_RAW }), { kind: 'delete' });
    assert.deepEqual(result, {
      kind: 'delete',
      notification: { ExtraID: 'x-1', TenantID: 'tenant', UserID: 'tenant/alice', AssetCID: 'bafkreiexample' },
    });
  });

  test('the endpoint decides the kind, never the keys: a four-key body at an upload endpoint is an upload', async () => {
    const rawBody = JSON.stringify({ ExtraID: 'x', TenantID: 't', UserID: 't/u', AssetCID: 'bafy' });
    const result = await verify(signed({ rawBody }), { kind: 'upload' });
    assert.equal(result.kind, 'upload');
    assert.deepEqual(result.notification, {
      ExtraID: 'x',
      TenantID: 't',
      UserID: 't/u',
      AssetName: '',
      AssetCID: 'bafy',
      AssetType: '',
      AssetSize: 0,
      GroupID: 0,
      CreatedTime: '',
      AssetDirectUrl: '',
    });
  });

  test('without kind (deprecated) the keys still decide nothing: a four-key body is read as an upload', async () => {
    const s = signed({ rawBody: JSON.stringify({ ExtraID: 'x', TenantID: 't', UserID: 't/u', AssetCID: 'bafy' }) });
    const result = await verifyTitanCallback({
      secret: SECRET,
      method: 'POST',
      path: PATH,
      rawBody: s.rawBody,
      headers: s.headers,
      nonceStore: createMemoryNonceStore(),
    });
    assert.equal(result.kind, 'upload');
  });

  test('the path is verified decoded, as Titan signs url.Parse(notifyUrl).Path: /hooks/a%20b is signed over /hooks/a b', async () => {
    const rawBody = RAW;
    const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const sig = createHmac('sha256', SECRET)
      .update(callbackSigningInput('POST', '/hooks/a b', rawBody, timestamp, '77'))
      .digest('hex');
    const headers = { 'X-Timestamp': timestamp, 'X-Nonce': '77', 'X-Signature': sig };
    assert.equal((await verify({ rawBody, headers }, { path: '/hooks/a%20b' })).kind, 'upload');
    // A query is not part of the path.
    assert.equal((await verify({ rawBody, headers }, { path: '/hooks/a%20b?x=1' })).kind, 'upload');
  });

  test('decoding follows Go: %2F becomes "/", + stays, %FF is a raw byte (not UTF-8)', async () => {
    const sign = (decoded: Buffer) => {
      const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const sig = createHmac('sha256', SECRET)
        .update(Buffer.concat([Buffer.from('POST'), decoded, Buffer.from(RAW), Buffer.from(`${timestamp}n`)]))
        .digest('hex');
      return { rawBody: RAW, headers: { 'X-Timestamp': timestamp, 'X-Nonce': 'n', 'X-Signature': sig } };
    };
    assert.equal((await verify(sign(Buffer.from('/hooks/a/b+c')), { path: '/hooks/a%2Fb+c' })).kind, 'upload');
    assert.equal((await verify(sign(Buffer.from([0x2f, 0x68, 0xff])), { path: '/h%ff' })).kind, 'upload');
    assert.equal((await verify(sign(Buffer.from('/h/报')), { path: '/h/%E6%8A%A5' })).kind, 'upload');
  });

  test('a path Go cannot parse (bad percent-escape, control character) is bad-path, not a URIError', async () => {
    for (const path of ['/hooks/%zz', '/hooks/%4', '/hooks/%', '/ho\u0001oks']) {
      assert.equal(await rejection(verify(signed(), { path })), 'bad-path', path);
    }
    assert.throws(
      () => signTitanCallback({ secret: SECRET, method: 'POST', path: '/a%g0', rawBody: RAW }),
      (err) => err instanceof TitanCallbackError && err.reason === 'bad-path',
    );
  });

  test('a notify URL without a path is signed over "" and requested as "/"', async () => {
    const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const sig = createHmac('sha256', SECRET)
      .update(callbackSigningInput('POST', '', RAW, timestamp, '5'))
      .digest('hex');
    const result = await verify({ rawBody: RAW, headers: { 'X-Timestamp': timestamp, 'X-Nonce': '5', 'X-Signature': sig } }, { path: '/' });
    assert.equal(result.kind, 'upload');
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

  test("a shared store is consulted, so instances sharing it refuse each other's replays", async () => {
    const calls: string[] = [];
    const shared = createMemoryNonceStore();
    const store: NonceStore = { remember: (k, at) => (calls.push(k), shared.remember(k, at)) };
    const s = signed({ nonce: 'cross-instance' });
    await verify(s, { nonceStore: store });
    assert.equal(await rejection(verify(s, { nonceStore: store })), 'replayed-nonce');
    assert.equal(calls.length, 2);
  });
});
