import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CODES, HEADERS } from '../../titan/protocol.js';
import { base64Error, decodeJsonSegment, hmacMatches, signJwt } from './jwt.js';
import type { GinReply } from './gin.js';

/**
 * User tokens as the API server issues and checks them: gin-jwt v2.9.1 configured by
 * api/jwt.go `jwtGinMiddleware` (HS256, `Timeout` 24 h, `MaxRefresh` 7 days, `TokenLookup:
 * "header: JwtAuthorization"`, `TokenHeadName: "Bearer"`), parsing with golang-jwt v4, and the
 * route middleware api/jwt.go `AuthRequired`.
 */

/** `jwt.ExtractClaims(c)`: an empty map when nothing was set. */
export type Claims = Record<string, unknown>;

/** gin-jwt's error texts (errors.go). */
export const ERR_FORBIDDEN = "you don't have permission to access this resource";
const ERR_EMPTY_AUTH_HEADER = 'auth header is empty';
const ERR_INVALID_AUTH_HEADER = 'auth header is invalid';
const ERR_EXPIRED_TOKEN = 'token is expired';

/** golang-jwt v4's registered `alg`s: any other is "unavailable", these but HS256 are refused by gin-jwt. */
const KNOWN_ALGS = new Set([
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'none',
]);

type Parsed = { ok: true; claims: Claims } | { ok: false; message: string; expiredOnly: boolean; claims?: Claims };

export class GinJwt {
  readonly #secret = randomBytes(32);
  /** Tokens issued at or before this second count as expired (the `expire-tokens` knob). */
  #revokedThrough = 0;
  #lastIssued = 0;

  constructor(
    /** `Timeout`, seconds. */
    readonly timeout: number,
    /** `MaxRefresh`, seconds. */
    readonly maxRefresh: number,
  ) {}

  now(): number {
    return Math.floor(Date.now() / 1000);
  }

  /** Every token issued so far now parses as expired (and stays refreshable in the window). */
  revokeAll(): number {
    this.#revokedThrough = Math.max(this.now(), this.#lastIssued);
    return this.#revokedThrough;
  }

