// The tenant API of the Titan replica, against gnasnik/titan-explorer api/tenant.go (SSOLoginHandler,
// SubUserRefreshTokenHandler, SubUserSyncHandler, SubUserDeleteHandler), api/router.go (routes,
// AuthRequired on the group) and gin-jwt as api/jwt.go configures it.
import { after, before, describe, it } from 'node:test';
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
  describe('when the tenant logs a user in', () => {
    let now: number;
    let r: Awaited<ReturnType<typeof ssoLogin>>;
    let token: string;
    before(async () => {
      now = Math.floor(Date.now() / 1000);
      r = await ssoLogin({ entry_uuid: 'u-2', username: 'bob', avatar: '', email: 'b@example.test' });
      token = r.json.data.token as string;
    });

    it('answers HTTP 200 {code: 0, data}', () => {
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.json), ['code', 'data']);
      assert.equal(r.json.code, 0);
    });

    it('answers data {exp, token}, exp a number', () => {
      assert.deepEqual(Object.keys(r.json.data), ['exp', 'token']);
      assert.equal(typeof r.json.data.exp, 'number');
      assert.equal(typeof r.json.data.token, 'string');
    });

    it('makes the token as gin-jwt TokenGenerator does: HS256', () => {
      assert.deepEqual(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });
    });

    it('puts exactly {exp, id, orig_iat, role} in the claims', () => {
      assert.deepEqual(Object.keys(claimsOf(token)), ['exp', 'id', 'orig_iat', 'role']);
    });

    it('names the user <tenant>/<username>, role 0', () => {
      const claims = claimsOf(token);
      assert.equal(claims.id, `${sb.options.tenant.id}/bob`);
      assert.equal(claims.role, 0);
    });

    it('issues it now, for the token TTL', () => {
      const claims = claimsOf(token);
      assert.ok((claims.orig_iat as number) >= now && (claims.orig_iat as number) <= now + 1);
      assert.equal(claims.exp, (claims.orig_iat as number) + TTL);
    });

    it("answers the token's exp as data.exp", () => {
      assert.equal(r.json.data.exp, claimsOf(token).exp);
    });
  });

  describe('when the same entry_uuid logs in with a later username', () => {
    let first: Record<string, unknown>;
    let again: Record<string, unknown>;
    let users: Array<{ entryUuid: string; id: string }>;
    before(async () => {
      first = claimsOf(await login(sb, 'carol', 'u-3'));
      again = claimsOf(await login(sb, 'carol-renamed', 'u-3'));
      users = (await sb.control('titan', 'users')) as Array<{ entryUuid: string; id: string }>;
    });

    it('finds the sub-account by entry_uuid', () => {
      assert.equal(again.id, first.id);
    });

    it('never renames it', () => {
      assert.deepEqual(
        users.filter((u) => u.entryUuid === 'u-3').map((u) => u.id),
        [`${sb.options.tenant.id}/carol`],
      );
    });
  });

  describe('when the payload is unusable', () => {
    for (const [what, body, msg] of [
      ['a body that is not JSON', 'nope', 'invalid sso login payload'],
      ['no entry_uuid', { username: 'x' }, 'invalid entry uuid'],
      ['no username', { entry_uuid: 'u-x' }, 'invalid entry username'],
    ] as const) {
      it(`${what}: HTTP 200 respError {code: -1, err: 1001, msg: "${msg}"} without extra`, async () => {
        const r = await ssoLogin(body);
        assert.equal(r.status, 200);
        assert.deepEqual(r.json, { code: -1, err: 1001, msg });
      });
    }
  });

  describe('when the tenant-api-key is wrong', () => {
    let r: Awaited<ReturnType<typeof ssoLogin>>;
    before(async () => {
      r = await ssoLogin({ entry_uuid: 'u-4', username: 'mallory' }, { [HEADERS.tenantApiKey]: 'not-the-key' });
    });

    it('answers as AuthRequired writes it: HTTP 200 {code: 401, msg, success: false}', () => {
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { code: 401, msg: "you don't have permission to access this resource", success: false });
    });

    it('makes no account', async () => {
      const users = (await sb.control('titan', 'users')) as Array<{ id: string }>;
      assert.ok(!users.some((u) => u.id.endsWith('/mallory')));
    });
  });

  describe('when there is no tenant-api-key', () => {
    it('panics on the missing tenant claim: HTTP 500 with an empty body', async () => {
      const r = await ssoLogin({ entry_uuid: 'u-5', username: 'eve' }, {});
      assert.deepEqual([r.status, r.text], [500, '']);
    });
  });
});

