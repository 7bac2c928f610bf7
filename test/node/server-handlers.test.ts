import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { createMemoryNonceStore, signTitanCallback } from '../../src/server/callback.js';
import {
  createExtraIdHandler,
  createTitanCallbackHandler,
  createTitanDeleteCallbackHandler,
  createTitanTokenHandler,
  createTitanUploadCallbackHandler,
} from '../../src/server/handlers.js';
import { createTitanTenant } from '../../src/server/titan.js';
import { PATHS, type UploadNotification } from '../../src/titan/protocol.js';
import { recordOnce as recordOnceAfterReset } from './record-once.js';

let sb: Sandbox;
before(async () => {
  sb = await startSandbox({ timeScale: 0.001 });
});
after(() => sb.close());
beforeEach(() => sb.reset());

const tenant = () => createTitanTenant({ apiUrl: `${sb.url}/titan`, apiKey: sb.options.tenant.apiKey });
const post = (body?: unknown, headers: Record<string, string> = {}) =>
  new Request('http://app.test/titan/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const titanCalls = (path: string) => sb.log.filter((e) => e.path === `/titan${path}`);

/** A flow run once from a fresh sandbox, for the its of the describe it is called in. */
const recordOnce = <T>(run: () => Promise<T>) => recordOnceAfterReset(run, () => sb.reset());

describe('createTitanTokenHandler', () => {
  describe('when a user is signed in', () => {
    const recorded = recordOnce(async () => {
      const handler = createTitanTokenHandler({
        tenant: tenant(),
        user: async () => ({ entryUuid: 'e-9', username: 'zoe', email: 'z@example.test' }),
      });
      const res = await handler(post());
      const body = (await res.json()) as { token: string; exp: number };
      return { res, body, logins: titanCalls(PATHS.ssoLogin).map((e) => e.body) };
    });

    it('answers 200', () => {
      assert.equal(recorded().res.status, 200);
    });

    it('forbids caching the answer', () => {
      assert.equal(recorded().res.headers.get('cache-control'), 'no-store');
    });

    it("answers a token for that user of the app's tenant", () => {
      assert.equal(decodeJwt(recorded().body.token).id, `${sb.options.tenant.id}/zoe`);
    });

    it("answers the token's expiry as exp", () => {
      const { body } = recorded();
      assert.equal(decodeJwt(body.token).exp, body.exp);
    });

    it('logs the user in at Titan with their uuid, name and e-mail', () => {
      assert.deepEqual(recorded().logins, [{ entry_uuid: 'e-9', username: 'zoe', avatar: '', email: 'z@example.test' }]);
    });
  });

  describe('when nobody is signed in, or the method is wrong', () => {
    const recorded = recordOnce(async () => {
      const handler = createTitanTokenHandler({ tenant: tenant(), user: async () => null });
      const res = await handler(post());
      const body = await res.json();
      const get = await handler(new Request('http://app.test/t'));
      return { res, body, get, logins: titanCalls(PATHS.ssoLogin).length };
    });

    it('answers 401 to a POST', () => {
      assert.equal(recorded().res.status, 401);
    });

    it('says so in the one error body of the project (src/internal/error-body.ts)', () => {
      assert.deepEqual(recorded().body, { error: { code: 'unauthorized', message: 'Sign in to upload.' } });
    });

    it('answers 405 to a GET', () => {
      assert.equal(recorded().get.status, 405);
    });

    it('does not call Titan', () => {
      assert.equal(recorded().logins, 0);
    });
  });

  describe('when the app hands back the current token of the signed-in user', () => {
    const recorded = recordOnce(async () => {
      const t = tenant();
      const user = { entryUuid: 'e-1', username: 'yan' };
      const { token: current } = await t.ssoLogin(user);
      const handler = createTitanTokenHandler({
        tenant: t,
        user: async () => user,
        refresh: async (_req, body) => (body as { token?: string } | undefined)?.token,
      });
      const refreshed = (await (await handler(post({ token: current }))).json()) as { token: string };
      const refreshes = titanCalls(PATHS.refreshToken).length;
      const logins = titanCalls(PATHS.ssoLogin).length;

      // Same user, but a signature Titan refuses: refresh fails, login takes over.
      const forged = `${current.slice(0, current.lastIndexOf('.'))}.AAAA`;
      const res = await handler(post({ token: forged }));
      return {
        current,
        refreshed: refreshed.token,
        refreshes,
        logins,
        fallback: {
          status: res.status,
          token: ((await res.json()) as { token: string }).token,
          refreshStatuses: titanCalls(PATHS.refreshToken).map((e) => e.status),
          logins: titanCalls(PATHS.ssoLogin).length,
        },
      };
    });

    it('refreshes it at Titan', () => {
      assert.equal(recorded().refreshes, 1);
    });

    it('does not log in again', () => {
      assert.equal(recorded().logins, 1, 'no second login');
    });

    it("keeps the token's user", () => {
      const { current, refreshed } = recorded();
      assert.equal(decodeJwt(refreshed).id, decodeJwt(current).id);
    });

    it('slides the window as gin-jwt does (new exp, orig_iat = now)', () => {
      const [before, after] = [decodeJwt(recorded().current), decodeJwt(recorded().refreshed)];
      assert.ok(Number(after.orig_iat) >= Number(before.orig_iat) && Number(after.exp) >= Number(before.exp));
    });

    describe('when Titan refuses to refresh it (a signature it did not make)', () => {
      it('still answers 200', () => {
        assert.equal(recorded().fallback.status, 200);
      });

      it('tried the refresh, which Titan refused', () => {
        assert.deepEqual(recorded().fallback.refreshStatuses, [200, 401]);
      });

      it('falls back to logging the user in', () => {
        assert.equal(recorded().fallback.logins, 2, 'fell back to login');
      });

      it('answers a token for the signed-in user', () => {
        assert.equal(decodeJwt(recorded().fallback.token).id, `${sb.options.tenant.id}/yan`);
      });
    });
  });

  describe("when the app hands back another user's token", () => {
    const recorded = recordOnce(async () => {
      const t = tenant();
      const { token: victim } = await t.ssoLogin({ entryUuid: 'e-v', username: 'victim' });
      const handler = createTitanTokenHandler({
        tenant: t,
        user: async () => ({ entryUuid: 'e-m', username: 'mallory' }),
        refresh: async (_req, body) => (body as { token?: string }).token,
      });
      const res = (await (await handler(post({ token: victim }))).json()) as { token: string };
      return { token: res.token, refreshes: titanCalls(PATHS.refreshToken).length };
    });

    it('answers the signed-in user their own token', () => {
      assert.equal(decodeJwt(recorded().token).id, `${sb.options.tenant.id}/mallory`);
    });

    it('never refreshes the other one', () => {
      assert.equal(recorded().refreshes, 0);
    });
  });

  describe('when Titan cannot be reached', () => {
    const recorded = recordOnce(async () => {
      const logged: unknown[] = [];
      const down = createTitanTokenHandler({
        tenant: createTitanTenant({ apiUrl: 'http://127.0.0.1:9', apiKey: 'k', timeoutMs: 2000 }),
        user: async () => ({ entryUuid: 'e', username: 'u' }),
        onError: (e) => logged.push(e),
      });
      const res = await down(post());
      return { res, body: (await res.json()) as { error: { code: string; message: string } }, logged };
    });

    it('answers 504', () => {
      assert.equal(recorded().res.status, 504);
    });

    it('says titan-unavailable in the JSON error body', () => {
      const { body } = recorded();
      assert.equal(body.error.code, 'titan-unavailable');
      assert.equal(body.error.message, 'Titan could not be reached.');
    });

    it('hands the error to onError', () => {
      assert.match((recorded().logged[0] as Error).message, /Could not reach/);
    });
  });

  describe('when Titan refuses (a wrong API key)', () => {
    it('answers 502', async () => {
      const wrongKey = createTitanTokenHandler({
        tenant: createTitanTenant({ apiUrl: `${sb.url}/titan`, apiKey: 'wrong' }),
        user: async () => ({ entryUuid: 'e', username: 'u' }),
        onError: () => undefined,
      });
      assert.equal((await wrongKey(post())).status, 502);
    });
  });
});

describe('createExtraIdHandler', () => {
  describe('when no create() is given', () => {
    const ids = async () => {
      const handler = createExtraIdHandler();
      const a = (await (await handler(post({ name: 'a', size: 1, type: 'text/plain' }))).json()) as { extra_id: string };
      const b = (await (await handler(post())).json()) as { extra_id: string };
      return [a.extra_id, b.extra_id] as const;
    };

    it('answers a random UUID', async () => {
      assert.match((await ids())[0], /^[0-9a-f-]{36}$/);
    });

    it('answers a new one per request', async () => {
      const [a, b] = await ids();
      assert.notEqual(a, b);
    });
  });

  describe('when create() is given', () => {
    const recorded = recordOnce(async () => {
      const seen: unknown[] = [];
      const handler = createExtraIdHandler({
        create: async (file, request) => {
          seen.push([file, request.headers.get('x-user')]);
          return `row-${file.name}`;
        },
      });
      const res = await handler(post({ name: 'cat.png', size: 1234, type: 'image/png', junk: true }, { 'x-user': 'u1' }));
      return { body: await res.json(), seen };
    });

    it('answers what create() made', () => {
      assert.deepEqual(recorded().body, { extra_id: 'row-cat.png' });
    });

    it('hands create() the file description (nothing else) and the request', () => {
      assert.deepEqual(recorded().seen, [[{ name: 'cat.png', size: 1234, type: 'image/png' }, 'u1']]);
    });
  });
});

describe('Titan callback handlers', () => {
  const SECRET = 'cb-secret';
  /** Titan's real delete body (job/handler_delete_nofify.go): every upload key zeroed. */
  const DELETE_RAW =
    '{"ExtraID":"e-1","TenantID":"t","UserID":"t/u","AssetName":"","AssetCID":"bafy","AssetType":"","AssetSize":0,"GroupID":0,"CreatedTime":"0001-01-01T00:00:00Z","AssetDirectUrl":"","Area":"","NotifyUrl":"","RetryCount":0}';
  const NOTE: UploadNotification = {
    ExtraID: 'e-1',
    TenantID: 't',
    UserID: 't/u',
    AssetName: 'n',
    AssetCID: 'bafy',
    AssetType: 'file',
    AssetSize: 1,
    GroupID: 0,
    CreatedTime: '2025-01-01T00:00:00Z',
    AssetDirectUrl: '',
  };
  const callbackRequest = (raw = JSON.stringify(NOTE), opts: { secret?: string; nonce?: string; timestamp?: Date } = {}) =>
    new Request('http://app.test/hooks/titan?ignored=1', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signTitanCallback({
          secret: opts.secret ?? SECRET,
          method: 'POST',
          path: '/hooks/titan',
          rawBody: raw,
          nonce: opts.nonce,
          timestamp: opts.timestamp,
        }),
      },
      body: raw,
    });

  describe('when the app handler is still storing the notification', () => {
    const recorded = recordOnce(async () => {
      let release!: () => void;
      const got: UploadNotification[] = [];
      const handler = createTitanUploadCallbackHandler({
        secret: SECRET,
        nonceStore: createMemoryNonceStore(),
        onUpload: (n) =>
          new Promise<void>((resolve) => {
            got.push(n);
            release = resolve;
          }),
      });
      let settled = false;
      const pending = handler(callbackRequest()).then((r) => ((settled = true), r));
      await new Promise((r) => setTimeout(r, 50));
      const whileStoring = { settled, got: [...got] };
      release();
      const res = await pending;
      return { whileStoring, res, text: await res.text() };
    });

    it('does not answer yet', () => {
      assert.equal(recorded().whileStoring.settled, false, 'no answer while the app is still storing');
    });

    it('has handed the notification to the app', () => {
      assert.deepEqual(recorded().whileStoring.got, [NOTE]);
    });

    it('answers 200 once the app handler resolved', () => {
      assert.equal(recorded().res.status, 200);
    });

    it('answers in plain text', () => {
      assert.match(recorded().res.headers.get('content-type') ?? '', /^text\/plain/);
    });

    it('answers exactly "success"', () => {
      assert.equal(recorded().text, 'success');
    });
  });

  describe('when the app handler throws', () => {
    const recorded = recordOnce(async () => {
      const errors: unknown[] = [];
      const handler = createTitanUploadCallbackHandler({
        secret: SECRET,
        nonceStore: createMemoryNonceStore(),
        onUpload: async () => {
          throw new Error('db down');
        },
        onError: (err) => errors.push(err),
      });
      const res = await handler(callbackRequest());
      return { status: res.status, text: await res.text(), errors };
    });

    it('answers 500, so Titan retries', () => {
      assert.equal(recorded().status, 500);
    });

    it('does not answer "success"', () => {
      assert.notEqual(recorded().text, 'success');
    });

    it('hands the error to onError', () => {
      assert.equal((recorded().errors[0] as Error).message, 'db down');
    });
  });

  describe('when a callback is forged, replayed or not JSON', () => {
    const recorded = recordOnce(async () => {
      let calls = 0;
      const handler = createTitanUploadCallbackHandler({
        secret: SECRET,
        nonceStore: createMemoryNonceStore(),
        onUpload: () => void calls++,
      });
      const wrongSecret = (await handler(callbackRequest(undefined, { secret: 'wrong' }))).status;
      const genuine = callbackRequest();
      const first = (await handler(genuine.clone())).status;
      const replay = await handler(genuine);
      const replayed = { status: replay.status, text: await replay.text() };
      const badJson = (await handler(callbackRequest('{oops'))).status;
      return { wrongSecret, first, replayed, badJson, calls: () => calls };
    });

    it('answers 401 to a bad signature', () => {
      assert.equal(recorded().wrongSecret, 401);
    });

    it('accepts the genuine one', () => {
      assert.equal(recorded().first, 200);
    });

    it('answers 401 replayed-nonce to its replay', () => {
      const { replayed } = recorded();
      assert.equal(replayed.status, 401);
      assert.equal(replayed.text, 'replayed-nonce');
    });

    it('answers 400 to bad JSON', () => {
      assert.equal(recorded().badJson, 400);
    });

    it('calls the app for the genuine one only', () => {
      assert.equal(recorded().calls(), 1);
    });
  });

  describe("when Titan's real delete body comes, with an upload and a delete endpoint", () => {
    const recorded = recordOnce(async () => {
      const seen: string[] = [];
      const store = createMemoryNonceStore();
      const onUpload = createTitanUploadCallbackHandler({
        secret: SECRET,
        nonceStore: store,
        onUpload: (n) => void seen.push(`upload ${n.ExtraID}`),
      });
      const onDelete = createTitanDeleteCallbackHandler({
        secret: SECRET,
        nonceStore: store,
        onDelete: (n) => void seen.push(`delete ${n.ExtraID} ${n.AssetCID}`),
      });
      const deleted = await (await onDelete(callbackRequest(DELETE_RAW))).text();
      const uploaded = await (await onUpload(callbackRequest())).text();
      return { deleted, uploaded, seen };
    });

    it('the delete endpoint answers "success"', () => {
      assert.equal(recorded().deleted, 'success');
    });

    it('the upload endpoint answers "success"', () => {
      assert.equal(recorded().uploaded, 'success');
    });

    it('hands the delete to onDelete, and the upload endpoint never sees it', () => {
      assert.deepEqual(recorded().seen, ['delete e-1 bafy', 'upload e-1']);
    });
  });

  describe('when createTitanCallbackHandler is given a kind', () => {
    const recorded = recordOnce(async () => {
      const seen: string[] = [];
      const handler = createTitanCallbackHandler({
        kind: 'delete',
        secret: SECRET,
        nonceStore: createMemoryNonceStore(),
        onUpload: () => void seen.push('upload'),
        onDelete: (n) => void seen.push(`delete ${n.AssetCID}`),
      });
      return { text: await (await handler(callbackRequest(DELETE_RAW))).text(), seen };
    });

    it('answers "success"', () => {
      assert.equal(recorded().text, 'success');
    });

    it('is one endpoint of that kind', () => {
      assert.deepEqual(recorded().seen, ['delete bafy']);
    });
  });

  describe('when createTitanCallbackHandler is given no kind (deprecated)', () => {
    const recorded = recordOnce(async () => {
      const warnings: Error[] = [];
      const listen = (w: Error) => void warnings.push(w);
      process.on('warning', listen);
      try {
        const seen: string[] = [];
        const handler = createTitanCallbackHandler({
          secret: SECRET,
          nonceStore: createMemoryNonceStore(),
          onUpload: (n) => void seen.push(n.AssetName),
          onDelete: () => void seen.push('delete'),
        });
        const text = await (await handler(callbackRequest(DELETE_RAW))).text();
        await new Promise((r) => setImmediate(r));
        return { text, seen, warnings };
      } finally {
        process.off('warning', listen);
      }
    });

    it('answers "success"', () => {
      assert.equal(recorded().text, 'success');
    });

    it('still serves uploads', () => {
      assert.deepEqual(recorded().seen, ['']);
    });

    it('warns with a DeprecationWarning about kind', () => {
      assert.ok(
        recorded().warnings.some((w) => w.name === 'DeprecationWarning' && /kind/.test(w.message)),
        'a DeprecationWarning about kind',
      );
    });
  });

  describe('when createTitanCallbackHandler is given a kind other than "upload" or "delete"', () => {
    it('throws a TypeError when the handler is made, rather than serve a silent upload endpoint', () => {
      const options = { kind: 'Delete', secret: SECRET, onDelete: () => {} } as unknown as Parameters<typeof createTitanCallbackHandler>[0];
      assert.throws(() => createTitanCallbackHandler(options), TypeError);
    });
  });

  describe('when a callback is 2 minutes ahead of our clock', () => {
    const ahead = new Date(Date.now() + 2 * 60_000);

    it('is refused as stale-timestamp at a 1-minute maxFutureSkewMs (it reaches the verifier)', async () => {
      const strict = createTitanUploadCallbackHandler({
        secret: SECRET,
        nonceStore: createMemoryNonceStore(),
        maxFutureSkewMs: 60_000,
        onUpload: () => {},
      });
      const res = await strict(callbackRequest(undefined, { timestamp: ahead }));
      assert.equal(res.status, 401);
      assert.equal(await res.text(), 'stale-timestamp');
    });

    it('is accepted at the default allowance', async () => {
      const lenient = createTitanUploadCallbackHandler({ secret: SECRET, nonceStore: createMemoryNonceStore(), onUpload: () => {} });
      assert.equal(await (await lenient(callbackRequest(undefined, { timestamp: ahead }))).text(), 'success');
    });
  });
});

