// The package as an app gets it: `npm pack` of the built package, unpacked into the
// node_modules of a small Vite app (test/consumer: a plain page and a React 19 page),
// type-checked against the shipped declarations, then run in Vite's dev server (dependencies
// pre-bundled) and as a production build. In both, the md5 worker, the Uppy stylesheet chunk and
// the on-demand German table must load through the app's bundler, each element must work against
// the sandbox, and React must set properties and hear events.
// Needs `npm run build` first.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { build, createServer, preview, type Connect, type Plugin } from 'vite';
import type { Page } from 'playwright-core';
import { startSandbox } from '../../src/sandbox/index.js';
import { launchChromium } from './harness.js';
import { installPacked } from './pack.js';

const root = new URL('../../', import.meta.url).pathname;
// Inside the project, so the app resolves lit, Uppy and the rest from the project's node_modules
// as an app resolves its own.
const app = join(root, '.tmp/consumer-app');
const WORKER_TEXT = 'hashed in the worker of a bundled app';

rmSync(app, { recursive: true, force: true });
cpSync(join(root, 'test/consumer'), app, { recursive: true });
installPacked(root, app);

const results: string[] = [];
let failed = 0;
async function check(name: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
    results.push(`✔ ${name}`);
  } catch (err) {
    failed++;
    results.push(`✖ ${name}: ${(err as Error).message.split('\n')[0]}`);
  }
  console.log(results.at(-1));
}

await check('the app type-checks against the shipped declarations (typed events, tag names)', async () => {
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(app, 'tsconfig.json')], { cwd: app, encoding: 'utf8' });
});

await check('every browser subpath imports in Node without a DOM (server-side rendering)', async () => {
  const script = `for (const p of ['', '/titan', '/universa', '/digime', '/react', '/vue', '/svelte']) await import('upload-elements' + p);`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
});

await check(
  'the headless entries (titan/client, universa/client, digime/client) register no element and reach neither lit nor Uppy',
  async () => {
    const pkgDir = join(app, 'node_modules/upload-elements');
    const exportsMap = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { exports: Record<string, { default: string }> })
      .exports;
    for (const sub of ['./titan/client', './universa/client', './digime/client']) {
      // Every module the entry reaches, static and dynamic imports alike, as shipped.
      const seen = new Set<string>();
      const bare = new Set<string>();
      const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        const code = readFileSync(file, 'utf8');
        if (/\.define\(\s*["'][a-z]+-[a-z-]+["']\s*\)|customElements\.define/.test(code))
          throw new Error(`${sub} reaches ${file}, which registers an element`);
        for (const m of code.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
          const spec = m[1]!;
          if (spec.startsWith('.')) visit(join(dirname(file), spec));
          else bare.add(spec.split('/')[0]!.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        }
      };
      visit(join(pkgDir, exportsMap[sub]!.default));
      const banned = [...bare].filter((b) => b === 'lit' || b.startsWith('@lit') || b.startsWith('@uppy'));
      if (banned.length) throw new Error(`${sub} imports ${banned.join(', ')}`);
    }
  },
);

const sandbox = await startSandbox({ timeScale: 0.01, issuer: { generationSeconds: 1, pollSeconds: 1 } });
/** The sandbox on the app's own origin, in the dev server and in the preview of the build. */
const mount = (server: { middlewares: Connect.Server }) =>
  void server.middlewares.use((req, res, next) =>
    sandbox.owns(new URL(req.url ?? '/', 'http://x').pathname) ? sandbox.handler(req, res, next) : next(),
  );
const mountSandbox: Plugin = { name: 'sandbox', configureServer: mount, configurePreviewServer: mount };
const common = {
  root: app,
  configFile: false as const,
  logLevel: 'warn' as const,
  plugins: [mountSandbox],
  server: { fs: { allow: [root] } },
};

interface Recorded {
  name: string;
  detail: Record<string, unknown>;
}

/** Collects page errors and failed responses into the list a check returns. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${new URL(r.url()).pathname}`);
  });
  return problems;
}

/** The plain page: every element, the worker, the German chunk, typed listeners. */
async function runElements(page: Page, origin: string): Promise<string[]> {
  const problems = watch(page);
  const events = () => page.evaluate(() => (window as unknown as { __events: Recorded[] }).__events);
  const waitFor = async (name: string) => {
    await page.waitForFunction((n) => (window as unknown as { __events: Recorded[] }).__events.some((e) => e.name === n), name, {
      timeout: 20_000,
    });
    return (await events()).find((e) => e.name === name)!;
  };

  // An issuer link, so the Universa popup opens on load, in German (a chunk fetched on demand).
  const { cb } = (await (await fetch(`${origin}/universa/issue`, { method: 'POST', body: '{}' })).json()) as { cb: string };
  await page.goto(`${origin}/?iv=1&cb=${encodeURIComponent(cb)}`);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 20_000 });

  const hex = await page.evaluate(() => (window as unknown as { __md5: string }).__md5);
  const expected = createHash('md5').update(WORKER_TEXT).digest('hex');
  if (hex !== expected) problems.push(`md5 in the worker gave ${hex}, expected ${expected}`);

  await page.locator('universa-select-address dialog[open]').waitFor({ timeout: 10_000 });
  const cancel = (await page.locator('universa-select-address [part="cancel"]').textContent())?.trim();
  if (cancel !== 'Abbrechen') problems.push(`Universa popup says "${cancel}", not German`);
  await page.locator('universa-select-address [part="input"]').fill('2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ');
  await page.locator('universa-select-address [part="ok"]').click();
  const contract = await waitFor('universa-contract');
  if (contract.detail.cb !== cb || !(Number(contract.detail.bytes) > 0))
    problems.push(`universa-contract detail ${JSON.stringify(contract.detail)}`);

  const hasUppyStyles = await page.evaluate(() => {
    const shadow = document.querySelector('titan-uploader')!.shadowRoot!;
    const sheets = [...shadow.adoptedStyleSheets, ...[...shadow.querySelectorAll('style')].map((s) => s.sheet!)];
    return sheets.some((sheet) => [...sheet.cssRules].some((r) => r.cssText.includes('.uppy-Dashboard')));
  });
  if (!hasUppyStyles) problems.push('no Uppy Dashboard styles in <titan-uploader>');
  await page
    .locator('titan-uploader input[type=file]')
    .first()
    .setInputFiles({ name: 'app.txt', mimeType: 'text/plain', buffer: Buffer.from('uploaded from a bundled app\n'.repeat(500)) });
  await page.locator('titan-uploader .uppy-StatusBar-actionBtn--upload').click();
  const uploaded = await waitFor('titan-upload-success');
  const shown = (await page.locator('titan-uploader [part="cid"]').first().textContent())?.trim();
  if (!uploaded.detail.cid || shown !== uploaded.detail.cid)
    problems.push(`CID shown "${shown}", event ${JSON.stringify(uploaded.detail)}`);

  await page
    .locator('digime-writer')
    .getByRole('button', { name: /connect/i })
    .waitFor({ timeout: 5000 });
  return problems;
}

