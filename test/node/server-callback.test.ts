import { before, describe, it } from 'node:test';
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
  describe('when given a timestamp and a nonce', () => {
    it('signs hex HMAC-SHA256 over METHOD + path + body + timestamp + nonce, in the X- headers', () => {
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
    });
  });

  describe('when given neither', () => {
    const fresh = () => signTitanCallback({ secret: SECRET, method: 'POST', path: PATH, rawBody: RAW });

    it('stamps the current time in RFC 3339 UTC', () => {
      assert.match(fresh()['X-Timestamp']!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });

    it('makes a decimal nonce below 10^16, as Titan does', () => {
      assert.match(fresh()['X-Nonce']!, /^(0|[1-9]\d{0,15})$/, 'a decimal below 10^16, as Titan makes it');
    });

    it('makes a new nonce each time', () => {
      assert.notEqual(fresh()['X-Nonce'], fresh()['X-Nonce']);
    });
  });

  describe('when the path has a bad percent-escape', () => {
    it('throws bad-path', () => {
      assert.throws(
        () => signTitanCallback({ secret: SECRET, method: 'POST', path: '/a%g0', rawBody: RAW }),
        (err) => err instanceof TitanCallbackError && err.reason === 'bad-path',
      );
    });
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

  describe('when a callback is signed correctly', () => {
    it('parses into an upload notification', async () => {
      const result = await verify(signed());
      assert.deepEqual(result, { kind: 'upload', notification: NOTE });
    });

    it('takes the body as bytes and the headers as Headers too', async () => {
      const s = signed();
      const result = await verify({ headers: new Headers(s.headers), rawBody: new TextEncoder().encode(s.rawBody) });
      assert.equal(result.kind, 'upload');
    });
  });

  describe('when the signature does not match', () => {
    it('refuses a body changed by one byte as a bad signature', async () => {
      const s = signed();
      const changed = s.rawBody.replace('"AssetSize":12', '"AssetSize":13');
      assert.notEqual(changed, s.rawBody);
      assert.equal(await rejection(verify({ ...s, rawBody: changed })), 'bad-signature');
    });

    it('refuses another path as a bad signature', async () => {
      assert.equal(await rejection(verify(signed(), { path: '/other' })), 'bad-signature');
    });

    it('refuses a wrong secret, on either side, as a bad signature', async () => {
      assert.equal(await rejection(verify(signed({ secret: 'wrong' }))), 'bad-signature');
      assert.equal(await rejection(verify(signed(), { secret: 'wrong' })), 'bad-signature');
    });

    it('refuses a malformed signature header as a bad signature', async () => {
      const s = signed();
      assert.equal(await rejection(verify({ ...s, headers: { ...s.headers, 'X-Signature': 'zz' } })), 'bad-signature');
    });
  });

  describe('when a header is missing', () => {
    it('reports missing headers', async () => {
      const s = signed();
      const { 'X-Nonce': _drop, ...noNonce } = s.headers;
      assert.equal(await rejection(verify({ ...s, headers: noNonce })), 'missing-headers');
    });
  });

  describe('when the timestamp is in the past', () => {
    const now = Date.now();

    it('refuses 6 minutes old as stale, even correctly signed', async () => {
      assert.equal(await rejection(verify(signed({ timestamp: new Date(now - 6 * 60_000) }), { now })), 'stale-timestamp');
    });

    it('accepts 4 minutes old', async () => {
      assert.equal((await verify(signed({ timestamp: new Date(now - 4 * 60_000) }), { now })).kind, 'upload');
    });
  });

  describe('when the timestamp is ahead of our clock', () => {
    const now = Date.now();

    it('accepts it within the default skew of 10 minutes', async () => {
      assert.equal((await verify(signed({ timestamp: new Date(now + 6 * 60_000) }), { now })).kind, 'upload');
      assert.equal((await verify(signed({ timestamp: new Date(now + 9 * 60_000) }), { now })).kind, 'upload');
    });

    it('refuses it as stale beyond 10 minutes', async () => {
      assert.equal(await rejection(verify(signed({ timestamp: new Date(now + 11 * 60_000) }), { now })), 'stale-timestamp');
    });

    it('follows a configured skew, smaller or larger', async () => {
      assert.equal(
        await rejection(verify(signed({ timestamp: new Date(now + 2 * 60_000) }), { now, maxFutureSkewMs: 60_000 })),
        'stale-timestamp',
      );
      assert.equal(
        (await verify(signed({ timestamp: new Date(now + 20 * 60_000) }), { now, maxFutureSkewMs: 30 * 60_000 })).kind,
        'upload',
      );
    });
  });

  describe('when the timestamp is not strict RFC 3339', () => {
    const now = Date.parse('2025-01-02T03:04:05Z');

    it('refuses as bad-timestamp what Date.parse also takes', async () => {
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
    });

    it('accepts a positive or negative offset', async () => {
      assert.equal((await verify(signed({ timestamp: '2025-01-02T11:04:05+08:00' }), { now })).kind, 'upload');
      assert.equal((await verify(signed({ timestamp: '2025-01-01T22:04:05-05:00' }), { now })).kind, 'upload');
    });

    it('accepts fractional seconds', async () => {
      assert.equal((await verify(signed({ timestamp: '2025-01-02T03:04:05.123456789Z' }), { now })).kind, 'upload');
    });
  });

  describe('when a callback is replayed', () => {
    it('refuses the replay', async () => {
      const store = createMemoryNonceStore();
      const s = signed();
      await verify(s, { nonceStore: store });
      assert.equal(await rejection(verify(s, { nonceStore: store })), 'replayed-nonce');
    });

    it('keys the replay store on the signature', async () => {
      const keys: string[] = [];
      const inner = createMemoryNonceStore();
      const store: NonceStore = { remember: (key, at) => (keys.push(key), inner.remember(key, at)) };
      const s = signed({ nonce: '4820935718263301' });
      await verify(s, { nonceStore: store });
      assert.deepEqual(keys, [s.headers['X-Signature']]);
    });

    it('refuses an upper-cased signature as the same replay (keys are lower case)', async () => {
      const store = createMemoryNonceStore();
      const s = signed({ nonce: '4820935718263301' });
      await verify(s, { nonceStore: store });
      const upper = { ...s, headers: { ...s.headers, 'X-Signature': s.headers['X-Signature']!.toUpperCase() } };
      assert.equal(await rejection(verify(upper, { nonceStore: store })), 'replayed-nonce');
    });

    it("consults a shared store, so instances sharing it refuse each other's replays", async () => {
      const calls: string[] = [];
      const shared = createMemoryNonceStore();
      const store: NonceStore = { remember: (k, at) => (calls.push(k), shared.remember(k, at)) };
      const s = signed({ nonce: 'cross-instance' });
      await verify(s, { nonceStore: store });
      assert.equal(await rejection(verify(s, { nonceStore: store })), 'replayed-nonce');
      assert.equal(calls.length, 2);
    });
  });

  describe('when a genuine callback has one character shifted between X-Timestamp and X-Nonce', () => {
    it('refuses it', async (t) => {
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
  });

  describe('when a forged request comes first with the nonce of a genuine one', () => {
    let forgedReason: TitanCallbackRejection;
    let genuineKind: string;
    before(async () => {
      const store = createMemoryNonceStore();
      const genuine = signed({ nonce: 'shared-nonce' });
      const forged = { rawBody: genuine.rawBody.replace('x-1', 'x-2'), headers: genuine.headers };
      forgedReason = await rejection(verify(forged, { nonceStore: store }));
      genuineKind = (await verify(genuine, { nonceStore: store })).kind;
    });

    it('refuses the forgery as a bad signature', () => {
      assert.equal(forgedReason, 'bad-signature');
    });

    it('still accepts the genuine one (its nonce was not burnt)', () => {
      assert.equal(genuineKind, 'upload');
    });
  });

  describe('when header names and body keys come in another case', () => {
    const rawBody = JSON.stringify({ extraid: 'lower', ExtraID: 'exact', assetcid: 'bafy', ASSETSIZE: '42', assetname: 'n', groupid: 3 });
    const s = signed({ rawBody });

    it('reads lower-cased header names (as arrays, as node:http gives them)', async () => {
      const headers = Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k.toLowerCase(), [v]]));
      const result = await verify({ rawBody, headers: headers as unknown as Record<string, string> });
      assert.equal(result.kind, 'upload');
    });

    it('reads upper-cased header names', async () => {
      const upper = Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k.toUpperCase(), v]));
      assert.equal((await verify({ rawBody, headers: upper })).kind, 'upload');
    });

    it('prefers the exact key', async () => {
      const result = await verify({ rawBody, headers: s.headers });
      assert.equal(result.notification.ExtraID, 'exact');
    });

    it('reads body keys case-insensitively, numbers included', async () => {
      const result = await verify({ rawBody, headers: s.headers });
      assert.equal(result.notification.AssetCID, 'bafy');
      assert.ok(result.kind === 'upload' && result.notification.AssetSize === 42 && result.notification.GroupID === 3);
    });
  });

  describe('when deciding whether a callback is an upload or a delete', () => {
    it("reads Titan's real delete body (every upload key zeroed) at a delete endpoint as a delete", async () => {
      const result = await verify(signed({ rawBody: DELETE_RAW }), { kind: 'delete' });
      assert.deepEqual(result, {
        kind: 'delete',
        notification: { ExtraID: 'x-1', TenantID: 'tenant', UserID: 'tenant/alice', AssetCID: 'bafkreiexample' },
      });
    });

    it('lets the endpoint decide, never the keys: a four-key body at an upload endpoint is an upload', async () => {
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

    it('without kind (deprecated) still lets the keys decide nothing: a four-key body is an upload', async () => {
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
  });

  describe('when the path is percent-encoded (Titan signs url.Parse(notifyUrl).Path, decoded)', () => {
    /** Headers Titan would send for `decoded`, the path as it signs it. */
    const sign = (decoded: Buffer) => {
      const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const sig = createHmac('sha256', SECRET)
        .update(Buffer.concat([Buffer.from('POST'), decoded, Buffer.from(RAW), Buffer.from(`${timestamp}n`)]))
        .digest('hex');
      return { rawBody: RAW, headers: { 'X-Timestamp': timestamp, 'X-Nonce': 'n', 'X-Signature': sig } };
    };
    const spaced = () => {
      const rawBody = RAW;
      const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const sig = createHmac('sha256', SECRET)
        .update(callbackSigningInput('POST', '/hooks/a b', rawBody, timestamp, '77'))
        .digest('hex');
      return { rawBody, headers: { 'X-Timestamp': timestamp, 'X-Nonce': '77', 'X-Signature': sig } };
    };

    it('verifies /hooks/a%20b as signed over /hooks/a b', async () => {
      assert.equal((await verify(spaced(), { path: '/hooks/a%20b' })).kind, 'upload');
    });

    it('leaves the query out of the path', async () => {
      assert.equal((await verify(spaced(), { path: '/hooks/a%20b?x=1' })).kind, 'upload');
    });

    it('decodes as Go does: %2F becomes "/", + stays', async () => {
      assert.equal((await verify(sign(Buffer.from('/hooks/a/b+c')), { path: '/hooks/a%2Fb+c' })).kind, 'upload');
    });

    it('decodes %FF as a raw byte (not UTF-8)', async () => {
      assert.equal((await verify(sign(Buffer.from([0x2f, 0x68, 0xff])), { path: '/h%ff' })).kind, 'upload');
    });

    it('decodes UTF-8 escapes to their bytes', async () => {
      assert.equal((await verify(sign(Buffer.from('/h/报')), { path: '/h/%E6%8A%A5' })).kind, 'upload');
    });
  });

  describe('when Go cannot parse the path (bad percent-escape, control character)', () => {
    it('refuses it as bad-path, not a URIError', async () => {
      for (const path of ['/hooks/%zz', '/hooks/%4', '/hooks/%', '/ho\u0001oks']) {
        assert.equal(await rejection(verify(signed(), { path })), 'bad-path', path);
      }
    });
  });

  describe('when the notify URL has no path', () => {
    it('verifies it signed over "" and requested as "/"', async () => {
      const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const sig = createHmac('sha256', SECRET)
        .update(callbackSigningInput('POST', '', RAW, timestamp, '5'))
        .digest('hex');
      const result = await verify(
        { rawBody: RAW, headers: { 'X-Timestamp': timestamp, 'X-Nonce': '5', 'X-Signature': sig } },
        { path: '/' },
      );
      assert.equal(result.kind, 'upload');
    });
  });

  describe('when the signed body is not a JSON object', () => {
    it('refuses text as bad-json', async () => {
      assert.equal(await rejection(verify(signed({ rawBody: 'not json' }))), 'bad-json');
    });

    it('refuses an array as bad-json', async () => {
      assert.equal(await rejection(verify(signed({ rawBody: '[1]' }))), 'bad-json');
    });
  });
});

describe('createMemoryNonceStore', () => {
  describe("when a nonce's window has passed", () => {
    it('refuses it within its window, and forgets it after', async () => {
      let clock = 1_000_000;
      const store = createMemoryNonceStore({ now: () => clock });
      assert.equal(await store.remember('a', clock + 300_000), true);
      assert.equal(await store.remember('a', clock + 300_000), false);
      clock += 300_001;
      assert.equal(await store.remember('a', clock + 300_000), true);
    });
  });
});
