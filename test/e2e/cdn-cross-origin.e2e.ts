// The CDN bundle as a CDN serves it: dist/cdn/ from one loopback origin (with
// `Access-Control-Allow-Origin: *`), the page from another (another port). A Worker cannot be
// started from another origin's URL, so the library starts it from a same-origin blob: URL that
// imports the worker script; the md5/CID must be computed in that Worker, not on the page, also
// under a CSP that allows it (`worker-src blob: <cdn>`) with Trusted Types enforced. Where the
// page's CSP refuses it (`worker-src 'self'`, or `blob:` without the CDN), hashing falls back to
// the main thread with one console warning, and uploads still work. Needs `npm run build` first.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { startSandbox } from '../../src/sandbox/index.js';
import { launchChromium } from './harness.js';

const cdnRoot = new URL('../../dist/cdn/', import.meta.url).pathname;
const types: Record<string, string> = { '.js': 'text/javascript', '.map': 'application/json' };
const listen = async (server: ReturnType<typeof createServer>) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const sandbox = await startSandbox({ timeScale: 0.01 });

// The "CDN": static files, CORS for everyone, nothing else.
const served: string[] = [];
const cdn = createServer(async (req: IncomingMessage, res: ServerResponse) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  served.push(path);
  const file = normalize(join(cdnRoot, path));
  if (!file.startsWith(cdnRoot)) return void res.writeHead(403).end();
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'access-control-allow-origin': '*' });
    res.end(body);
  } catch {
    res.writeHead(404, { 'access-control-allow-origin': '*' }).end();
  }
});
const cdnOrigin = await listen(cdn);

// The app: its page (which loads the bundle from the CDN's origin) and the sandbox's services.
const page = (csp: string | undefined) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>CDN bundle from another origin${csp ? `, CSP ${csp}` : ''}</title>
    <script>
      window.__events = [];
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push({ directive: e.violatedDirective, blocked: e.blockedURI }));
      for (const name of ['titan-upload-success', 'titan-upload-error'])
        document.addEventListener(name, (e) => window.__events.push({ name, detail: e.detail }));
    </script>
    <script type="module" src="${cdnOrigin}/upload-elements.js"></script>
    <script type="module">
      await customElements.whenDefined('titan-uploader');
      document.documentElement.dataset.ready = 'true';
    </script>
  </head>
  <body>
    <titan-uploader api-url="/titan" token-url="/app/titan/token" extra-id-url="/app/titan/extra-id"></titan-uploader>
  </body>
