// Visual check of every element in light and dark (issue 14, item 5): each element, from the
// built bundle (needs `npm run build` first) with the sandbox mounted on the page's origin, is
// brought into the states a user sees, screenshotted (element screenshots, 800×1000 viewport,
// deviceScaleFactor 1, reduced motion, animations disabled, installed fonts only) and compared
// with the reviewed baseline test/visual/baselines/<element>-<state>-<theme>.png by pixelmatch.
//
//   node --import tsx test/e2e/visual.e2e.ts              compare (fails beyond the tolerance)
//   node --import tsx test/e2e/visual.e2e.ts -- --update  rewrite the baselines it would fail (and add missing ones)
//
// Every run writes its shots to .tmp/visual/<name>.png, and for a failed comparison the diff
// (differing pixels red over a faded baseline) to .tmp/visual/<name>.diff.png.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, normalize, relative } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Locator, Page } from 'playwright-core';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import { startSandbox } from '../../src/sandbox/index.js';
import { launchChromium } from './harness.js';

const UPDATE = process.argv.includes('--update');
const root = new URL('../../', import.meta.url).pathname;
const BASELINES = join(root, 'test/visual/baselines');
const OUT = join(root, '.tmp/visual');
const CASE_TIMEOUT_MS = 30_000;
const UI_TIMEOUT_MS = 15_000;

/**
 * pixelmatch's per-pixel threshold: the colour distance (OKLab HyAB, 0 black–white to 1) from
 * which two pixels count as different. 0.02 is about 2 % of lightness: text #222 → #333 or a dark
 * row #272c38 → #343a48 counts (pixelmatch's default 0.1 let both through), the ±3 levels of
 * a channel that repeated runs here differ by (in the file thumbnail and check icon) do not.
 * Anti-aliased pixels (text and border edges) are not counted.
 */
const PIXEL_THRESHOLD = 0.02;
/**
 * A shot fails when more of its pixels differ than this fraction (0.02 %: 48 of the 720×336
 * empty Titan Dashboard), or than MIN_DIFF_PIXELS for a small one. A recoloured button label and
 * border is a few hundred pixels, a row's background thousands; runs on this machine differ in at
 * most 2 (36 before the threshold), also with two runs at once on its two cores.
 */
const MAX_DIFF_RATIO = 0.0002;
const MIN_DIFF_PIXELS = 20;
/** What hides the parts of a shot that change from run to run (addresses, dates, ids). */
const MASK_COLOR = '#808080';

/** The file stored and written: fixed bytes, so its CID is the same in every run. */
const FILE = {
  name: 'quarterly-report.txt',
  mimeType: 'text/plain',
  buffer: Buffer.from('upload-elements visual check: fixed bytes, so the CID is the same in every run.\n'.repeat(200)),
};

// ---- the page and the sandbox -------------------------------------------------------------------

const sandbox = await startSandbox({ timeScale: 0.01, issuer: { generationSeconds: 1, pollSeconds: 1 } });
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

async function serveFile(res: ServerResponse, path: string): Promise<void> {
  const file = normalize(join(root, path));
  const allowed = [join(root, 'dist/'), join(root, 'test/visual/')];
  if (!allowed.some((dir) => file.startsWith(dir)) || file.startsWith(BASELINES)) return void res.writeHead(403).end();
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/') return void serveFile(res, 'test/visual/index.html');
  if (path.startsWith('/dist/') || path.startsWith('/test/visual/')) return void serveFile(res, path);
  if (sandbox.owns(path)) return sandbox.handler(req, res);
  res.writeHead(404).end();
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// ---- helpers ------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Recorded {
  name: string;
  detail: Record<string, unknown>;
}

async function waitForEvent(page: Page, name: string): Promise<Recorded> {
  const failed = name.replace(/-(success|connected|contract)$/, '-error');
  const handle = await page.waitForFunction(
    ([n, f]) => (window as unknown as { __events?: Recorded[] }).__events?.find((e) => e.name === n || e.name === f),
    [name, failed] as const,
    { timeout: UI_TIMEOUT_MS },
  );
  const event = (await handle.jsonValue()) as Recorded;
  if (event.name !== name) throw new Error(`${event.name}: ${JSON.stringify(event.detail)}`);
  return event;
}

async function open(page: Page, element: string, theme: Theme, query = ''): Promise<void> {
  await page.goto(`${origin}/?el=${element}&theme=${theme}${query}`);
  await page.waitForSelector('html[data-ready="true"]', { timeout: UI_TIMEOUT_MS });
}

