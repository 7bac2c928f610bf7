import { UploadElementsError } from '../internal/errors.js';
import { errorBody } from '../internal/error-body.js';

/** The body limit of every handler unless its options say otherwise: callbacks and JSON bodies are a few kB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Why a request body was not read:
 * - `body-too-large` (413): over the handler's limit, by its `Content-Length` or while streaming.
 * - `bad-json` (400): not JSON where JSON is expected.
 * - `body-consumed` (500): a body parser mounted before the handler (Express's `express.json()`,
 *   Fastify's JSON parser) read the request, and the bytes the handler needs are gone. A
 *   configuration error of the app: the message says how to mount the handler.
 */
export type RequestBodyErrorCode = 'body-too-large' | 'bad-json' | 'body-consumed';

const STATUS: Record<RequestBodyErrorCode, number> = { 'body-too-large': 413, 'bad-json': 400, 'body-consumed': 500 };

export class RequestBodyError extends UploadElementsError {
  declare readonly code: RequestBodyErrorCode;
  /** The HTTP status a handler answers with. */
  readonly status: number;

  constructor(code: RequestBodyErrorCode, message: string) {
    super(code, message);
    this.status = STATUS[code];
  }

  /** The `{error: {code, message}}` answer for this error. */
  toResponse(): Response {
    return new Response(JSON.stringify(errorBody(this.code, this.message)), {
      status: this.status,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        // A refused body is left unread: the connection must not carry another request after it
        // (Node servers under Hono or Next.js end it when the answer says so).
        ...(this.status === 413 && { connection: 'close' }),
      },
    });
  }
}

/**
 * Requests whose body a framework had parsed before the handler saw it: `toNodeHandler` could
 * only re-serialize the parsed JSON, which is not the bytes that were sent (a signature over them
 * cannot be checked).
 */
const reserialized = new WeakSet<Request>();

/** Marks `request` as carrying a re-serialized body (see `readBody`'s `exact`). */
export function markReserialized(request: Request): Request {
  reserialized.add(request);
  return request;
}

export const CONSUMED_HINT =
  'A body parser read this request before upload-elements could (e.g. express.json() mounted for every route). ' +
  'Mount this handler before the parser, or give its route express.raw({ type: "*/*" }); see the README, "Mounting the handlers".';

/**
 * The request's body, at most `maxBytes`: refused by `Content-Length` before anything is read,
 * and while streaming otherwise (the stream is cancelled, nothing more is buffered). `exact`:
 * the caller needs the bytes as sent (a signature covers them), so a re-serialized body is
 * refused as `body-consumed`.
 */
export async function readBody(request: Request, maxBytes = DEFAULT_MAX_BODY_BYTES, exact = false): Promise<Uint8Array<ArrayBuffer>> {
  const tooLarge = () => new RequestBodyError('body-too-large', `The request body is larger than ${maxBytes} bytes.`);
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge();
  if (request.bodyUsed || (exact && reserialized.has(request))) throw new RequestBodyError('body-consumed', CONSUMED_HINT);
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) body.set(chunk, (at += chunk.byteLength) - chunk.byteLength);
  return body;
}

/** The JSON body (undefined when empty), at most `maxBytes`; anything but JSON is `bad-json`. */
export async function readJson(request: Request, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<unknown> {
  const text = new TextDecoder().decode(await readBody(request, maxBytes));
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RequestBodyError('bad-json', 'The request body is not JSON.');
  }
}

/** What every handler answers for an error it did not expect: a code and nothing of the error itself. */
export const INTERNAL_ERROR_MESSAGE = 'The server could not handle this request.';

/**
 * Wraps a handler: body errors answer their status and code; anything else thrown answers 500
 * `{error: {code: 'internal', message}}` with a generic message (an error's text can hold a
 * database URL or a token), and goes to `onError` (default `console.error`) for the logs.
 */
export function answerErrors(
  handler: (request: Request) => Promise<Response>,
  onError: ((error: unknown, request: Request) => void) | undefined,
): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      return await handler(request);
    } catch (err) {
      if (err instanceof RequestBodyError) return err.toResponse();
      reportError(onError, err, request);
      return new Response(JSON.stringify(errorBody('internal', INTERNAL_ERROR_MESSAGE)), {
        status: 500,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      });
    }
  };
}

/** Hands `error` to the app's hook, or to the console when it has none; a throwing hook is logged too. */
export function reportError(onError: ((error: unknown, request: Request) => void) | undefined, error: unknown, request: Request): void {
  try {
    if (onError) onError(error, request);
    else console.error('upload-elements:', error);
  } catch (hookError) {
    console.error('upload-elements: onError threw', hookError, 'while reporting', error);
  }
}
