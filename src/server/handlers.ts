import { randomUUID } from 'node:crypto';
import { CALLBACK_ACK, type DeleteNotification, type UploadNotification } from '../titan/protocol.js';
import { TitanCallbackError, verifyTitanCallback, type NonceStore, type TitanCallback, type TitanCallbackKind } from './callback.js';
import { TitanTenantError, type TitanSubUser, type TitanTenant } from './titan.js';
import { errorBody } from '../internal/error-body.js';
import { answerErrors, DEFAULT_MAX_BODY_BYTES, readBody, readJson, reportError } from './body.js';

/** A web-standard request handler (Node ≥ 20, Deno, Bun, workers, or via an adapter). */
export type WebHandler = (request: Request) => Promise<Response>;

/** What every handler here takes besides its own options. */
export interface HandlerCommonOptions {
  /** The largest body accepted, in bytes (answered 413 beyond, checked while streaming); default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Sees every error the handler answered with a generic 500 (its message is not sent: it may
   * hold a database URL or a token). Default: `console.error`.
   */
  onError?: (error: unknown, request: Request) => void;
}

export interface TitanTokenHandlerOptions extends HandlerCommonOptions {
  tenant: Pick<TitanTenant, 'ssoLogin' | 'refreshToken'>;
  /** The signed-in user of this request, or null when nobody is signed in (→ 401). */
  user: (request: Request) => Promise<TitanSubUser | null>;
  /**
   * The user's current Titan token, when the app keeps one (or the browser sent one in
   * `body`). It is refreshed first when it belongs to the signed-in user; a failed refresh
   * falls back to a fresh login.
   */
  refresh?: (request: Request, body: unknown) => Promise<string | undefined>;
}

/**
 * `POST` → `{token, exp}` for the `token-url` of `<titan-uploader>`.
 *
 * @example
 * ```ts
 * const titan = createTitanTenant({ apiUrl, apiKey });
 * const tokenHandler = createTitanTokenHandler({
 *   tenant: titan,
 *   user: async (request) => {
 *     const session = await sessions.get(request);
 *     return session ? { entryUuid: session.userId, username: session.name } : null;
 *   },
 * });
 * // e.g. in a Hono/Next.js route: export const POST = tokenHandler;
 * ```
 */
export function createTitanTokenHandler(options: TitanTokenHandlerOptions): WebHandler {
  return answerErrors(async (request) => {
    if (request.method !== 'POST') return json(405, errorBody('method-not-allowed', 'Use POST.'), { allow: 'POST' });
    const user = await options.user(request);
    if (!user) return json(401, errorBody('unauthorized', 'Sign in to upload.'));
    const body = await readJson(request, options.maxBodyBytes);
    // Outside the try below: an error in the app's own callback is the app's, not Titan's.
    const current = await options.refresh?.(request, body);
    try {
      // Only the signed-in user's own token is refreshed: otherwise anyone signed in could
      // revive a leaked, expired token of somebody else.
      if (current && tokenUsername(current) === user.username) {
        try {
          return json(200, await options.tenant.refreshToken(current));
        } catch {
          // Past the refresh window or revoked: a login gives a fresh token anyway.
        }
      }
      return json(200, await options.tenant.ssoLogin(user));
    } catch (err) {
      // What Titan said goes to the logs; the browser learns only that Titan failed.
      reportError(options.onError, err, request);
      const unreachable = err instanceof TitanTenantError && err.status === 0;
      return json(
        unreachable ? 504 : 502,
        errorBody('titan-unavailable', unreachable ? 'Titan could not be reached.' : 'Titan refused to sign the user in.'),
      );
    }
  }, options.onError);
}

export interface FileDescription {
  name: string;
  size: number;
  type: string;
}

export interface ExtraIdHandlerOptions extends HandlerCommonOptions {
  /** Your id for the upload (e.g. a database row created here); default a random UUID. */
  create?: (file: FileDescription, request: Request) => Promise<string>;
}

/**
 * `POST {name, size, type}` → `{extra_id}` for the `extra-id-url` of `<titan-uploader>`. Titan
 * echoes the extra_id in the upload callback, which is how the callback finds your record.
 *
 * @example
 * ```ts
 * const extraIdHandler = createExtraIdHandler({
 *   create: async (file) => (await db.uploads.insert({ name: file.name, size: file.size })).id,
 * });
 * ```
 */
export function createExtraIdHandler(options: ExtraIdHandlerOptions = {}): WebHandler {
  return answerErrors(async (request) => {
    if (request.method !== 'POST') return json(405, errorBody('method-not-allowed', 'Use POST.'), { allow: 'POST' });
    const body = await readJson(request, options.maxBodyBytes);
    const o = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const file: FileDescription = {
      name: typeof o.name === 'string' ? o.name : '',
      size: typeof o.size === 'number' && Number.isFinite(o.size) ? o.size : 0,
      type: typeof o.type === 'string' ? o.type : '',
    };
    const extraId = options.create ? await options.create(file, request) : randomUUID();
    return json(200, { extra_id: extraId });
  }, options.onError);
}

/** Options every Titan callback endpoint takes. */
export interface TitanCallbackHandlerCommonOptions extends HandlerCommonOptions {
  /** The tenant's API secret. */
  secret: string;
  /** Replay store (keyed on the signature); share one across instances. Default in-memory. */
  nonceStore?: NonceStore;
  /** How far ahead of this server's clock a callback timestamp may be, ms; default 10 minutes. */
  maxFutureSkewMs?: number;
}

export interface TitanUploadCallbackHandlerOptions extends TitanCallbackHandlerCommonOptions {
  /** Store the result; throw to make Titan retry later. */
  onUpload: (notification: UploadNotification, request: Request) => Promise<void> | void;
}

