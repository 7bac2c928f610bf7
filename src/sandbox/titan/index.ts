import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpError, parsedBodies, readBody, requestOrigin, sleep } from '../http.js';
import type { SandboxContext, SandboxService } from '../types.js';
import { authRequired, ERR_FORBIDDEN, GinJwt, unauthorizedBody } from './auth.js';
import { Callbacks } from './callbacks.js';
import { Faults } from './faults.js';
import { GinReply, GoPanic, langOf, notFound } from './gin.js';
import { handleNode } from './node.js';
import { NODE_IDS, type ApiCall, type NodeState, type Route, type Titan } from './state.js';
import { STORAGE_ROUTES } from './storage.js';
import { SHARE_ROUTES } from './share.js';
import { GROUP_ROUTES } from './groups.js';
import { TENANT_ROUTES } from './tenant.js';

export type { SandboxTitanAsset, SandboxTitanTransferLog, SandboxTitanUser } from './state.js';
export type { SandboxTitanLink } from './share.js';
export type { SandboxTitanGroup } from './groups.js';
export type { SandboxTitanDelivery } from './callbacks.js';
export type { NodeMode, ReportRefusal, UnauthorizedMode } from './faults.js';
export { CALLBACK_RETRY_DELAYS_MS, SERVER_UTC_OFFSET } from './callbacks.js';

/**
 * The Titan replica, rebuilt from Titan's server source: the API server
 * (gnasnik/titan-explorer) under `/titan` (so the API base is `${ctx.url}/titan`) and the upload
 * nodes (Titannet-dao/titan-node) under `/titan-node/<id>`. Knobs: see `control`.
 */

const API = '/titan';
const NODE = '/titan-node';
const ROUTES: Record<string, Route> = { ...TENANT_ROUTES, ...STORAGE_ROUTES, ...SHARE_ROUTES, ...GROUP_ROUTES };
/** Storage calls the `storage` knob can slow down or fail: `create_asset`, `transfer/report`, … */
const CALLS = Object.keys({ ...STORAGE_ROUTES, ...SHARE_ROUTES, ...GROUP_ROUTES }).map((k) =>
  k.slice(k.indexOf('/api/v1/storage/') + '/api/v1/storage/'.length),
);

/**
 * api/jwt.go `Cors()`: the request headers the API allows. A browser refuses, at the preflight,
 * a cross-origin request carrying any other non-safelisted header. (The nodes answer
 * `Access-Control-Allow-Headers: *`, which browsers apply to every header: nothing to refuse.)
 */
const API_ALLOWED_HEADERS = new Set(['content-type', 'jwtauthorization', 'lang']);
/** Headers a page cannot set or that never need a preflight's permission. */
const BROWSER_HEADERS =
  /^(accept|accept-language|content-language|range|accept-charset|accept-encoding|access-control-request-.*|connection|content-length|cookie|date|dnt|expect|host|keep-alive|origin|referer|te|trailer|transfer-encoding|upgrade|via|user-agent|cache-control|pragma|priority|sec-.*|proxy-.*)$/;

