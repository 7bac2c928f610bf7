import { after, before, beforeEach, describe, test } from 'node:test';
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

describe('createTitanTokenHandler', () => {
  test('logs the signed-in user in and answers {token, exp}', async () => {
    const handler = createTitanTokenHandler({
      tenant: tenant(),
      user: async () => ({ entryUuid: 'e-9', username: 'zoe', email: 'z@example.test' }),
    });
    const res = await handler(post());
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = (await res.json()) as { token: string; exp: number };
    assert.equal(decodeJwt(body.token).id, `${sb.options.tenant.id}/zoe`);
    assert.equal(decodeJwt(body.token).exp, body.exp);
    assert.deepEqual(
      titanCalls(PATHS.ssoLogin).map((e) => e.body),
      [{ entry_uuid: 'e-9', username: 'zoe', avatar: '', email: 'z@example.test' }],
    );
  });

  test('401 JSON when nobody is signed in, 405 for GET, and Titan is not called', async () => {
    const handler = createTitanTokenHandler({ tenant: tenant(), user: async () => null });
    const res = await handler(post());
    assert.equal(res.status, 401);
    // The one error body of the project (src/internal/error-body.ts).
    assert.deepEqual(await res.json(), { error: { code: 'unauthorized', message: 'Sign in to upload.' } });
    assert.equal((await handler(new Request('http://app.test/t'))).status, 405);
    assert.equal(titanCalls(PATHS.ssoLogin).length, 0);
  });

  test('refreshes the token the app returns; falls back to login when refresh fails', async () => {
    const t = tenant();
    const user = { entryUuid: 'e-1', username: 'yan' };
    const { token: current } = await t.ssoLogin(user);
    const handler = createTitanTokenHandler({
      tenant: t,
      user: async () => user,
      refresh: async (_req, body) => (body as { token?: string } | undefined)?.token,
    });

    const refreshed = (await (await handler(post({ token: current }))).json()) as { token: string };
    assert.equal(titanCalls(PATHS.refreshToken).length, 1);
    assert.equal(titanCalls(PATHS.ssoLogin).length, 1, 'no second login');
    // gin-jwt's RefreshToken copies the claims with a new exp and orig_iat = now (the window slides).
    const [before, after] = [decodeJwt(current), decodeJwt(refreshed.token)];
    assert.equal(after.id, before.id);
    assert.ok(Number(after.orig_iat) >= Number(before.orig_iat) && Number(after.exp) >= Number(before.exp));

    // Same user, but a signature Titan refuses: refresh fails, login takes over.
    const forged = `${current.slice(0, current.lastIndexOf('.'))}.AAAA`;
    const res = await handler(post({ token: forged }));
    assert.equal(res.status, 200);
    assert.deepEqual(
      titanCalls(PATHS.refreshToken).map((e) => e.status),
      [200, 401],
    );
    assert.equal(titanCalls(PATHS.ssoLogin).length, 2, 'fell back to login');
    assert.equal(decodeJwt(((await res.json()) as { token: string }).token).id, `${sb.options.tenant.id}/yan`);
  });

  test("another user's token is never refreshed: the signed-in user gets their own", async () => {
    const t = tenant();
    const { token: victim } = await t.ssoLogin({ entryUuid: 'e-v', username: 'victim' });
    const handler = createTitanTokenHandler({
      tenant: t,
      user: async () => ({ entryUuid: 'e-m', username: 'mallory' }),
      refresh: async (_req, body) => (body as { token?: string }).token,
    });
    const res = (await (await handler(post({ token: victim }))).json()) as { token: string };
    assert.equal(decodeJwt(res.token).id, `${sb.options.tenant.id}/mallory`);
    assert.equal(titanCalls(PATHS.refreshToken).length, 0);
  });

  test('an unreachable Titan is a 504 JSON error, a failing one a 502', async () => {
    const user = async () => ({ entryUuid: 'e', username: 'u' });
    const logged: unknown[] = [];
    const down = createTitanTokenHandler({
      tenant: createTitanTenant({ apiUrl: 'http://127.0.0.1:9', apiKey: 'k', timeoutMs: 2000 }),
      user,
      onError: (e) => logged.push(e),
    });
    const r1 = await down(post());
    assert.equal(r1.status, 504);
    const body = (await r1.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'titan-unavailable');
    assert.equal(body.error.message, 'Titan could not be reached.');
    assert.match((logged[0] as Error).message, /Could not reach/);
    const wrongKey = createTitanTokenHandler({
      tenant: createTitanTenant({ apiUrl: `${sb.url}/titan`, apiKey: 'wrong' }),
      user,
      onError: () => undefined,
    });
    assert.equal((await wrongKey(post())).status, 502);
  });
});

