import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTitanTenant, TitanTenantError } from '../../src/server/titan.js';

/** A fetch that records the request and answers `status` with `body`. */
function stub(status: number, body: string) {
  const calls: Array<{ method: string; url: URL; headers: Headers; body: unknown }> = [];
  const fetch = (async (input: URL | RequestInfo, init?: RequestInit) => {
    calls.push({ method: init?.method ?? 'GET', url: new URL(String(input)), headers: new Headers(init?.headers), body: init?.body });
    return new Response(body, { status });
  }) as typeof globalThis.fetch;
  return { calls, tenant: createTitanTenant({ apiUrl: 'https://titan.test/', apiKey: 'k-1', fetch }) };
}

describe('createTitanTenant against the routes of titan-explorer api/router.go', () => {
  describe('when a user is deleted', () => {
    it("sends DELETE /api/v1/tenant/user?entry_uuid=…&with_asset=… (the server route, not the Go SDK's delete_user)", async () => {
      const { calls, tenant } = stub(200, '{"code":0}');
      await tenant.deleteUser('u 6/é', { withAssets: true });
      await tenant.deleteUser('u7', { withAssets: false });
      assert.deepEqual(
        calls.map((c) => [
          c.method,
          c.url.origin + c.url.pathname,
          Object.fromEntries(c.url.searchParams),
          c.headers.get('tenant-api-key'),
          c.body,
        ]),
        [
          ['DELETE', 'https://titan.test/api/v1/tenant/user', { entry_uuid: 'u 6/é', with_asset: 'true' }, 'k-1', undefined],
          ['DELETE', 'https://titan.test/api/v1/tenant/user', { entry_uuid: 'u7', with_asset: 'false' }, 'k-1', undefined],
        ],
      );
    });
  });

  describe('when the server answers an empty HTTP 200 (what its empty SubUserDeleteHandler/SubUserSyncHandler answer)', () => {
    it('takes it as success for deleteUser', async () => {
      await stub(200, '').tenant.deleteUser('u1', { withAssets: false });
    });

    it('takes it as success for syncUser', async () => {
      await stub(200, '').tenant.syncUser({ entryUuid: 'u1', username: 'ann' });
    });

    it('still rejects a token call (ssoLogin needs its envelope) as bad-response', async () => {
      await assert.rejects(
        stub(200, '').tenant.ssoLogin({ entryUuid: 'u1', username: 'ann' }),
        (err) => err instanceof TitanTenantError && err.code === 'bad-response',
      );
    });
  });

  describe('when the server answers 200 with something other than its envelope or nothing', () => {
    it('rejects junk as bad-response', async () => {
      await assert.rejects(
        stub(200, '<html>').tenant.deleteUser('u1', { withAssets: false }),
        (err) => err instanceof TitanTenantError && err.code === 'bad-response',
      );
    });

    it("rejects an error envelope with the server's err code", async () => {
      await assert.rejects(
        stub(200, '{"code":-1,"err":1002,"msg":"user not found"}').tenant.deleteUser('u1', { withAssets: false }),
        (err) => err instanceof TitanTenantError && err.err === 1002,
      );
    });
  });
});
