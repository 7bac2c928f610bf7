// Browser tests: Chromium (Debian's, no download) against the real sandbox on loopback.
// Run through `npm run test:browser`, which loads tsx so this file can import the TS sandbox.
import { readFile } from 'node:fs/promises';
import { chromeLauncher } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { fromRollup } from '@web/dev-server-rollup';
import rollupJson from '@rollup/plugin-json';
import rollupCommonjs from '@rollup/plugin-commonjs';
import { startSandbox } from './src/sandbox/index.ts';
import { chromiumArgs } from './test/e2e/harness.ts';

const json = fromRollup(rollupJson);
const commonjs = fromRollup(rollupCommonjs);

// One sandbox for the whole run, started with the test server and closed with it.
let sandboxPromise;
const getSandbox = () => (sandboxPromise ??= startSandbox({ timeScale: 0.001, issuer: { generationSeconds: 1, pollSeconds: 1 } }));

/** Mounts the sandbox on the test server too, so `/app/…` is same-origin like a real app backend. */
async function sandboxMiddleware(ctx, next) {
  const sandbox = await getSandbox();
  if (!sandbox.owns(ctx.path)) return next();
  ctx.respond = false;
  await new Promise((resolve) => {
    ctx.res.once('close', resolve);
    ctx.res.once('finish', resolve);
    sandbox.handler(ctx.req, ctx.res, () => resolve(undefined));
  });
}

function sandboxPlugin() {
  return {
    name: 'upload-elements-sandbox',
    async serverStart() {
      await getSandbox();
    },
    async serverStop() {
      if (sandboxPromise) await (await sandboxPromise).close();
    },
  };
}

/** Serves `*.css?inline` as a JS string module, the same contract Vite gives the source. */
function cssInline() {
  return {
    name: 'css-inline',
    resolveMimeType(ctx) {
      if (ctx.path.endsWith('.css') && ctx.querystring.includes('inline')) return 'js';
    },
    async transform(ctx) {
      if (ctx.path.endsWith('.css') && ctx.querystring.includes('inline')) {
        const css = typeof ctx.body === 'string' ? ctx.body : await readFile(ctx.path, 'utf8');
        return { body: `export default ${JSON.stringify(css)};` };
      }
    },
  };
}

export default {
  files: ['test/browser/**/*.test.ts'],
  // browser: the package.json `browser` maps apply too (multiformats maps its node:crypto sha2 away).
  nodeResolve: { exportConditions: ['browser'], browser: true },
  concurrency: 1,
  concurrentBrowsers: 1,
  testsFinishTimeout: 240_000,
  testFramework: { config: { timeout: 20_000 } },
  mimeTypes: { '**/*.json': 'js' },
  middleware: [sandboxMiddleware],
  plugins: [
    sandboxPlugin(),
    cssInline(),
    json(),
    // requireReturnsDefault: the dev server loses the CJS/ESM knowledge rollup keeps between
    // modules, so without it `require('./_root')` in lodash (used by @uppy/core) yields a
    // namespace object instead of `window` and Uppy's progress throttling throws.
    commonjs({ include: ['**/node_modules/**'], requireReturnsDefault: 'preferred' }),
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' }),
  ],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        headless: true,
        args: [...chromiumArgs, '--headless=new'],
      },
    }),
  ],
};