  /**
   * gin-jwt `TokenGenerator` with api/jwt.go `PayloadFunc` ({id, role}): claims `exp` and
   * `orig_iat` added, keys sorted as Go marshals a map. After `revokeAll` the issue second is
   * moved past the revoked ones, so a new token never equals a revoked one.
   */
  generate(payload: Claims): { token: string; exp: number } {
    const now = (this.#lastIssued = Math.max(this.now(), this.#revokedThrough + 1));
    const exp = now + this.timeout;
    const claims = Object.fromEntries(Object.entries({ ...payload, exp, orig_iat: now }).sort(([a], [b]) => (a < b ? -1 : 1)));
    return { token: signJwt(this.#secret, claims), exp };
  }

  /**
   * golang-jwt v4 `jwt.Parse` with gin-jwt's key func, and its messages: the claims are
   * validated before the signature, and a bad signature's message wins over expiry.
   */
  parse(token: string): Parsed {
    const fail = (message: string, claims?: Claims, expiredOnly = false): Parsed => ({ ok: false, message, expiredOnly, claims });
    const parts = token.split('.');
    if (parts.length !== 3) return fail('token contains an invalid number of segments');
    const head = decodeJsonSegment(parts[0]!);
    if ('error' in head) return fail(token.toLowerCase().startsWith('bearer ') ? "tokenstring should not contain 'bearer '" : head.error);
    if (typeof head.value !== 'object' || Array.isArray(head.value))
      return fail(`json: cannot unmarshal ${goKind(head.value)} into Go value of type map[string]interface {}`);
    const payload = decodeJsonSegment(parts[1]!);
    if ('error' in payload) return fail(payload.error);
    if (typeof payload.value !== 'object' || Array.isArray(payload.value))
      return fail(`json: cannot unmarshal ${goKind(payload.value)} into Go value of type jwt.MapClaims`);
    const claims = (payload.value ?? {}) as Claims;
    const alg = (head.value as Claims | null)?.alg;
    if (typeof alg !== 'string') return fail('signing method (alg) is unspecified.');
    if (!KNOWN_ALGS.has(alg)) return fail('signing method (alg) is unavailable.');
    if (alg !== 'HS256') return fail('invalid signing algorithm');
    // MapClaims.Valid: expired when now >= exp (an `exp` of 0 never expires, a non-number always has).
    const exp = claims.exp;
    const expired =
      typeof exp === 'number' ? exp !== 0 && (this.now() >= exp || exp - this.timeout <= this.#revokedThrough) : exp !== undefined;
    const sigError =
      base64Error(parts[2]!) ?? (hmacMatches(this.#secret, `${parts[0]}.${parts[1]}`, parts[2]!) ? undefined : 'signature is invalid');
    if (sigError) return fail(sigError, claims);
    if (expired) return fail('Token is expired', claims, true);
    return { ok: true, claims };
  }

  /**
   * gin-jwt `RefreshToken` → `CheckIfTokenExpire`: an expired token is fine (its only fault must
   * be expiry) while `orig_iat` is inside `MaxRefresh`; the new token copies the claims with a
   * new `exp` and `orig_iat` = now, so each refresh moves the window on.
   */
  refresh(token: string): { token: string; exp: number } | { error: string } {
    const p = this.parse(token);
    if (!p.ok && !p.expiredOnly) return { error: p.message };
    const claims = p.claims!;
    if (Number(claims.orig_iat) < this.now() - this.maxRefresh) return { error: ERR_EXPIRED_TOKEN };
    const { exp: _exp, orig_iat: _iat, ...rest } = claims;
    return this.generate(rest);
  }
}

function goKind(v: unknown): string {
  return Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
}

export function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name.toLowerCase()];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** gin-jwt `jwtFromHeader`: `<TokenHeadName> <token>`, split at the first space, case-sensitive. */
function jwtFromHeader(value: string): { token: string } | { error: string } {
  if (!value) return { error: ERR_EMPTY_AUTH_HEADER };
  const space = value.indexOf(' ');
  if (space < 0 || value.slice(0, space) !== 'Bearer') return { error: ERR_INVALID_AUTH_HEADER };
  return { token: value.slice(space + 1) };
}

/**
 * gin-jwt `GetClaimsFromJWT`: the JwtAuthorization header's token, parsed; on success the
 * token is echoed in an `Authorization` response header (`SendAuthorization: true`).
 */
export function claimsFromJwt(req: IncomingMessage, reply: GinReply, jwt: GinJwt): { claims: Claims; token: string } | { error: string } {
  const got = jwtFromHeader(header(req, HEADERS.jwt));
  if (!('token' in got)) return got;
  const parsed = jwt.parse(got.token);
  if (!parsed.ok) return { error: parsed.message };
  reply.headers.Authorization = `Bearer ${got.token}`;
  return { claims: parsed.claims, token: got.token };
}

/** What `AuthRequired` leaves for the handler. */
export interface AuthResult {
  claims: Claims;
  /** Why the JwtAuthorization header did not give claims. */
  jwtError?: string;
  /** True when `AuthRequired` called `Unauthorized(ErrForbidden)` (bad `apiKey` or `tenant-api-key`). */
  forbidden?: boolean;
}

/**
 * api/jwt.go `AuthRequired`. A JWT that parses gives its claims (plus gin-jwt's
 * `SendAuthorization` echo, and a `new-token` header once past half its life). Otherwise an
 * `apiKey` header (no user API keys exist here) or a wrong `tenant-api-key` is "forbidden", a
 * right `tenant-api-key` gives tenant claims, and nothing at all gives nothing: the middleware
 * then calls `ctx.Next()` all the same, and a handler that reads `claims["id"].(string)` panics.
 */
export function authRequired(req: IncomingMessage, reply: GinReply, jwt: GinJwt, tenant: { apiKey: string; claims: Claims }): AuthResult {
  const got = claimsFromJwt(req, reply, jwt);
  if ('claims' in got) {
    if (Math.trunc(Number(got.claims.exp) - jwt.timeout / 2) < jwt.now()) {
      const fresh = jwt.refresh(got.token);
      if ('token' in fresh) reply.headers['new-token'] = fresh.token;
    }
    return { claims: got.claims };
  }
  const jwtError = got.error;
  if (header(req, 'apiKey')) return { claims: {}, jwtError, forbidden: true };
  const key = header(req, HEADERS.tenantApiKey);
  if (key) return key === tenant.apiKey ? { claims: tenant.claims, jwtError } : { claims: {}, jwtError, forbidden: true };
  return { claims: {}, jwtError };
}

/**
 * api/jwt.go `Unauthorized`: `{code: 401, msg, success: false}`, where a message containing
 * "Token is expired" (golang-jwt's text) becomes "Session expired, please log in again".
 */
export function unauthorizedBody(message: string, lang: string) {
  const msg = message.includes('Token is expired')
    ? lang === 'cn'
      ? '会话已过期, 请重新登陆'
      : 'Session expired, please log in again'
    : message;
  return { code: CODES.unauthorized, msg, success: false };
}
