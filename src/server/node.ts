import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { answerErrors, markReserialized } from './body.js';

/** What frameworks leave on a Node request whose body they parsed (Express's body-parser, Fastify plugins). */
type ParsedRequest = IncomingMessage & { body?: unknown; rawBody?: unknown; _body?: unknown };

/**
 * Web-standard Request for a Node request; `baseUrl` supplies scheme and host. The body is
 * `body` when given, else the request's stream, read as the handler reads it (so the handler's
 * size limit holds while streaming). When a framework read the stream already: the bytes it
 * kept (`req.rawBody`, or `req.body` from `express.raw()`/`express.text()`), else the parsed
 * JSON re-serialized (fine for JSON endpoints; a signed callback refuses it as `body-consumed`).
 */
export function toWebRequest(req: IncomingMessage, baseUrl: string, body?: Uint8Array): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) v.forEach((x) => headers.append(k, x));
    else if (v !== undefined) headers.set(k, v);
  }
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', baseUrl);
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers });
  if (body) return new Request(url, { method, headers, body: new Uint8Array(body) });
  const parsed = req as ParsedRequest;
  if (!req.readableEnded && parsed._body !== true) {
    // Nobody read it: stream it to the handler.
    return new Request(url, { method, headers, body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } as RequestInit);
  }
  headers.delete('content-length');
  const kept = [parsed.rawBody, parsed.body].find((b) => typeof b === 'string' || b instanceof Uint8Array) as
    string | Uint8Array | undefined;
  if (kept !== undefined) return new Request(url, { method, headers, body: typeof kept === 'string' ? kept : new Uint8Array(kept) });
  const json = parsed.body === undefined ? '' : JSON.stringify(parsed.body);
  headers.set('content-type', 'application/json');
  return markReserialized(new Request(url, { method, headers, body: json }));
}

/** Writes a web-standard Response to a Node response. */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => (headers[k] = v));
  const buf = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, headers);
  res.end(buf);
}

export interface NodeHandlerOptions {
  /** Sees an error the handler threw (answered 500 with a generic message). Default: `console.error`. */
  onError?: (error: unknown, request: Request) => void;
}

/**
 * Mounts a web-standard handler (`createTitanTokenHandler`, …) on Node's `http` server or on
 * Express/Connect (`app.post('/app/titan/token', toNodeHandler(tokenHandler))`). The body
 * streams to the handler, which enforces its size limit while reading. See the README,
 * "Mounting the handlers", for Express, Fastify, Hono and Next.js.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * createServer(toNodeHandler(callbackHandler)).listen(8080);
 * ```
 */
export function toNodeHandler(
  handler: (request: Request) => Promise<Response>,
  options: NodeHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const answer = answerErrors(handler, options.onError);
  return async (req, res) => {
    const host = req.headers.host ?? 'localhost';
    const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    try {
      const response = await answer(toWebRequest(req, `${proto}://${host}`));
      // Answered before the body was all read (a 413): the rest is still on the connection, so
      // it cannot carry another request.
      if (!req.complete) res.setHeader('connection', 'close');
      await sendWebResponse(res, response);
    } catch (err) {
      // Only the response itself can fail here (the client went away): nothing left to answer.
      res.destroy(err as Error);
    }
  };
}
