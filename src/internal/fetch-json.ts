import { UploadElementsError } from './errors.js';

export interface FetchJsonOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** `fetch` to use; tests and SSR may pass their own. */
  fetch?: typeof fetch;
}

/**
 * fetch + JSON with typed errors: network failures (including CORS, which browsers report the
 * same way) become code `network`, non-2xx become the HTTP status, and unparsable bodies
 * become `bad-response`. Aborts are rethrown untouched.
 */
export async function fetchJson<T = unknown>(url: string, options: FetchJsonOptions = {}): Promise<T> {
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.body);
  }
  let res: Response;
  try {
    res = await doFetch(url, { method: options.method ?? (body ? 'POST' : 'GET'), headers, body, signal: options.signal });
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw new UploadElementsError('network', `Could not reach ${describe(url)} (network or CORS failure).`, { cause: err });
  }
  const text = await res.text();
  if (!res.ok) {
    throw new UploadElementsError(res.status, `${describe(url)} answered HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
  }
  try {
    return (text ? JSON.parse(text) : undefined) as T;
  } catch (err) {
    throw new UploadElementsError('bad-response', `${describe(url)} did not answer JSON.`, { cause: err });
  }
}

function describe(url: string): string {
  try {
    const u = new URL(url, globalThis.location?.href);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}
