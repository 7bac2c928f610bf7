// `npm run test:e2e`: one end-to-end run through the demo page as a user would drive it, against
// the demo exactly as `npm start` serves it (Vite dev server + mounted sandbox) in Debian's
// Chromium. No test framework: named async cases run one after another, each in a fresh browser
// context with its own timeout. The last line of output is always `N passed, N failed`.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { unixfsCidOfBytes } from '../../src/sandbox/unixfs-cid.js';
import { SandboxClient, type SandboxServiceName } from '../../src/sandbox/control.js';
import type { LogEntry } from '../../src/sandbox/types.js';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium, startDemo, type DemoServer } from './harness.js';

const SHOTS = '.tmp';
const CASE_TIMEOUT_MS = 90_000;
const UI_TIMEOUT_MS = 30_000;

interface Ctx {
  demo: DemoServer;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions of every page of this case (shown when it fails). */
  problems: string[];
}

// ---- small helpers ----------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class Failure extends Error {}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Failure(message);
}

/** Polls `fn` until it returns something truthy; bounded by `timeoutMs`. */
async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = UI_TIMEOUT_MS,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      if (err instanceof Failure) throw err; // a definite failure, not "not yet"
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Failure(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    }
    await sleep(everyMs);
  }
}

/** The sandbox mounted on the demo server, through its own typed client. */
const sandboxOf = (demo: DemoServer) => new SandboxClient(demo.url.replace(/\/$/, ''));

/** What the sandbox's servers saw: GET /_sandbox/log?service=… */
const sandboxLog = (demo: DemoServer, service: SandboxServiceName): Promise<LogEntry[]> => sandboxOf(demo).log(service);

const isCreateAsset = (e: LogEntry) => e.path.endsWith('/create_asset');
const isNodeUpload = (e: LogEntry) => /^\/titan-node\/[^/]+\/uploadv2$/.test(e.path);

/** The CID a Titan node gives these bytes (UnixFS, as go-unixfsnode builds it), from ipfs-unixfs-importer. */
const fileCid = (bytes: Uint8Array): Promise<string> => unixfsCidOfBytes(bytes);

function testFile(name: string, size: number, mimeType = 'application/octet-stream') {
  return { name, mimeType, buffer: randomBytes(size) };
}

/** The demo's event log entries for the event `name` (its `data-event`, the exact name), newest first. */
function logLine(page: Page, name: string): Locator {
  return page.locator(`#log li[data-event="${name}"]`);
}

/** Entries for `name` whose detail JSON has each of these fields, as the pretty-printed JSON shows them. */
function logLineWith(page: Page, name: string, fields: Record<string, unknown>): Locator {
  let line = logLine(page, name);
  for (const [key, value] of Object.entries(fields)) {
    line = line.filter({ has: page.locator('details > pre', { hasText: `${JSON.stringify(key)}: ${JSON.stringify(value)}` }) });
  }
  return line;
}

/** The JSON detail the demo printed (in the entry's collapsed <details>) for the newest `name` event. */
async function logDetail<T = Record<string, unknown>>(page: Page, name: string): Promise<T> {
  const json = (await logLine(page, name).first().locator('details > pre').textContent()) ?? '';
  return JSON.parse(json) as T;
}

async function shot(page: Page, file: string): Promise<void> {
  await sleep(800); // let Uppy's progress-bar transitions settle
  await page.screenshot({ path: `${SHOTS}/${file}`, fullPage: true });
  console.log(`  screenshot ${SHOTS}/${file}`);
}

/** The demo loaded, its elements defined and the Titan Dashboard rendered. */
async function openDemo(ctx: Ctx, page = ctx.page, url = ctx.demo.url): Promise<void> {
  await page.goto(url, { waitUntil: 'load', timeout: UI_TIMEOUT_MS });
  await page.waitForFunction(
    () => ['titan-uploader', 'digime-writer', 'universa-select-address'].every((t) => customElements.get(t)),
    undefined,
    { timeout: UI_TIMEOUT_MS },
  );
  await page.locator('titan-uploader .uppy-Dashboard').first().waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
}

/** Ticks a demo knob checkbox and waits for the demo to report the knob(s) it turned. */
async function toggle(ctx: Ctx, label: string, expectInLog: Record<string, unknown>): Promise<void> {
  await ctx.page.getByLabel(label).check();
  await logLineWith(ctx.page, 'sandbox', expectInLog).first().waitFor({ timeout: 10_000 });
}

async function addTitanFile(page: Page, file: ReturnType<typeof testFile>): Promise<void> {
  await page.locator('titan-uploader input[type=file]').first().setInputFiles(file);
  await page.locator('titan-uploader .uppy-StatusBar-actionBtn--upload').waitFor({ state: 'visible', timeout: 10_000 });
}

async function clickTitanUpload(page: Page): Promise<void> {
  await page.locator('titan-uploader .uppy-StatusBar-actionBtn--upload').click();
}

/** Fails at once when the uploader reported an error (instead of waiting for a timeout). */
async function throwIfTitanFailed(page: Page): Promise<void> {
  if (!(await logLine(page, 'titan-upload-error').count())) return;
  const detail = await logDetail<{ error?: { code?: unknown; message?: string } }>(page, 'titan-upload-error');
  throw new Failure(`the upload failed: ${JSON.stringify(detail.error)}`);
}

