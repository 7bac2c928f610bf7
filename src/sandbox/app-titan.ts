import {
  createExtraIdHandler,
  createTitanDeleteCallbackHandler,
  createTitanTokenHandler,
  createTitanUploadCallbackHandler,
  type WebHandler,
} from '../server/handlers.js';
import { createTitanTenant } from '../server/titan.js';
import type { DeleteNotification, UploadNotification } from '../titan/protocol.js';
import { HttpError, parsedBodies, readBody, sendJson, sendWebResponse, toWebRequest } from './http.js';
import type { SandboxContext, SandboxService } from './types.js';
import { errorBody } from '../internal/error-body.js';

/**
 * The demo app's backend for `<titan-uploader>`, built only from `upload-elements/server` the
 * way a real app would use it: `/app/titan/token`, `/app/titan/extra-id`, `/app/titan/callback`
 * (Titan's upload notify URL), `/app/titan/callback/delete` (its delete notify URL: the bodies
 * cannot tell the two apart), plus `/app/titan/received` for the demo page.
 */

const PREFIX = '/app/titan';
const DEMO_USER = { entryUuid: 'demo-user-1', username: 'demo' };

export interface ReceivedNotification {
  kind: 'upload' | 'delete';
  extraId: string;
  cid: string;
  name: string;
  /** Always true: only verified notifications are recorded. */
  signatureOk: true;
  at: number;
  notification: UploadNotification | DeleteNotification;
}

export function createAppTitanService(ctx: SandboxContext): SandboxService {
  let received: ReceivedNotification[] = [];
  let failToken = { count: 0, status: 500 };
  let failCallback = 0;

  // The URL is read per request: ctx.url is only known once the sandbox listens.
  const tenant = () => createTitanTenant({ apiUrl: `${ctx.url}/titan`, apiKey: ctx.options.tenant.apiKey });

  const token: WebHandler = (request) =>
    createTitanTokenHandler({
      tenant: tenant(),
      // Titan keys a sub-account on entry_uuid (api/tenant.go SSOLoginHandler finds the user by
      // uuid and keeps its first username), so another demo user needs its own entry_uuid.
      user: async (r) => {
        const name = r.headers.get('x-demo-user')?.trim();
        return name && name !== DEMO_USER.username ? { entryUuid: `demo-user-${name}`, username: name } : DEMO_USER;
      },
      // A page may send its current token to have it refreshed rather than replaced.
      refresh: async (_r, body) => {
        const t = typeof body === 'object' && body !== null ? (body as { token?: unknown }).token : undefined;
        return typeof t === 'string' && t ? t : undefined;
      },
    })(request);

  const extraId = createExtraIdHandler();

  const record = (kind: 'upload' | 'delete', n: UploadNotification | DeleteNotification) => {
    if (failCallback > 0) {
      failCallback--;
      throw new Error('demo backend told to fail this callback (fail-callback knob)');
    }
    received.push({
      kind,
      extraId: n.ExtraID,
      cid: n.AssetCID,
      name: 'AssetName' in n ? n.AssetName : '',
      signatureOk: true,
      at: Date.now(),
      notification: n,
    });
  };

  // A failing callback here is a knob's doing (fail-callback); Titan's retry shows it, the console need not.
  const quiet = () => undefined;
  const uploadCallback = createTitanUploadCallbackHandler({
    secret: ctx.options.tenant.apiSecret,
    onUpload: (n) => record('upload', n),
    onError: quiet,
  });
  const deleteCallback = createTitanDeleteCallbackHandler({
    secret: ctx.options.tenant.apiSecret,
    onDelete: (n) => record('delete', n),
    onError: quiet,
  });
  const routes: Record<string, WebHandler> = {
    '/token': token,
    '/extra-id': extraId,
    '/callback': uploadCallback,
    '/callback/delete': deleteCallback,
  };

  return {
    name: 'app-titan',
    prefixes: [PREFIX],

    async handle(req, res, url) {
      const route = url.pathname.slice(PREFIX.length);
      if (route === '/received' && req.method === 'GET') return sendJson(res, 200, received);
      const handler = Object.hasOwn(routes, route) ? routes[route] : undefined;
      if (!handler) throw new HttpError(404, `no demo route ${url.pathname}`);
      if (req.method !== 'POST') throw new HttpError(405, 'use POST');

      const body = await readBody(req);
      // Let the request log show JSON bodies, as readJson would.
      if (body.length) {
        try {
          parsedBodies.set(req, JSON.parse(body.toString('utf8')) as unknown);
        } catch {
          parsedBodies.set(req, body.toString('utf8').slice(0, 1000));
        }
      }
      if (handler === token && failToken.count > 0) {
        failToken.count--;
        return sendJson(
          res,
          failToken.status,
          errorBody('token-unavailable', `demo backend told to fail (fail-token knob, HTTP ${failToken.status})`),
        );
      }
      return sendWebResponse(res, await handler(toWebRequest(req, ctx.url, body)));
    },

    /**
     * - `fail-token` {count, status?} — the next `count` token requests answer `status` (500).
     * - `fail-callback` {count} — the next `count` callbacks answer 500, so Titan retries.
     * - `received` {} — verified notifications, oldest first.
     */
    control(action, body) {
      switch (action) {
        case 'fail-token': {
          const count = body.count ?? 1;
          const status = body.status ?? 500;
          if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
            throw new HttpError(400, 'count must be a non-negative integer');
          if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599)
            throw new HttpError(400, 'status must be an HTTP error status');
          failToken = { count, status };
          return { ok: true, ...failToken };
        }
        case 'fail-callback': {
          const count = body.count ?? 1;
          if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
            throw new HttpError(400, 'count must be a non-negative integer');
          failCallback = count;
          return { ok: true, count };
        }
        case 'received':
          return received;
        default:
          throw new HttpError(404, `no app-titan knob "${action}"`);
      }
    },

    reset() {
      received = [];
      failToken = { count: 0, status: 500 };
      failCallback = 0;
    },
  };
}