/** Nothing hovered or focused, fonts loaded, two frames drawn. */
async function rest(page: Page): Promise<void> {
  await page.mouse.move(0, 0);
  await page.evaluate(async () => {
    let active = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    (active as HTMLElement | null)?.blur?.();
    await document.fonts.ready;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
}

/**
 * An element screenshot taken again until two in a row are the same (Uppy's status bar and
 * progress settle on timers, not only through CSS transitions, which `animations: 'disabled'` ends).
 */
async function stableShot(target: Locator, mask: Locator[]): Promise<Buffer> {
  let previous: Buffer | undefined;
  for (let i = 0; i < 12; i++) {
    const shot = await target.screenshot({ animations: 'disabled', caret: 'hide', scale: 'css', mask, maskColor: MASK_COLOR });
    if (previous?.equals(shot)) return shot;
    previous = shot;
    await sleep(250);
  }
  throw new Error('the element kept changing: 12 screenshots in a row differed');
}

// ---- comparison ---------------------------------------------------------------------------------

type Theme = 'light' | 'dark';
const results: Array<{ name: string; ok: boolean; line: string }> = [];

async function check(name: string, shot: Buffer): Promise<void> {
  const baselineFile = join(BASELINES, `${name}.png`);
  const actualFile = join(OUT, `${name}.png`);
  const diffFile = join(OUT, `${name}.diff.png`);
  await writeFile(actualFile, shot);
  const actual = PNG.sync.read(shot);
  const pixels = actual.width * actual.height;
  const limit = Math.max(MIN_DIFF_PIXELS, Math.floor(pixels * MAX_DIFF_RATIO));
  const rel = (file: string) => relative(root, file);

  if (!existsSync(baselineFile)) {
    if (UPDATE) {
      await writeFile(baselineFile, shot);
      results.push({ name, ok: true, line: `✔ ${name}: new baseline ${rel(baselineFile)} (${actual.width}×${actual.height})` });
    } else {
      results.push({
        name,
        ok: false,
        line: `✖ ${name}: no baseline ${rel(baselineFile)}; review ${rel(actualFile)}, then run with -- --update`,
      });
    }
    return;
  }
  const baseline = PNG.sync.read(await readFile(baselineFile));
  if (baseline.width !== actual.width || baseline.height !== actual.height) {
    if (UPDATE) {
      await writeFile(baselineFile, shot);
      results.push({
        name,
        ok: true,
        line: `✔ ${name}: baseline rewritten (size ${baseline.width}×${baseline.height} → ${actual.width}×${actual.height})`,
      });
    } else {
      results.push({
        name,
        ok: false,
        line: `✖ ${name}: size ${actual.width}×${actual.height} differs from the baseline's ${baseline.width}×${baseline.height}; actual ${rel(actualFile)}, baseline ${rel(baselineFile)}`,
      });
    }
    return;
  }
  const diff = new PNG({ width: actual.width, height: actual.height });
  const differing = pixelmatch(baseline.data, actual.data, diff.data, actual.width, actual.height, { threshold: PIXEL_THRESHOLD });
  const share = `${differing} of ${pixels} pixels differ (${((differing / pixels) * 100).toFixed(3)} %, limit ${limit})`;
  if (UPDATE) {
    // Within the tolerance the baseline stays: a rewrite would only commit run-to-run jitter.
    if (differing <= limit) results.push({ name, ok: true, line: `✔ ${name}: kept, ${share}` });
    else {
      await writeFile(baselineFile, shot);
      results.push({ name, ok: true, line: `✔ ${name}: baseline rewritten, ${share}` });
    }
    return;
  }
  if (differing > limit) {
    await writeFile(diffFile, PNG.sync.write(diff));
    results.push({
      name,
      ok: false,
      line: `✖ ${name}: ${share}; actual ${rel(actualFile)}, diff ${rel(diffFile)}, baseline ${rel(baselineFile)}`,
    });
  } else results.push({ name, ok: true, line: `✔ ${name}: ${share}` });
}

// ---- the elements' states -----------------------------------------------------------------------

/** One element in one theme, through its states in one page; each state is shot and checked. */
type Flow = (page: Page, theme: Theme, shoot: (state: string, target: Locator, mask?: Locator[]) => Promise<void>) => Promise<void>;

const flows: Array<[element: string, flow: Flow]> = [
  [
    'titan-uploader',
    async (page, theme, shoot) => {
      await open(page, 'titan', theme);
      const stage = page.locator('#stage');
      await page.locator('titan-uploader .uppy-Dashboard').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      await shoot('empty', stage);

      await page.locator('titan-uploader input[type=file]').first().setInputFiles(FILE);
      await page.locator('titan-uploader .uppy-StatusBar-actionBtn--upload').click();
      const stored = await waitForEvent(page, 'titan-upload-success');
      if (stored.detail.deduplicated) throw new Error('the file was stored before (the sandbox was not reset)');
      await page.locator('titan-uploader [part="link"]').waitFor({ timeout: UI_TIMEOUT_MS });
      await shoot('stored', stage);
    },
  ],
  [
    'universa-select-address',
    async (page, theme, shoot) => {
      // The issuer is the sandbox's own (cross-origin) server, as a real issuer would be.
      const { cb } = await sandbox.control('universa', 'issue', {});
      await open(page, 'universa', theme, `&iv=1&cb=${encodeURIComponent(cb)}`);
      const dialog = page.locator('universa-select-address dialog[open]');
      await dialog.waitFor({ timeout: UI_TIMEOUT_MS });
      await shoot('offer', dialog);

      await page.locator('universa-select-address input[type=radio]').check();
      await page.locator('universa-select-address [part="ok"]').click();
      await waitForEvent(page, 'universa-contract');
      await page.locator('universa-select-address [part="download"]').waitFor({ timeout: UI_TIMEOUT_MS });
      // The issuer's key is made per sandbox; the dates are today's.
      const row = (label: string) => page.locator(`universa-select-address [part="summary"] dt:text-is("${label}") + dd`);
      await shoot('received', page.locator('#stage'), [row('Issuer'), row('Created'), row('Expires')]);
    },
  ],
  [
    'digime-writer',
    async (page, theme, shoot) => {
      await open(page, 'digime', theme);
      const stage = page.locator('#stage');
      await shoot('initial', stage);

      // Marks this document, so the wait below is for the page digi.me sends the user back to.
      await page.evaluate(() => (document.documentElement.dataset.left = 'true'));
      await page.locator('digime-writer [part="connect-button"]').click();
      await page.waitForSelector('html[data-ready="true"]:not([data-left])', { timeout: UI_TIMEOUT_MS });
      await waitForEvent(page, 'digime-connected');
      await page.locator('digime-writer .uppy-Dashboard').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      await page.locator('digime-writer input[type=file]').first().setInputFiles(FILE);
      await page.locator('digime-writer .uppy-StatusBar-actionBtn--upload').click();
      await waitForEvent(page, 'digime-write-success');
      await page.locator('digime-writer [part~="result-delivered"]').waitFor({ timeout: UI_TIMEOUT_MS });
      // The postbox id is new on every connect.
      await shoot('written', stage, [page.locator('digime-writer [part="status"] small')]);
    },
  ],
];

// ---- run ----------------------------------------------------------------------------------------

function withTimeout<T>(what: string, ms: number, run: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)));
  return Promise.race([run, timeout]).finally(() => clearTimeout(timer));
}

