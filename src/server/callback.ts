import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { UploadElementsError } from '../internal/errors.js';
import {
  CALLBACK_MAX_AGE_MS,
  CALLBACK_MAX_FUTURE_SKEW_MS,
  HEADERS,
  type DeleteNotification,
  type UploadNotification,
} from '../titan/protocol.js';

/**
 * Remembers accepted callbacks so a captured one cannot be replayed. The key is the callback's
 * signature (lowercase hex): unlike the nonce it cannot be changed without the secret, not even
 * by moving characters between `X-Timestamp` and `X-Nonce` (the signed string has no separators).
 * Several backend instances behind one load balancer must share one store, or a callback
 * captured on its way to one instance replays on another: `createRedisNonceStore`.
 */
export interface NonceStore {
  /**
   * Records `key` until `expiresAt` (ms since epoch). Resolves false when it was already
   * recorded and has not expired, true when it is new.
   */
  remember(key: string, expiresAt: number): Promise<boolean>;
}

/**
 * In-process replay store. Keeps each key only until its callback's timestamp leaves the
 * acceptance window (after that the timestamp check rejects a replay on its own), so memory
 * stays bounded by the callback rate instead of growing forever like the Go SDK's map.
 */
export function createMemoryNonceStore(options: { now?: () => number } = {}): NonceStore {
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  let nextSweep = 0;
  return {
    async remember(key, expiresAt) {
      const t = now();
      if (t >= nextSweep) {
        for (const [k, until] of seen) if (until <= t) seen.delete(k);
        // A sweep per second at most: enough to keep the map to the window, cheap under load.
        nextSweep = t + 1000;
      }
      const until = seen.get(key);
      if (until !== undefined && until > t) return false;
      seen.set(key, expiresAt);
      return true;
    },
  };
}

/**
 * The part of a Redis client the shared replay store uses: node-redis (`redis`, v4 and later:
 * `set(key, value, {NX, PXAT})`) or ioredis (`set(key, value, 'PXAT', at, 'NX')`). Pass the
 * connected client; this library does not import either.
 */
export type RedisClientLike =
  | { set(key: string, value: string, options: { NX: true; PXAT: number }): Promise<unknown> }
  | { set(key: string, value: string, px: 'PXAT', at: number, nx: 'NX'): Promise<unknown>; call(...args: unknown[]): Promise<unknown> };

/**
 * A replay store every backend instance shares, on Redis: one `SET key 1 NX PXAT expiresAt` per
 * callback, atomic on the server, so a callback accepted by one instance is a replay for all of
 * them; Redis drops each key when its callback leaves the acceptance window.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const nonceStore = createRedisNonceStore(redis);
 * // the same nonceStore option on every instance's callback handler
 * ```
 */
export function createRedisNonceStore(client: RedisClientLike, options: { prefix?: string } = {}): NonceStore {
  const prefix = options.prefix ?? 'upload-elements:titan-callback:';
  return {
    async remember(key, expiresAt) {
      const at = Math.max(Math.ceil(expiresAt), Date.now() + 1);
      // ioredis has `call` and positional options; node-redis an options object.
      const answer =
        'call' in client
          ? await client.set(prefix + key, '1', 'PXAT', at, 'NX')
          : await client.set(prefix + key, '1', { NX: true, PXAT: at });
      // 'OK' when set; null when the key existed (NX).
      return answer !== null;
    },
  };
}

/**
 * Why a callback was refused:
 * - `missing-headers`: no `X-Timestamp`, `X-Nonce` or `X-Signature`.
 * - `bad-path`: the path is not one Go's `url.Parse` accepts (a `%` without two hex digits, a
 *   control character), so Titan cannot have signed it.
 * - `bad-signature`: the signature does not match (wrong secret, or method/path/body/headers changed).
 * - `bad-timestamp`: `X-Timestamp` is not a strict RFC 3339 date-time with an offset.
 * - `stale-timestamp`: older than 5 minutes, or further ahead than the allowed clock skew.
 * - `replayed-nonce`: this signature was accepted before (a replay, however its headers were split).
 * - `bad-json`: the signed body is not a JSON object.
 */
export type TitanCallbackRejection =
  'missing-headers' | 'bad-path' | 'bad-signature' | 'bad-timestamp' | 'stale-timestamp' | 'replayed-nonce' | 'bad-json';