describe('createExtraIdHandler', () => {
  test('default: a random UUID per request', async () => {
    const handler = createExtraIdHandler();
    const a = (await (await handler(post({ name: 'a', size: 1, type: 'text/plain' }))).json()) as { extra_id: string };
    const b = (await (await handler(post())).json()) as { extra_id: string };
    assert.match(a.extra_id, /^[0-9a-f-]{36}$/);
    assert.notEqual(a.extra_id, b.extra_id);
  });

  test('create() receives the file description and the request', async () => {
    const seen: unknown[] = [];
    const handler = createExtraIdHandler({
      create: async (file, request) => {
        seen.push([file, request.headers.get('x-user')]);
        return `row-${file.name}`;
      },
    });
    const res = await handler(post({ name: 'cat.png', size: 1234, type: 'image/png', junk: true }, { 'x-user': 'u1' }));
    assert.deepEqual(await res.json(), { extra_id: 'row-cat.png' });
    assert.deepEqual(seen, [[{ name: 'cat.png', size: 1234, type: 'image/png' }, 'u1']]);
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

  test('answers exactly "success" only after the app handler resolved', async () => {
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
    assert.equal(settled, false, 'no answer while the app is still storing');
    assert.deepEqual(got, [NOTE]);
    release();
    const res = await pending;
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await res.text(), 'success');
  });

  test('500 when the app handler throws, so Titan retries; onError sees the error', async () => {
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
    assert.equal(res.status, 500);
    assert.notEqual(await res.text(), 'success');
    assert.equal((errors[0] as Error).message, 'db down');
  });

  test('401 for a bad signature or a replay, 400 for bad JSON; the app is not called', async () => {
    let calls = 0;
    const handler = createTitanUploadCallbackHandler({
      secret: SECRET,
      nonceStore: createMemoryNonceStore(),
      onUpload: () => void calls++,
    });
    assert.equal((await handler(callbackRequest(undefined, { secret: 'wrong' }))).status, 401);
    const genuine = callbackRequest();
    const first = await handler(genuine.clone());
    assert.equal(first.status, 200);
    const replay = await handler(genuine);
    assert.equal(replay.status, 401);
    assert.equal(await replay.text(), 'replayed-nonce');
    assert.equal((await handler(callbackRequest('{oops'))).status, 400);
    assert.equal(calls, 1);
  });

  test("two endpoints: the delete endpoint hands Titan's real delete body to onDelete, the upload one never sees it", async () => {
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
    assert.equal(await (await onDelete(callbackRequest(DELETE_RAW))).text(), 'success');
    assert.equal(await (await onUpload(callbackRequest())).text(), 'success');
    assert.deepEqual(seen, ['delete e-1 bafy', 'upload e-1']);
  });

  test('createTitanCallbackHandler({kind}) is one endpoint of that kind', async () => {
    const seen: string[] = [];
    const handler = createTitanCallbackHandler({
      kind: 'delete',
      secret: SECRET,
      nonceStore: createMemoryNonceStore(),
      onUpload: () => void seen.push('upload'),
      onDelete: (n) => void seen.push(`delete ${n.AssetCID}`),
    });
    assert.equal(await (await handler(callbackRequest(DELETE_RAW))).text(), 'success');
    assert.deepEqual(seen, ['delete bafy']);
  });

  test('createTitanCallbackHandler without kind still serves uploads, with a DeprecationWarning', async () => {
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
      assert.equal(await (await handler(callbackRequest(DELETE_RAW))).text(), 'success');
      assert.deepEqual(seen, ['']);
      await new Promise((r) => setImmediate(r));
      assert.ok(
        warnings.some((w) => w.name === 'DeprecationWarning' && /kind/.test(w.message)),
        'a DeprecationWarning about kind',
      );
    } finally {
      process.off('warning', listen);
    }
  });

  test('a kind other than "upload" or "delete" is a TypeError when the handler is made, not a silent upload endpoint', () => {
    const options = { kind: 'Delete', secret: SECRET, onDelete: () => {} } as unknown as Parameters<typeof createTitanCallbackHandler>[0];
    assert.throws(() => createTitanCallbackHandler(options), TypeError);
  });

  test('maxFutureSkewMs reaches the verifier: a callback 2 minutes ahead is refused at a 1-minute allowance', async () => {
    const ahead = new Date(Date.now() + 2 * 60_000);
    const strict = createTitanUploadCallbackHandler({
      secret: SECRET,
      nonceStore: createMemoryNonceStore(),
      maxFutureSkewMs: 60_000,
      onUpload: () => {},
    });
    const res = await strict(callbackRequest(undefined, { timestamp: ahead }));
    assert.equal(res.status, 401);
    assert.equal(await res.text(), 'stale-timestamp');
    const lenient = createTitanUploadCallbackHandler({ secret: SECRET, nonceStore: createMemoryNonceStore(), onUpload: () => {} });
    assert.equal(await (await lenient(callbackRequest(undefined, { timestamp: ahead }))).text(), 'success');
  });
});