/** Resolves once a node upload request has reached the sandbox and is not answered yet. */
async function nodeUploadInProgress(page: Page, demo: DemoServer): Promise<LogEntry> {
  return until(
    'a node upload in progress',
    async () => {
      await throwIfTitanFailed(page);
      return (await sandboxLog(demo, 'titan')).find((e) => isNodeUpload(e) && e.status === 0);
    },
    20_000,
  );
}

/** The detail of the newest titan-upload-error, once the event log shows one. */
function uploadErrorDetail(page: Page): Promise<{ error?: { code?: string; message?: string } }> {
  return until(
    'titan-upload-error in the event log',
    async () =>
      (await logLine(page, 'titan-upload-error').count())
        ? logDetail<{ error?: { code?: string; message?: string } }>(page, 'titan-upload-error')
        : undefined,
    5000,
  );
}

/** Waits for the uploader to show a CID (failing fast on an upload error); returns it. */
async function titanCid(page: Page): Promise<string> {
  const cid = page.locator('titan-uploader [part="cid"]').first();
  return until('a CID in the uploader', async () => {
    await throwIfTitanFailed(page);
    return (await cid.isVisible()) ? ((await cid.textContent()) ?? '').trim() : undefined;
  });
}

// ---- cases --------------------------------------------------------------------------------------

async function titanTokenExpiredMidUpload(ctx: Ctx): Promise<void> {
  const { page, demo } = ctx;
  await openDemo(ctx);
  await toggle(ctx, 'Slow nodes', { nodeId: 'node2', mode: 'slow' });
  const file = testFile('expiring-token.bin', 256 * 1024);
  await addTitanFile(page, file);
  await clickTitanUpload(page);

  const inFlight = await nodeUploadInProgress(page, demo);
  const expiredAt = Date.now();
  await page.getByRole('button', { name: 'Expire Titan sign-ins now' }).click();
  await logLine(page, 'sandbox').filter({ hasText: 'titan/expire-tokens' }).first().waitFor({ timeout: 10_000 });
  assert(
    (await sandboxLog(demo, 'titan')).find((e) => e.time === inFlight.time && e.path === inFlight.path)?.status === 0,
    'the node upload finished before the tokens were expired (not mid-way)',
  );

  const cid = await titanCid(page);
  assert(cid === (await fileCid(file.buffer)), `CID shown ${cid} is not the file's CID ${await fileCid(file.buffer)}`);
  await page.locator('titan-uploader [part="verified"]').first().waitFor({ timeout: 5000 });

  await logLine(page, 'titan-token-renewed').first().waitFor({ timeout: 5000 });
  await logLine(page, 'titan-upload-success').first().waitFor({ timeout: 5000 });

  // Nodes take only their own token, so the upload in flight went through; the next API call
  // (create_asset) met the expired user token, which Titan answers with an empty HTTP 500.
  const titan = await sandboxLog(demo, 'titan');
  const nodeUploads = titan.filter(isNodeUpload);
  assert(
    nodeUploads.length === 1 && nodeUploads[0]!.status === 200,
    `node uploads: ${JSON.stringify(nodeUploads.map((e) => [e.path, e.status]))}`,
  );
  const createStatuses = titan.filter(isCreateAsset).map((e) => e.status);
  assert(
    JSON.stringify(createStatuses) === '[500,200]',
    `create_asset answered ${JSON.stringify(createStatuses)}, expected a refused stale token, then success`,
  );
  const tokenCalls = (await sandboxLog(demo, 'app-titan')).filter((e) => e.path === '/app/titan/token' && e.method === 'POST');
  assert(tokenCalls.length >= 2, `the app token endpoint was called ${tokenCalls.length}× (expected a first token and a renewal)`);
  assert(
    tokenCalls.some((e) => e.time >= expiredAt && e.status === 200),
    'the app token endpoint was not called again after the tokens expired',
  );

  const creates = titan.filter((e) => isCreateAsset(e) && e.status === 200);
  assert(creates.length === 1, `expected one accepted create_asset, saw ${creates.length}`);
  const body = creates[0]!.body as { extra_id?: string; asset_cid?: string };
  assert(body.asset_cid === cid, `create_asset asset_cid ${body.asset_cid} ≠ shown CID ${cid}`);
  const extraId = body.extra_id;
  assert(typeof extraId === 'string' && extraId, 'create_asset carried no extra_id');
  const success = await logDetail<{ extraId?: string; cid?: string; verified?: boolean; report?: { status?: string } }>(
    page,
    'titan-upload-success',
  );
  assert(
    success.extraId === extraId && success.cid === cid,
    `titan-upload-success detail ${JSON.stringify(success)} does not match create_asset`,
  );
  assert(
    success.verified === true && success.report?.status === 'sent',
    `titan-upload-success: verified ${success.verified}, report ${JSON.stringify(success.report)}`,
  );
  // Its log entry: one line (time, event, the file and its CID, shortened), the JSON collapsed until opened.
  const entry = logLine(page, 'titan-upload-success').first();
  const line = ((await entry.locator('summary').textContent()) ?? '').replace(/\s+/g, ' ').trim();
  const expected = `titan-upload-success ${file.name} → ${cid.slice(0, 6)}…${cid.slice(-6)} (verified)`;
  assert(
    /^\d\d:\d\d:\d\d /.test(line) && line.endsWith(expected),
    `the log line is ${JSON.stringify(line)}, expected "hh:mm:ss ${expected}"`,
  );
  assert(!(await entry.locator('details').evaluate((d) => (d as HTMLDetailsElement).open)), 'the entry opened by itself');
  assert(!(await entry.locator('details > pre').isVisible()), 'the detail JSON shows before the entry is opened');
  await entry.locator('summary').click();
  await entry.locator('details > pre').waitFor({ state: 'visible', timeout: 5000 });

  // The app backend's "callbacks received" table, filled by the callback the report queued:
  // an upload, the file's extra_id, the CID the browser verified, the signature checked.
  const row = page.locator('#received tr').filter({ hasText: extraId });
  await row.first().waitFor({ timeout: 10_000 });
  const cells = (await row.first().locator('td').allTextContents()).map((t) => t.trim());
  assert(
    JSON.stringify(cells) === JSON.stringify(['upload', extraId, file.name, cid, 'matches the file', 'verified']),
    `callbacks table row is ${JSON.stringify(cells)}`,
  );
  await shot(page, 'e2e-titan-done.png');
}

