import { UploadElementsError } from '../internal/errors.js';
import { HEADERS, PATHS, type Envelope, type SsoLoginRequest, type TokenData } from '../titan/protocol.js';

/** A failed tenant API call: HTTP error, `code != 0` envelope, unreachable API or bad answer. */
export class TitanTenantError extends UploadElementsError {
  /** Titan's secondary error number, when it sent one. */
  readonly err: number | undefined;
  /** Titan's message, or a description of the failure. */
  readonly msg: string;
  /** HTTP status; 0 when no answer arrived. */
  readonly status: number;

  constructor(init: { code: number | string; err?: number; msg: string; status: number; message?: string; cause?: unknown }) {
    super(init.code, init.message ?? init.msg, { cause: init.cause });
    this.err = init.err;
    this.msg = init.msg;
    this.status = init.status;
  }
}

export interface TitanSubUser {
  /** Your app's stable id for the user (Titan's `entry_uuid`). */
  entryUuid: string;
  username: string;
  avatar?: string;
  email?: string;
}

export interface TitanTenantOptions {
  /** Titan API base, e.g. `https://api-test1.container1.titannet.io`. */
  apiUrl: string;
  /** The tenant API key. Backend only: it must never reach a browser. */
  apiKey: string;
  fetch?: typeof fetch;
  /** Per-call timeout in ms; default 15 s. */
  timeoutMs?: number;
}

export interface TitanTenant {
  /** Joint login: a user token for the sub-account, created on first use. */
  ssoLogin(user: TitanSubUser): Promise<TokenData>;
  /** A fresh token for one that is still inside Titan's refresh window (even when expired). */
  refreshToken(token: string): Promise<TokenData>;
  /** `POST /api/v1/tenant/sync_user` (the server's handler is empty today: it answers 200, no body). */
  syncUser(user: TitanSubUser): Promise<void>;
  /**
   * `DELETE /api/v1/tenant/user?entry_uuid=…&with_asset=…`, the server's route (api/router.go);
   * the Go SDK's `delete_user` path does not exist there. The server's handler is empty today
   * (200, no body), so this resolves without Titan deleting anything yet.
   */
  deleteUser(entryUuid: string, options: { withAssets: boolean }): Promise<void>;
}

/**
 * The tenant half of the Titan API (the Go SDK's `Tenant`), for an app backend.
 *
 * @example
 * ```ts
 * import { createTitanTenant } from 'upload-elements/server';
 * const titan = createTitanTenant({ apiUrl: process.env.TITAN_API_URL!, apiKey: process.env.TITAN_API_KEY! });
 * const { token, exp } = await titan.ssoLogin({ entryUuid: user.id, username: user.name });
 * ```
 */
export function createTitanTenant(options: TitanTenantOptions): TitanTenant {
  const base = options.apiUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 15_000;

  /** `emptyOk`: a 2xx answer without a body is success (gin's answer when a handler writes nothing). */
  async function call<T>(
    method: string,
    path: string,
    query?: Record<string, string>,
    body?: unknown,
    emptyOk = false,
  ): Promise<T | undefined> {
    const url = new URL(`${base}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    const what = `Titan ${path}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers: { [HEADERS.tenantApiKey]: options.apiKey, accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new TitanTenantError({ code: 'network', msg: `Could not reach ${what}.`, status: 0, cause });
    }
    const text = await res.text().catch(() => '');
    let envelope: Envelope<T> | undefined;
    try {
      envelope = text ? (JSON.parse(text) as Envelope<T>) : undefined;
    } catch {
      envelope = undefined;
    }
    if (!res.ok) {
      const msg = envelope?.msg ?? text.slice(0, 200);
      throw new TitanTenantError({
        code: typeof envelope?.code === 'number' && envelope.code !== 0 ? envelope.code : res.status,
        err: envelope?.err,
        msg,
        status: res.status,
        message: `${what} answered HTTP ${res.status}${msg ? `: ${msg}` : ''}`,
      });
    }
    if (emptyOk && text.trim() === '') return undefined;
    if (!envelope || typeof envelope !== 'object' || typeof envelope.code !== 'number') {
      throw new TitanTenantError({ code: 'bad-response', msg: `${what} did not answer a JSON envelope.`, status: res.status });
    }
    if (envelope.code !== 0) {
      const msg = envelope.msg ?? '';
      throw new TitanTenantError({
        code: envelope.code,
        err: envelope.err,
        msg,
        status: res.status,
        message: `${what} failed: code ${envelope.code}${envelope.err ? `, err ${envelope.err}` : ''}${msg ? `, ${msg}` : ''}`,
      });
    }
    return envelope.data;
  }

  async function tokenCall(method: string, path: string, query?: Record<string, string>, body?: unknown): Promise<TokenData> {
    const data = await call<Partial<TokenData>>(method, path, query, body);
    if (!data || typeof data.token !== 'string' || !data.token) {
      throw new TitanTenantError({ code: 'bad-response', msg: `Titan ${path} answered without a token.`, status: 200 });
    }
    return { token: data.token, exp: typeof data.exp === 'number' ? data.exp : Number(data.exp ?? 0) };
  }

  const wire = (user: TitanSubUser): SsoLoginRequest => ({
    entry_uuid: user.entryUuid,
    username: user.username,
    // The Go SDK always sends both keys; so do we.
    avatar: user.avatar ?? '',
    email: user.email ?? '',
  });

  return {
    ssoLogin: (user) => tokenCall('POST', PATHS.ssoLogin, undefined, wire(user)),
    refreshToken: (token) => tokenCall('GET', PATHS.refreshToken, { token }),
    async syncUser(user) {
      await call('POST', PATHS.syncUser, undefined, wire(user), true);
    },
    async deleteUser(entryUuid, { withAssets }) {
      // `with_asset`: the name the server's (commented-out) handler reads, api/tenant.go
      // `SubUserDeleteHandler`; the Go SDK sends `with_assets` to its non-existent path.
      await call('DELETE', PATHS.deleteUser, { entry_uuid: entryUuid, with_asset: String(withAssets) }, undefined, true);
    },
  };
}
