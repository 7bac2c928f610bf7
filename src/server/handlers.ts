import { randomUUID } from 'node:crypto';
import { CALLBACK_ACK, type DeleteNotification, type UploadNotification } from '../titan/protocol.js';
import { TitanCallbackError, verifyTitanCallback, type NonceStore } from './callback.js';
import { TitanTenantError, type TitanSubUser, type TitanTenant } from './titan.js';

/** A web-standard request handler (Node ≥ 20, Deno, Bun, workers, or via an adapter). */
export type WebHandler = (request: Request) => Promise<Response>;

export interface TitanTokenHandlerOptions {
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
  return async (request) => {
    if (request.method !== 'POST') return json(405, { error: 'method-not-allowed', message: 'Use POST.' }, { allow: 'POST' });
    const user = await options.user(request);
    if (!user) return json(401, { error: 'unauthorized', message: 'Sign in to upload.' });
    const body = await readJsonBody(request);
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
      const status = err instanceof TitanTenantError && err.status === 0 ? 504 : 502;
      return json(status, { error: 'titan-unavailable', message: (err as Error).message });
    }
  };
}

export interface FileDescription {
  name: string;
  size: number;
  type: string;
}

export interface ExtraIdHandlerOptions {
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
  return async (request) => {
    if (request.method !== 'POST') return json(405, { error: 'method-not-allowed', message: 'Use POST.' }, { allow: 'POST' });
    const body = await readJsonBody(request);
    const o = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const file: FileDescription = {
      name: typeof o.name === 'string' ? o.name : '',
      size: typeof o.size === 'number' && Number.isFinite(o.size) ? o.size : 0,
      type: typeof o.type === 'string' ? o.type : '',
    };
    const extraId = options.create ? await options.create(file, request) : randomUUID();
    return json(200, { extra_id: extraId });
  };
}

export interface TitanCallbackHandlerOptions {
  /** The tenant's API secret. */
  secret: string;
  nonceStore?: NonceStore;
  /** Store the result; throw to make Titan retry later. */
  onUpload?: (notification: UploadNotification, request: Request) => Promise<void> | void;
  onDelete?: (notification: DeleteNotification, request: Request) => Promise<void> | void;
  /** Sees what `onUpload`/`onDelete` threw (Titan itself only learns "retry"). */
  onError?: (error: unknown, request: Request) => void;
}

/**
 * The endpoint registered as `notify_url_on_upload` / `notify_url_on_delete`. It verifies the
 * signature, timestamp and nonce, awaits your handler and only then answers `success`; if your
 * handler throws it answers 500 so Titan retries on its schedule.
 *
 * @example
 * ```ts
 * const callbackHandler = createTitanCallbackHandler({
 *   secret: process.env.TITAN_API_SECRET!,
 *   onUpload: async (n) => db.uploads.update(n.ExtraID, { cid: n.AssetCID, url: n.AssetDirectUrl }),
 * });
 * ```
 */
export function createTitanCallbackHandler(options: TitanCallbackHandlerOptions): WebHandler {
  return async (request) => {
    if (request.method !== 'POST') return text(405, 'method not allowed');
    const rawBody = new Uint8Array(await request.arrayBuffer());
    let callback;
    try {
      callback = await verifyTitanCallback({
        secret: options.secret,
        method: request.method,
        path: new URL(request.url).pathname,
        rawBody,
        headers: request.headers,
        nonceStore: options.nonceStore,
      });
    } catch (err) {
      if (err instanceof TitanCallbackError) return text(err.reason === 'bad-json' ? 400 : 401, err.reason);
      throw err;
    }
    try {
      if (callback.kind === 'upload') await options.onUpload?.(callback.notification, request);
      else await options.onDelete?.(callback.notification, request);
    } catch (err) {
      options.onError?.(err, request);
      return text(500, 'handler failed');
    }
    return text(200, CALLBACK_ACK);
  };
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

async function readJsonBody(request: Request): Promise<unknown> {
  const raw = await request.text().catch(() => '');
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as unknown;
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