async function titanNodeFailover(ctx: Ctx): Promise<void> {
  const { page, demo } = ctx;
  await openDemo(ctx);
  await toggle(ctx, 'Node 1 down', { nodeId: 'node1', mode: 'down' });
  const file = testFile('failover.bin', 128 * 1024);
  await addTitanFile(page, file);
  await clickTitanUpload(page);

  const cid = await titanCid(page);
  assert(cid === (await fileCid(file.buffer)), `CID shown ${cid} is not the file's CID`);
  await logLine(page, 'titan-upload-success').first().waitFor({ timeout: 5000 });
  assert((await logLine(page, 'titan-upload-error').count()) === 0, 'a titan-upload-error was logged');

  const titan = await sandboxLog(demo, 'titan');
  const node1 = titan.filter((e) => e.path === '/titan-node/node1/uploadv2');
  const node2 = titan.filter((e) => e.path === '/titan-node/node2/uploadv2');
  assert(node1.length >= 1 && node1.every((e) => e.status === 503), `node1 attempts: ${JSON.stringify(node1.map((e) => e.status))}`);
  assert(
    node2.some((e) => e.status === 200),
    `node2 attempts: ${JSON.stringify(node2.map((e) => e.status))}`,
  );
  const creates = titan.filter(isCreateAsset);
  assert(creates.length === 1, `expected one create_asset, saw ${creates.length}`);
  const nodeId = (creates[0]!.body as { node_id?: string }).node_id;
  assert(
    nodeId === 'c_node2',
    `create_asset node_id is ${JSON.stringify(nodeId)}, expected "c_node2" (the NodeID as get_upload_info gave it)`,
  );
  await shot(page, 'e2e-titan-failover.png');
}

async function titanWrongCid(ctx: Ctx): Promise<void> {
  const { page, demo } = ctx;
  await openDemo(ctx);
  await toggle(ctx, 'Node 1 answers a wrong CID', { mode: 'wrong-cid' });
  const file = testFile('tampered.bin', 300 * 1024);
  await addTitanFile(page, file);
  await clickTitanUpload(page);

  const error = page.locator('titan-uploader [part="error"]').first();
  await error.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  const detail = await uploadErrorDetail(page);
  assert(
    detail.error?.code === 'cid-mismatch',
    `titan-upload-error code is ${JSON.stringify(detail.error?.code)}, expected "cid-mismatch"`,
  );
  assert(detail.error?.message?.includes(await fileCid(file.buffer)), `the error does not name the file's CID: ${detail.error?.message}`);
  assert(!(await sandboxLog(demo, 'titan')).some(isCreateAsset), 'create_asset was requested for bytes the node answered a wrong CID for');
  assert((await sandboxOf(demo).knob('titan', 'assets')).length === 0, 'Titan holds an asset for the refused upload');
  await shot(page, 'e2e-titan-wrong-cid.png');

  // Loses nothing: with the node honest again, Retry stores the same file, verified.
  await page.getByLabel('Node 1 answers a wrong CID').uncheck();
  await logLineWith(page, 'sandbox', { mode: 'ok' }).first().waitFor({ timeout: 10_000 });
  await page.locator('titan-uploader .uppy-StatusBar-actionBtn--retry').click({ timeout: 10_000 });
  const cid = await until('a CID in the uploader after Retry', async () => {
    const shown = page.locator('titan-uploader [part="cid"]').first();
    return (await shown.isVisible()) ? ((await shown.textContent()) ?? '').trim() : undefined;
  });
  assert(cid === (await fileCid(file.buffer)), `CID shown after Retry ${cid} is not the file's CID`);
  await page.locator('titan-uploader [part="verified"]').first().waitFor({ timeout: 5000 });
}

