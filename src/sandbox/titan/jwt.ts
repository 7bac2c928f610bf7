import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HS256 JWT pieces shared by the two Go JWT libraries Titan uses: golang-jwt/jwt v4 behind
 * gin-jwt (user tokens, API server) and gbrlsnchs/jwt v3 (node tokens). Each caller puts the
 * pieces together in its library's order and with its library's messages.
 */

/** `{"alg":"HS256","typ":"JWT"}`: what both libraries write (Go marshals map keys sorted). */
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

export function signJwt(secret: string | Buffer, claims: Record<string, unknown>): string {
  const input = `${HEADER}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${mac(secret, input)}`;
}

/** Constant-time check of an HS256 signature over `signingInput` (`header.payload`). */
export function hmacMatches(secret: string | Buffer, signingInput: string, signature: string): boolean {
  const expected = Buffer.from(mac(secret, signingInput), 'base64url');
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Go's `base64.RawURLEncoding.DecodeString` error for `segment`, or undefined when it decodes:
 * `illegal base64 data at input byte N` at the first byte outside the alphabet, or at the last
 * byte when a lone character is left over.
 */
export function base64Error(segment: string): string | undefined {
  const bad = segment.search(/[^A-Za-z0-9_-]/);
  if (bad >= 0) return `illegal base64 data at input byte ${bad}`;
  if (segment.length % 4 === 1) return `illegal base64 data at input byte ${segment.length - 1}`;
  return undefined;
}

/** Decodes a base64url JSON segment, or answers `encoding/json`'s message for it. */
export function decodeJsonSegment(segment: string): { value: unknown } | { error: string } {
  const b64 = base64Error(segment);
  if (b64) return { error: b64 };
  const text = Buffer.from(segment, 'base64url').toString('utf8');
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    const first = text.trimStart()[0];
    return { error: first === undefined ? 'unexpected end of JSON input' : `invalid character '${first}' looking for beginning of value` };
  }
}

function mac(secret: string | Buffer, input: string): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