describe('demo app backend (/app/titan) built on these handlers', () => {
  test('token endpoint: demo user, x-demo-user override, fail-token knob, every request logged', async () => {
    const token = async (headers: Record<string, string> = {}) => fetch(`${sb.url}/app/titan/token`, { method: 'POST', headers });
    const a = (await (await token()).json()) as { token: string };
    assert.equal(decodeJwt(a.token).id, `${sb.options.tenant.id}/demo`);
    const b = (await (await token({ 'x-demo-user': 'alice' })).json()) as { token: string };
    assert.equal(decodeJwt(b.token).id, `${sb.options.tenant.id}/alice`);

    await sb.control('app-titan', 'fail-token', { count: 2, status: 503 });
    for (let i = 0; i < 2; i++) {
      const r = await token();
      assert.equal(r.status, 503);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'token-unavailable');
    }
    assert.equal((await token()).status, 200);
    const logged = sb.log.filter((e) => e.service === 'app-titan' && e.path === '/app/titan/token');
    assert.deepEqual(
      logged.map((e) => e.status),
      [200, 200, 503, 503, 200],
    );
    const users = (await sb.control('titan', 'users')) as Array<{ entryUuid: string }>;
    assert.ok(users.some((u) => u.entryUuid === 'demo-user-1'));
  });

  test('extra-id endpoint and its logged body', async () => {
    const r = await fetch(`${sb.url}/app/titan/extra-id`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x.txt', size: 3, type: 'text/plain' }),
    });
    assert.match(((await r.json()) as { extra_id: string }).extra_id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(sb.log.at(-1)?.body, { name: 'x.txt', size: 3, type: 'text/plain' });
  });

  test('callback endpoint refuses unsigned posts and records signed ones', async () => {
    const raw = JSON.stringify({ ExtraID: 'e-5', TenantID: 't', UserID: 'u', AssetCID: 'bafy', AssetName: 'f', AssetSize: 1 });
    const unsigned = await fetch(`${sb.url}/app/titan/callback`, { method: 'POST', body: raw });
    assert.equal(unsigned.status, 401);
    const headers = signTitanCallback({ secret: sb.options.tenant.apiSecret, method: 'POST', path: '/app/titan/callback', rawBody: raw });
    await sb.control('app-titan', 'fail-callback', { count: 1 });
    assert.equal((await fetch(`${sb.url}/app/titan/callback`, { method: 'POST', headers, body: raw })).status, 500);
    const again = signTitanCallback({ secret: sb.options.tenant.apiSecret, method: 'POST', path: '/app/titan/callback', rawBody: raw });
    const ok = await fetch(`${sb.url}/app/titan/callback`, { method: 'POST', headers: again, body: raw });
    assert.equal(await ok.text(), 'success');
    const received = (await sb.control('app-titan', 'received')) as Array<{
      kind: string;
      extraId: string;
      cid: string;
      name: string;
      signatureOk: boolean;
    }>;
    assert.deepEqual(
      received.map((r) => [r.kind, r.extraId, r.cid, r.name, r.signatureOk]),
      [['upload', 'e-5', 'bafy', 'f', true]],
    );
  });

  test('delete notify URL /app/titan/callback/delete records a real delete body as a delete', async () => {
    const raw =
      '{"ExtraID":"e-6","TenantID":"t","UserID":"u","AssetName":"","AssetCID":"bafy","AssetType":"","AssetSize":0,"GroupID":0,"CreatedTime":"0001-01-01T00:00:00Z","AssetDirectUrl":"","Area":"","NotifyUrl":"","RetryCount":0}';
    const headers = signTitanCallback({
      secret: sb.options.tenant.apiSecret,
      method: 'POST',
      path: '/app/titan/callback/delete',
      rawBody: raw,
    });
    const res = await fetch(`${sb.url}/app/titan/callback/delete`, { method: 'POST', headers, body: raw });
    assert.equal(await res.text(), 'success');
    const received = (await sb.control('app-titan', 'received')) as Array<{ kind: string; extraId: string; cid: string }>;
    assert.deepEqual(
      received.map((r) => [r.kind, r.extraId, r.cid]),
      [['delete', 'e-6', 'bafy']],
    );
  });
});
