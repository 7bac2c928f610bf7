/**
 * digi.me postbox write: wire names shared by the browser encryptor and element (src/digime),
 * the backend helper (src/server/digime.ts) and the sandbox double (src/sandbox/digime.ts).
 * DOM-free and Node-free. Source: digi.me's Node.js SDK (digime/digime-sdk-nodejs, src/write.ts
 * for the write, src/crypto.ts for the encryption), whose wire format this splits between
 * the browser and the app backend.
 */

/** The SDK's API base; every API path below is relative to it. */
export const DEFAULT_BASE_URL = 'https://api.digi.me/v1.7/';

/** API paths relative to the base URL (the SDK joins them as `${baseUrl}${path}`). */
export const API_PATHS = {
  authorize: 'oauth/authorize',
  token: 'oauth/token',
  jwks: 'jwks/oauth',
  postbox: (postboxId: string): string => `permission-access/postbox/${encodeURIComponent(postboxId)}`,
} as const;

/**
 * The user-facing onboarding page, relative to the API base: `https://api.digi.me/v1.7/` →
 * `https://api.digi.me/apps/saas/authorize`.
 */
export const ONBOARD_PATH = '../apps/saas/authorize';

/** Query parameters digi.me appends to the redirect URI when the user comes back. */
export const RETURN_PARAMS = {
  success: 'success',
  code: 'code',
  state: 'state',
  postboxId: 'postboxId',
  publicKey: 'publicKey',
  errorCode: 'errorCode',
} as const;

/** Multipart field names of a postbox write (digi.me's) and of the app backend's `/write`. */
export const WRITE_FIELDS = {
  file: 'file',
  metadata: 'metadata',
  symmetricalKey: 'symmetrical_key',
  iv: 'iv',
  /** The postbox the browser encrypted for; the backend refuses a write meant for another. */
  postboxId: 'postbox_id',
} as const;

/** App backend endpoints under `backend-url`. */
export const BACKEND_PATHS = {
  authorize: 'authorize',
  exchange: 'exchange',
  write: 'write',
} as const;

/** digi.me API error codes this library reacts to. */
export const API_ERRORS = {
  /** HTTP 401 with this code: the access token expired; refresh and retry once. */
  invalidToken: 'InvalidToken',
} as const;

/** Error codes the app backend handlers answer with (`{error: {code, message}}`). */
export const BACKEND_ERRORS = {
  badRequest: 'bad-request',
  /** No authorize in progress, or `state` does not match it. */
  stateMismatch: 'state-mismatch',
  /** The session holds no user access token or postbox (never connected, or forgotten). */
  notConnected: 'not-connected',
  /** digi.me answered with an error; the message carries its code. */
  upstream: 'digime-error',
  /**
   * The session is connected to another postbox than the one the page encrypted for (another
   * tab connected again); the answer's `error.postbox` is the session's one.
   */
  postboxChanged: 'postbox-changed',
} as const;

/**
 * Every `code` a digi.me write or connection failure carries: the backend's (`BACKEND_ERRORS`),
 * an HTTP status, digi.me's authorize error code (a string from the return URL), or this
 * library's: `network`, `timeout`, `bad-response`, `bad-public-key` (the postbox key is not an
 * RSA key), `no-webcrypto` (no `crypto.subtle`: not a secure context), `unsupported` (not a
 * local file), `aborted`.
 */
export type DigiMeErrorCode =
  | (typeof BACKEND_ERRORS)[keyof typeof BACKEND_ERRORS]
  | 'network'
  | 'timeout'
  | 'bad-response'
  | 'bad-public-key'
  | 'no-webcrypto'
  | 'unsupported'
  | 'aborted'
  | number
  | (string & {});

export interface FileDescriptor {
  mimeType: string;
  accounts: Array<{ accountId: string }>;
  reference?: string[];
  tags?: string[];
}

export type WriteStatus = 'delivered' | 'pending';

/** digi.me's answer to a postbox write (and the app backend's `/write`). */
export interface WriteResult {
  status: WriteStatus;
  /** When the written data expires (as digi.me reports it). */
  expires?: number;
}

/** What the browser sends the backend for one file: only ciphertext and the wrapped key. */
export interface EncryptedFields {
  /** The descriptor JSON, AES-256-CBC encrypted, base64. */
  metadata: string;
  /** The AES key, RSA-OAEP (SHA-1) encrypted with the postbox public key, base64. */
  symmetricalKey: string;
  /** The AES IV, 32 hex characters. */
  iv: string;
}

/** `POST {backend-url}/exchange` body: the redirect's query parameters. */
export interface ExchangeRequest {
  code: string;
  state: string;
  postboxId: string;
  publicKey: string;
}

export interface Postbox {
  postboxId: string;
  /** PEM (PKCS#1 or SPKI) as digi.me returned it. */
  publicKey: string;
}

/** Token claims digi.me's signed token responses carry (format-token in the SDK). */
export interface TokenClaims {
  access_token: { value: string; expires_on: number };
  refresh_token: { value: string; expires_on: number };
  sub?: string;
  consentid?: string;
}

export const IV_PATTERN = /^[0-9a-fA-F]{32}$/;
export const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;
/** `nonce` claim of every signed request: 32 alphanumerics. */
export const NONCE_PATTERN = /^[A-Za-z0-9]{32}$/;

/** `client_id` claim: `<applicationId>_<contractId>`. */
export function clientId(applicationId: string, contractId: string): string {
  return `${applicationId}_${contractId}`;
}