describe('demo app backend (/app/titan) built on these handlers', () => {
  const token = async (headers: Record<string, string> = {}) => fetch(`${sb.url}/app/titan/token`, { method: 'POST', headers });

  describe('when the token endpoint is asked, twice while the fail-token knob is set', () => {
    const recorded = recordOnce(async () => {
      const a = (await (await token()).json()) as { token: string };
      const b = (await (await token({ 'x-demo-user': 'alice' })).json()) as { token: string };
      await sb.control('app-titan', 'fail-token', { count: 2, status: 503 });
      const failed = [];
      for (let i = 0; i < 2; i++) {
        const r = await token();
        failed.push({ status: r.status, code: ((await r.json()) as { error: { code: string } }).error.code });
      }
      const recovered = (await token()).status;
      return {
        demo: a.token,
        alice: b.token,
        failed,
        recovered,
        logged: sb.log.filter((e) => e.service === 'app-titan' && e.path === '/app/titan/token').map((e) => e.status),
        users: (await sb.control('titan', 'users')) as Array<{ entryUuid: string }>,
      };
    });

    it('answers a token for the demo user', () => {
      assert.equal(decodeJwt(recorded().demo).id, `${sb.options.tenant.id}/demo`);
    });

    it('answers a token for the user x-demo-user names', () => {
      assert.equal(decodeJwt(recorded().alice).id, `${sb.options.tenant.id}/alice`);
    });

    it('fails as the knob says, with token-unavailable', () => {
      for (const { status, code } of recorded().failed) {
        assert.equal(status, 503);
        assert.equal(code, 'token-unavailable');
      }
    });

    it('answers again once the knob is spent', () => {
      assert.equal(recorded().recovered, 200);
    });

    it('logs every request', () => {
      assert.deepEqual(recorded().logged, [200, 200, 503, 503, 200]);
    });

    it('logs the demo user in at Titan', () => {
      assert.ok(recorded().users.some((u) => u.entryUuid === 'demo-user-1'));
    });
  });

  describe('when the extra-id endpoint is asked', () => {
    const recorded = recordOnce(async () => {
      const r = await fetch(`${sb.url}/app/titan/extra-id`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x.txt', size: 3, type: 'text/plain' }),
      });
      return { id: ((await r.json()) as { extra_id: string }).extra_id, logged: sb.log.at(-1)?.body };
    });

    it('answers a UUID', () => {
      assert.match(recorded().id, /^[0-9a-f-]{36}$/);
    });

    it('logs the body', () => {
      assert.deepEqual(recorded().logged, { name: 'x.txt', size: 3, type: 'text/plain' });
    });
  });

  describe('when callbacks come to the callback endpoint (unsigned, failing by the knob, then signed)', () => {
    const recorded = recordOnce(async () => {
      const raw = JSON.stringify({ ExtraID: 'e-5', TenantID: 't', UserID: 'u', AssetCID: 'bafy', AssetName: 'f', AssetSize: 1 });
      const sign = () =>
        signTitanCallback({ secret: sb.options.tenant.apiSecret, method: 'POST', path: '/app/titan/callback', rawBody: raw });
      const unsigned = (await fetch(`${sb.url}/app/titan/callback`, { method: 'POST', body: raw })).status;
      await sb.control('app-titan', 'fail-callback', { count: 1 });
      const failing = (await fetch(`${sb.url}/app/titan/callback`, { method: 'POST', headers: sign(), body: raw })).status;
      const ok = await (await fetch(`${sb.url}/app/titan/callback`, { method: 'POST', headers: sign(), body: raw })).text();
      const received = (await sb.control('app-titan', 'received')) as Array<{
        kind: string;
        extraId: string;
        cid: string;
        name: string;
        signatureOk: boolean;
      }>;
      return { unsigned, failing, ok, received };
    });

    it('refuses unsigned posts with 401', () => {
      assert.equal(recorded().unsigned, 401);
    });

    it('answers 500 while the fail-callback knob is set', () => {
      assert.equal(recorded().failing, 500);
    });

    it('answers "success" to a signed one', () => {
      assert.equal(recorded().ok, 'success');
    });

    it('records the signed upload once', () => {
      assert.deepEqual(
        recorded().received.map((r) => [r.kind, r.extraId, r.cid, r.name, r.signatureOk]),
        [['upload', 'e-5', 'bafy', 'f', true]],
      );
    });
  });

  describe('when a real delete body comes to the delete notify URL /app/titan/callback/delete', () => {
    const recorded = recordOnce(async () => {
      const raw =
        '{"ExtraID":"e-6","TenantID":"t","UserID":"u","AssetName":"","AssetCID":"bafy","AssetType":"","AssetSize":0,"GroupID":0,"CreatedTime":"0001-01-01T00:00:00Z","AssetDirectUrl":"","Area":"","NotifyUrl":"","RetryCount":0}';
      const headers = signTitanCallback({
        secret: sb.options.tenant.apiSecret,
        method: 'POST',
        path: '/app/titan/callback/delete',
        rawBody: raw,
      });
      const res = await fetch(`${sb.url}/app/titan/callback/delete`, { method: 'POST', headers, body: raw });
      const text = await res.text();
      const received = (await sb.control('app-titan', 'received')) as Array<{ kind: string; extraId: string; cid: string }>;
      return { text, received };
    });

    it('answers "success"', () => {
      assert.equal(recorded().text, 'success');
    });

    it('records it as a delete', () => {
      assert.deepEqual(
        recorded().received.map((r) => [r.kind, r.extraId, r.cid]),
        [['delete', 'e-6', 'bafy']],
      );
    });
  });
});
