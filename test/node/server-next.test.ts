// The handlers mounted in a real Next.js app (test/next-app, Next 16 with Turbopack) exactly as
// the README's "Mounting the handlers" shows, called over HTTP on 127.0.0.1: a genuine Titan
// callback verifies and reaches onUpload, a tampered one is 401 bad-signature, a JSON endpoint
// gets its body, an oversized body is 413 body-too-large, in both of Next's routers.
//
// The Next.js behaviour it covers (node_modules/next, 16.5.0):
// - App Router: a route's POST gets the web Request with its body unread, so
//   `export const POST = onUpload` reads the exact bytes Titan signed (dist/docs/app/
//   api-reference/file-conventions/route.md: "unlike API Routes with the Pages Router, you do not
//   need to use `bodyParser`").
// - Pages Router: `bodyParser` is on unless a route exports `config.api.bodyParser = false`
//   (dist/server/api-utils/node/api-resolver.js); on, it reads the whole stream and leaves
//   `req.body` parsed from JSON (dist/server/api-utils/node/parse-body.js), so a signed callback
//   must turn it off (dist/docs/pages/building-your-application/routing/api-routes.md: "verify the
//   raw body of a webhook"), and one that does not answers 500 body-consumed, not a misleading
//   401 bad-signature.
//
// `next dev`, not `next build` + `next start`: from a clean checkout (no .next) on 2 cores the
// whole file took 2.1-5.2 s with `next dev` (ready in 1.2-3.2 s, each route compiled on its
// first request) against 6.3-14.8 s with build + start (the build alone 5.9-13.1 s). `next
// build` also type-checks each route's exports against Next's route types
// (.next/types/validator.ts); `next dev` does not, so that check is written out below for
// `npm run typecheck`.
//
// An oversized body without Content-Length: the handler answers 413 while it streams, with
// `Connection: close` (src/server/body.ts), so Next ends the connection instead of keeping it
// alive with the body unread (the next request on it used to hang, then fail with ECONNRESET).
// The client may see the reset before the answer (Node servers do not linger on close); either
// way the request ends and the next one is answered.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Not from 'next': its index.d.ts adds Next's globals (a read-only NODE_ENV) to every file of the project.
import type { NextApiHandler } from 'next/dist/shared/lib/utils.js';
import type { NextRequest } from 'next/server';
import { signTitanCallback } from '../../src/server/index.js';
import { NOTE, oversized, postStreamedOversized, SECRET } from './titan-callback-fixture.js';
import type { POST as AppCallback } from '../next-app/app/app/titan/callback/route.js';
import type { POST as AppExtraId } from '../next-app/app/app/titan/extra-id/route.js';
import type PagesCallback from '../next-app/pages/api/titan/callback.js';
import type PagesExtraId from '../next-app/pages/api/titan/extra-id.js';

/** What Next's validator asks of an App Router route's method export. */
type RouteMethod = (request: NextRequest, context: { params: Promise<object> }) => Promise<Response | void> | Response | void;
type IsRouteMethod<T extends RouteMethod> = T;
type IsApiRoute<T extends NextApiHandler> = T;
export type RouteExportsFitNext = [
  IsRouteMethod<typeof AppCallback>,
  IsRouteMethod<typeof AppExtraId>,
  IsApiRoute<typeof PagesCallback>,
  IsApiRoute<typeof PagesExtraId>,
];

const APP = fileURLToPath(new URL('../next-app/', import.meta.url));
const NEXT = createRequire(import.meta.url).resolve('next/dist/bin/next');
/** This run's build directory (test/next-app/next.config.mjs): Next locks it, and other runs may share the checkout. */
const DIST_DIR = `.next-test-${process.pid}`;

/** Resolves after `ms`; `unref`: without holding the process open. */
const sleep = (ms: number, unref = false) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (unref) timer.unref();
  });

/** POSTs a freshly signed callback to `base + path`, as Titan does; `tamper` changes the body after signing. */
async function sendCallback(base: string, path: string, tamper = false): Promise<{ status: number; body: string }> {
  const rawBody = JSON.stringify(NOTE);
  const headers = signTitanCallback({ secret: SECRET, method: 'POST', path, rawBody });
  const body = tamper ? rawBody.replace('"x-1"', '"x-2"') : rawBody;
  const response = await fetch(base + path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
  return { status: response.status, body: await response.text() };
}

/** 2 MiB of JSON, over the handlers' 1 MiB default. */

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

async function announce(url: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'report.pdf', size: 3, type: 'application/pdf' }),
  });
}

