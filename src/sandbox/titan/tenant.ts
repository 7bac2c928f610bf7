import { PATHS } from '../../titan/protocol.js';
import { bindJson, GoPanic, respError, respJSON } from './gin.js';
import type { Route, SandboxTitanUser } from './state.js';

/**
 * The tenant API (app backend → Titan), api/tenant.go, all four routes behind `AuthRequired`
 * (api/router.go `RegisterRouterWithJWT`, group `/api/v1/tenant`). The Go SDK's
 * `DELETE /api/v1/tenant/delete_user` has no route: gin answers 404.
 */

/** core/errors/errors.go */
const INVALID_PARAMS = 1001;
const INTERNAL_SERVER = 1004;

/** api/tenant.go `SSOLoginHandler`. */
const ssoLogin: Route = {
  auth: 'tenant',
  async handle(t, c) {
    const tenantId = c.claims.tenant_id;
    const tenantName = c.claims.tenant_name;
    if (typeof tenantId !== 'string' || typeof tenantName !== 'string')
      throw new GoPanic('interface conversion: interface {} is nil, not string');
    const req = bindJson(await c.body(), { entry_uuid: 'string', username: 'string', avatar: 'string', email: 'string' });
    if (!req) return c.reply.json(200, respError(INVALID_PARAMS, 'invalid sso login payload'));
    if (!req.entry_uuid) return c.reply.json(200, respError(INVALID_PARAMS, 'invalid entry uuid'));
    if (!req.username) return c.reply.json(200, respError(INVALID_PARAMS, 'invalid entry username'));
    // Looked up by (uuid, tenant_id); created on first sight, never updated afterwards.
    let user = [...t.users.values()].find((u) => u.entryUuid === req.entry_uuid && u.tenantId === tenantId);
    if (!user) {
      user = {
        id: `${tenantName}/${req.username}`,
        entryUuid: req.entry_uuid,
        tenantId,
        username: req.username,
        avatar: req.avatar,
        email: req.email,
        role: 0,
        createdAt: new Date().toISOString(),
      } satisfies SandboxTitanUser;
      t.users.set(user.id, user);
    }
    const { token, exp } = t.jwt.generate({ id: user.id, role: user.role });
    c.reply.json(200, respJSON({ exp, token }));
  },
};

/**
 * api/tenant.go `SubUserRefreshTokenHandler`: gin-jwt `RefreshToken` on `?token=`. It reads no
 * claims, so it works without a tenant key. On failure it writes HTTP 401 `respError(1004, err)`
 * and, lacking a `return`, then its success answer too (empty token, `exp` now): two JSON
 * documents in one body.
 */
const refreshToken: Route = {
  auth: 'none',
  handle(t, c) {
    const result = t.jwt.refresh(c.url.searchParams.get('token') ?? '');
    if ('error' in result) {
      c.reply.json(401, respError(INTERNAL_SERVER, result.error));
      return c.reply.json(200, respJSON({ exp: t.jwt.now(), token: '' }));
    }
    c.reply.json(200, respJSON({ exp: result.exp, token: result.token }));
  },
};

/** api/tenant.go `SubUserSyncHandler` and `SubUserDeleteHandler`: empty, so HTTP 200 with an empty body. */
const empty: Route = { auth: 'none', handle() {} };

export const TENANT_ROUTES: Record<string, Route> = {
  [`POST ${PATHS.ssoLogin}`]: ssoLogin,
  [`POST ${PATHS.syncUser}`]: empty,
  'DELETE /api/v1/tenant/user': empty,
  [`GET ${PATHS.refreshToken}`]: refreshToken,
};
