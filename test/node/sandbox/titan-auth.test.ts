// How the Titan replica answers requests it cannot identify, against gnasnik/titan-explorer
// api/jwt.go (AuthRequired, the gin-jwt Unauthorized func, Cors()) and api/api.go (gin.Recovery),
// with the `unauthorized` knob's other shapes.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { HEADERS, PATHS } from '../../../src/titan/protocol.js';
import { call, claimsOf, login, waitFor } from './titan-helpers.js';

let sb: Sandbox;
before(async () => {
  sb = await startSandbox({ timeScale: 0.001 });
});
after(() => sb.close());
beforeEach(() => sb.reset());

const FORBIDDEN = "you don't have permission to access this resource";

describe('Titan replica: requests it cannot identify (api/jwt.go AuthRequired)', () => {
  describe("when the unauthorized knob is 'source' (default): AuthRequired falls through to the handler", () => {
    for (const [what, token] of [
      ['no JwtAuthorization', undefined],
      ['a garbage token', 'garbage'],
    ] as const) {
      it(`${what}: get_upload_info panics on claims["id"], HTTP 500 with an empty body`, async () => {
        const r = await call(sb, 'GET', PATHS.getUploadInfo, { token });
        assert.deepEqual([r.status, r.text], [500, '']);
      });
    }

    it('an expired token (expire-tokens) does the same: HTTP 500, empty', async () => {
      const token = await login(sb);
      await sb.control('titan', 'expire-tokens');
      const r = await call(sb, 'POST', PATHS.createAsset, { token, body: { asset_name: 'a', asset_type: 'file', asset_size: 1 } });
      assert.deepEqual([r.status, r.text], [500, '']);
    });

    it('share_asset checks the claim itself: err 1021 "invalid signature"', async () => {
      const r = await call(sb, 'GET', PATHS.shareAsset, { query: { asset_cid: 'x' } });
      assert.deepEqual([r.status, r.json], [200, { code: -1, err: 1021, extra: null, msg: 'invalid signature' }]);
    });

    it('get_storage_size checks the claim itself: err 1001', async () => {
      const r = await call(sb, 'GET', PATHS.getStorageSize);
      assert.deepEqual(r.json, { code: -1, err: 1001, extra: null, msg: 'invalid params' });
    });

    it('a wrong tenant-api-key on a storage call: Unauthorized writes HTTP 200 {code: 401} first, the panic changes nothing', async () => {
      const r = await call(sb, 'GET', PATHS.getUploadInfo, { headers: { [HEADERS.tenantApiKey]: 'wrong' } });
      assert.deepEqual([r.status, r.text], [200, `{"code":401,"msg":"${FORBIDDEN}","success":false}`]);
    });

    it('an apiKey header that names no key: the same HTTP 200 {code: 401}', async () => {
      const r = await call(sb, 'GET', PATHS.getUploadInfo, { headers: { apiKey: 'nope' } });
      assert.deepEqual(r.json, { code: 401, msg: FORBIDDEN, success: false });
    });
  });

  describe("when the unauthorized knob is 'envelope' or 'http' (gin-jwt MiddlewareFunc's answer)", () => {
    it("'envelope': HTTP 200 {code: 401, msg: gin-jwt's reason, success: false}", async () => {
      await sb.control('titan', 'unauthorized', { mode: 'envelope' });
      const r = await call(sb, 'GET', PATHS.getUploadInfo);
      assert.deepEqual([r.status, r.json], [200, { code: 401, msg: 'auth header is empty', success: false }]);
    });

    it('\'envelope\': an expired token reads "Session expired, please log in again"', async () => {
      await sb.control('titan', 'unauthorized', { mode: 'envelope' });
      const token = await login(sb);
      await sb.control('titan', 'expire-tokens');
      const r = await call(sb, 'GET', PATHS.getUploadInfo, { token });
      assert.deepEqual(r.json, { code: 401, msg: 'Session expired, please log in again', success: false });
    });

    it('\'envelope\' with Lang: cn: "会话已过期, 请重新登陆"', async () => {
      await sb.control('titan', 'unauthorized', { mode: 'envelope' });
      const token = await login(sb);
      await sb.control('titan', 'expire-tokens');
      const r = await call(sb, 'GET', PATHS.getUploadInfo, { token, headers: { [HEADERS.lang]: 'cn' } });
      assert.equal(r.json.msg, '会话已过期, 请重新登陆');
    });

    it("'envelope' covers share_asset too (no 1021)", async () => {
      await sb.control('titan', 'unauthorized', { mode: 'envelope' });
      const r = await call(sb, 'GET', PATHS.shareAsset, { token: 'a.b.c' });
      assert.deepEqual([r.status, r.json.code], [200, 401]);
    });

    it("'http': the same body with HTTP 401", async () => {
      await sb.control('titan', 'unauthorized', { mode: 'http' });
      const r = await call(sb, 'GET', PATHS.getUploadInfo, { token: 'garbage' });
      assert.deepEqual([r.status, r.json], [401, { code: 401, msg: 'token contains an invalid number of segments', success: false }]);
    });

    it("the old knob unauthorized-as {shape: 'envelope'} still works", async () => {
      await sb.control('titan', 'unauthorized-as', { shape: 'envelope' });
      const r = await call(sb, 'GET', PATHS.getUploadInfo);
      assert.deepEqual([r.status, r.json.code], [200, 401]);
    });

    it('a valid token passes in every mode', async () => {
      await sb.control('titan', 'unauthorized', { mode: 'http' });
      assert.equal((await call(sb, 'GET', PATHS.getUploadInfo, { token: await login(sb) })).json.code, 0);
    });
  });

  describe('when a request carries a good token: the headers AuthRequired adds', () => {
    it('gin-jwt SendAuthorization echoes the token as "Authorization: Bearer <token>"', async () => {
      const token = await login(sb);
      const r = await call(sb, 'GET', PATHS.getStorageSize, { token });
      assert.equal(r.headers.get('authorization'), `Bearer ${token}`);
    });

    describe('when the token is past half its life', () => {
      let short: Sandbox;
      let token: string;
      let early: string | null;
      let fresh: string;
      before(async () => {
        short = await startSandbox({ tokenTtlSeconds: 3 });
        token = await login(short);
        early = (await call(short, 'GET', PATHS.getStorageSize, { token })).headers.get('new-token');
        fresh = await waitFor(
          'a new-token header',
          async () => (await call(short, 'GET', PATHS.getStorageSize, { token })).headers.get('new-token') ?? undefined,
          4000,
        );
      });
      after(() => short.close());

      it('sends no new-token before that', () => {
        assert.equal(early, null);
      });

      it('sends a refreshed token in "new-token", for the same user', () => {
        assert.equal(claimsOf(fresh).id, claimsOf(token).id);
      });

      it('makes the refreshed token live longer', () => {
        assert.ok((claimsOf(fresh).exp as number) > (claimsOf(token).exp as number));
      });
    });
  });

  describe('when a route is missing or a page on another origin calls', () => {
    it("a route the API does not have, or a known path with another method: gin's 404 text", async () => {
      for (const [method, path] of [
        ['GET', '/api/v1/storage/nope'],
        ['POST', PATHS.getUploadInfo],
      ] as const) {
        const r = await call(sb, method, path, { body: method === 'POST' ? {} : undefined });
        assert.deepEqual([r.status, r.text], [404, '404 page not found']);
      }
    });

    // api/jwt.go Cors() allows any origin; the sandbox, on developers' machines, answers CORS only
    // for loopback pages and SandboxOptions.allowedOrigins (a deliberate difference: the page here
    // is a loopback one, as the demo and the tests are).
    it('a cross-origin request with a header outside api/jwt.go Cors() (Content-Type, jwtauthorization, lang) gets no CORS headers', async () => {
      const r = await call(sb, 'GET', PATHS.getAreaId, { headers: { origin: 'http://localhost:5173', authorization: 'Bearer x' } });
      assert.equal(r.status, 403);
      assert.equal(r.headers.get('access-control-allow-origin'), null);
    });

    it("a cross-origin request with only allowed headers is answered with the page's origin allowed", async () => {
      const r = await call(sb, 'GET', PATHS.getUploadInfo, {
        token: await login(sb),
        headers: { origin: 'http://localhost:5173', lang: 'en', 'content-type': 'application/json' },
      });
      assert.equal(r.json.code, 0);
      assert.equal(r.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    });

    it('the same header from the same origin is fine (no preflight)', async () => {
      const r = await call(sb, 'GET', PATHS.getAreaId, { headers: { origin: sb.url, 'x-anything': '1' } });
      assert.equal(r.json.code, 0);
    });
  });
});