async function titanCancelled(ctx: Ctx): Promise<void> {
  const { page, demo } = ctx;
  await openDemo(ctx);
  await toggle(ctx, 'Slow nodes', { nodeId: 'node2', mode: 'slow' });
  const file = testFile('cancel-me.bin', 512 * 1024);
  await addTitanFile(page, file);
  await clickTitanUpload(page);
  await nodeUploadInProgress(page, demo);
  await shot(page, 'e2e-titan-uploading.png');

  // Uppy's own cancel button in the Dashboard's status bar.
  await page.locator('titan-uploader .uppy-StatusBar [data-cy="cancel"]').click({ timeout: 10_000 });

  const error = page.locator('titan-uploader [part="error"]').first();
  await error.waitFor({ state: 'visible', timeout: 10_000 });
  const text = (await error.textContent())?.trim();
  assert(text === 'Cancelled', `the result row says ${JSON.stringify(text)}, expected "Cancelled"`);
  const detail = await uploadErrorDetail(page);
  assert(detail.error?.code === 'aborted', `titan-upload-error code is ${JSON.stringify(detail.error?.code)}, expected "aborted"`);

  // Past the slow node's delay: whatever was in flight has ended, and nothing was registered.
  await sleep(3500);
  const titan = await sandboxLog(demo, 'titan');
  assert(!titan.some(isCreateAsset), 'create_asset was requested for a cancelled upload');
  assert((await logLine(page, 'titan-upload-success').count()) === 0, 'titan-upload-success was logged for a cancelled upload');
  assert((await page.locator('titan-uploader [part="cid"]').count()) === 0, 'a CID is shown for a cancelled upload');
  const assets = await sandboxOf(demo).knob('titan', 'assets');
  assert(assets.length === 0, `Titan holds ${assets.length} asset(s) after a cancelled upload`);
  await shot(page, 'e2e-titan-cancelled.png');
}

async function digimeWrite(ctx: Ctx): Promise<void> {
  const { page, demo } = ctx;
  await openDemo(ctx);
  const connect = page.locator('digime-writer [part="connect-button"]');
  await connect.waitFor({ state: 'visible', timeout: 10_000 });
  // The sandbox's digi.me consents at once and redirects back to the page that asked.
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(demo.url) && u.searchParams.has('code'), { timeout: UI_TIMEOUT_MS, waitUntil: 'commit' }),
    connect.click(),
  ]);
  await logLine(page, 'digime-connected').first().waitFor({ timeout: UI_TIMEOUT_MS });
  const status = page.locator('digime-writer [part="status"]');
  await status.waitFor({ state: 'visible', timeout: 10_000 });
  const { postboxId } = await logDetail<{ postboxId: string }>(page, 'digime-connected');
  assert(
    (await status.textContent())?.includes(postboxId),
    `status shows ${JSON.stringify(await status.textContent())}, not postbox ${postboxId}`,
  );
  assert(!new URL(page.url()).searchParams.has('code'), `the return parameters stayed in the address bar: ${page.url()}`);

  const file = testFile('note.txt', 64 * 1024, 'text/plain');
  await page.locator('digime-writer input[type=file]').first().setInputFiles(file);
  await page.locator('digime-writer .uppy-StatusBar-actionBtn--upload').click({ timeout: 10_000 });
  await logLine(page, 'digime-write-success').first().waitFor({ timeout: UI_TIMEOUT_MS });
  assert((await logLine(page, 'digime-write-error').count()) === 0, 'a digime-write-error was logged');

  const written = await sandboxOf(demo).knob('digime', 'postbox');
  assert(written.length === 1, `the postbox holds ${written.length} writes`);
  const plain = Buffer.from(written[0]!.plaintextBase64, 'base64');
  assert(written[0]!.postboxId === postboxId, `written to ${written[0]!.postboxId}, connected to ${postboxId}`);
  assert(plain.equals(file.buffer), `postbox plaintext (${plain.length} bytes) differs from the file (${file.buffer.length} bytes)`);
  // The app backend forwarded ciphertext only.
  const received = await sandboxOf(demo).knob('app-digime', 'received');
  assert(received.length === 1 && !Buffer.from(received[0]!.fileBase64, 'base64').equals(file.buffer), 'the app backend saw the plaintext');
  await page
    .locator('#postbox li')
    .filter({ hasText: `${file.buffer.length} bytes decrypted` })
    .first()
    .waitFor({ timeout: 10_000 });
  await page.locator('digime-writer [part~="result"]').first().waitFor({ timeout: 10_000 });
  await shot(page, 'e2e-digime-done.png');
}

/** A valid short Universa address (Safe58, CRC32 checked), as in test/node/universa-address.test.ts. */
const UNIVERSA_ADDRESS = '2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ';

interface CheckRequest {
  page: 'A' | 'B';
  started: number;
  ended?: number;
}

/** Records every POST to the issuer's check_url a page makes, start and end (reloads included). */
function watchChecks(page: Page, label: CheckRequest['page'], into: CheckRequest[]): void {
  const open = new Map<unknown, CheckRequest>();
  page.on('request', (r) => {
    if (r.method() !== 'POST' || !/\/universa\/check\//.test(r.url())) return;
    const entry: CheckRequest = { page: label, started: Date.now() };
    open.set(r, entry);
    into.push(entry);
  });
  const end = (r: unknown) => {
    const entry = open.get(r);
    if (entry) entry.ended = Date.now();
    open.delete(r);
  };
  page.on('requestfinished', end);
  page.on('requestfailed', end);
}

/** The phases of this origin's Universa import records in IndexedDB (`universa-import` / `pending`). */
function importPhases(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('universa-import');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('pending')) return (db.close(), resolve([]));
          const all = db.transaction('pending', 'readonly').objectStore('pending').getAll();
          all.onsuccess = () => (db.close(), resolve((all.result as Array<{ phase: string }>).map((r) => r.phase)));
          all.onerror = () => (db.close(), reject(all.error));
        };
      }),
  );
}

