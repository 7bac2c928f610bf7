import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { createTitanTenant, TitanTenantError } from '../../src/server/titan.js';
import { HEADERS, PATHS } from '../../src/titan/protocol.js';

/** A storage call with the user token: the sandbox's envelope code (0 ok, 401 rejected). */
async function storageCode(sb: Sandbox, token: string): Promise<number> {
  const res = await fetch(`${sb.url}/titan${PATHS.getStorageSize}`, { headers: { [HEADERS.jwt]: `Bearer ${token}` } });
  const body = (await res.json()) as { code: number };
  if (body.code === 401) assert.equal(res.status, 401);
  return body.code;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('Titan tenant API (sandbox) through createTitanTenant', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ timeScale: 0.001, tokenTtlSeconds: 3600 });
  });
  after(() => sb.close());

  const tenant = () => createTitanTenant({ apiUrl: `${sb.url}/titan/`, apiKey: sb.options.tenant.apiKey });

  test('sso_login returns an HS256 JWT with Titan claims and creates the sub-account', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { token, exp } = await tenant().ssoLogin({ entryUuid: 'u-1', username: 'alice', email: 'a@example.test' });
    assert.equal(decodeProtectedHeader(token).alg, 'HS256');
    const claims = decodeJwt(token);
    assert.equal(claims.id, `${sb.options.tenant.id}/alice`);
    assert.equal(typeof claims.role, 'number');
    assert.equal(claims.exp, exp);
    assert.ok(exp >= before + 3600 && exp <= before + 3601, `exp ${exp}`);
    assert.ok(typeof claims.orig_iat === 'number' && claims.orig_iat >= before && claims.orig_iat <= before + 1);
    assert.equal(await storageCode(sb, token), 0);

    const users = (await sb.control('titan', 'users')) as Array<{ id: string; entryUuid: string; email: string }>;
    assert.deepEqual(users.map((u) => [u.id, u.entryUuid, u.email]), [[`${sb.options.tenant.id}/alice`, 'u-1', 'a@example.test']]);
    const login = sb.log.find((e) => e.path === `/titan${PATHS.ssoLogin}`);
    assert.equal(login?.headers[HEADERS.tenantApiKey], sb.options.tenant.apiKey);
    assert.deepEqual(login?.body, { entry_uuid: 'u-1', username: 'alice', avatar: '', email: 'a@example.test' });
  });

  test('a wrong api key is rejected with a typed error', async () => {
    const bad = createTitanTenant({ apiUrl: `${sb.url}/titan`, apiKey: 'not-the-key' });
    await assert.rejects(bad.ssoLogin({ entryUuid: 'u-2', username: 'mallory' }), (err: unknown) => {
      assert.ok(err instanceof TitanTenantError);
      assert.equal(err.status, 401);
      assert.equal(err.code, 401);
      assert.match(err.message, /api key/);
      return true;
    });
    const users = (await sb.control('titan', 'users')) as Array<{ id: string }>;
    assert.ok(!users.some((u) => u.id.endsWith('/mallory')));
  });

  test('envelope errors carry code, err and msg', async () => {
    await assert.rejects(tenant().ssoLogin({ entryUuid: 'u-3', username: '' }), (err: unknown) => {
      assert.ok(err instanceof TitanTenantError);
      assert.equal(err.status, 200);
      assert.equal(err.code, -1);
      assert.equal(err.err, 1001);
      assert.match(err.msg, /username/);
      return true;
    });
  });

  test('an unreachable API is a network error', async () => {
    const gone = createTitanTenant({ apiUrl: 'http://127.0.0.1:9', apiKey: 'k', timeoutMs: 2000 });
    await assert.rejects(gone.ssoLogin({ entryUuid: 'x', username: 'x' }), (err: unknown) => {
      assert.ok(err instanceof TitanTenantError);
      assert.equal(err.code, 'network');
      assert.equal(err.status, 0);
      return true;
    });
  });

  test('a token with a changed payload is rejected by the storage API', async () => {
    const { token } = await tenant().ssoLogin({ entryUuid: 'u-4', username: 'bob' });
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(token), id: `${sb.options.tenant.id}/alice` })).toString('base64url');
    assert.equal(await storageCode(sb, `${h}.${forged}.${s}`), 401);
    assert.equal(await storageCode(sb, token), 0);
  });

  test('expire-tokens rejects earlier tokens; refresh inside the window and new logins work', async () => {
    const t = tenant();
    const old = await t.ssoLogin({ entryUuid: 'u-5', username: 'carol' });
    assert.equal(await storageCode(sb, old.token), 0);
    await sb.control('titan', 'expire-tokens');
    assert.equal(await storageCode(sb, old.token), 401);
    const refreshed = await t.refreshToken(old.token);
    assert.notEqual(refreshed.token, old.token);
    assert.equal(decodeJwt(refreshed.token).orig_iat, decodeJwt(old.token).orig_iat);
    assert.equal(await storageCode(sb, refreshed.token), 0);
    const fresh = await t.ssoLogin({ entryUuid: 'u-5', username: 'carol' });
    assert.equal(await storageCode(sb, fresh.token), 0);
    const entry = sb.log.findLast((e) => e.path === `/titan${PATHS.refreshToken}`);
    assert.equal(entry?.query.token, old.token);
    assert.equal(entry?.headers[HEADERS.tenantApiKey], sb.options.tenant.apiKey);
  });

  test('sync_user updates the sub-account; delete_user removes it and its tokens stop working', async () => {
    const t = tenant();
    const { token } = await t.ssoLogin({ entryUuid: 'u-6', username: 'dave' });
    await t.syncUser({ entryUuid: 'u-6', username: 'dave', avatar: 'https://example.test/a.png' });
    const users = (await sb.control('titan', 'users')) as Array<{ id: string; avatar: string }>;
    assert.equal(users.find((u) => u.id.endsWith('/dave'))?.avatar, 'https://example.test/a.png');
    await t.deleteUser('u-6', { withAssets: true });
    const del = sb.log.findLast((e) => e.path === `/titan${PATHS.deleteUser}`);
    assert.deepEqual([del?.method, del?.query], ['DELETE', { entry_uuid: 'u-6', with_assets: 'true' }]);
    assert.equal(await storageCode(sb, token), 401);
    await assert.rejects(t.deleteUser('u-6', { withAssets: false }), TitanTenantError);
  });
});

