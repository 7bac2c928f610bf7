import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from '../internal/error-body.js';

/** Collects a Node request body (the handlers here take small JSON or multipart bodies). */
async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Web-standard Request for a Node request; `baseUrl` supplies scheme and host. */
export function toWebRequest(req: IncomingMessage, baseUrl: string, body?: Buffer): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) v.forEach((x) => headers.append(k, x));
    else if (v !== undefined) headers.set(k, v);
  }
  const method = req.method ?? 'GET';
  return new Request(new URL(req.url ?? '/', baseUrl), {
    method,
    headers,
    body: method === 'GET' || method === 'HEAD' || !body ? undefined : new Uint8Array(body),
  });
}

/** Writes a web-standard Response to a Node response. */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => (headers[k] = v));
  const buf = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, headers);
  res.end(buf);
}

/**
 * Mounts a web-standard handler (`createTitanTokenHandler`, …) on Node's `http` server or on
 * Express/Connect (`app.post('/app/titan/token', toNodeHandler(tokenHandler))`).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * createServer(toNodeHandler(callbackHandler)).listen(8080);
 * ```
 */
export function toNodeHandler(
  handler: (request: Request) => Promise<Response>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const host = req.headers.host ?? 'localhost';
    const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    try {
      const method = req.method ?? 'GET';
      const body = method === 'GET' || method === 'HEAD' ? undefined : await readAll(req);
      await sendWebResponse(res, await handler(toWebRequest(req, `${proto}://${host}`, body)));
    } catch (err) {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(errorBody('internal', (err as Error).message)));
      } else res.destroy(err as Error);
    }
  };
}