async function universaReloadAndSecondTab(ctx: Ctx): Promise<void> {
  const { page, demo, context } = ctx;
  // Long enough generation that the reload and the second tab both happen while it polls.
  await sandboxOf(demo).knob('universa', 'configure', { generationSeconds: 8, pollSeconds: 2 });
  const checks: CheckRequest[] = [];
  watchChecks(page, 'A', checks);
  await openDemo(ctx);

  // The issuer's link brings the user back to this page with ?iv=1&cb=…
  await page.getByRole('button', { name: /Receive She-Tokens/ }).click();
  await page.waitForURL((u) => u.searchParams.get('iv') === '1' && !!u.searchParams.get('cb'), { timeout: 10_000 });
  const cb = new URL(page.url()).searchParams.get('cb')!;
  const id = cb.split('/').pop()!;
  const el = (p: Page, part: string) => p.locator(`universa-select-address [part="${part}"]`);

  await el(page, 'dialog').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  assert(((await el(page, 'caption').textContent()) ?? '').includes('She-Token'), 'the popup shows no issuer caption');
  const ok = el(page, 'ok');
  assert(await ok.isDisabled(), 'OK is enabled before an address was given');
  // A typo (last character changed) is caught by the checksum before anything is sent.
  const typo = UNIVERSA_ADDRESS.slice(0, -1) + (UNIVERSA_ADDRESS.endsWith('Z') ? 'Y' : 'Z');
  await el(page, 'input').fill(typo);
  await until('the checksum warning', async () => ((await el(page, 'input-error').textContent()) ?? '').trim() || undefined, 5000);
  assert(await ok.isDisabled(), 'OK is enabled for an address with a bad checksum');
  await el(page, 'input').fill(UNIVERSA_ADDRESS);
  await until('OK to be enabled for a valid address', async () => ok.isEnabled(), 5000);
  assert(!((await el(page, 'input-error').textContent()) ?? '').trim(), 'a valid address still shows a warning');
  await shot(page, 'e2e-universa-popup.png');
  await ok.click();
  await el(page, 'dialog').waitFor({ state: 'hidden', timeout: 10_000 });

  const okCalls = async () => (await sandboxLog(demo, 'universa')).filter((e) => e.path === `/universa/ok/${id}`);
  await until('ok_url answered', async () => (await okCalls()).some((e) => e.status === 200), 10_000);
  const okBody = (await okCalls())[0]!.body as { address?: string };
  assert(okBody.address === UNIVERSA_ADDRESS, `ok_url got address ${JSON.stringify(okBody.address)}`);
  await logLineWith(page, 'universa-state', { state: 'polling' }).first().waitFor({ timeout: 10_000 });
  await until('a first check_url poll', () => checks.some((c) => c.ended !== undefined), 10_000);

  // Reload while it polls: the pending import comes back from IndexedDB and polling resumes.
  const reloadedAt = Date.now();
  const loaded = page.waitForEvent('load', { timeout: UI_TIMEOUT_MS });
  await page.getByRole('button', { name: 'Reload the page' }).click();
  await loaded;
  await until('a check_url poll from the reloaded page', () => checks.some((c) => c.page === 'A' && c.started > reloadedAt), 15_000);
  await logLineWith(page, 'universa-state', { state: 'polling' }).first().waitFor({ timeout: 10_000 });
  assert(!(await el(page, 'dialog').isVisible()), 'the popup re-opened after the reload although the address was confirmed');
  await shot(page, 'e2e-universa-polling.png');

  // A second tab on the demo (no link in its URL) follows the same import.
  const second = await context.newPage();
  watchChecks(second, 'B', checks);
  const secondOpenedAt = Date.now();
  await openDemo(ctx, second);

  // Delivered once per cb: the event in the tab that polled; the other shows the contract too.
  await logLine(page, 'universa-contract').first().waitFor({ timeout: 30_000 });
  await logLineWith(second, 'universa-state', { state: 'received' }).first().waitFor({ timeout: 10_000 });
  await sleep(1000); // a second announcement, if any, would arrive now
  const counts = [await logLine(page, 'universa-contract').count(), await logLine(second, 'universa-contract').count()];
  assert(counts[0] === 1 && counts[1] === 0, `universa-contract was logged ${counts.join(' and ')}× in the first and second tab`);
  const detail = await logDetail<{ cb?: string; address?: string; base64Contract?: string }>(page, 'universa-contract');
  assert(
    detail.cb === cb && detail.address === UNIVERSA_ADDRESS && !!detail.base64Contract,
    `universa-contract: ${JSON.stringify(detail).slice(0, 200)}`,
  );
  await el(page, 'download').waitFor({ state: 'visible', timeout: 5000 });
  await el(second, 'download').waitFor({ state: 'visible', timeout: 5000 });

  const log = await sandboxLog(demo, 'universa');
  const oks = log.filter((e) => e.path === `/universa/ok/${id}`);
  assert(oks.length === 1, `ok_url was POSTed ${oks.length}× (a resumed import must not confirm again)`);
  const issuerChecks = log.filter((e) => e.path === `/universa/check/${id}`);
  assert(issuerChecks.length === checks.length, `the issuer saw ${issuerChecks.length} checks, the pages sent ${checks.length}`);
  const byB = checks.filter((c) => c.page === 'B');
  assert(byB.length === 0, `the second tab polled check_url ${byB.length}× while the first one did`);
  const sorted = [...checks].sort((a, b) => a.started - b.started);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    assert(
      prev.ended === undefined || prev.ended <= cur.started || prev.started < reloadedAt,
      `two check_url requests overlapped (${prev.page} and ${cur.page})`,
    );
    // After the reload's immediate check, polls keep the issuer's 2 s pace: one poller, not two.
    if (prev.started > reloadedAt) {
      assert(cur.started - prev.started >= 1500, `check_url polled ${cur.started - prev.started} ms apart after the reload`);
    }
  }
  assert(
    checks.some((c) => c.started > secondOpenedAt),
    'no poll happened while the second tab was open',
  );
  const issue = await sandboxOf(demo).knob('universa', 'inspect', { id });
  assert(issue.state === 'ready' && issue.address === UNIVERSA_ADDRESS, `issuer state ${JSON.stringify(issue)}`);
  // Delivered: only the tombstone is left (a reload or the link again would not announce it again).
  await until('only a tombstone left', async () => (await importPhases(page)).join() === 'delivered' || undefined, 5000);
  await shot(page, 'e2e-universa-done.png');
  await shot(second, 'e2e-universa-second-tab.png');
}