describe('Titan token expiry and the refresh window (real clock)', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ timeScale: 0.001, tokenTtlSeconds: 1, refreshWindowSeconds: 3 });
  });
  after(() => sb.close());

  test('an expired token refreshes inside the window and not after it', async () => {
    const t = createTitanTenant({ apiUrl: `${sb.url}/titan`, apiKey: sb.options.tenant.apiKey });
    const first = await t.ssoLogin({ entryUuid: 'u-1', username: 'erin' });
    const origIat = decodeJwt(first.token).orig_iat as number;
    await waitFor('the token to expire', async () => (await storageCode(sb, first.token)) === 401, 3000);
    assert.ok(Date.now() / 1000 < origIat + 3, 'still inside the refresh window');

    const second = await t.refreshToken(first.token);
    assert.equal(await storageCode(sb, second.token), 0);
    assert.equal(decodeJwt(second.token).orig_iat, origIat);

    // Past orig_iat + window neither token refreshes, however recent the second one is.
    await waitFor('the refresh window to pass', async () => Date.now() / 1000 > origIat + 3.05, 5000);
    for (const token of [first.token, second.token]) {
      await assert.rejects(t.refreshToken(token), (err: unknown) => {
        assert.ok(err instanceof TitanTenantError);
        assert.equal(err.status, 401);
        assert.match(err.msg, /refresh window/);
        return true;
      });
    }
    // A fresh login is the way back.
    const third = await t.ssoLogin({ entryUuid: 'u-1', username: 'erin' });
    assert.equal(await storageCode(sb, third.token), 0);
  });
});