/** A callback that failed verification; `reason` says which check refused it. */
export class TitanCallbackError extends UploadElementsError {
  readonly reason: TitanCallbackRejection;

  constructor(reason: TitanCallbackRejection, message: string) {
    super(reason, message);
    this.reason = reason;
  }
}

/**
 * Which notify URL a callback endpoint is: `notify_url_on_upload` or `notify_url_on_delete`.
 * The body cannot tell (a delete body carries every upload key, zeroed), so the endpoint must.
 */
export type TitanCallbackKind = 'upload' | 'delete';

export type TitanCallback = { kind: 'upload'; notification: UploadNotification } | { kind: 'delete'; notification: DeleteNotification };

/** Node's `IncomingHttpHeaders`, a plain record, or a web `Headers`. */
export type HeaderSource = Headers | Record<string, string | readonly string[] | undefined>;

export interface VerifyTitanCallbackOptions {
  /** The tenant's API secret. */
  secret: string;
  /**
   * Which notify URL received this request. Required in practice: without it every callback
   * is read as an upload (deprecated).
   */
  kind?: TitanCallbackKind;
  method: string;
  /**
   * The request path as received, still percent-encoded, without the query (e.g.
   * `new URL(request.url).pathname`). It is decoded here the way Go's `url.Parse(...).Path`
   * decodes it, because that decoded path is what Titan signs (`/hooks/a%20b` → `/hooks/a b`).
   */
  path: string;
  /** The body exactly as received; re-serialised JSON would not match the signature. */
  rawBody: string | Uint8Array;
  headers: HeaderSource;
  /** Replay store, keyed on the signature. Default: one process-wide in-memory store. */
  nonceStore?: NonceStore;
  /** How far ahead of our clock a timestamp may be, ms; default 10 minutes. */
  maxFutureSkewMs?: number;
  /** Clock, ms since epoch (tests). */
  now?: number;
}

export interface SignTitanCallbackOptions {
  secret: string;
  method: string;
  /**
   * The notify URL's path as it appears in the URL (percent-encoded is fine, e.g.
   * `new URL(notifyUrl).pathname`). Signed decoded, as Titan signs `url.Parse(notifyUrl).Path`.
   */
  path: string;
  rawBody: string | Uint8Array;
  /** RFC 3339; default now, second precision, `Z`. Titan sends its own zone (`+08:00`). */
  timestamp?: string | Date;
  /** Default a random decimal below 10^16, as Titan makes it. */
  nonce?: string;
}

const defaultNonceStore = createMemoryNonceStore();

/**
 * The `X-Timestamp`, `X-Nonce` and `X-Signature` headers Titan sends with a callback:
 * `hex(HMAC-SHA256(secret, METHOD + decodedPath + rawBody + timestamp + nonce))`
 * (job/handler_upload_notify.go `setAuthorization`).
 *
 * @throws TitanCallbackError `bad-path` when `path` has an invalid percent-escape.
 */
export function signTitanCallback(options: SignTitanCallbackOptions): Record<string, string> {
  const timestamp = typeof options.timestamp === 'string' ? options.timestamp : rfc3339(options.timestamp ?? new Date());
  const nonce = options.nonce ?? goNonce();
  const path = goUrlPath(options.path);
  if (!path) throw new TitanCallbackError('bad-path', `Path "${options.path}" is not one Go's url.Parse accepts.`);
  return {
    [HEADERS.timestamp]: timestamp,
    [HEADERS.nonce]: nonce,
    [HEADERS.signature]: signature(options.secret, options.method, path, options.rawBody, timestamp, nonce),
  };
}

/**
 * Verifies a Titan callback (the Go SDK's `ValidateUploadCallback` / `ValidateDeleteCallback`,
 * hardened) and returns its parsed body as the `kind` of notification the endpoint receives.
 *
 * Order matters: the signature is checked first, in constant time, so an unsigned request can
 * neither learn anything nor fill the replay store; then the timestamp (strict RFC 3339, not
 * older than 5 minutes, not further ahead than `maxFutureSkewMs`); then the replay store,
 * keyed on the signature.
 *
 * @example
 * ```ts
 * const raw = await request.text();
 * const { notification } = await verifyTitanCallback({
 *   kind: 'upload', secret: process.env.TITAN_API_SECRET!, method: request.method,
 *   path: new URL(request.url).pathname, rawBody: raw, headers: request.headers,
 * });
 * ```
 * @throws TitanCallbackError with `reason` naming the failed check.
 */