/** Issue 14, item 6: what each service is, markup written from the live elements, the knobs apart, a readable log. */
async function demoPage(ctx: Ctx): Promise<void> {
  const { page } = ctx;
  await openDemo(ctx);

  // Each service: an intro with a link to it, before its element.
  const sites = { titan: 'https://titannet.io', universa: 'https://universablockchain.com', digime: 'https://digi.me' };
  for (const [id, site] of Object.entries(sites)) {
    const intro = page.locator(`#${id} [data-intro]`);
    assert(await intro.isVisible(), `section ${id} shows no intro`);
    const text = ((await intro.textContent()) ?? '').replace(/\s+/g, ' ');
    assert(text.length > 120, `the ${id} intro is ${JSON.stringify(text)}`);
    const links = await intro.locator('a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    assert(
      links.some((h) => h.replace(/\/$/, '') === site),
      `the ${id} intro links ${JSON.stringify(links)}, not ${site}`,
    );
    const first = await page.evaluate((id) => {
      const intro = document.querySelector(`#${id} [data-intro]`)!;
      const el = document.querySelector(`#${id} :is(titan-uploader, universa-select-address, digime-writer)`)!;
      return !!(intro.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
    }, id);
    assert(first, `the ${id} intro comes after its element`);
  }

  // The snippets are the live elements' markup: their attributes and the properties main.ts set.
  const snippet = async (id: string) => (await page.locator(`code[data-snippet="${id}"]`).textContent()) ?? '';
  const attrs = (tag: string) =>
    page.locator(tag).evaluate((el) => Object.fromEntries(el.getAttributeNames().map((n) => [n, el.getAttribute(n) ?? ''])));
  const titanAttrs = await attrs('titan-uploader');
  const titan = await snippet('titan');
  assert(
    titanAttrs['api-url'] && titan.includes(`api-url="${titanAttrs['api-url']}"`),
    `the Titan snippet has not the live api-url:\n${titan}`,
  );
  assert(!titan.includes('api-test1'), `the Titan snippet names another api-url than the element has:\n${titan}`);
  for (const name of ['token-url', 'extra-id-url']) {
    assert(titan.includes(`${name}="${titanAttrs[name]}"`), `the Titan snippet lacks ${name}="${titanAttrs[name]}":\n${titan}`);
  }
  assert(/<!--[^\n]*api-url[^\n]*sandbox[^\n]*-->/.test(titan), `no comment says api-url is the sandbox's:\n${titan}`);
  assert(
    /<script type="module" src="[^"]+upload-elements\.js"><\/script>/.test(titan),
    `the Titan snippet has no script include:\n${titan}`,
  );
  // It follows the element: an attribute set on the live element shows at once.
  await page.locator('titan-uploader').evaluate((el) => el.setAttribute('max-files', '3'));
  await until('max-files in the Titan snippet', async () => (await snippet('titan')).includes('max-files="3"'), 5000);

  const universa = await snippet('universa');
  const addresses = await page
    .locator('universa-select-address')
    .evaluate((el) => (el as unknown as { addresses: Array<{ address: string; label: string }> }).addresses);
  assert(addresses.length > 0, 'the demo sets no Universa addresses');
  for (const a of addresses) {
    assert(universa.includes(`'${a.address}'`) && universa.includes(`'${a.label}'`), `the Universa snippet lacks ${a.label}:\n${universa}`);
  }
  assert(/\.addresses = \[/.test(universa), `the Universa snippet does not set addresses:\n${universa}`);
  assert(
    'allow-same-origin' in (await attrs('universa-select-address')) &&
      /<!--[^\n]*allow-same-origin[^\n]*-->\n<universa-select-address[^>]* allow-same-origin/.test(universa),
    `the Universa snippet does not show allow-same-origin with its reason:\n${universa}`,
  );
  const digime = await snippet('digime');
  const backendUrl = (await attrs('digime-writer'))['backend-url'];
  assert(backendUrl && digime.includes(`backend-url="${backendUrl}"`), `the digi.me snippet has not the live backend-url:\n${digime}`);
  // Text, not markup: nothing inside a snippet but the comment highlighting.
  assert((await page.locator('code[data-snippet] :not(span.comment)').count()) === 0, 'a snippet holds elements');

  // The sandbox knobs: in each section's "Simulate (sandbox)" group, apart from the element.
  const knobs = await page.evaluate(() =>
    [...document.querySelectorAll('[data-toggle], [data-knob], #two-phase, #reload, #refuse-consent')].map((el) => ({
      knob: (el.closest('label') ?? el).textContent!.trim(),
      group: el.closest('fieldset')?.querySelector(':scope > legend')?.textContent?.trim(),
      section: el.closest('section')?.id,
    })),
  );
  const outside = knobs.filter((k) => k.group !== 'Simulate (sandbox)');
  assert(knobs.length >= 10 && !outside.length, `knobs outside a Simulate group: ${JSON.stringify(outside)}`);
  assert(
    ['titan', 'universa', 'digime'].every((id) => knobs.some((k) => k.section === id)),
    `sections with knobs: ${[...new Set(knobs.map((k) => k.section))].join(', ')}`,
  );
  assert(
    (await page.locator('fieldset :is(titan-uploader, universa-select-address, digime-writer)').count()) === 0,
    'an element sits in a knob group',
  );
  for (const label of ['Slow nodes', 'Node 1 down', 'Node 1 answers a wrong CID']) {
    assert(await page.getByLabel(label).isVisible(), `no visible knob labelled ${label}`);
  }

  // Universa before any link: the button that opens one, prominent, and what it will do.
  const receive = page.getByRole('button', { name: /Receive She-Tokens/ });
  assert(await receive.isVisible(), 'no visible "Receive She-Tokens" button');
  assert(!(await receive.evaluate((b) => !!b.closest('fieldset'))), 'the "Receive She-Tokens" button is among the knobs');
  const idle = ((await page.locator('#universa-idle').textContent()) ?? '').replace(/\s+/g, ' ');
  assert((await page.locator('#universa-idle').isVisible()) && idle.includes('?iv=1'), `the Universa section says ${JSON.stringify(idle)}`);
  await shot(page, 'e2e-demo-light.png');

  // A knob's log entry: one line saying what was turned, the requests' JSON collapsed in it.
  await toggle(ctx, 'Slow nodes', { nodeId: 'node2', mode: 'slow' });
  const entry = logLine(page, 'sandbox').first();
  const line = ((await entry.locator('summary').textContent()) ?? '').replace(/\s+/g, ' ').trim();
  assert(/^\d\d:\d\d:\d\d sandbox Slow nodes: on$/.test(line), `the knob's log line is ${JSON.stringify(line)}`);
  assert(!(await entry.locator('details > pre').isVisible()), 'the knob entry shows its JSON before it is opened');
  const requests = await logDetail<Array<{ request: string; body: { nodeId: string; mode: string } }>>(page, 'sandbox');
  assert(
    JSON.stringify(requests.map((r) => [r.request, r.body.nodeId, r.body.mode])) ===
      JSON.stringify([
        ['POST /_sandbox/titan/node', 'node1', 'slow'],
        ['POST /_sandbox/titan/node', 'node2', 'slow'],
      ]),
    `the knob entry's detail: ${JSON.stringify(requests)}`,
  );
  await entry.locator('summary').click();
  await entry.locator('details > pre').waitFor({ state: 'visible', timeout: 5000 });

  await page.locator('#theme').click();
  assert(await page.evaluate(() => document.documentElement.classList.contains('dark')), 'the theme toggle did not turn the page dark');
  await shot(page, 'e2e-demo-dark.png');

  // The sandbox keeps its faults across a reload, and so do the boxes (turned on again, said in the log).
  await page.getByRole('button', { name: 'Reload the page' }).click();
  await logLineWith(page, 'sandbox', { nodeId: 'node2', mode: 'slow' }).first().waitFor({ timeout: 10_000 });
  assert(await page.getByLabel('Slow nodes').isChecked(), '"Slow nodes" is unticked after a reload while the sandbox still has slow nodes');
  const again = ((await logLine(page, 'sandbox').first().locator('summary').textContent()) ?? '').replace(/\s+/g, ' ');
  assert(again.includes('Still on after the reload: Slow nodes'), `after the reload the log says ${JSON.stringify(again)}`);
}

/** A phone-sized window (issue 14, item 6): the page fits, nothing scrolls sideways, every section shows. */
async function phoneWidth(ctx: Ctx): Promise<void> {
  const { page } = ctx;
  await page.setViewportSize({ width: 360, height: 780 });
  await openDemo(ctx);
  await shot(page, 'e2e-demo-360.png');
  const layout = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    width: window.innerWidth,
    wide: [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('pre'))
      .slice(0, 5)
      .map(
        (el) =>
          `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''}`,
      ),
    sections: [...document.querySelectorAll('main section, section')].map(
      (s) => [s.id, Math.round(s.getBoundingClientRect().height)] as const,
    ),
  }));
  assert(
    layout.scrollWidth <= layout.width,
    `the page is ${layout.scrollWidth} px wide in a ${layout.width} px window (${layout.wide.join(', ')})`,
  );
  for (const [id, height] of layout.sections) assert(height > 40, `section ${id} is ${height} px tall`);

  // Dark, and with a log entry opened: still no sideways scroll.
  await page.getByLabel('Slow nodes').check();
  await logLine(page, 'sandbox').first().locator('summary').click();
  await page.locator('#theme').click();
  await shot(page, 'e2e-demo-360-dark.png');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(width <= 360, `dark, with a log entry open, the page is ${width} px wide`);
}

