import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { HttpError, parsedBodies, readJson, sendHtml, sendJson } from './http.js';
import type { LogEntry, ResolvedSandboxOptions, SandboxContext, SandboxOptions, SandboxService, ServiceFactory } from './types.js';
import { createTitanService } from './titan/index.js';
import { createUniversaService } from './universa.js';
import { createDigimeService } from './digime.js';
import { createAppTitanService } from './app-titan.js';
import { createAppDigimeService } from './app-digime.js';

export type { SandboxOptions, ResolvedSandboxOptions, SandboxService, SandboxContext, LogEntry } from './types.js';
export { SandboxClient } from './control.js';
export type { KnobAnswer, KnobArgs, KnobBody, SandboxKnobs, SandboxServiceName } from './control.js';
import type { KnobAnswer, KnobArgs, SandboxKnobs, SandboxServiceName } from './control.js';

export interface Sandbox {
  /** Absolute base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  readonly options: ResolvedSandboxOptions;
  /** Node/Connect-style handler to mount in another server (Vite, the test runner). */
  readonly handler: (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;
  /** True when `path` belongs to the sandbox (so a host server should hand it over). */
  owns(path: string): boolean;
  readonly log: LogEntry[];
  readonly services: ReadonlyMap<string, SandboxService>;
  /** Turns a knob, exactly as `POST /_sandbox/<service>/<action>` does (typed by `SandboxKnobs`). */
  control<S extends SandboxServiceName, A extends keyof SandboxKnobs[S] & string>(
    service: S,
    action: A,
    ...body: KnobArgs<S, A>
  ): Promise<KnobAnswer<S, A>>;
  reset(): void;
  close(): Promise<void>;
  /** The page its own root links to (`npm start` sets the demo's URL once the dev server listens). */
  demoUrl?: string;
}

const factories: ServiceFactory[] = [
  createTitanService,
  createUniversaService,
  createDigimeService,
  createAppTitanService,
  createAppDigimeService,
];

const CONTROL = '/_sandbox';

/**
 * Starts the local doubles of Titan, the Universa issuer, digi.me and the demo app backend on
 * one loopback HTTP server. The services answer CORS for loopback pages and `allowedOrigins`
 * (the real services are cross-origin to the page too), every request is logged, and
 * `POST /_sandbox/<service>/<action>` turns the fault knobs. The sandbox runs on developers'
 * machines next to whatever site they visit: control routes have no CORS, and a request whose
 * `Host` is not loopback (or `allowedHosts`) is refused, so a DNS-rebinding page cannot reach it.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const ownDir = options.dataDir ? undefined : await mkdtemp(join(tmpdir(), 'upload-elements-sandbox-'));
  const resolved: ResolvedSandboxOptions = {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    timeScale: options.timeScale ?? 1,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 24 * 3600,
    refreshWindowSeconds: options.refreshWindowSeconds ?? 7 * 24 * 3600,
    dataDir: options.dataDir ?? ownDir!,
    tenant: options.tenant ?? { id: 'demo-tenant', apiKey: 'sandbox-api-key', apiSecret: 'sandbox-api-secret' },
    issuer: { generationSeconds: options.issuer?.generationSeconds ?? 3, pollSeconds: options.issuer?.pollSeconds ?? 2 },
    allowedOrigins: options.allowedOrigins ?? [],
    allowedHosts: options.allowedHosts ?? [],
  };
  const log: LogEntry[] = [];
  const ctx: { url: string; options: ResolvedSandboxOptions; log: LogEntry[] } = { url: '', options: resolved, log };
  const services = new Map<string, SandboxService>();
  const server = createServer((req, res) => void route(req, res));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  ctx.url = `http://${host}:${port}`;
  for (const make of factories) {
    const service = make(ctx as SandboxContext);
    services.set(service.name, service);
  }
  const byPrefix = [...services.values()].flatMap((s) => s.prefixes.map((p) => [p, s] as const)).sort((a, b) => b[0].length - a[0].length);

  const find = (path: string) => byPrefix.find(([p]) => path === p || path.startsWith(`${p}/`))?.[1];

  async function control(name: string, action: string, body: Record<string, unknown> = {}): Promise<unknown> {
    if (name === 'reset') return reset();
    const service = services.get(name);
    if (!service?.control) throw new HttpError(404, `no sandbox service "${name}" with knobs`);
    return (await service.control(action, body)) ?? { ok: true };
  }

  function reset(): { ok: true } {
    log.length = 0;
    for (const s of services.values()) s.reset?.();
    return { ok: true };
  }

  async function route(req: IncomingMessage, res: ServerResponse, next?: () => void): Promise<void> {
    const url = new URL(req.url ?? '/', ctx.url);
    const path = url.pathname;
    if (!isLocalHost(req.headers.host, resolved.allowedHosts)) {
      return sendJson(res, 403, { code: 403, msg: 'the sandbox answers loopback hosts only (SandboxOptions.allowedHosts)' });
    }
    if (path === CONTROL || path.startsWith(`${CONTROL}/`)) return routeControl(req, res, url);
    const service = find(path);
    if (!service) {
      if (next) return next();
      if (path === '/' && req.method === 'GET') return sendHtml(res, 200, rootPage(self.demoUrl, ctx.url));
      return sendJson(res, 404, { code: 404, msg: `no sandbox route for ${path}` });
    }
    if ((service.corsAllowed?.(url) ?? true) && isAllowedOrigin(req.headers.origin, resolved.allowedOrigins)) applyCors(req, res);
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const entry: LogEntry = {
      service: service.name,
      method: req.method ?? 'GET',
      path,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
      status: 0,
      time: Date.now(),
    };
    log.push(entry);
    try {
      await service.handle(req, res, url);
    } catch (err) {
      if (!res.headersSent) {
        const status = err instanceof HttpError ? err.status : 500;
        const body = err instanceof HttpError && err.body !== undefined ? err.body : { code: status, msg: (err as Error).message };
        sendJson(res, status, body);
      } else res.destroy(err as Error);
    } finally {
      entry.status = res.statusCode;
      if (parsedBodies.has(req)) entry.body = parsedBodies.get(req);
    }
  }

  // No CORS here: only same-origin pages (the sandbox mounted on a dev server) and scripts turn knobs or read the log.
  async function routeControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const parts = url.pathname
      .slice(CONTROL.length + 1)
      .split('/')
      .filter(Boolean);
    try {
      if (parts[0] === 'info')
        return sendJson(res, 200, { url: ctx.url, tenant: { id: resolved.tenant.id }, timeScale: resolved.timeScale });
      if (parts[0] === 'log') {
        const service = url.searchParams.get('service');
        const prefix = url.searchParams.get('path');
        return sendJson(
          res,
          200,
          log.filter((e) => (!service || e.service === service) && (!prefix || e.path.startsWith(prefix))),
        );
      }
      if (req.method !== 'POST') throw new HttpError(405, 'knobs are turned with POST');
      const body = await readJson(req);
      const result = await control(parts[0] ?? '', parts[1] ?? '', body);
      return sendJson(res, 200, result ?? { ok: true });
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      return sendJson(res, status, { error: (err as Error).message });
    }
  }

  const self: Sandbox = {
    url: ctx.url,
    port,
    options: resolved,
    handler: (req, res, next) => void route(req, res, next),
    owns: (path) => path === CONTROL || path.startsWith(`${CONTROL}/`) || !!find(path),
    log,
    services,
    control: control as Sandbox['control'],
    reset,
    async close() {
      await Promise.all([...services.values()].map((s) => s.close?.()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
  return self;
}

/** What the sandbox's own address shows: not a 404, but where the demo is and what runs here. */
function rootPage(demoUrl: string | undefined, url: string): string {
  const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const demo = demoUrl
    ? `<p>The demo page is at <a href="${escape(demoUrl)}">${escape(demoUrl)}</a>.</p>`
    : '<p>Open the page that started this sandbox (the demo: <code>npm start</code> prints its address first).</p>';
  return `<!doctype html><meta charset="utf-8"><title>upload-elements sandbox</title>
<h1>upload-elements sandbox</h1>${demo}
<p>This address (${escape(url)}) serves the local doubles of Titan Storage (<code>/titan</code>), a Universa issuer (<code>/universa</code>), digi.me (<code>/digime</code>) and the demo app backend (<code>/app</code>), and their knobs and request log under <code>/_sandbox</code>. The demo page mounts the same services on its own origin.</p>`;
}

const isLoopbackName = (host: string) => /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(host) || /\.localhost$/i.test(host);

/** The request's Host names this machine (or an allowed name); a missing Host (HTTP/1.0) is a local client. */
function isLocalHost(host: string | undefined, allowed: readonly string[]): boolean {
  if (!host) return true;
  const name = host.replace(/:\d+$/, '');
  return isLoopbackName(name) || allowed.includes(name);
}

/** A page on this machine, or one the sandbox was told to serve. */
function isAllowedOrigin(origin: string | undefined, allowed: readonly string[]): boolean {
  if (!origin) return false;
  const url = URL.parse(origin);
  return !!url && (allowed.includes(url.origin) || (/^https?:$/.test(url.protocol) && isLoopbackName(url.hostname)));
}

function applyCors(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin!;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('vary', 'origin');
  res.setHeader('access-control-allow-methods', 'GET, POST, PUT, DELETE, OPTIONS');
  res.setHeader(
    'access-control-allow-headers',
    req.headers['access-control-request-headers'] ?? 'content-type, authorization, jwtauthorization',
  );
  res.setHeader('access-control-max-age', '600');
}