/** The headers a browser would have had to get past the API's preflight, and did not. */
function corsRefused(req: IncomingMessage): string[] {
  const origin = req.headers.origin;
  if (!origin || origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`) return [];
  return Object.keys(req.headers).filter((h) => !BROWSER_HEADERS.test(h) && !API_ALLOWED_HEADERS.has(h));
}

export function createTitanService(ctx: SandboxContext): SandboxService {
  const opts = ctx.options;
  let generation = 0;
  const t: Titan = {
    ctx,
    jwt: new GinJwt(opts.tokenTtlSeconds, opts.refreshWindowSeconds),
    faults: new Faults(),
    callbacks: new Callbacks(
      () => opts.tenant.apiSecret,
      () => opts.timeScale,
    ),
    users: new Map(),
    nodes: new Map(
      NODE_IDS.map((id): [typeof id, NodeState] => [id, { id, secret: randomBytes(32), store: new Map(), uploading: new Map() }]),
    ),
    downloadSecret: randomBytes(32),
    assets: [],
    links: [],
    groups: [],
    lastGroupId: 0,
    schedulerRecords: new Set(),
    transferLogs: new Map(),
    notify: defaultNotify(),
    // Files of one generation live in their own directory, so reset can drop it without racing
    // uploads that start right after.
    dir: () => join(opts.dataDir, 'titan', String(generation)),
  };

  function defaultNotify() {
    return { uploadUrl: `${ctx.url}/app/titan/callback`, deleteUrl: `${ctx.url}/app/titan/callback/delete` };
  }

  /** The tenant-api-key's claims: api/jwt.go decrypts the key into its tenant id and name. */
  const tenant = () => ({ apiKey: opts.tenant.apiKey, claims: { tenant_id: opts.tenant.id, tenant_name: opts.tenant.id } });

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = ROUTES[`${req.method} ${url.pathname.slice(API.length)}`];
    if (!route) return notFound(res);
    const refused = corsRefused(req);
    if (refused.length) {
      for (const h of res.getHeaderNames()) if (h.startsWith('access-control-')) res.removeHeader(h);
      const text = `sandbox: a browser stops this request at the preflight: the Titan API allows only Content-Type, jwtauthorization and lang (api/jwt.go Cors()), not ${refused.join(', ')}`;
      return void res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
    }
    let raw: Promise<Buffer> | undefined;
    const c: ApiCall = {
      req,
      url,
      reply: new GinReply(),
      lang: langOf(req),
      origin: requestOrigin(req, ctx.url),
      claims: {},
      body: () =>
        (raw ??= readBody(req).then((b) => {
          try {
            parsedBodies.set(req, JSON.parse(b.toString('utf8')));
          } catch {
            parsedBodies.set(req, b.toString('utf8').slice(0, 1000));
          }
          return b;
        })),
    };
    try {
      if (route.auth) {
        const auth = authRequired(req, c.reply, t.jwt, tenant());
        const missing =
          auth.forbidden ||
          (route.auth === 'user' && typeof auth.claims.id !== 'string') ||
          (route.auth === 'tenant' && typeof auth.claims.tenant_id !== 'string');
        const mode = t.faults.unauthorized;
        if (missing && mode !== 'source') {
          c.reply.json(
            mode === 'http' ? 401 : 200,
            unauthorizedBody(auth.forbidden || !auth.jwtError ? ERR_FORBIDDEN : auth.jwtError, c.lang),
          );
          return c.reply.send(res);
        }
        // Unauthorized writes its answer but does not abort: the handler runs after it.
        if (auth.forbidden) c.reply.json(200, unauthorizedBody(ERR_FORBIDDEN, c.lang));
        c.claims = auth.claims;
      }
      const fault = t.faults.calls.get(url.pathname.slice(`${API}/api/v1/storage/`.length));
      if (fault && url.pathname.startsWith(`${API}/api/v1/storage/`)) {
        if (req.method === 'POST') await c.body(); // the request is read before it fails
        if (fault.failCount > 0) {
          fault.failCount--;
          throw new GoPanic('sandbox: injected by the storage knob');
        }
        // Like a real server, a slow call still does its work if the client hangs up.
        if (fault.delayMs) await sleep(fault.delayMs);
      }
      await route.handle(t, c);
    } catch (err) {
      if (!(err instanceof GoPanic)) throw err;
      if (!c.reply.written) c.reply.status = 500; // gin.Recovery
    }
    c.reply.send(res);
  }

  return {
    name: 'titan',
    prefixes: [API, NODE],

    async handle(req, res, url) {
      if (url.pathname === NODE || url.pathname.startsWith(`${NODE}/`)) return handleNode(t, req, res, url);
      return api(req, res, url);
    },

    /**
     * - `unauthorized` {mode: 'source' | 'envelope' | 'http'} — what an unidentified request gets
     *   (faults.ts `UnauthorizedMode`; default `source`). Old `unauthorized-as` {shape: 'http' |
     *   'envelope'} sets the same.
     * - `expire-tokens` {} — every user token issued so far now parses as expired (refresh inside
     *   the window still works; tokens issued afterwards work).
     * - `node` {nodeId, mode: 'ok' | 'down' | 'hang-up' | 'error' | 'bad-token' | 'slow' | 'wrong-cid', delayMs?,
     *   failCount?} — upload node faults (faults.ts `NodeMode`); nodeId with or without `c_`.
     * - `storage` {call: 'create_asset' | 'transfer/report' | …, delayMs?, failCount?} — the call
     *   answers `delayMs` late, or HTTP 500 with an empty body (a recovered panic) for the next
     *   `failCount` calls; {call} alone clears it.
     * - `report` {refuse: 'invalid-params' | 'permission-not-allowed' | 'server-busy' | null,
     *   failCount?} — transfer/report refuses as the server can (1001, HTTP 401 + 1028, 1004).
     * - `shuffle-nodes` {on: boolean} — node lists in random order, as the scheduler gives them.
     * - `link` {bytesPerSecond: number | null} — the nodes read upload bodies at most this fast
     *   (TCP backpressure: the page sends as over a slower network); null clears.
     *   Not a server behaviour: a stand-in for the network between a page and a remote node.
     * - `tamper` {uploadUrl?, link?} — a compromised API (no real server behaviour): every node
     *   UploadURL and every share/direct link becomes the given value; {} restores them.
     * - `notify` {uploadUrl?, deleteUrl?} — the tenant's notify URLs ('' = none registered).
     * - `callbacks` {} — deliveries `[{kind, url, attempt, status, ok, body, response, at}]`.
     * - `assets` {}, `links` {} (share links), `groups` {} (folders), `reports` {} (asset_transfer_log rows), `users` {} — stored state.
     */
    control(action, body) {
      switch (action) {
        case 'unauthorized':
          return { ok: true, mode: t.faults.setUnauthorized(body.mode) };
        case 'unauthorized-as': {
          if (body.shape !== 'http' && body.shape !== 'envelope') throw new HttpError(400, 'shape must be "http" or "envelope"');
          return { ok: true, shape: t.faults.setUnauthorized(body.shape) };
        }
        case 'expire-tokens':
          return { ok: true, expiredThrough: t.jwt.revokeAll() };
        case 'node':
          return t.faults.setNode(body);
        case 'storage':
          return t.faults.setCall(body, CALLS);
        case 'report':
          return t.faults.setReport(body);
        case 'tamper':
          for (const key of ['uploadUrl', 'link'] as const) {
            if (body[key] !== undefined && typeof body[key] !== 'string') throw new HttpError(400, `${key} must be a string`);
          }
          t.faults.tampered = {
            ...(typeof body.uploadUrl === 'string' ? { uploadUrl: body.uploadUrl } : {}),
            ...(typeof body.link === 'string' ? { link: body.link } : {}),
          };
          return { ok: true, ...t.faults.tampered };
        case 'link':
          return t.faults.setLink(body);
        case 'shuffle-nodes':
          t.faults.shuffle = body.on === true;
          return { ok: true, on: t.faults.shuffle };
        case 'notify':
          for (const key of ['uploadUrl', 'deleteUrl'] as const) {
            const v = body[key];
            if (v === undefined) continue;
            if (typeof v !== 'string') throw new HttpError(400, `${key} must be a string`);
            t.notify[key] = v;
          }
          return { ok: true, ...t.notify };
        case 'callbacks':
          return t.callbacks.deliveries;
        case 'assets':
          return t.assets;
        case 'links':
          return t.links;
        case 'groups':
          return t.groups;
        case 'reports':
          return [...t.transferLogs.values()];
        case 'users':
          return [...t.users.values()];
        default:
          throw new HttpError(404, `no titan knob "${action}"`);
      }
    },

    reset() {
      t.callbacks.reset();
      const old = t.dir();
      generation++;
      void rm(old, { recursive: true, force: true }).catch(() => undefined);
      // Accounts survive a reset (as sub-accounts survive anything upstream), so a page that
      // still holds a valid token is not forced into a renewal by another test's reset.
      t.assets = [];
      t.links = [];
      t.groups = [];
      t.schedulerRecords = new Set();
      t.transferLogs = new Map();
      for (const node of t.nodes.values()) {
        node.store.clear();
        node.uploading.clear();
      }
      t.faults.clear();
      t.notify = defaultNotify();
    },

    async close() {
      t.callbacks.reset();
      generation++;
      await rm(join(opts.dataDir, 'titan'), { recursive: true, force: true });
    },
  };
}