describe('refresh_token (api/tenant.go SubUserRefreshTokenHandler → gin-jwt RefreshToken)', () => {
  describe('when a good token is refreshed a second later', () => {
    let old: Record<string, unknown>;
    let r: Awaited<ReturnType<typeof call>>;
    let fresh: Record<string, unknown>;
    before(async () => {
      old = claimsOf(await login(sb, 'dave'));
      await new Promise((r) => setTimeout(r, 1100)); // the next second
      r = await call(sb, 'GET', PATHS.refreshToken, { headers: key(), query: { token: await login(sb, 'dave') } });
      fresh = claimsOf(r.json.data.token);
    });

    it('answers data {exp, token}', () => {
      assert.deepEqual(Object.keys(r.json.data), ['exp', 'token']);
    });

    it('keeps the id and role', () => {
      assert.deepEqual([fresh.id, fresh.role], [old.id, old.role]);
    });

    it('moves orig_iat to now (the refresh window slides)', () => {
      assert.ok((fresh.orig_iat as number) > (old.orig_iat as number), 'orig_iat restarts: the refresh window slides');
    });

    it('moves exp to now + TTL', () => {
      assert.equal(fresh.exp, (fresh.orig_iat as number) + TTL);
    });
  });

  describe('when there is no tenant-api-key', () => {
    it('answers anyway: it reads no claims', async () => {
      const r = await call(sb, 'GET', PATHS.refreshToken, { query: { token: await login(sb, 'erin') } });
      assert.equal(r.json?.code, 0);
    });
  });

  describe('when the token does not parse', () => {
    let before0: number;
    let r: Awaited<ReturnType<typeof call>>;
    const shape =
      /^\{"code":-1,"err":1004,"msg":"token contains an invalid number of segments"\}\{"code":0,"data":\{"exp":(\d+),"token":""\}\}$/;
    before(async () => {
      before0 = Math.floor(Date.now() / 1000);
      r = await call(sb, 'GET', PATHS.refreshToken, { headers: key(), query: { token: 'garbage' } });
    });

    it('answers HTTP 401', () => {
      assert.equal(r.status, 401);
    });

    it('writes respError, then the success answer too, in one body', () => {
      assert.ok(shape.exec(r.text), r.text);
    });

    it('with an exp of now or later in the success part', () => {
      assert.ok(Number(shape.exec(r.text)?.[1]) >= before0);
    });
  });

  describe('when the token has expired (expire-tokens)', () => {
    let oldWorks: boolean;
    let r: Awaited<ReturnType<typeof call>>;
    before(async () => {
      const token = await login(sb, 'frank');
      await sb.control('titan', 'expire-tokens');
      oldWorks = await works(token);
      r = await call(sb, 'GET', PATHS.refreshToken, { headers: key(), query: { token } });
    });

    it('the old token no longer works', () => {
      assert.equal(oldWorks, false);
    });

    it('refreshes: only its expiry was wrong', () => {
      assert.equal(r.json.code, 0);
    });

    it('the refreshed token works', async () => {
      assert.equal(await works(r.json.data.token), true);
    });
  });

  describe('when the token has a changed payload', () => {
    it('refuses it with HTTP 401 "signature is invalid"', async () => {
      const [h, , s] = (await login(sb, 'grace')).split('.');
      const forged = Buffer.from(JSON.stringify({ exp: 9e9, id: `${sb.options.tenant.id}/alice`, orig_iat: 1, role: 0 })).toString(
        'base64url',
      );
      const r = await call(sb, 'GET', PATHS.refreshToken, { headers: key(), query: { token: `${h}.${forged}.${s}` } });
      assert.equal(r.status, 401);
      assert.ok(r.text.startsWith('{"code":-1,"err":1004,"msg":"signature is invalid"}'), r.text);
    });
  });

  describe('when orig_iat + MaxRefresh has passed (real clock: tokens of 1 s, refreshable for 2 s)', () => {
    let short: Sandbox;
    before(async () => {
      short = await startSandbox({ tokenTtlSeconds: 1, refreshWindowSeconds: 2 });
    });
    after(() => short.close());

    it('answers as gin-jwt does: HTTP 401 "token is expired"', async () => {
      const token = await login(short, 'kim');
      const origIat = claimsOf(token).orig_iat as number;
      await waitFor('the refresh window to pass', () => (Date.now() / 1000 >= origIat + 3 ? true : undefined), 5000);
      const r = await call(short, 'GET', PATHS.refreshToken, { query: { token } });
      assert.equal(r.status, 401);
      assert.ok(r.text.startsWith('{"code":-1,"err":1004,"msg":"token is expired"}'), r.text);
    });
  });
});

