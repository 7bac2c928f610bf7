// The one way the browser clients talk HTTP: fetch with a timeout, an answer size limit and
// typed failures. What an HTTP status means is the caller's (Titan reads an empty 500 as a
// refused token, digi.me's backend sends a postbox with its 409), so `requestJson` answers every
// status and `expectOk` is the common judgement.
import { UploadElementsError } from './errors.js';
import { readErrorBody } from './error-body.js';

export interface RequestJsonOptions {
  /** Default `POST` with a body, else `GET`. */
  method?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as it is (a `FormData`, …) when there is no `json`. */
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** No complete answer after this long: `timeout`. */
  timeoutMs?: number;
  credentials?: RequestCredentials;
  /**
   * The largest answer read, in bytes: a larger one is `too-large`, refused by its
   * `Content-Length` or while it streams (never buffered whole). Default: no limit.
   */
  maxBytes?: number;
  /** `fetch` to use (tests, SSR); default the global one. */
  fetch?: typeof fetch;
  /** Only read the body's bytes (`bytes`), neither decoded nor parsed: the caller does it elsewhere (a Worker). */
  raw?: boolean;
}

export interface JsonAnswer {
  /** The URL without its query (tokens travel in queries), for messages. */
  url: string;
  status: number;
  ok: boolean;
  text: string;
  /** The parsed body; `undefined` when it was empty or not JSON (see `invalid`). */
  json: unknown;
  /** The body was not empty and not JSON. */
  invalid: boolean;
  /** The body's bytes (with `raw`, all there is: `text` is empty and `json` undefined). */
  bytes: Uint8Array<ArrayBuffer>;
}

/**
 * One request. Throws `UploadElementsError` `network` (no answer: offline, DNS, CORS),
 * `timeout` or `too-large` (over `maxBytes`); an abort by `signal` is rethrown as it came
 * (callers map it to their own `aborted`). Every HTTP status is an answer.
 */
export async function requestJson(url: string, options: RequestJsonOptions = {}): Promise<JsonAnswer> {
  const { json, signal, timeoutMs } = options;
  const timeout = timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined;
  const where = url.split('?')[0]!;
  let res: Response;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    res = await (options.fetch ?? fetch)(url, {
      method: options.method ?? ((json ?? options.body) ? 'POST' : 'GET'),
      headers: json === undefined ? options.headers : { 'content-type': 'application/json', ...options.headers },
      body: json === undefined ? options.body : JSON.stringify(json),
      signal: AbortSignal.any([signal, timeout].filter((s) => s !== undefined)),
      credentials: options.credentials,
    });
    bytes = await readBytes(res, options.maxBytes, where);
  } catch (err) {
    if (signal?.aborted || (err instanceof UploadElementsError && err.code === 'too-large')) throw err;
    const code = timeout?.aborted ? 'timeout' : 'network';
    throw new UploadElementsError(code, `No answer from ${where} (${code === 'network' ? 'network or CORS failure' : code}).`, {
      cause: err,
    });
  }
  const text = options.raw ? '' : new TextDecoder().decode(bytes);
  let parsed: unknown;
  let invalid = false;
  try {
    parsed = text.trim() ? JSON.parse(text) : undefined;
  } catch {
    invalid = true;
  }
  return { url: where, status: res.status, ok: res.ok, text, json: parsed, invalid, bytes };
}

/** The body, at most `maxBytes`: checked by `Content-Length`, then while it streams. */
async function readBytes(res: Response, maxBytes: number | undefined, where: string): Promise<Uint8Array<ArrayBuffer>> {
  if (maxBytes !== undefined && res.body) {
    const tooLarge = () => new UploadElementsError('too-large', `The answer from ${where} is larger than ${maxBytes} bytes.`);
    if (Number(res.headers.get('content-length')) > maxBytes) {
      void res.body.cancel().catch(() => undefined);
      throw tooLarge();
    }
    const chunks: BlobPart[] = [];
    for (let length = 0, reader = res.body.getReader(); ;) {
      const { done, value } = await reader.read();
      if (done) break;
      if ((length += value.byteLength) > maxBytes) {
        void reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
    res = new Response(new Blob(chunks));
  }
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * The JSON of a 2xx answer (`undefined` when empty). Otherwise an `UploadElementsError` whose
 * code and message come from an `{error: {code, message}}` body, else the HTTP status; a 2xx
 * body that is not JSON is `bad-response`. Extra fields of the error body (and the status) are
 * on `error.extra`. `withUrl`: the message names the URL and status too (for developers: a
 * misconfigured endpoint), not only what the other side said (for users).
 */
export function expectOk(answer: JsonAnswer, options: { withUrl?: boolean } = {}): unknown {
  if (answer.ok) {
    if (answer.invalid) throw new UploadElementsError('bad-response', `${answer.url} did not answer JSON.`);
    return answer.json;
  }
  const error = readErrorBody(answer.json);
  const said = error?.message ?? answer.text.slice(0, 200);
  throw new UploadElementsError(
    error?.code ?? answer.status,
    error && !options.withUrl ? error.message : `${answer.url} answered HTTP ${answer.status}${said ? `: ${said}` : ''}`,
    { extra: { status: answer.status, ...error?.details } },
  );
}
