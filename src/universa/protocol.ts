/**
 * Universa "import tokens" wire format (the web client's select_address popup), shared by the browser
 * session (src/universa) and the sandbox issuer (src/sandbox/universa.ts). DOM-free, Node-free.
 */
import { UploadElementsError } from '../internal/errors.js';

/** The only `action` this protocol version defines. */
export const ACTION_SELECT_ADDRESS = 'select_address';

/** `iv`: the integration protocol version the client page must see in its URL. */
export const PROTOCOL_VERSION = '1';

export const ISSUER_STATES = ['new', 'in_progress', 'ready', 'cancelled'] as const;
export type IssuerState = (typeof ISSUER_STATES)[number];

/** The issuer's answer to `POST cb`. */
export interface IssuerOffer {
  caption: string;
  text: string;
  action: typeof ACTION_SELECT_ADDRESS;
  ok_url: string;
  cancel_url?: string;
  check_url: string;
  state: IssuerState;
}

/** Body of `POST ok_url`. */
export interface OkRequest {
  address: string;
}

/** Answer to `POST ok_url`. */
export interface OkAnswer {
  poll_seconds?: number;
}

/** Answer to `POST check_url`; `base64_contract` and `poll_seconds` exclude each other. */
export interface CheckAnswer {
  state: IssuerState;
  poll_seconds?: number;
  base64_contract?: string;
}

/** Bounds for the issuer's `poll_seconds`: an issuer must neither hammer nor stall the client. */
export const POLL_SECONDS = { min: 1, max: 300, fallback: 5 } as const;

/** Error codes this protocol adds to the shared ones (`network`, `bad-response`, HTTP status). */
export type UniversaErrorCode =
  | 'insecure-url'
  | 'same-origin'
  | 'bad-version'
  | 'bad-offer'
  | 'bad-answer'
  | 'bad-contract'
  | 'bad-address'
  | 'too-large'
  | 'timeout'
  | 'expired';

export class UniversaError extends UploadElementsError {
  declare readonly code: UniversaErrorCode;
  // Narrows the constructor's `code` to the vocabulary.
  // oxlint-disable-next-line eslint/no-useless-constructor
  constructor(code: UniversaErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * `poll_seconds` as a number the client can live with: missing or non-numeric → 5 s, anything
 * else clamped to 1 s … 300 s (0 or negative would spin, a huge value would look like a hang).
 */
export function clampPollSeconds(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN;
  if (!Number.isFinite(n)) return POLL_SECONDS.fallback;
  return Math.min(POLL_SECONDS.max, Math.max(POLL_SECONDS.min, n));
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Checks one of the protocol's URLs (cb, ok_url, check_url, cancel_url): `https:`, or `http:`
 * on a loopback host (browsers treat those as secure contexts). Relative URLs resolve against
 * `base`. Throws a `UniversaError` naming `what` so the user learns which URL was refused.
 */
export function checkIssuerUrl(value: unknown, what: string, base?: string): string {
  const url = URL.parse(String(value), base);
  if (url?.protocol === 'https:' || (url?.protocol === 'http:' && LOOPBACK.has(url.hostname))) return url.href;
  throw new UniversaError('insecure-url', `${what} must be an https URL (got ${String(value).slice(0, 80)}).`);
}

export const isIssuerState = (v: unknown): v is IssuerState => (ISSUER_STATES as readonly unknown[]).includes(v);

/**
 * One of the offer's URLs: checked like cb, and on cb's origin (an offer must not send the
 * chosen address, or the page's requests, anywhere else).
 */
function offerUrl(value: unknown, what: string, cb: string): string {
  const href = checkIssuerUrl(value, what, cb);
  if (new URL(href).origin !== new URL(cb).origin) throw new UniversaError('bad-offer', `${what} is not on cb's origin.`);
  return href;
}

/**
 * Validates the answer to `POST cb` field by field (and a stored offer read back); URLs come
 * back absolute, all on cb's origin.
 */
export function parseOffer(value: unknown, cb: string): IssuerOffer {
  const v = Object(value) as Record<string, unknown>;
  const bad =
    (['caption', 'text', 'ok_url', 'check_url'] as const).find((k) => typeof v[k] !== 'string' || (k.endsWith('url') && !v[k])) ||
    (v.action !== ACTION_SELECT_ADDRESS && `action (must be ${ACTION_SELECT_ADDRESS})`) ||
    (v.cancel_url != null && typeof v.cancel_url !== 'string' && 'cancel_url') ||
    (!isIssuerState(v.state) && 'state');
  if (bad) throw new UniversaError('bad-offer', `missing or invalid ${bad}.`);
  return {
    caption: v.caption as string,
    text: v.text as string,
    action: ACTION_SELECT_ADDRESS,
    ok_url: offerUrl(v.ok_url, 'ok_url', cb),
    check_url: offerUrl(v.check_url, 'check_url', cb),
    // Optional by the protocol; an empty value means "no cancel callback", not an error.
    cancel_url: v.cancel_url ? offerUrl(v.cancel_url, 'cancel_url', cb) : undefined,
    state: v.state as IssuerState,
  };
}

/** Validates the answer to `POST check_url` (a contract, when present, must be a string). */
export function parseCheckAnswer(value: unknown): CheckAnswer {
  const v = Object(value) as CheckAnswer;
  if (!isIssuerState(v.state)) throw new UniversaError('bad-answer', 'No valid state in the check answer.');
  if (v.base64_contract != null && typeof v.base64_contract !== 'string')
    throw new UniversaError('bad-contract', 'base64_contract is not a string.');
  return v;
}

/** Base64 (standard or URL-safe, padding optional, whitespace ignored), strictly: `atob` throws on anything else. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  try {
    if (!text.trim()) throw 0;
    const standard = text.replace(/-/g, '+').replace(/_/g, '/');
    // Native where there is one (35 ms for 22 MB in Chromium; the copy loop below takes 2 s).
    const native = (Uint8Array as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> }).fromBase64;
    return native ? native(standard) : Uint8Array.from(atob(standard), (c) => c.charCodeAt(0));
  } catch {
    throw new UniversaError('bad-contract', 'The contract is not valid base64.');
  }
}