// ---- runner -------------------------------------------------------------------------------------

const cases: Array<[name: string, run: (ctx: Ctx) => Promise<void>]> = [
  ['Titan upload survives tokens expiring mid-way (renewal, CID, verified callback)', titanTokenExpiredMidUpload],
  ['Titan upload falls over from a failing node 1 to node 2', titanNodeFailover],
  ['Titan upload cancelled in the Dashboard registers nothing', titanCancelled],
  ['Titan refuses a node answering another CID, and Retry stores the file once the node is honest', titanWrongCid],
  ['digi.me connect, then write a file the postbox decrypts to the same bytes', digimeWrite],
  ['Universa import survives a reload while polling; a second tab follows without polling or a second event', universaReloadAndSecondTab],
  ['The demo says what each service is, shows the markup it runs, keeps knobs apart and logs readably', demoPage],
  ['The demo fits a 360 px wide phone: no sideways scroll, every section shown', phoneWidth],
];

async function runCase(browser: Browser, demo: DemoServer, name: string, run: (ctx: Ctx) => Promise<void>): Promise<string | undefined> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  const watch = (p: Page) => {
    p.on('console', (m) => m.type() === 'error' && problems.push(`[console] ${m.text()}`));
    p.on('pageerror', (e) => problems.push(`[page error] ${e.message}`));
    // Listed when a case fails: an unexpected reload (e.g. Vite's full reload after a source
    // file changed during the run) explains a lost upload.
    const started = Date.now();
    p.on('framenavigated', (f) => {
      if (f === p.mainFrame()) problems.push(`[navigated] +${((Date.now() - started) / 1000).toFixed(1)} s ${f.url().slice(0, 100)}`);
    });
  };
  context.on('page', watch);
  let timer: NodeJS.Timeout | undefined;
  try {
    await sandboxOf(demo).reset();
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Failure(`case timed out after ${CASE_TIMEOUT_MS / 1000} s`)), CASE_TIMEOUT_MS);
    });
    await Promise.race([run({ demo, context, page, problems }), timeout]);
    // Passed, but say so when a page threw or logged errors on the way (failed requests are
    // expected in these cases: 401s before a renewal, 503s from a node that is down).
    for (const p of problems.filter((t) => !/Failed to load resource|^\[navigated\]/.test(t)).slice(0, 10)) console.log(`  note: ${p}`);
    return undefined;
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    for (const [i, p] of context.pages().entries()) {
      await p.screenshot({ path: `${SHOTS}/e2e-failed-${slug(name)}-${i + 1}.png`, fullPage: true, timeout: 5000 }).catch(() => undefined);
    }
    return problems.length ? `${reason}\n    page problems and navigations:\n    ${problems.slice(0, 15).join('\n    ')}` : reason;
  } finally {
    clearTimeout(timer);
    await context.close().catch(() => undefined);
  }
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40)
    .replace(/-+$/, '');
}

