// The tenant API of the Titan replica, against gnasnik/titan-explorer api/tenant.go (SSOLoginHandler,
// SubUserRefreshTokenHandler, SubUserSyncHandler, SubUserDeleteHandler), api/router.go (routes,
// AuthRequired on the group) and gin-jwt as api/jwt.go configures it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { createTitanTenant } from '../../../src/server/titan.js';
import { HEADERS, PATHS } from '../../../src/titan/protocol.js';
import { call, claimsOf, login, waitFor } from './titan-helpers.js';

const TTL = 3600;
let sb: Sandbox;
before(async () => {
  sb = await startSandbox({ timeScale: 0.001, tokenTtlSeconds: TTL });
});
after(() => sb.close());

const key = () => ({ [HEADERS.tenantApiKey]: sb.options.tenant.apiKey });
const ssoLogin = (body: unknown, headers: Record<string, string> = key()) => call(sb, 'POST', PATHS.ssoLogin, { headers, body });
/** A storage call with the token: the envelope code, or the HTTP status when there is none. */
async function works(token: string): Promise<boolean> {
  return (await call(sb, 'GET', PATHS.getStorageSize, { token })).json?.code === 0;
}

describe('sso_login (api/tenant.go SSOLoginHandler)', () => {
  test('answers {code: 0, data: {exp, token}} with a number exp', async () => {
    const r = await ssoLogin({ entry_uuid: 'u-1', username: 'alice', avatar: '', email: 'a@example.test' });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json), ['code', 'data']);
    assert.equal(r.json.code, 0);
    assert.deepEqual(Object.keys(r.json.data), ['exp', 'token']);
    assert.equal(typeof r.json.data.exp, 'number');
    assert.equal(typeof r.json.data.token, 'string');
  });

  test('the token is gin-jwt TokenGenerator output: HS256, claims exactly {exp, id, orig_iat, role}', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { json } = await ssoLogin({ entry_uuid: 'u-2', username: 'bob' });
    const token = json.data.token as string;
    assert.deepEqual(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });
    const claims = claimsOf(token);
    assert.deepEqual(Object.keys(claims), ['exp', 'id', 'orig_iat', 'role']);
    assert.equal(claims.id, `${sb.options.tenant.id}/bob`);
    assert.equal(claims.role, 0);
    assert.ok((claims.orig_iat as number) >= now && (claims.orig_iat as number) <= now + 1);
    assert.equal(claims.exp, (claims.orig_iat as number) + TTL);
    assert.equal(json.data.exp, claims.exp);
  });

  test('the sub-account is found by entry_uuid and never renamed: a later username is ignored', async () => {
    const first = claimsOf(await login(sb, 'carol', 'u-3'));
    const again = claimsOf(await login(sb, 'carol-renamed', 'u-3'));
    assert.equal(again.id, first.id);
    const users = (await sb.control('titan', 'users')) as Array<{ entryUuid: string; id: string }>;
    assert.deepEqual(
      users.filter((u) => u.entryUuid === 'u-3').map((u) => u.id),
      [`${sb.options.tenant.id}/carol`],
    );
  });

  for (const [what, body, msg] of [
    ['a body that is not JSON', 'nope', 'invalid sso login payload'],
    ['no entry_uuid', { username: 'x' }, 'invalid entry uuid'],
    ['no username', { entry_uuid: 'u-x' }, 'invalid entry username'],
  ] as const) {
    test(`${what}: HTTP 200 respError {code: -1, err: 1001, msg: "${msg}"} without extra`, async () => {
      const r = await ssoLogin(body);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { code: -1, err: 1001, msg });
    });
  }

  test('a wrong tenant-api-key: AuthRequired writes HTTP 200 {code: 401, msg, success: false}', async () => {
    const r = await ssoLogin({ entry_uuid: 'u-4', username: 'mallory' }, { [HEADERS.tenantApiKey]: 'not-the-key' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { code: 401, msg: "you don't have permission to access this resource", success: false });
    const users = (await sb.control('titan', 'users')) as Array<{ id: string }>;
    assert.ok(!users.some((u) => u.id.endsWith('/mallory')));
  });

  test('no tenant-api-key: the handler panics on the missing tenant claim, HTTP 500 with an empty body', async () => {
    const r = await ssoLogin({ entry_uuid: 'u-5', username: 'eve' }, {});
    assert.deepEqual([r.status, r.text], [500, '']);
  });
});