export interface TitanDeleteCallbackHandlerOptions extends TitanCallbackHandlerCommonOptions {
  /** Forget the asset; throw to make Titan retry later. */
  onDelete: (notification: DeleteNotification, request: Request) => Promise<void> | void;
}

export interface TitanCallbackHandlerOptions extends TitanCallbackHandlerCommonOptions {
  /**
   * Which notify URL this endpoint is. Titan's bodies cannot tell an upload from a delete (a
   * delete body carries every upload key, zeroed), so the endpoint decides.
   */
  kind?: TitanCallbackKind;
  /** Called for `kind: 'upload'`. */
  onUpload?: (notification: UploadNotification, request: Request) => Promise<void> | void;
  /** Called for `kind: 'delete'`. */
  onDelete?: (notification: DeleteNotification, request: Request) => Promise<void> | void;
}

/**
 * The endpoint registered as `notify_url_on_upload`. It verifies the signature, timestamp and
 * replay store, awaits `onUpload` and only then answers `success`; if `onUpload` throws it
 * answers 500 so Titan retries on its schedule.
 *
 * @example
 * ```ts
 * const onUpload = createTitanUploadCallbackHandler({
 *   secret: process.env.TITAN_API_SECRET!,
 *   onUpload: async (n) => db.uploads.update(n.ExtraID, { cid: n.AssetCID, url: n.AssetDirectUrl }),
 * });
 * app.post('/hooks/titan/upload', toNodeHandler(onUpload));
 * ```
 */
export function createTitanUploadCallbackHandler(options: TitanUploadCallbackHandlerOptions): WebHandler {
  return callbackHandler('upload', options);
}

/**
 * The endpoint registered as `notify_url_on_delete`; like
 * {@link createTitanUploadCallbackHandler}, with `onDelete`.
 *
 * @example
 * ```ts
 * const onDelete = createTitanDeleteCallbackHandler({
 *   secret: process.env.TITAN_API_SECRET!,
 *   onDelete: async (n) => db.uploads.markDeleted(n.ExtraID),
 * });
 * app.post('/hooks/titan/delete', toNodeHandler(onDelete));
 * ```
 */
export function createTitanDeleteCallbackHandler(options: TitanDeleteCallbackHandlerOptions): WebHandler {
  return callbackHandler('delete', options);
}

/**
 * One notify URL's endpoint, its `kind` given: `onUpload` or `onDelete` is called. Same as
 * {@link createTitanUploadCallbackHandler} / {@link createTitanDeleteCallbackHandler}.
 */
export function createTitanCallbackHandler(options: TitanCallbackHandlerOptions & { kind: TitanCallbackKind }): WebHandler;
/**
 * @deprecated Pass `kind`, or use `createTitanUploadCallbackHandler` and
 * `createTitanDeleteCallbackHandler` on two endpoints. Without `kind` the endpoint is an upload
 * endpoint (a delete endpoint when only `onDelete` is given): it can no longer tell the two
 * apart by the body, which was wrong for Titan's real delete bodies anyway.
 */
export function createTitanCallbackHandler(options: TitanCallbackHandlerOptions): WebHandler;
export function createTitanCallbackHandler(options: TitanCallbackHandlerOptions): WebHandler {
  let kind = options.kind;
  if (kind === undefined) {
    kind = options.onDelete && !options.onUpload ? 'delete' : 'upload';
    if (!warnedNoKind) {
      warnedNoKind = true;
      globalThis.process?.emitWarning?.(
        `createTitanCallbackHandler without \`kind\` is deprecated: this endpoint now handles ${kind} callbacks only. Mount one endpoint per notify URL (createTitanUploadCallbackHandler / createTitanDeleteCallbackHandler).`,
        { type: 'DeprecationWarning', code: 'UPLOAD_ELEMENTS_TITAN_CALLBACK_KIND' },
      );
    }
  }
  return callbackHandler(kind, options);
}

let warnedNoKind = false;

function callbackHandler(kind: TitanCallbackKind, options: TitanCallbackHandlerOptions): WebHandler {
  // A configuration error, reported when the app starts rather than on every callback.
  if (kind !== 'upload' && kind !== 'delete')
    throw new TypeError(`Titan callback kind must be 'upload' or 'delete', not ${JSON.stringify(kind)}.`);
  return answerErrors(async (request) => {
    if (request.method !== 'POST') return text(405, 'method not allowed');
    // The exact bytes: the signature covers them.
    const rawBody = await readBody(request, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, true);
    let callback: TitanCallback;
    try {
      callback = await verifyTitanCallback({
        kind,
        secret: options.secret,
        method: request.method,
        // Still percent-encoded: verifyTitanCallback decodes it as Titan does before signing.
        path: new URL(request.url).pathname,
        rawBody,
        headers: request.headers,
        nonceStore: options.nonceStore,
        maxFutureSkewMs: options.maxFutureSkewMs,
      });
    } catch (err) {
      if (err instanceof TitanCallbackError) return text(err.reason === 'bad-json' ? 400 : 401, err.reason);
      throw err;
    }
    try {
      if (callback.kind === 'upload') await options.onUpload?.(callback.notification, request);
      else await options.onDelete?.(callback.notification, request);
    } catch (err) {
      // Titan only needs to know to try again; what went wrong is for the app's logs.
      reportError(options.onError, err, request);
      return text(500, 'handler failed');
    }
    return text(200, CALLBACK_ACK);
  }, options.onError);
}

/** The username in a Titan token's `id` claim (`"<tenant>/<username>"`), unverified. */
function tokenUsername(token: string): string | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { id?: unknown };
    return typeof claims.id === 'string' ? claims.id.slice(claims.id.indexOf('/') + 1) : undefined;
  } catch {
    return undefined;
  }
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}