let passed = 0;
let failed = 0;
let demo: DemoServer | undefined;
let browser: Browser | undefined;
try {
  await mkdir(SHOTS, { recursive: true });
  demo = await startDemo();
  browser = await launchChromium();
  // Warm up: the first load makes Vite transform (and maybe pre-bundle and reload) everything.
  {
    const page = await browser.newPage();
    await page.goto(demo.url, { waitUntil: 'networkidle', timeout: 60_000 }).catch(() => undefined);
    await page.waitForFunction(() => !!customElements.get('titan-uploader'), undefined, { timeout: 60_000 }).catch(() => undefined);
    await page.close();
  }
  const only = process.env.E2E_ONLY;
  for (const [name, run] of cases) {
    if (only && !name.toLowerCase().includes(only.toLowerCase())) continue;
    const started = Date.now();
    const failure = await runCase(browser, demo, name, run);
    const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (failure === undefined) {
      passed++;
      console.log(`✔ ${name} (${took})`);
    } else {
      failed++;
      console.log(`✖ ${name}: ${failure}`);
    }
  }
} catch (err) {
  failed++;
  console.log(`✖ setup: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  // Bounded, so a stuck close cannot hold the run open.
  const bounded = (p: Promise<unknown> | undefined) => Promise.race([p?.catch(() => undefined), sleep(15_000)]);
  await bounded(browser?.close());
  await bounded(demo?.close());
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
