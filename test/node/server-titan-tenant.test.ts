import { describe, test } from 'node:test';
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
  test("deleteUser is DELETE /api/v1/tenant/user?entry_uuid=…&with_asset=… (the server route, not the Go SDK's delete_user)", async () => {
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

  test("an empty HTTP 200 (what the server's empty SubUserDeleteHandler/SubUserSyncHandler answer) is success", async () => {
    const { tenant } = stub(200, '');
    await tenant.deleteUser('u1', { withAssets: false });
    await tenant.syncUser({ entryUuid: 'u1', username: 'ann' });
    // Only for those two: a token call still needs its envelope, and junk is still junk.
    await assert.rejects(
      tenant.ssoLogin({ entryUuid: 'u1', username: 'ann' }),
      (err) => err instanceof TitanTenantError && err.code === 'bad-response',
    );
    await assert.rejects(
      stub(200, '<html>').tenant.deleteUser('u1', { withAssets: false }),
      (err) => err instanceof TitanTenantError && err.code === 'bad-response',
    );
    await assert.rejects(
      stub(200, '{"code":-1,"err":1002,"msg":"user not found"}').tenant.deleteUser('u1', { withAssets: false }),
      (err) => err instanceof TitanTenantError && err.err === 1002,
    );
  });
});