</html>`;
// The page's Content-Security-Policy, by `?csp=` (none without it).
const policies: Record<string, string> = {
  // What the README asks of such a page, here with Trusted Types enforced: the blob: URL goes
  // through the library's policy, and the Worker's import of the CDN script is a worker fetch,
  // checked against worker-src (script-src allows the bundle itself and the page's inline scripts).
  cdn: `script-src 'unsafe-inline' ${cdnOrigin}; worker-src blob: ${cdnOrigin}; require-trusted-types-for 'script'`,
  // blob: workers refused: the library falls back to the main thread.
  self: "worker-src 'self'",
  // blob: allowed but not the CDN: the Worker starts, its import of the CDN script is refused.
  blob: 'worker-src blob:',
};
const app = createServer((req: IncomingMessage, res: ServerResponse) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/') {
    const csp = policies[url.searchParams.get('csp') ?? ''];
    return void res.writeHead(200, { 'content-type': 'text/html', ...(csp ? { 'content-security-policy': csp } : {}) }).end(page(csp));
  }
  if (sandbox.owns(url.pathname)) return sandbox.handler(req, res);
  res.writeHead(404).end();
});
const appOrigin = await listen(app);
if (new URL(appOrigin).origin === new URL(cdnOrigin).origin) throw new Error('the page and the CDN must be on two origins');

interface Recorded {
  name: string;
  detail: Record<string, unknown>;
}
const events = (p: Page) => p.evaluate(() => (window as unknown as { __events: Recorded[] }).__events);
const violations = (p: Page) =>
  p.evaluate(() => (window as unknown as { __violations: Array<{ directive: string; blocked: string }> }).__violations);

/** Uploads `files` together through the element; each must succeed with its CID shown. */
async function upload(p: Page, files: Array<{ name: string; bytes: number }>): Promise<void> {
  const payloads = files.map(({ name, bytes }, i) => {
    const buffer = Buffer.alloc(bytes);
    for (let j = 0; j + 4 <= bytes; j += 4096) buffer.writeUInt32LE((Math.imul(j, 2654435761) + i) >>> 0, j);
    return { name, mimeType: 'application/octet-stream', buffer };
  });
  await p.locator('titan-uploader input[type=file]').first().setInputFiles(payloads);
  await p.locator('titan-uploader .uppy-StatusBar-actionBtn--upload').click();
  await p.waitForFunction(
    (n) => (window as unknown as { __events: Recorded[] }).__events.filter((e) => e.name.startsWith('titan-upload-')).length >= n,
    files.length,
    { timeout: 30_000 },
  );
  const all = await events(p);
  const errors = all.filter((e) => e.name === 'titan-upload-error');
  if (errors.length) throw new Error(`upload error: ${JSON.stringify(errors[0]!.detail)}`);
  const shown = (await p.locator('titan-uploader [part="cid"]').allTextContents()).map((s) => s.trim());
  for (const ok of all.filter((e) => e.name === 'titan-upload-success')) {
    if (typeof ok.detail.cid !== 'string' || !ok.detail.cid) throw new Error('no CID in titan-upload-success');
    if (!shown.includes(ok.detail.cid)) throw new Error(`CID ${ok.detail.cid} not shown (shown: ${JSON.stringify(shown)})`);
  }
}

interface Watch {
  workers: string[];
  warnings: string[];
  pageErrors: string[];
}

/** The md5/CID was computed in a Worker started from a blob: URL of the page's origin. */
async function hashedInWorker(p: Page, w: Watch): Promise<void> {
  const hashing = w.warnings.filter((m) => m.includes('main thread'));
  if (hashing.length) throw new Error(`hashed on the main thread: ${hashing[0]}`);
  if (!w.workers.length) throw new Error('no Worker started');
  if (!w.workers.every((u) => u.startsWith(`blob:${appOrigin}/`))) throw new Error(`unexpected worker URLs: ${w.workers.join(', ')}`);
  const v = await violations(p);
  if (v.length) throw new Error(`CSP violations: ${JSON.stringify(v)}`);
}

/** Every file hashed on the main thread, and the console said so exactly once. */
function fellBack(w: Watch): void {
  const hashing = w.warnings.filter((m) => m.includes('main thread'));
  if (hashing.length !== 1) throw new Error(`${hashing.length} main-thread warnings, expected exactly 1`);
}

const twoFiles = [
  { name: 'fallback-1.bin', bytes: 1024 * 1024 + 3 },
  { name: 'fallback-2.bin', bytes: 200_000 },
];

const cases: Array<[string, string, (p: Page, w: Watch) => Promise<void>]> = [
  [
    'no CSP: md5/CID computed in a Worker (blob: on the page origin), no warning, CID shown',
    '/',
    async (p, w) => {
      await upload(p, [{ name: 'cross-origin.bin', bytes: 3 * 1024 * 1024 + 17 }]);
      await hashedInWorker(p, w);
      // The contract-summary Worker starts through the same helper, so from a blob: URL too.
      const started = w.workers.length;
      const answer = await p.evaluate(async (bundle) => {
        const { contractSummary } = (await import(bundle)) as { contractSummary(b: Uint8Array): Promise<unknown> };
        return contractSummary(new Uint8Array([1, 2, 3])).then(
          (v) => `summary ${JSON.stringify(v)}`,
          (e: Error & { code?: string }) => `${e.name} ${e.code}`,
        );
      }, `${cdnOrigin}/upload-elements.js`);
      if (!answer.startsWith('summary {"kind":"unknown"')) throw new Error(`contractSummary answered ${answer}`);
      if (w.workers.length <= started) throw new Error('the summary Worker did not start');
      await hashedInWorker(p, w);
      if (!served.some((path) => /^\/assets\/summary\.worker-[^/]+\.js$/.test(path)))
        throw new Error('the summary Worker never fetched its script');
    },
  ],
  [
    `CSP worker-src blob: <cdn>, Trusted Types required: md5/CID computed in the Worker, CID shown`,
    '/?csp=cdn',
    async (p, w) => {
      await upload(p, [{ name: 'trusted-types.bin', bytes: 1024 * 1024 + 5 }]);
      await hashedInWorker(p, w);
    },
  ],
  [
    "CSP worker-src 'self': main-thread fallback, exactly one warning for two files, both uploaded",
    '/?csp=self',
    async (p, w) => {
      await upload(p, twoFiles);
      fellBack(w);
      if (w.workers.length) throw new Error(`a Worker started despite worker-src 'self': ${w.workers.join(', ')}`);
      // The one refusal is the page's policy refusing the blob: worker.
      const v = await violations(p);
      if (!v.length || !v.every((x) => x.directive === 'worker-src' && x.blocked === 'blob'))
        throw new Error(`expected only the blob: worker refused, got CSP violations: ${JSON.stringify(v)}`);
    },
  ],
  [
    'CSP worker-src blob: without the CDN: main-thread fallback, exactly one warning for two files, both uploaded',
    '/?csp=blob',
    async (p, w) => {
      await upload(p, twoFiles);
      fellBack(w);
    },
  ],
];

const browser = await launchChromium();
let passed = 0;
let failed = 0;
try {
  for (const [name, path, run] of cases) {
    sandbox.reset();
    const context = await browser.newContext();
    const p = await context.newPage();
    const watch: Watch = { workers: [], warnings: [], pageErrors: [] };
    p.on('worker', (worker) => watch.workers.push(worker.url()));
    p.on('console', (m) => void (m.type() === 'warning' && watch.warnings.push(m.text())));
    p.on('pageerror', (e) => watch.pageErrors.push(e.message));
    try {
      const from = served.length;
      await p.goto(`${appOrigin}${path}`);
      await p.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
      // An English page loads one file from the CDN: the bundle, with no chunk behind it (what
      // loads on demand comes at first use).
      const atLoad = served.slice(from);
      if (atLoad.join() !== '/upload-elements.js') throw new Error(`at load the CDN served ${atLoad.join(', ')}`);
      await run(p, watch);
      if (watch.pageErrors.length) throw new Error(`page errors: ${watch.pageErrors.join('; ')}`);
      passed++;
      console.log(`✔ ${name}`);
    } catch (err) {
      failed++;
      console.log(`✖ ${name}: ${(err as Error).message.split('\n')[0]}`);
      await p.screenshot({ path: `.tmp/cdn-cross-origin-failure-${passed + failed}.png` }).catch(() => undefined);
    } finally {
      await context.close();
    }
  }
} finally {
  await browser.close();
  cdn.close();
  app.close();
  await sandbox.close();
}
console.log(`cdn-cross-origin: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
