// digi.me backend helper: everything that needs the contract private key (PS512 request JWTs,
// PKCE authorize, token exchange/refresh) and forwarding of ciphertext the browser encrypted.
// It never sees plaintext and never decrypts. Node-only (node:crypto); no DOM imports.
import { createHash, createPrivateKey, createPublicKey, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose';
import { UploadElementsError } from '../internal/errors.js';
import {
  API_ERRORS,
  API_PATHS,
  BACKEND_ERRORS,
  BACKEND_PATHS,
  BASE64_PATTERN,
  DEFAULT_BASE_URL,
  IV_PATTERN,
  ONBOARD_PATH,
  WRITE_FIELDS,
  clientId,
  type EncryptedFields,
  type ExchangeRequest,
  type Postbox,
  type TokenClaims,
  type WriteResult,
} from '../digime/protocol.js';

export type {
  EncryptedFields as DigiMeEncryptedFields,
  ExchangeRequest as DigiMeExchangeRequest,
  FileDescriptor as DigiMeFileDescriptor,
  Postbox as DigiMePostbox,
  WriteResult as DigiMePostboxResult,
} from '../digime/protocol.js';
import { errorBody } from '../internal/error-body.js';
import { INTERNAL_ERROR_MESSAGE, readBody, readJson, reportError, RequestBodyError } from './body.js';

/** The default cap on a `write` body: the encrypted file with its fields. */
export const DEFAULT_MAX_WRITE_BYTES = 64 * 1024 * 1024;

export interface DigiMeBackendOptions {
  applicationId: string;
  contractId: string;
  /** The contract's private key (PEM, PKCS#1 or PKCS#8). It signs every request; keep it here. */
  privateKeyPem: string;
  /** Where digi.me sends the user back (the page hosting `<digime-writer>`); per call overridable. */
  redirectUri: string;
  /** digi.me API base, default `https://api.digi.me/v1.7/`. */
  baseUrl?: string;
  /** Onboarding page; default derived from `baseUrl` (`…/apps/saas/authorize`). */
  onboardUrl?: string;
  /** A service to onboard while authorizing (the SDK's `serviceId`, sent as `service=`). */
  serviceId?: number;
  fetch?: typeof fetch;
}

/** The SDK's `UserAccessToken` shape; expiries as digi.me reports them (unix seconds). */
export interface DigiMeUserAccessToken {
  accessToken: { value: string; expiry: number };
  refreshToken: { value: string; expiry: number };
  user?: { id?: string };
  consentid?: string;
}

/** An authorize in progress: PKCE verifier and the state to check on return. */
export interface DigiMePendingAuthorize {
  state: string;
  codeVerifier: string;
  redirectUri: string;
  createdAt: number;
}

/** Per-user state the helper keeps through the app's session store. JSON-serialisable. */
export interface DigiMeSessionData {
  /**
   * Authorizations in progress, newest last (several tabs may connect at once; each return
   * finds its own). At most a few, none older than 30 minutes.
   */
  pendings?: DigiMePendingAuthorize[];
  userAccessToken?: DigiMeUserAccessToken;
  postbox?: Postbox;
}

/** One user's session as the app keeps it (cookie session, DB row, …). */
export interface DigiMeSessionStore {
  get(): DigiMeSessionData | undefined | Promise<DigiMeSessionData | undefined>;
  set(data: DigiMeSessionData): void | Promise<void>;
}

export interface DigiMeWriteOptions extends EncryptedFields {
  userAccessToken: DigiMeUserAccessToken;
  postboxId: string;
  /** The ciphertext exactly as the browser produced it. */
  file: Blob | Uint8Array;
  fileName?: string;
  signal?: AbortSignal;
  /**
   * Called with the refreshed token before the write is retried: refresh tokens rotate, so a
   * retry that fails must not lose the new one (the old one is spent).
   */
  onTokenRefreshed?: (token: DigiMeUserAccessToken) => void | Promise<void>;
}

export interface DigiMeWriteResult extends WriteResult {
  /** Present when the access token had expired and was refreshed: store it instead of the old one. */
  userAccessToken?: DigiMeUserAccessToken;
}

/** The page encrypted for another postbox than the session's; `postbox` is the session's (its key is public). */
export class DigiMePostboxChangedError extends UploadElementsError {
  constructor(readonly postbox: Postbox) {
    super(BACKEND_ERRORS.postboxChanged, 'This session is connected to another digi.me postbox now (connected again in another tab).');
  }
}

/** A digi.me API failure: `code` is digi.me's own (`InvalidToken`, …), `status` the HTTP status. */
export class DigiMeApiError extends UploadElementsError {
  constructor(
    code: number | string,
    message: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export interface DigiMeBackend {
  readonly clientId: string;
  /** The SDK's `getAuthorizeUrl`: a signed PKCE authorize request; keep `codeVerifier` for the exchange. */
  getAuthorizeUrl(options: {
    state: string;
    redirectUri?: string;
    userAccessToken?: DigiMeUserAccessToken;
    serviceId?: number;
    signal?: AbortSignal;
  }): Promise<{ url: string; codeVerifier: string }>;
  /** `redirectUri`: the one the authorize used (default the backend's). */
  exchangeCodeForToken(options: {
    code: string;
    codeVerifier: string;
    redirectUri?: string;
    signal?: AbortSignal;
  }): Promise<DigiMeUserAccessToken>;
  refreshToken(userAccessToken: DigiMeUserAccessToken, signal?: AbortSignal): Promise<DigiMeUserAccessToken>;
  /** Signs the write JWT and forwards the ciphertext; on an expired token refreshes and retries once. */
  write(options: DigiMeWriteOptions): Promise<DigiMeWriteResult>;
  /** Session-aware authorize: stores verifier + state in `session`, returns the URL to send the user to. */
  authorize(session: DigiMeSessionStore, options?: { redirectUri?: string; signal?: AbortSignal }): Promise<{ url: string; state: string }>;
  /** Session-aware exchange: checks `state`, stores the token and the postbox. */
  exchange(session: DigiMeSessionStore, request: ExchangeRequest, signal?: AbortSignal): Promise<Postbox>;
  /**
   * Session-aware write: uses and (after a refresh) updates the session's token. With
   * `postboxId` (the one the browser encrypted for), a session now connected to another
   * postbox refuses the write with a `DigiMePostboxChangedError` instead of sending data
   * nobody can decrypt.
   */
  writeFor(
    session: DigiMeSessionStore,
    data: Omit<DigiMeWriteOptions, 'userAccessToken' | 'postboxId'> & { postboxId?: string },
  ): Promise<WriteResult>;
}

const PENDING_MAX_AGE_MS = 30 * 60 * 1000;
/** Authorizations kept per session at once (a few tabs connecting together). */
const PENDING_MAX = 5;

export function createDigiMeBackend(options: DigiMeBackendOptions): DigiMeBackend {
  const baseUrl = withSlash(options.baseUrl ?? DEFAULT_BASE_URL);
  const onboardUrl = options.onboardUrl ?? new URL(ONBOARD_PATH, baseUrl).href;
  const doFetch = options.fetch ?? fetch;
  const client = clientId(options.applicationId, options.contractId);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(options.privateKeyPem);
  } catch (err) {
    throw new UploadElementsError('bad-private-key', 'privateKeyPem is not a PEM private key.', { cause: err });
  }
  const jwks = new Map<string, KeyObject>();

  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ ...claims, client_id: client, nonce: nonce(), timestamp: Date.now() })
      .setProtectedHeader({ alg: 'PS512', typ: 'JWT' })
      .sign(privateKey);

  async function call(path: string, init: RequestInit & { jwt: string }): Promise<unknown> {
    const url = new URL(path, baseUrl).href;
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${init.jwt}`);
    headers.set('accept', 'application/json');
    let res: Response;
    try {
      res = await doFetch(url, { ...init, method: 'POST', headers });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw new DigiMeApiError('network', `Could not reach digi.me at ${url}.`, 0, { cause: err });
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const { code, message } = apiError(body);
      throw new DigiMeApiError(
        code ?? res.status,
        `digi.me ${path} answered HTTP ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`,
        res.status,
      );
    }
    if (body === undefined) throw new DigiMeApiError('bad-response', `digi.me ${path} did not answer JSON.`, res.status);
    return body;
  }

  /** digi.me signs its token answers; the key comes from the `jku` it names, on the API's own origin. */
  async function verifiedPayload(token: unknown, signal?: AbortSignal): Promise<Record<string, unknown>> {
    if (typeof token !== 'string') throw new DigiMeApiError('bad-response', 'digi.me answered without a token.', 200);
    let header: { jku?: unknown; kid?: unknown };
    try {
      header = decodeProtectedHeader(token);
    } catch (err) {
      throw new DigiMeApiError('bad-response', 'digi.me answered with a malformed token.', 200, { cause: err });
    }
    const { jku, kid } = header;
    if (typeof jku !== 'string' || typeof kid !== 'string') throw new DigiMeApiError('bad-response', 'digi.me token has no jku/kid.', 200);
    if (new URL(jku, baseUrl).origin !== new URL(baseUrl).origin) {
      throw new DigiMeApiError('bad-response', `digi.me token names a key set on another origin (${jku}).`, 200);
    }
    let key = jwks.get(`${jku} ${kid}`);
    if (!key) {
      const res = await doFetch(new URL(jku, baseUrl).href, { signal, headers: { accept: 'application/json' } });
      const set = (await res.json().catch(() => undefined)) as { keys?: Array<{ kid?: string; pem?: string }> } | undefined;
      const pem = set?.keys?.find((k) => k.kid === kid)?.pem;
      if (!res.ok || !pem) throw new DigiMeApiError('bad-response', `digi.me key ${kid} not found at ${jku}.`, res.status);
      key = createPublicKey(pem);
      jwks.set(`${jku} ${kid}`, key);
    }
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['PS512'] });
      return payload;
    } catch (err) {
      throw new DigiMeApiError('bad-response', 'digi.me token signature did not verify.', 200, { cause: err });
    }
  }

  async function tokenRequest(claims: Record<string, unknown>, signal?: AbortSignal): Promise<DigiMeUserAccessToken> {
    const body = await call(API_PATHS.token, { jwt: await sign(claims), signal });
    return formatToken(await verifiedPayload((body as { token?: unknown }).token, signal));
  }

  const backend: DigiMeBackend = {
    clientId: client,

    // The postbox-era SDK's get-authorize-url.ts (v5–v8): `?code&callback[&service]`, callback required.
    async getAuthorizeUrl({ state, redirectUri, userAccessToken, serviceId = options.serviceId, signal }) {
      const callback = redirectUri ?? options.redirectUri;
      const codeVerifier = base64url(randomBytes(32));
      const jwt = await sign({
        access_token: userAccessToken?.accessToken.value,
        code_challenge: base64url(createHash('sha256').update(codeVerifier).digest()),
        code_challenge_method: 'S256',
        redirect_uri: callback,
        response_mode: 'query',
        response_type: 'code',
        state,
      });
      const body = await call(API_PATHS.authorize, {
        jwt,
        signal,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agent: { sdk: { name: 'upload-elements', version: '0.1.0' } } }),
      });
      const payload = await verifiedPayload((body as { token?: unknown }).token, signal);
      const code = payload.preauthorization_code;
      if (typeof code !== 'string' || !code)
        throw new DigiMeApiError('bad-response', 'digi.me authorize token has no preauthorization_code.', 200);
      const url = new URL(onboardUrl);
      url.search = new URLSearchParams({ code, callback, ...(serviceId !== undefined ? { service: String(serviceId) } : {}) }).toString();
      return { url: url.href, codeVerifier };
    },

    // exchange-code-for-token.ts and refresh-token.ts (v6) put redirect_uri in both JWTs.
    exchangeCodeForToken({ code, codeVerifier, redirectUri = options.redirectUri, signal }) {
      return tokenRequest({ code, code_verifier: codeVerifier, grant_type: 'authorization_code', redirect_uri: redirectUri }, signal);
    },

    refreshToken(userAccessToken, signal) {
      return tokenRequest(
        { grant_type: 'refresh_token', refresh_token: userAccessToken.refreshToken.value, redirect_uri: options.redirectUri },
        signal,
      );
    },

    async write(opts) {
      for (const [name, value, pattern] of [
        ['iv', opts.iv, IV_PATTERN],
        ['metadata', opts.metadata, BASE64_PATTERN],
        ['symmetricalKey', opts.symmetricalKey, BASE64_PATTERN],
      ] as const) {
        if (typeof value !== 'string' || !pattern.test(value))
          throw new UploadElementsError(BACKEND_ERRORS.badRequest, `${name} is missing or malformed.`);
      }
      const file = opts.file instanceof Blob ? opts.file : new Blob([opts.file as Uint8Array<ArrayBuffer>]);
      const attempt = async (token: DigiMeUserAccessToken): Promise<WriteResult> => {
        const jwt = await sign({
          access_token: token.accessToken.value,
          iv: opts.iv,
          metadata: opts.metadata,
          redirect_uri: options.redirectUri,
          symmetrical_key: opts.symmetricalKey,
        });
        const form = new FormData();
        form.append(WRITE_FIELDS.file, file, opts.fileName || 'file');
        const body = await call(API_PATHS.postbox(opts.postboxId), { jwt, body: form, signal: opts.signal });
        return writeResult(body);
      };
      // An expired token shows one of two ways: the postbox-era SDK's write.ts (v5–v8) reads
      // `status: "pending"` as "the token may have expired", the later SDK an HTTP 401
      // InvalidToken. Either way: one refresh, one more write, the new token handed back.
      try {
        const first = await attempt(opts.userAccessToken);
        if (first.status !== 'pending') return first;
      } catch (err) {
        if (!(err instanceof DigiMeApiError && err.status === 401 && err.code === API_ERRORS.invalidToken)) throw err;
      }
      // One refresh, one retry; a second expiry is an error (or a pending write), not a loop.
      let fresh: DigiMeUserAccessToken;
      try {
        fresh = await backend.refreshToken(opts.userAccessToken, opts.signal);
      } catch (err) {
        // The refresh token is spent, expired or revoked: only connecting again helps.
        if (err instanceof DigiMeApiError && err.status === 401) {
          throw new UploadElementsError(
            BACKEND_ERRORS.notConnected,
            'The digi.me authorization has expired or was revoked: connect again.',
            { cause: err },
          );
        }
        throw err;
      }
      await opts.onTokenRefreshed?.(fresh);
      return { ...(await attempt(fresh)), userAccessToken: fresh };
    },

    async authorize(session, opts = {}) {
      const state = base64url(randomBytes(24));
      const redirectUri = opts.redirectUri ?? options.redirectUri;
      const previous = await session.get();
      const { url, codeVerifier } = await backend.getAuthorizeUrl({
        state,
        redirectUri,
        userAccessToken: previous?.userAccessToken,
        signal: opts.signal,
      });
      const data = (await session.get()) ?? {};
      const pendings = [...pendingsOf(data), { state, codeVerifier, redirectUri, createdAt: Date.now() }].slice(-PENDING_MAX);
      await session.set({ ...data, pendings });
      return { url, state };
    },

    async exchange(session, request, signal) {
      for (const key of ['code', 'state', 'postboxId', 'publicKey'] as const) {
        if (typeof request[key] !== 'string' || !request[key])
          throw new UploadElementsError(BACKEND_ERRORS.badRequest, `${key} is missing.`);
      }
      const data = (await session.get()) ?? {};
      const pendings = pendingsOf(data);
      const pending = pendings.find((p) => p.state === request.state);
      if (!pending) {
        throw new UploadElementsError(
          BACKEND_ERRORS.stateMismatch,
          'No digi.me authorization in progress for this state (expired, already used, or another browser).',
        );
      }
      // The verifier is single-use whatever digi.me answers; other tabs' authorizations stay.
      await session.set({ ...data, pendings: pendings.filter((p) => p !== pending) });
      const userAccessToken = await backend.exchangeCodeForToken({
        code: request.code,
        codeVerifier: pending.codeVerifier,
        redirectUri: pending.redirectUri,
        signal,
      });
      const postbox = { postboxId: request.postboxId, publicKey: request.publicKey };
      await session.set({ ...(await session.get()), userAccessToken, postbox });
      return postbox;
    },

    async writeFor(session, data) {
      const current = await session.get();
      if (!current?.userAccessToken || !current.postbox) {
        throw new UploadElementsError(BACKEND_ERRORS.notConnected, 'This session is not connected to a digi.me postbox.');
      }
      if (data.postboxId && data.postboxId !== current.postbox.postboxId) throw new DigiMePostboxChangedError(current.postbox);
      try {
        const { userAccessToken: _stored, ...result } = await backend.write({
          ...data,
          userAccessToken: current.userAccessToken,
          postboxId: current.postbox.postboxId,
          // Stored before the retry: if the retry fails, the next write starts from the new token.
          onTokenRefreshed: async (userAccessToken) => session.set({ ...(await session.get()), userAccessToken }),
        });
        return result;
      } catch (err) {
        // A dead authorization: forget it, so the page offers Connect and authorize starts afresh.
        if (err instanceof UploadElementsError && err.code === BACKEND_ERRORS.notConnected) {
          const { userAccessToken: _dead, postbox: _gone, ...rest } = (await session.get()) ?? {};
          await session.set(rest);
        }
        throw err;
      }
    },
  };
  return backend;
}

/** The authorizations of a session that have not expired. */
function pendingsOf(data: DigiMeSessionData): DigiMePendingAuthorize[] {
  const now = Date.now();
  return (data.pendings ?? []).filter((p) => now - p.createdAt <= PENDING_MAX_AGE_MS);
}

export interface DigiMeHandlerOptions {
  /** The largest `authorize`/`exchange` body, in bytes (413 beyond, checked while streaming); default 1 MiB. */
  maxBodyBytes?: number;
  /** The largest `write` body (the encrypted file and its fields), in bytes; default 64 MiB. */
  maxWriteBytes?: number;
  /**
   * Sees every error answered with a generic 500 (its message is not sent: it may hold a
   * database URL or a token). Default: `console.error`.
   */
  onError?: (error: unknown, request: Request) => void;
  /** The current user's session store for this request. */
  session(request: Request): DigiMeSessionStore | Promise<DigiMeSessionStore>;
  /**
   * The redirect URI for this authorize request (e.g. the page's own URL from the body's
   * `returnUrl`). Validate it: an unchecked value is an open redirect. Default: the backend's.
   */
  redirectUri?(request: Request, body: { returnUrl?: unknown }): string | undefined | Promise<string | undefined>;
}

export type DigiMeWebHandler = (request: Request) => Promise<Response>;

export interface DigiMeHandlers {
  /** `POST …/authorize` `{returnUrl?}` → `{url, state}` */
  authorize: DigiMeWebHandler;
  /** `POST …/exchange` `{code, state, postboxId, publicKey}` → `{postboxId, publicKey}` */
  exchange: DigiMeWebHandler;
  /** `POST …/write` multipart `file`, `metadata`, `symmetrical_key`, `iv` → `{status, expires}` */
  write: DigiMeWebHandler;
  /** Routes by the last path segment to the three above; 404 otherwise. */
  handle: DigiMeWebHandler;
}

/**
 * Web-standard Request → Response handlers for the three endpoints `<digime-writer>` calls, so
 * they mount on anything that speaks Request/Response (Hono, Node via an adapter, Express,
 * Fastify). Errors answer `{error: {code, message}}`.
 *
 * @example
 * ```ts
 * const digime = createDigiMeHandlers(createDigiMeBackend({ applicationId, contractId, privateKeyPem, redirectUri }), {
 *   session: (request) => sessionStoreFor(request), // the app's own per-user storage
 *   redirectUri: (request, { returnUrl }) => (isOwnPage(returnUrl) ? String(returnUrl) : undefined),
 * });
 * // Hono: app.post('/app/digime/*', (c) => digime.handle(c.req.raw));
 * ```
 */
export function createDigiMeHandlers(backend: DigiMeBackend, options: DigiMeHandlerOptions): DigiMeHandlers {
  const guard =
    (fn: (request: Request) => Promise<unknown>): DigiMeWebHandler =>
    async (request) => {
      if (request.method !== 'POST') return errorResponse(405, BACKEND_ERRORS.badRequest, 'Use POST.');
      try {
        return json(200, await fn(request));
      } catch (err) {
        if (err instanceof RequestBodyError) return err.toResponse();
        const known = errorFor(err);
        if (known) return known;
        reportError(options.onError, err, request);
        return errorResponse(500, 'internal', INTERNAL_ERROR_MESSAGE);
      }
    };

  const authorize = guard(async (request) => {
    const body = await readJsonObject(request, options.maxBodyBytes);
    const session = await options.session(request);
    const redirectUri = await options.redirectUri?.(request, body);
    return backend.authorize(session, { redirectUri, signal: request.signal });
  });

  const exchange = guard(async (request) => {
    const body = (await readJsonObject(request, options.maxBodyBytes)) as Partial<ExchangeRequest>;
    const session = await options.session(request);
    const req: ExchangeRequest = {
      code: String(body.code ?? ''),
      state: String(body.state ?? ''),
      postboxId: String(body.postboxId ?? ''),
      publicKey: String(body.publicKey ?? ''),
    };
    return backend.exchange(session, req, request.signal);
  });

  const write = guard(async (request) => {
    // Read within the limit first: formData() alone would buffer whatever is sent.
    const bytes = await readBody(request, options.maxWriteBytes ?? DEFAULT_MAX_WRITE_BYTES);
    let form: FormData;
    try {
      form = await new Response(bytes, { headers: { 'content-type': request.headers.get('content-type') ?? '' } }).formData();
    } catch (err) {
      throw new UploadElementsError(BACKEND_ERRORS.badRequest, 'Expected a multipart/form-data body.', { cause: err });
    }
    const file = form.get(WRITE_FIELDS.file);
    if (!(file instanceof Blob)) throw new UploadElementsError(BACKEND_ERRORS.badRequest, `Part "${WRITE_FIELDS.file}" is missing.`);
    const field = (name: string) => {
      const v = form.get(name);
      return typeof v === 'string' ? v : '';
    };
    const session = await options.session(request);
    return backend.writeFor(session, {
      file,
      fileName: file instanceof File ? file.name : undefined,
      metadata: field(WRITE_FIELDS.metadata),
      symmetricalKey: field(WRITE_FIELDS.symmetricalKey),
      iv: field(WRITE_FIELDS.iv),
      ...(field(WRITE_FIELDS.postboxId) ? { postboxId: field(WRITE_FIELDS.postboxId) } : {}),
      signal: request.signal,
    });
  });

  const routes: Record<string, DigiMeWebHandler> = {
    [BACKEND_PATHS.authorize]: authorize,
    [BACKEND_PATHS.exchange]: exchange,
    [BACKEND_PATHS.write]: write,
  };
  return {
    authorize,
    exchange,
    write,
    async handle(request) {
      const last = new URL(request.url).pathname.replace(/\/+$/, '').split('/').pop() ?? '';
      const route = routes[last];
      return route ? route(request) : errorResponse(404, 'not-found', `No digi.me endpoint ${last}.`);
    },
  };
}

/** The answer for an error this module knows; undefined for anything else (a generic 500). */
function errorFor(err: unknown): Response | undefined {
  if (err instanceof DigiMePostboxChangedError) {
    return errorResponse(409, String(err.code), err.message, { postbox: err.postbox });
  }
  if (err instanceof DigiMeApiError) {
    return errorResponse(502, BACKEND_ERRORS.upstream, err.message, { upstreamCode: String(err.code) });
  }
  if (err instanceof UploadElementsError) {
    const status =
      err.code === BACKEND_ERRORS.badRequest
        ? 400
        : err.code === BACKEND_ERRORS.notConnected
          ? 401
          : err.code === BACKEND_ERRORS.stateMismatch
            ? 403
            : 500;
    return errorResponse(status, String(err.code), err.message);
  }
  return undefined;
}

function errorResponse(status: number, code: string, message: string, extra: Record<string, unknown> = {}): Response {
  return json(status, errorBody(code, message, extra));
}

function json(status: number, value: unknown): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

async function readJsonObject(request: Request, maxBytes: number | undefined): Promise<Record<string, unknown>> {
  const value = await readJson(request, maxBytes).catch((err: unknown) => {
    if (err instanceof RequestBodyError && err.code === 'bad-json') return null;
    throw err;
  });
  if (value === undefined) return {};
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new UploadElementsError(BACKEND_ERRORS.badRequest, 'Expected a JSON object body.');
}

function apiError(body: unknown): { code?: string; message?: string } {
  const b = body as { error?: unknown; message?: unknown } | undefined;
  if (b && typeof b.error === 'object' && b.error) {
    const e = b.error as { code?: unknown; message?: unknown };
    return { code: typeof e.code === 'string' ? e.code : undefined, message: typeof e.message === 'string' ? e.message : undefined };
  }
  return { code: typeof b?.error === 'string' ? b.error : undefined, message: typeof b?.message === 'string' ? b.message : undefined };
}

function writeResult(body: unknown): WriteResult {
  const b = body as { status?: unknown; expires?: unknown };
  if (b.status !== 'delivered' && b.status !== 'pending') {
    throw new DigiMeApiError('bad-response', `digi.me postbox answered an unknown status ${JSON.stringify(b.status)}.`, 200);
  }
  return { status: b.status, ...(typeof b.expires === 'number' ? { expires: b.expires } : {}) };
}

function formatToken(payload: Record<string, unknown>): DigiMeUserAccessToken {
  const p = payload as Partial<TokenClaims>;
  if (typeof p.access_token?.value !== 'string' || typeof p.refresh_token?.value !== 'string') {
    throw new DigiMeApiError('bad-response', 'digi.me token answer has no access/refresh token.', 200);
  }
  return {
    accessToken: { value: p.access_token.value, expiry: Number(p.access_token.expires_on ?? 0) },
    refreshToken: { value: p.refresh_token.value, expiry: Number(p.refresh_token.expires_on ?? 0) },
    ...(p.sub ? { user: { id: p.sub } } : {}),
    ...(p.consentid ? { consentid: p.consentid } : {}),
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function nonce(): string {
  let out = '';
  for (let i = 0; i < 32; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
