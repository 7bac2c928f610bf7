import { createHmac, timingSafeEqual } from 'node:crypto';

/** HS256 JWTs, as Titan's gin-jwt issues them. Small enough to own instead of a dependency. */

const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

export function signJwt(secret: string | Buffer, claims: Record<string, unknown>): string {
  const input = `${HEADER}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${mac(secret, input)}`;
}

export type JwtCheck<T> =
  | { ok: true; claims: T }
  | { ok: false; reason: 'malformed' | 'bad-signature' };

/**
 * Checks the signature only; expiry is the caller's business because refresh_token must
 * accept an expired token that is still inside the refresh window.
 */
export function verifyJwt<T extends object>(secret: string | Buffer, token: string): JwtCheck<T> {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [header, payload, sig] = parts as [string, string, string];
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  // Only HS256: refuses `alg: none` and algorithm-confusion tokens outright.
  if (alg !== 'HS256') return { ok: false, reason: 'bad-signature' };
  const expected = Buffer.from(mac(secret, `${header}.${payload}`), 'base64url');
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    if (typeof claims !== 'object' || claims === null) return { ok: false, reason: 'malformed' };
    return { ok: true, claims: claims as T };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}

function mac(secret: string | Buffer, input: string): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
