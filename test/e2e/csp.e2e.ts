// All three elements, from the self-contained bundle, on a page served with
//   Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; require-trusted-types-for 'script'
// must still work end to end and cause no violation. Needs `npm run build` first.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { startSandbox } from '../../src/sandbox/index.js';
import { launchChromium } from './harness.js';

export const STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; require-trusted-types-for 'script'";
const root = new URL('../../', import.meta.url).pathname;
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

const sandbox = await startSandbox({ timeScale: 0.01, issuer: { generationSeconds: 1, pollSeconds: 1 } });

async function serveFile(res: ServerResponse, path: string): Promise<void> {
  const file = normalize(join(root, path));
  if (!file.startsWith(join(root, 'dist')) && !file.startsWith(join(root, 'test/csp'))) return void res.writeHead(403).end();
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'content-security-policy': STRICT_CSP });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/' || path === '/index.html') return void serveFile(res, 'test/csp/index.html');
  if (path.startsWith('/dist/') || path.startsWith('/test/csp/')) return void serveFile(res, path);
  if (sandbox.owns(path)) return sandbox.handler(req, res);
  res.writeHead(404).end();
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

interface Recorded {
  name: string;
  detail: Record<string, unknown>;
}
const events = (page: Page) => page.evaluate(() => (window as unknown as { __events: Recorded[] }).__events);
const violations = (page: Page) => page.evaluate(() => (window as unknown as { __violations: unknown[] }).__violations);

async function waitForEvent(page: Page, name: string, timeout = 15_000): Promise<Recorded> {
  await page.waitForFunction((n) => (window as unknown as { __events: Recorded[] }).__events.some((e) => e.name === n), name, { timeout });
  return (await events(page)).find((e) => e.name === name)!;
}

async function open(page: Page, url = `${origin}/`): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
}

const cases: Array<[string, (page: Page) => Promise<void>]> = [
  [
    'the page really is under the strict policy (an inline script is refused)',
    async (page) => {
      await open(page);
      const ran = await page.evaluate(() => {
        const s = document.createElement('script');
        try {
          s.textContent = 'window.__inline = 1';
          document.head.append(s);
        } catch {
          /* Trusted Types refuses the text itself */
        }
        return (window as unknown as { __inline?: number }).__inline === 1;
      });
      if (ran) throw new Error('inline script ran: the CSP header is not in force');
      // That refusal is the one violation this case expects.
      await page.evaluate(() => ((window as unknown as { __violations: unknown[] }).__violations.length = 0));
    },
  ],
  [
    '<titan-uploader>: md5 in the worker, node upload, create_asset, CID shown',
    async (page) => {
      await open(page);
      await page
        .locator('titan-uploader input[type=file]')
        .first()
        .setInputFiles({ name: 'strict.txt', mimeType: 'text/plain', buffer: Buffer.from('bytes under a strict CSP\n'.repeat(1000)) });
      await page.locator('titan-uploader .uppy-StatusBar-actionBtn--upload').click();
      const ok = await waitForEvent(page, 'titan-upload-success');
      const shown = await page.locator('titan-uploader [part="cid"]').first().textContent();
      if (shown?.trim() !== ok.detail.cid) throw new Error(`CID shown "${shown}" differs from the event's ${String(ok.detail.cid)}`);
    },
  ],
  [
    '<universa-select-address>: issuer link, popup, typed address, polling, contract',
    async (page) => {
      // Issued through this page's origin, so the issuer's URLs are 'self' for the policy.
      const { cb } = (await (await fetch(`${origin}/universa/issue`, { method: 'POST', body: '{}' })).json()) as { cb: string };
      await open(page, `${origin}/?iv=1&cb=${encodeURIComponent(cb)}`);
      const input = page.locator('universa-select-address [part="input"]');
      await input.fill('2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ');
      await page.locator('universa-select-address [part="ok"]').click();
      const got = await waitForEvent(page, 'universa-contract', 20_000);
      if (typeof got.detail.base64Contract !== 'string' || !got.detail.base64Contract) throw new Error('no contract in the event');
      await page.locator('universa-select-address [part="download"]').waitFor({ timeout: 5000 });
    },
  ],
  [
    '<digime-writer>: connect through the authorize redirect, encrypt in the browser, write',
    async (page) => {
      await open(page);
      // Marks this document: the wait below is for the page digi.me sends the user back to (the
      // URL alone matches this page too, before the redirect has even started).
      await page.evaluate(() => (document.documentElement.dataset.left = 'true'));
      await page
        .locator('digime-writer')
        .getByRole('button', { name: /connect/i })
        .click();
      await page.waitForSelector('html[data-ready="true"]:not([data-left])', { timeout: 15_000 });
      await waitForEvent(page, 'digime-connected');
      await page
        .locator('digime-writer input[type=file]')
        .first()
        .setInputFiles({ name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('secret note') });
      await page.locator('digime-writer .uppy-StatusBar-actionBtn--upload').click();
      await waitForEvent(page, 'digime-write-success');
      const stored = (await sandbox.control('digime', 'postbox')) as Array<{ plaintextBase64: string }>;
      if (!stored.some((w) => Buffer.from(w.plaintextBase64, 'base64').toString() === 'secret note'))
        throw new Error('the postbox did not receive the plaintext');
    },
  ],
];

const browser = await launchChromium();
let passed = 0;
let failed = 0;
try {
  for (const [name, run] of cases) {
    sandbox.reset();
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await run(page);
      const v = await violations(page);
      if (v.length) throw new Error(`CSP violations: ${JSON.stringify(v)}`);
      if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      passed++;
      console.log(`✔ ${name}`);
    } catch (err) {
      failed++;
      console.log(`✖ ${name}: ${(err as Error).message.split('\n')[0]}`);
      await page.screenshot({ path: `.tmp/csp-failure-${passed + failed}.png` }).catch(() => undefined);
    } finally {
      await context.close();
    }
  }
} finally {
  await browser.close();
  server.close();
  await sandbox.close();
}
console.log(`csp: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