async function runFlow(browser: Browser, element: string, flow: Flow, theme: Theme): Promise<void> {
  sandbox.reset();
  const context = await browser.newContext({
    viewport: { width: 800, height: 1000 },
    deviceScaleFactor: 1,
    reducedMotion: 'reduce',
    // The system preference stays light: theme="dark" has to work on its own.
    colorScheme: 'light',
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Shots from installed fonts only: nothing but the page's origin and the sandbox's is asked.
  page.on('request', (r) => {
    const { origin: from } = new URL(r.url());
    if (r.resourceType() === 'font') problems.push(`a web font was requested: ${r.url()}`);
    else if (from !== origin && from !== sandbox.url && !/^(blob|data):/.test(r.url()))
      problems.push(`request outside the test: ${r.url()}`);
  });
  let state = '(opening)';
  try {
    await withTimeout(
      `${element} in ${theme}`,
      CASE_TIMEOUT_MS,
      flow(page, theme, async (name, target, mask = []) => {
        state = name;
        await rest(page);
        await check(`${element}-${name}-${theme}`, await stableShot(target, mask));
      }),
    );
    if (problems.length) throw new Error(problems.join('; '));
  } catch (err) {
    const name = `${element}-${state}-${theme}`;
    await page.screenshot({ path: join(OUT, `${name}.failure.png`) }).catch(() => undefined);
    results.push({ name, ok: false, line: `✖ ${name}: ${(err as Error).message.split('\n')[0]} (page: .tmp/visual/${name}.failure.png)` });
  } finally {
    await context.close();
  }
}

await mkdir(OUT, { recursive: true });
if (UPDATE) await mkdir(BASELINES, { recursive: true });
const started = Date.now();
let browser: Browser | undefined;
try {
  browser = await launchChromium(['--force-color-profile=srgb']);
  for (const [element, flow] of flows) {
    for (const theme of ['light', 'dark'] as const) {
      const before = results.length;
      await runFlow(browser, element, flow, theme);
      for (const r of results.slice(before)) console.log(r.line);
    }
  }
} finally {
  await browser?.close();
  server.close();
  await sandbox.close();
}
const failed = results.filter((r) => !r.ok).length;
console.log(`visual: ${results.length - failed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
process.exitCode = failed ? 1 : 0;