export function verifyTitanCallback<K extends TitanCallbackKind>(
  options: VerifyTitanCallbackOptions & { kind: K },
): Promise<Extract<TitanCallback, { kind: K }>>;
/**
 * @deprecated Pass `kind` (`'upload'` or `'delete'`, from the endpoint that received the
 * request). Without it every callback is read as an upload: the body cannot tell.
 */
export function verifyTitanCallback(options: VerifyTitanCallbackOptions): Promise<TitanCallback>;
export async function verifyTitanCallback(options: VerifyTitanCallbackOptions): Promise<TitanCallback> {
  if (options.kind === undefined) warnNoKind('verifyTitanCallback');
  else assertKind(options.kind);
  const kind: TitanCallbackKind = options.kind ?? 'upload';

  const timestamp = header(options.headers, HEADERS.timestamp);
  const nonce = header(options.headers, HEADERS.nonce);
  const given = header(options.headers, HEADERS.signature);
  if (!timestamp || !nonce || !given) {
    throw new TitanCallbackError('missing-headers', `Callback lacks ${HEADERS.timestamp}, ${HEADERS.nonce} or ${HEADERS.signature}.`);
  }

  const rawPath = options.path.split('?')[0]!;
  const path = goUrlPath(rawPath);
  if (!path)
    throw new TitanCallbackError(
      'bad-path',
      `Callback path "${rawPath}" is not one Go's url.Parse accepts, so Titan cannot have signed it.`,
    );

  const presented = /^[0-9a-fA-F]{64}$/.test(given) ? Buffer.from(given, 'hex') : undefined;
  // A notify URL without a path (`https://host`) is signed over "" but requested as "/".
  const candidates = path.length === 1 && path[0] === 0x2f ? [path, Buffer.alloc(0)] : [path];
  let matched: string | undefined;
  for (const candidate of candidates) {
    const expected = signature(options.secret, options.method, candidate, options.rawBody, timestamp, nonce);
    // Both sides are 32 bytes here, so timingSafeEqual never sees a length difference to leak.
    if (presented && timingSafeEqual(Buffer.from(expected, 'hex'), presented)) matched = expected;
  }
  if (!matched) {
    throw new TitanCallbackError('bad-signature', 'Callback signature does not match (wrong secret, or body/path/headers changed).');
  }

  const sent = parseRfc3339(timestamp);
  if (sent === undefined) {
    throw new TitanCallbackError('bad-timestamp', `Callback timestamp "${timestamp}" is not an RFC 3339 date-time with an offset.`);
  }
  const now = options.now ?? Date.now();
  const skew =
    options.maxFutureSkewMs !== undefined && options.maxFutureSkewMs >= 0 ? options.maxFutureSkewMs : CALLBACK_MAX_FUTURE_SKEW_MS;
  if (now - sent > CALLBACK_MAX_AGE_MS) {
    throw new TitanCallbackError('stale-timestamp', `Callback timestamp "${timestamp}" is older than 5 minutes.`);
  }
  if (sent - now > skew) {
    throw new TitanCallbackError(
      'stale-timestamp',
      `Callback timestamp "${timestamp}" is more than ${Math.round(skew / 1000)} s ahead of this clock.`,
    );
  }

  // Keyed on the signature we computed (lowercase): the same signature cannot come back under
  // another timestamp/nonce split or in upper case. Past sent + 5 min the timestamp check
  // refuses a replay on its own, so the record may go then.
  const store = options.nonceStore ?? defaultNonceStore;
  if (!(await store.remember(matched, sent + CALLBACK_MAX_AGE_MS + 1))) {
    throw new TitanCallbackError('replayed-nonce', 'Callback was accepted before (same signature): a replay.');
  }

  let body: unknown;
  try {
    body = JSON.parse(typeof options.rawBody === 'string' ? options.rawBody : Buffer.from(options.rawBody).toString('utf8'));
  } catch {
    throw new TitanCallbackError('bad-json', 'Callback body is not JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TitanCallbackError('bad-json', 'Callback body is not a JSON object.');
  }
  return parseNotification(kind, body as Record<string, unknown>);
}

function parseNotification(kind: TitanCallbackKind, body: Record<string, unknown>): TitanCallback {
  const field = goField(body);
  const text = (name: string): string => {
    const v = field(name);
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
  };
  const int = (name: string): number => {
    const v = field(name);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : 0;
    return Number.isFinite(n) ? Math.trunc(n) : 0;
  };
  const base = { ExtraID: text('ExtraID'), TenantID: text('TenantID'), UserID: text('UserID'), AssetCID: text('AssetCID') };
  if (kind === 'delete') return { kind, notification: base };
  return {
    kind,
    notification: {
      ExtraID: base.ExtraID,
      TenantID: base.TenantID,
      UserID: base.UserID,
      AssetName: text('AssetName'),
      AssetCID: base.AssetCID,
      AssetType: text('AssetType'),
      AssetSize: int('AssetSize'),
      GroupID: int('GroupID'),
      CreatedTime: text('CreatedTime'),
      AssetDirectUrl: text('AssetDirectUrl'),
    },
  };
}

/** Go's encoding/json key matching: the exact name wins, else any case-insensitive match. */
function goField(body: Record<string, unknown>): (name: string) => unknown {
  const folded = new Map<string, unknown>();
  for (const [k, v] of Object.entries(body)) if (!folded.has(k.toLowerCase())) folded.set(k.toLowerCase(), v);
  return (name) => (Object.hasOwn(body, name) ? body[name] : folded.get(name.toLowerCase()));
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== wanted || v === undefined) continue;
    return typeof v === 'string' ? v : v[0];
  }
  return undefined;
}