describe('Next.js 16 (next dev, Turbopack)', () => {
  let pid: number | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let output = '';
  let base = '';
  const uploads = async () => (await (await fetch(`${base}/app/titan/uploads`)).json()) as string[];

  /** Signals Next's process group: `next dev` and the server it forks. */
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (pid) process.kill(-pid, signal);
    } catch {
      // Gone already.
    }
  };
  const onExit = () => killGroup('SIGKILL');
  // The runner ends this file with SIGTERM when it runs out of time: no `after`, no 'exit' then.
  const onTerm = () => {
    killGroup('SIGKILL');
    removeDistDir();
    process.exit(143);
  };
  const removeDistDir = () => {
    try {
      rmSync(join(APP, DIST_DIR), { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A file Next was still writing: the directory is git-ignored.
    }
  };

  before(
    async () => {
      // The test runner's variables are not Next's: a non-standard NODE_ENV makes it warn.
      const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_ENV' && name !== 'NODE_TEST_CONTEXT'));
      env.NEXT_TELEMETRY_DISABLED = '1';
      env.NEXT_FIXTURE_DIST_DIR = DIST_DIR;
      const child = spawn(process.execPath, [NEXT, 'dev', '--hostname', '127.0.0.1', '--port', '0'], {
        cwd: APP,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      pid = child.pid;
      process.once('exit', onExit);
      process.once('SIGTERM', onTerm);
      exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdout.on('data', (d: Buffer) => (output += d));
      child.stderr.on('data', (d: Buffer) => (output += d));
      child.once('error', (err) => (output += `\n${String(err)}`));
      const gone = () => child.exitCode !== null || child.signalCode !== null;
      // Within the runner's --test-timeout (60 s for the whole file), so that a failure shows Next's output.
      const deadline = Date.now() + 40_000;
      // Port 0: Next prints the port it got ("- Local: http://127.0.0.1:<port>", server/lib/start-server.js).
      while (!(base = /http:\/\/127\.0\.0\.1:\d+/.exec(output)?.[0] ?? '')) {
        if (gone() || Date.now() > deadline) throw new Error(`next dev did not start:\n${output}`);
        await sleep(50);
      }
      // Listening is not ready yet: wait until a route answers (its first request compiles it).
      for (;;) {
        const left = deadline - Date.now();
        if (gone() || left <= 0) throw new Error(`next dev never answered at ${base}:\n${output}`);
        const status = await fetch(`${base}/app/titan/uploads`, { signal: AbortSignal.timeout(left) }).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) break;
        await sleep(100);
      }
    },
    { timeout: 45_000 },
  );

  after(async () => {
    killGroup('SIGTERM');
    await Promise.race([exited, sleep(5000, true)]);
    killGroup('SIGKILL');
    process.off('exit', onExit);
    process.off('SIGTERM', onTerm);
    removeDistDir();
  });

  describe('App Router, as the README shows: export const POST = onUpload (app/app/titan/callback/route.ts)', () => {
    it('verifies a genuine callback and calls onUpload', async () => {
      assert.deepEqual(await sendCallback(base, '/app/titan/callback'), { status: 200, body: 'success' });
      assert.ok((await uploads()).includes('app:x-1'));
    });

    it('refuses a callback whose body changed after signing: 401 bad-signature, no onUpload', async () => {
      assert.deepEqual(await sendCallback(base, '/app/titan/callback', true), { status: 401, body: 'bad-signature' });
      assert.ok(!(await uploads()).includes('app:x-2'));
    });

    it('gives a JSON endpoint its body (extra-id)', async () => {
      const response = await announce(`${base}/app/titan/extra-id`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { extra_id: 'id-report.pdf' });
    });

    it('answers an oversized body 413 body-too-large', async () => {
      const response = await fetch(`${base}/app/titan/callback`, { method: 'POST', body: oversized() });
      assert.equal(response.status, 413);
      assert.equal(await errorCode(response), 'body-too-large');
    });

    it('closes the connection after refusing a streamed oversized body (its rest is never read)', async () => {
      const answer = await postStreamedOversized(`${base}/app/titan/callback`);
      if (answer !== 'reset') assert.deepEqual(answer, { status: 413, connection: 'close' });
      // The next request is answered (on a connection of its own), not stuck behind the unread body.
      const next = await fetch(`${base}/app/titan/callback`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(10_000) });
      assert.equal(next.status, 401);
    });
  });

  describe('Pages Router with config.api.bodyParser false, as the README shows (pages/api/titan/callback.ts)', () => {
    it('verifies a genuine callback and calls onUpload', async () => {
      assert.deepEqual(await sendCallback(base, '/api/titan/callback'), { status: 200, body: 'success' });
      assert.ok((await uploads()).includes('pages:x-1'));
    });

    it('refuses a callback whose body changed after signing: 401 bad-signature', async () => {
      assert.deepEqual(await sendCallback(base, '/api/titan/callback', true), { status: 401, body: 'bad-signature' });
      assert.ok(!(await uploads()).includes('pages:x-2'));
    });

    it('answers an oversized body 413 body-too-large', async () => {
      const response = await fetch(`${base}/api/titan/callback`, { method: 'POST', body: oversized() });
      assert.equal(response.status, 413);
      assert.equal(await errorCode(response), 'body-too-large');
    });

    it('closes the connection after refusing a streamed oversized body (its rest is never read)', async () => {
      const answer = await postStreamedOversized(`${base}/api/titan/callback`);
      if (answer !== 'reset') assert.deepEqual(answer, { status: 413, connection: 'close' });
      // The next request is answered (on a connection of its own), not stuck behind the unread body.
      const next = await fetch(`${base}/api/titan/callback`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(10_000) });
      assert.equal(next.status, 401);
    });
  });

  describe("Pages Router with Next's default bodyParser", () => {
    it('answers a callback 500 body-consumed, not 401 bad-signature, and calls no onUpload (pages/api/titan/callback-parsed.ts)', async () => {
      const { status, body } = await sendCallback(base, '/api/titan/callback-parsed');
      assert.equal(status, 500);
      assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'body-consumed');
      assert.ok(!(await uploads()).some((u) => u.startsWith('parsed:')));
    });

    it('still gives a JSON endpoint its body (pages/api/titan/extra-id.ts)', async () => {
      const response = await announce(`${base}/api/titan/extra-id`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { extra_id: 'pages-id-report.pdf' });
    });
  });
});
