import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { UploadElementsError } from '../internal/errors.js';
import {
  CALLBACK_MAX_AGE_MS,
  HEADERS,
  type DeleteNotification,
  type UploadNotification,
} from '../titan/protocol.js';

/**
 * Remembers callback nonces so a captured callback cannot be replayed. Several backend
 * instances behind one load balancer should share one store (Redis `SET nonce 1 NX PXAT
 * expiresAt` is a one-line implementation).
 */
export interface NonceStore {
  /**
   * Records `nonce` until `expiresAt` (ms since epoch). Resolves false when it was already
   * recorded and has not expired, true when it is new.
   */
  remember(nonce: string, expiresAt: number): Promise<boolean>;
}

/**
 * In-process nonce store. Keeps each nonce only until its callback's timestamp leaves the
 * acceptance window (after that the timestamp check rejects a replay on its own), so memory
 * stays bounded by the callback rate instead of growing forever like the Go SDK's map.
 */
export function createMemoryNonceStore(options: { now?: () => number } = {}): NonceStore {
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  let nextSweep = 0;
  return {
    async remember(nonce, expiresAt) {
      const t = now();
      if (t >= nextSweep) {
        for (const [n, until] of seen) if (until <= t) seen.delete(n);
        // A sweep per second at most: enough to keep the map to the window, cheap under load.
        nextSweep = t + 1000;
      }
      const until = seen.get(nonce);
      if (until !== undefined && until > t) return false;
      seen.set(nonce, expiresAt);
      return true;
    },
  };
}

export type TitanCallbackRejection = 'missing-headers' | 'bad-signature' | 'stale-timestamp' | 'replayed-nonce' | 'bad-json';

/** A callback that failed verification; `reason` says which check refused it. */
export class TitanCallbackError extends UploadElementsError {
  readonly reason: TitanCallbackRejection;

  constructor(reason: TitanCallbackRejection, message: string) {
    super(reason, message);
    this.reason = reason;
  }
}

export type TitanCallback =
  | { kind: 'upload'; notification: UploadNotification }
  | { kind: 'delete'; notification: DeleteNotification };

/** Node's `IncomingHttpHeaders`, a plain record, or a web `Headers`. */
export type HeaderSource = Headers | Record<string, string | readonly string[] | undefined>;

export interface VerifyTitanCallbackOptions {
  /** The tenant's API secret. */
  secret: string;
  method: string;
  /** The request URL's path as the server received it (no query), e.g. `/titan/callback`. */
  path: string;
  /** The body exactly as received; re-serialised JSON would not match the signature. */
  rawBody: string | Uint8Array;
  headers: HeaderSource;
  /** Default: one process-wide in-memory store. */
  nonceStore?: NonceStore;
  /** Clock, ms since epoch (tests). */
  now?: number;
}

export interface SignTitanCallbackOptions {
  secret: string;
  method: string;
  path: string;
  rawBody: string | Uint8Array;
  /** RFC 3339; default now, second precision like Go's `time.RFC3339`. */
  timestamp?: string | Date;
  /** Default 16 random bytes, hex. */
  nonce?: string;
}

const defaultNonceStore = createMemoryNonceStore();

/**
 * The `X-Timestamp`, `X-Nonce` and `X-Signature` headers Titan sends with a callback:
 * `hex(HMAC-SHA256(secret, METHOD + path + rawBody + timestamp + nonce))`.
 */
export function signTitanCallback(options: SignTitanCallbackOptions): Record<string, string> {
  const timestamp = typeof options.timestamp === 'string' ? options.timestamp : rfc3339(options.timestamp ?? new Date());
  const nonce = options.nonce ?? randomBytes(16).toString('hex');
  return {
    [HEADERS.timestamp]: timestamp,
    [HEADERS.nonce]: nonce,
    [HEADERS.signature]: signature(options.secret, options.method, options.path, options.rawBody, timestamp, nonce),
  };
}

/**
 * Verifies a Titan callback (the gosdk's `ValidateUploadCallback`/`ValidateDeleteCallback`,
 * hardened) and returns its parsed body.
 *
 * Order matters: the signature is checked first, in constant time, so an unsigned request can
 * neither learn anything nor burn a nonce a genuine callback will use; then the timestamp
 * (older than 5 minutes, or more than 5 minutes ahead); then the nonce.
 *
 * @example
 * ```ts
 * const raw = await request.text();
 * const { kind, notification } = await verifyTitanCallback({
 *   secret: process.env.TITAN_API_SECRET!, method: request.method,
 *   path: new URL(request.url).pathname, rawBody: raw, headers: request.headers,
 * });
 * ```
 * @throws TitanCallbackError with `reason` naming the failed check.
 */
export async function verifyTitanCallback(options: VerifyTitanCallbackOptions): Promise<TitanCallback> {
  const timestamp = header(options.headers, HEADERS.timestamp);
  const nonce = header(options.headers, HEADERS.nonce);
  const given = header(options.headers, HEADERS.signature);
  if (!timestamp || !nonce || !given) {
    throw new TitanCallbackError('missing-headers', `Callback lacks ${HEADERS.timestamp}, ${HEADERS.nonce} or ${HEADERS.signature}.`);
  }

  const expected = Buffer.from(signature(options.secret, options.method, options.path, options.rawBody, timestamp, nonce), 'hex');
  const presented = /^[0-9a-fA-F]{64}$/.test(given) ? Buffer.from(given, 'hex') : undefined;
  // Both sides are 32 bytes here, so timingSafeEqual never sees a length difference to leak.
  if (!presented || !timingSafeEqual(expected, presented)) {
    throw new TitanCallbackError('bad-signature', 'Callback signature does not match (wrong secret, or body/path/headers changed).');
  }

  const now = options.now ?? Date.now();
  const sent = Date.parse(timestamp);
  if (!Number.isFinite(sent) || now - sent > CALLBACK_MAX_AGE_MS || sent - now > CALLBACK_MAX_AGE_MS) {
    throw new TitanCallbackError('stale-timestamp', `Callback timestamp "${timestamp}" is outside the 5-minute window.`);
  }

  // Past sent + window the timestamp check already refuses a replay, so the nonce may go then.
  const store = options.nonceStore ?? defaultNonceStore;
  if (!(await store.remember(nonce, sent + CALLBACK_MAX_AGE_MS))) {
    throw new TitanCallbackError('replayed-nonce', `Callback nonce "${nonce}" was seen before.`);
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
  return parseNotification(body as Record<string, unknown>);
}

const UPLOAD_ONLY = ['AssetName', 'AssetType', 'AssetSize', 'GroupID', 'CreatedTime', 'AssetDirectUrl'];

function parseNotification(body: Record<string, unknown>): TitanCallback {
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
  // The delete body is a subset of the upload body; any upload-only field marks an upload.
  if (!UPLOAD_ONLY.some((name) => field(name) !== undefined)) return { kind: 'delete', notification: base };
  return {
    kind: 'upload',
    notification: {
      ...base,
      AssetName: text('AssetName'),
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

// Equal to hex HMAC over callbackSigningInput(...); fed in pieces so a byte body is signed as
// received rather than after a UTF-8 round trip.
function signature(secret: string, method: string, path: string, rawBody: string | Uint8Array, timestamp: string, nonce: string): string {
  return createHmac('sha256', secret)
    .update(`${method.toUpperCase()}${path}`)
    .update(rawBody)
    .update(`${timestamp}${nonce}`)
    .digest('hex');
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