describe('refresh_token (api/tenant.go SubUserRefreshTokenHandler → gin-jwt RefreshToken)', () => {
  test('a fresh token with the same id and role, exp and orig_iat both moved to now', async () => {
    const old = claimsOf(await login(sb, 'dave'));
    await new Promise((r) => setTimeout(r, 1100)); // the next second
    const r = await call(sb, 'GET', PATHS.refreshToken, { headers: key(), query: { token: await login(sb, 'dave') } });
    assert.deepEqual(Object.keys(r.json.data), ['exp', 'token']);
    const fresh = claimsOf(r.json.data.token);
    assert.deepEqual([fresh.id, fresh.role], [old.id, old.role]);
    assert.ok((fresh.orig_iat as number) > (old.orig_iat as number), 'orig_iat restarts: the refresh window slides');
    assert.equal(fresh.exp, (fresh.orig_iat as number) + TTL);
  });

  test('reads no claims, so it answers without a tenant-api-key', async () => {
    const r = await call(sb, 'GET', PATHS.refreshToken, { query: { token: await login(sb, 'erin') } });
    assert.equal(r.json?.code, 0);
  });

  test('a token that does not parse: HTTP 401, respError then the success answer too, in one body', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await call(sb, 'GET', PATHS.refreshToken, { headers: key(), query: { token: 'garbage' } });
    assert.equal(r.status, 401);
    const m =
      /^\{"code":-1,"err":1004,"msg":"token contains an invalid number of segments"\}\{"code":0,"data":\{"exp":(\d+),"token":""\}\}$/.exec(
        r.text,
      );
    assert.ok(m, r.text);
    assert.ok(Number(m[1]) >= before);
  });

  test('an expired token (expire-tokens) refreshes: only its expiry is wrong', async () => {
    const token = await login(sb, 'frank');
    await sb.control('titan', 'expire-tokens');
    assert.equal(await works(token), false);
    const r = await call(sb, 'GET', PATHS.refreshToken, { headers: key(), query: { token } });
    assert.equal(r.json.code, 0);
    assert.equal(await works(r.json.data.token), true);
  });

  test('a token with a changed payload does not: "signature is invalid"', async () => {
    const [h, , s] = (await login(sb, 'grace')).split('.');
    const forged = Buffer.from(JSON.stringify({ exp: 9e9, id: `${sb.options.tenant.id}/alice`, orig_iat: 1, role: 0 })).toString(
      'base64url',
    );
    const r = await call(sb, 'GET', PATHS.refreshToken, { headers: key(), query: { token: `${h}.${forged}.${s}` } });
    assert.equal(r.status, 401);
    assert.ok(r.text.startsWith('{"code":-1,"err":1004,"msg":"signature is invalid"}'), r.text);
  });
});

describe('sync_user and delete (api/tenant.go SubUserSyncHandler, SubUserDeleteHandler: empty)', () => {
  test('POST sync_user: HTTP 200, empty body, nothing changes', async () => {
    await login(sb, 'heidi', 'u-h');
    const r = await call(sb, 'POST', PATHS.syncUser, {
      headers: key(),
      body: { entry_uuid: 'u-h', username: 'heidi', avatar: 'https://example.test/a.png', email: '' },
    });
    assert.deepEqual([r.status, r.text], [200, '']);
    const users = (await sb.control('titan', 'users')) as Array<{ entryUuid: string; avatar: string }>;
    assert.equal(users.find((u) => u.entryUuid === 'u-h')?.avatar, '');
  });

  test('DELETE /api/v1/tenant/user: HTTP 200, empty body, the account and its tokens still work', async () => {
    const token = await login(sb, 'ivan', 'u-i');
    const r = await call(sb, 'DELETE', '/api/v1/tenant/user', { headers: key(), query: { entry_uuid: 'u-i', with_assets: 'true' } });
    assert.deepEqual([r.status, r.text], [200, '']);
    assert.equal(await works(token), true);
  });

  test("the Go SDK's DELETE /api/v1/tenant/delete_user has no route: gin's 404", async () => {
    const r = await call(sb, 'DELETE', '/api/v1/tenant/delete_user', { headers: key(), query: { entry_uuid: 'u-i', with_assets: 'true' } });
    assert.deepEqual([r.status, r.text, r.headers.get('content-type')], [404, '404 page not found', 'text/plain']);
  });
});

describe('through createTitanTenant (what the demo app backend uses)', () => {
  test('ssoLogin then refreshToken give working tokens', async () => {
    const t = createTitanTenant({ apiUrl: `${sb.url}/titan`, apiKey: sb.options.tenant.apiKey });
    const { token } = await t.ssoLogin({ entryUuid: 'u-j', username: 'judy' });
    const refreshed = await t.refreshToken(token);
    assert.equal(await works(token), true);
    assert.equal(await works(refreshed.token), true);
  });
});

describe('MaxRefresh (real clock: tokens of 1 s, refreshable for 2 s after orig_iat)', () => {
  let short: Sandbox;
  before(async () => {
    short = await startSandbox({ tokenTtlSeconds: 1, refreshWindowSeconds: 2 });
  });
  after(() => short.close());

  test('past orig_iat + MaxRefresh gin-jwt answers "token is expired"', async () => {
    const token = await login(short, 'kim');
    const origIat = claimsOf(token).orig_iat as number;
    await waitFor('the refresh window to pass', () => (Date.now() / 1000 >= origIat + 3 ? true : undefined), 5000);
    const r = await call(short, 'GET', PATHS.refreshToken, { query: { token } });
    assert.equal(r.status, 401);
    assert.ok(r.text.startsWith('{"code":-1,"err":1004,"msg":"token is expired"}'), r.text);
  });
});