/** The React page: `addresses` and `tokenProvider` set as properties, events heard through `on<event>`. */
async function runReact(page: Page, origin: string): Promise<string[]> {
  const problems = watch(page);
  const { cb } = (await (await fetch(`${origin}/universa/issue`, { method: 'POST', body: '{}' })).json()) as { cb: string };
  await page.goto(`${origin}/react.html?iv=1&cb=${encodeURIComponent(cb)}`);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 20_000 });

  await page.locator('universa-select-address dialog[open]').waitFor({ timeout: 10_000 });
  const option = (await page.locator('universa-select-address [part="address"]').textContent())?.replace(/\s+/g, ' ').trim();
  if (!option?.startsWith('Main wallet')) problems.push(`address list from React's property shows "${option}"`);
  if (await page.locator('universa-select-address [part="input"]').count()) problems.push('noInput from React did not remove the input');
  await page.locator('universa-select-address input[type=radio]').check();
  await page.locator('universa-select-address [part="ok"]').click();
  await page.locator('#contract').filter({ hasText: /^\d+$/ }).waitFor({ timeout: 20_000 });

  // No token-url: the token comes from React's tokenProvider property alone.
  await page
    .locator('titan-uploader input[type=file]')
    .first()
    .setInputFiles({ name: 'react.txt', mimeType: 'text/plain', buffer: Buffer.from('uploaded from React\n'.repeat(500)) });
  await page.locator('titan-uploader .uppy-StatusBar-actionBtn--upload').click();
  await page.locator('#cid').filter({ hasText: /^b/ }).waitFor({ timeout: 20_000 });
  const fromState = (await page.locator('#cid').textContent())?.trim();
  const shown = (await page.locator('titan-uploader [part="cid"]').first().textContent())?.trim();
  if (fromState !== shown) problems.push(`React state has CID ${fromState}, the element shows ${shown}`);
  return problems;
}

const browser = await launchChromium();
async function inPage(origin: string): Promise<void> {
  for (const run of [runElements, runReact]) {
    sandbox.reset();
    const context = await browser.newContext();
    try {
      const problems = await run(await context.newPage(), origin);
      if (problems.length) throw new Error(problems.join('; '));
    } catch (err) {
      throw new Error(`${run === runReact ? 'React page' : 'plain page'}: ${(err as Error).message}`, { cause: err });
    } finally {
      await context.close();
    }
  }
}
const originOf = (server: Server | null | undefined) => `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;

try {
  await check('Vite dev server (pre-bundled dependency): worker, Uppy styles, German on demand, all three elements, React', async () => {
    const dev = await createServer({
      ...common,
      cacheDir: join(app, 'node_modules/.vite'),
      server: { ...common.server, port: 0, host: '127.0.0.1' },
    });
    await dev.listen();
    try {
      await inPage(originOf(dev.httpServer as Server));
    } finally {
      await dev.close();
    }
  });
  await check('Vite production build: the same', async () => {
    const input = { main: join(app, 'index.html'), react: join(app, 'react.html') };
    await build({ ...common, build: { outDir: join(app, 'dist'), emptyOutDir: true, target: 'es2022', rollupOptions: { input } } });
    const server = await preview({ ...common, build: { outDir: join(app, 'dist') }, preview: { port: 0, host: '127.0.0.1' } });
    try {
      await inPage(originOf(server.httpServer as Server));
    } finally {
      await server.close();
    }
  });
} finally {
  await browser.close();
  await sandbox.close();
}
const passed = results.length - failed;
console.log(`consumer: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
