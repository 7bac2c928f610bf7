import { UploadElementsError } from '../internal/errors.js';
import { expectOk, requestJson } from '../internal/request.js';
import { encryptForPostbox } from './encrypt.js';
import {
  BACKEND_ERRORS,
  BACKEND_PATHS,
  RETURN_PARAMS,
  WRITE_FIELDS,
  type ExchangeRequest,
  type FileDescriptor,
  type Postbox,
  type WriteResult,
} from './protocol.js';

/** What digi.me put on the redirect URI when the user came back. */
export type DigiMeReturn = ({ success: true } & ExchangeRequest) | { success: false; errorCode: string; state?: string };

/** Reads the return parameters from a URL; undefined when the URL is not a digi.me return. */
export function readDigiMeReturn(url: URL): DigiMeReturn | undefined {
  const q = url.searchParams;
  const success = q.get(RETURN_PARAMS.success);
  if (success === 'false') {
    return {
      success: false,
      errorCode: q.get(RETURN_PARAMS.errorCode) || 'unknown',
      ...(q.get(RETURN_PARAMS.state) ? { state: q.get(RETURN_PARAMS.state)! } : {}),
    };
  }
  const code = q.get(RETURN_PARAMS.code);
  const state = q.get(RETURN_PARAMS.state);
  const postboxId = q.get(RETURN_PARAMS.postboxId);
  const publicKey = q.get(RETURN_PARAMS.publicKey);
  if (success !== 'true' || !code || !state || !postboxId || !publicKey) return undefined;
  return { success: true, code, state, postboxId, publicKey };
}

/** The same URL without digi.me's return parameters (what the address bar should show). */
export function withoutDigiMeReturn(url: URL): URL {
  const clean = new URL(url.href);
  for (const name of Object.values(RETURN_PARAMS)) clean.searchParams.delete(name);
  return clean;
}

/**
 * Talks to the app backend (`backend-url`): authorize, exchange, and writes of files it
 * encrypts here first, so the backend only ever receives ciphertext. No DOM beyond fetch.
 */
export class DigiMeWriterClient {
  /** Absolute backend base URL, without a trailing slash. */
  readonly backendUrl: string;
  readonly #fetch: typeof fetch;

  constructor(backendUrl: string, options: { fetch?: typeof fetch; base?: string } = {}) {
    this.backendUrl = new URL(backendUrl, options.base ?? globalThis.location?.href).href.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Starts a connection: the backend keeps the PKCE verifier and answers the digi.me URL. */
  authorize(returnUrl: string, signal?: AbortSignal): Promise<{ url: string; state?: string }> {
    return this.#post(BACKEND_PATHS.authorize, { returnUrl }, signal, (b) => {
      if (typeof b.url !== 'string') throw new UploadElementsError('bad-response', 'The backend answered authorize without a url.');
      return { url: b.url, ...(typeof b.state === 'string' ? { state: b.state } : {}) };
    });
  }

  exchange(request: ExchangeRequest, signal?: AbortSignal): Promise<Postbox> {
    return this.#post(BACKEND_PATHS.exchange, request, signal, (b) => {
      if (typeof b.postboxId !== 'string' || typeof b.publicKey !== 'string') {
        throw new UploadElementsError('bad-response', 'The backend answered exchange without postboxId/publicKey.');
      }
      return { postboxId: b.postboxId, publicKey: b.publicKey };
    });
  }

  /**
   * Encrypts `file` and its descriptor for the postbox, then sends only the ciphertext. Given
   * the whole postbox (not just its key), the backend checks it is still the session's. If
   * another tab connected the session to a new postbox meanwhile (`postbox-changed`, 409, with
   * that postbox), the file is encrypted for the new one and written again, once; the result
   * then names it in `postbox`, and `onPostboxChanged` hears of it first (to store it).
   */
  async write(
    file: Blob,
    name: string,
    descriptor: FileDescriptor,
    postbox: Postbox | string,
    options: AbortSignal | { signal?: AbortSignal; onPostboxChanged?: (postbox: Postbox) => void | Promise<void> } = {},
  ): Promise<WriteResult & { postbox?: Postbox }> {
    const { signal, onPostboxChanged } = options instanceof AbortSignal ? { signal: options, onPostboxChanged: undefined } : options;
    try {
      return await this.#write(file, name, descriptor, postbox, signal);
    } catch (err) {
      const current = (err as { postbox?: Postbox }).postbox;
      if ((err as UploadElementsError).code !== BACKEND_ERRORS.postboxChanged || !current || typeof postbox === 'string') throw err;
      await onPostboxChanged?.(current);
      return { ...(await this.#write(file, name, descriptor, current, signal)), postbox: current };
    }
  }

  async #write(
    file: Blob,
    name: string,
    descriptor: FileDescriptor,
    postbox: Postbox | string,
    signal?: AbortSignal,
  ): Promise<WriteResult> {
    const publicKey = typeof postbox === 'string' ? postbox : postbox.publicKey;
    const payload = await encryptForPostbox(file, descriptor, publicKey);
    signal?.throwIfAborted();
    const form = new FormData();
    form.append(WRITE_FIELDS.file, payload.ciphertext, name);
    form.append(WRITE_FIELDS.metadata, payload.metadata);
    form.append(WRITE_FIELDS.symmetricalKey, payload.symmetricalKey);
    form.append(WRITE_FIELDS.iv, payload.iv);
    if (typeof postbox !== 'string') form.append(WRITE_FIELDS.postboxId, postbox.postboxId);
    return this.#post(BACKEND_PATHS.write, form, signal, (b) => {
      if (b.status !== 'delivered' && b.status !== 'pending') {
        throw new UploadElementsError('bad-response', `The backend answered an unknown write status ${JSON.stringify(b.status)}.`);
      }
      return { status: b.status, ...(typeof b.expires === 'number' ? { expires: b.expires } : {}) };
    });
  }

  async #post<T>(path: string, body: unknown, signal: AbortSignal | undefined, read: (body: Record<string, unknown>) => T): Promise<T> {
    const payload = body instanceof FormData ? { body } : { json: body };
    const answer = await requestJson(`${this.backendUrl}/${path}`, { ...payload, signal, credentials: 'same-origin', fetch: this.#fetch });
    let data: unknown;
    try {
      data = expectOk(answer);
    } catch (err) {
      // postbox-changed (409) names the postbox the session is connected to now.
      const postbox = (err as UploadElementsError).extra?.['postbox'] as Partial<Postbox> | undefined;
      if (typeof postbox?.postboxId === 'string' && typeof postbox.publicKey === 'string') {
        throw Object.assign(err as UploadElementsError, { postbox: { postboxId: postbox.postboxId, publicKey: postbox.publicKey } });
      }
      throw err;
    }
    return read(typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {});
  }
}