describe('sync_user and delete (api/tenant.go SubUserSyncHandler, SubUserDeleteHandler: empty)', () => {
  describe('when a user is synced with a new avatar', () => {
    let r: Awaited<ReturnType<typeof call>>;
    before(async () => {
      await login(sb, 'heidi', 'u-h');
      r = await call(sb, 'POST', PATHS.syncUser, {
        headers: key(),
        body: { entry_uuid: 'u-h', username: 'heidi', avatar: 'https://example.test/a.png', email: '' },
      });
    });

    it('answers HTTP 200 with an empty body', () => {
      assert.deepEqual([r.status, r.text], [200, '']);
    });

    it('changes nothing', async () => {
      const users = (await sb.control('titan', 'users')) as Array<{ entryUuid: string; avatar: string }>;
      assert.equal(users.find((u) => u.entryUuid === 'u-h')?.avatar, '');
    });
  });

  describe('when a user is deleted with DELETE /api/v1/tenant/user', () => {
    let token: string;
    let r: Awaited<ReturnType<typeof call>>;
    before(async () => {
      token = await login(sb, 'ivan', 'u-i');
      r = await call(sb, 'DELETE', '/api/v1/tenant/user', { headers: key(), query: { entry_uuid: 'u-i', with_assets: 'true' } });
    });

    it('answers HTTP 200 with an empty body', () => {
      assert.deepEqual([r.status, r.text], [200, '']);
    });

    it('leaves the account and its tokens working', async () => {
      assert.equal(await works(token), true);
    });
  });

  describe("when the Go SDK's DELETE /api/v1/tenant/delete_user is called", () => {
    it("answers gin's 404: there is no such route", async () => {
      const r = await call(sb, 'DELETE', '/api/v1/tenant/delete_user', {
        headers: key(),
        query: { entry_uuid: 'u-i', with_assets: 'true' },
      });
      assert.deepEqual([r.status, r.text, r.headers.get('content-type')], [404, '404 page not found', 'text/plain']);
    });
  });
});

describe('through createTitanTenant (what the demo app backend uses)', () => {
  describe('when a user logs in and the token is refreshed', () => {
    let token: string;
    let refreshed: string;
    before(async () => {
      const t = createTitanTenant({ apiUrl: `${sb.url}/titan`, apiKey: sb.options.tenant.apiKey });
      ({ token } = await t.ssoLogin({ entryUuid: 'u-j', username: 'judy' }));
      refreshed = (await t.refreshToken(token)).token;
    });

    it('the login token works', async () => {
      assert.equal(await works(token), true);
    });

    it('the refreshed token works', async () => {
      assert.equal(await works(refreshed), true);
    });
  });
});