/**
 * Go's `url.Parse(u).Path` for the path part of `u`: every `%XX` becomes that byte (`%2F`
 * included; `+` stays `+`), and the result is bytes, which need not be UTF-8. Undefined where
 * url.Parse fails: a `%` not followed by two hex digits, or an ASCII control character.
 */
function goUrlPath(raw: string): Buffer | undefined {
  // Go's url.Parse refuses ASCII control characters.
  // oxlint-disable-next-line eslint/no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) return undefined;
  const parts: Buffer[] = [];
  let plain = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== '%') continue;
    const hex = raw.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
    parts.push(Buffer.from(raw.slice(plain, i), 'utf8'), Buffer.from([parseInt(hex, 16)]));
    i += 2;
    plain = i + 1;
  }
  parts.push(Buffer.from(raw.slice(plain), 'utf8'));
  return Buffer.concat(parts);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Strict RFC 3339 date-time (what Go's `time.Parse(time.RFC3339, …)` takes): a zone is
 * required, fields must be in range. Ms since epoch, or undefined.
 */
function parseRfc3339(value: string): number | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (days === undefined || day < 1 || day > days || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[8]) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime() - offsetMinutes * 60_000;
}

// Equal to hex HMAC over callbackSigningInput(...) with the decoded path; fed in pieces so the
// path and a byte body are signed as bytes rather than after a UTF-8 round trip.
function signature(
  secret: string,
  method: string,
  path: Uint8Array,
  rawBody: string | Uint8Array,
  timestamp: string,
  nonce: string,
): string {
  return createHmac('sha256', secret)
    .update(method.toUpperCase())
    .update(path)
    .update(rawBody)
    .update(`${timestamp}${nonce}`)
    .digest('hex');
}

/** Like Titan's `fmt.Sprintf("%d", rand.Int(rand.Reader, big.NewInt(1e16)))`. */
function goNonce(): string {
  return String(BigInt(randomInt(1e8)) * 100_000_000n + BigInt(randomInt(1e8)));
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A configuration error (not bad input): a typo must not turn a delete endpoint into an upload one. */
function assertKind(kind: unknown): asserts kind is TitanCallbackKind {
  if (kind !== 'upload' && kind !== 'delete')
    throw new TypeError(`Titan callback kind must be 'upload' or 'delete', not ${JSON.stringify(kind)}.`);
}

const warned = new Set<string>();
function warnNoKind(what: string): void {
  if (warned.has(what)) return;
  warned.add(what);
  globalThis.process?.emitWarning?.(
    `${what} without \`kind\` reads every Titan callback as an upload: a delete body carries every upload key, zeroed. Mount one endpoint per notify URL and pass kind: 'upload' or 'delete'.`,
    { type: 'DeprecationWarning', code: 'UPLOAD_ELEMENTS_TITAN_CALLBACK_KIND' },
  );
}
