// Every code block of the README, checked so none can rot (issue 14):
// - The first-hour app (the blocks whose info string names a file: ```html file=public/index.html,
//   ```js file=server.mjs, …) is written into an app with the packed package in its
//   node_modules, type-checked, and each server is started as the README says (`node <file>`)
//   and used as a new user would: the page loads, a file dropped on <titan-uploader> is stored,
//   its CID shown on the page and reported to the backend's callback.
// - Every other ts/tsx/js block is type-checked against the shipped declarations (fragments
//   get the names they assume from test/readme/prelude.d.ts, each one typed).
// - vue and svelte blocks: their <script> is type-checked; their templates, like every html
//   block, use only tags, attributes, properties and events the manifest has (vue-tsc and
//   svelte-check need the TypeScript JS API, which TypeScript 7 does not have; the framework
//   types are compile-checked in test/types/).
// - sh blocks are commands, not run here (`npm install`, `npm start`, `npm test` run in CI).
// Needs `npm run build` first.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { launchChromium } from './harness.js';
import { installPacked } from './pack.js';

const root = new URL('../../', import.meta.url).pathname;
const app = join(root, '.tmp/readme-app');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Block {
  lang: string;
  attrs: Record<string, string>;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** The fenced blocks of a Markdown text, with `key=value` words of the info string after the language. */
function blocks(markdown: string): Block[] {
  const found: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, lang, rest] = open;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !new RegExp(`^${indent}\`\`\`\\s*$`).test(lines[i]!)) body.push(lines[i]!.slice(indent!.length));
    const attrs = Object.fromEntries([...rest!.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    found.push({ lang: lang!, attrs, code: body.join('\n') + '\n', line: start + 1 });
  }
  return found;
}

const results: string[] = [];
let failed = 0;
async function check(name: string, run: () => Promise<void> | void): Promise<void> {
  try {
    await run();
    results.push(`✔ ${name}`);
  } catch (err) {
    failed++;
    results.push(`✖ ${name}: ${(err as Error).message.split('\n').slice(0, 40).join('\n  ')}`);
  }
  console.log(results.at(-1));
}

// The app a new user makes: the packed package in node_modules (as `npm install upload-elements`
// gives it); express, hono and the rest resolve from the project's node_modules above it.
rmSync(app, { recursive: true, force: true });
installPacked(root, app);

const all = blocks(readme);
const appFiles = all.filter((b) => b.attrs.file);
const fragments = all.filter((b) => !b.attrs.file && ['ts', 'tsx', 'js'].includes(b.lang));
for (const b of appFiles) {
  mkdirSync(dirname(join(app, b.attrs.file!)), { recursive: true });
  writeFileSync(join(app, b.attrs.file!), b.code);
}
// A fragment is a module of its own, named after its README line so errors point there.
mkdirSync(join(app, 'fragments'));
cpSync(join(root, 'test/readme/prelude.d.ts'), join(app, 'prelude.d.ts'));
const scriptOf = (b: Block) => /<script[^>]*>([\s\S]*?)<\/script>/.exec(b.code)?.[1] ?? '';
for (const b of fragments) writeFileSync(join(app, `fragments/README-line-${b.line}.${b.lang}`), `${b.code}\nexport {};\n`);
for (const b of all.filter((x) => x.lang === 'vue' || x.lang === 'svelte'))
  writeFileSync(join(app, `fragments/README-line-${b.line}-${b.lang}-script.ts`), `${scriptOf(b)}\nexport {};\n`);
writeFileSync(
  join(app, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'es2022',
      module: 'esnext',
      moduleResolution: 'bundler',
      lib: ['es2023', 'dom', 'dom.iterable'],
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
      jsx: 'react-jsx',
      strict: true,
      noEmit: true,
      allowJs: true,
      checkJs: true,
      skipLibCheck: true,
    },
    include: ['prelude.d.ts', 'fragments', ...appFiles.filter((b) => /\.(m?js|ts)$/.test(b.attrs.file!)).map((b) => b.attrs.file)],
  }),
);

await check(`the README has the first-hour app (${appFiles.map((b) => b.attrs.file).join(', ')})`, () => {
  for (const f of ['public/index.html', 'server.mjs', 'server-hono.mjs'])
    if (!appFiles.some((b) => b.attrs.file === f)) throw new Error(`no block with file=${f}`);
});

await check(`${fragments.length} code blocks and the app's servers type-check against the shipped declarations`, () => {
  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(app, 'tsconfig.json')], { cwd: app, encoding: 'utf8' });
  } catch (err) {
    throw new Error(String((err as { stdout?: string }).stdout ?? err), { cause: err });
  }
});

// Tags, attributes, properties and events used in markup must exist.
interface Declaration {
  tagName?: string;
  attributes?: { name: string }[];
  members?: { name: string; kind: string }[];
  events?: { name: string }[];
}
const manifest = JSON.parse(readFileSync(join(root, 'custom-elements.json'), 'utf8')) as { modules: { declarations?: Declaration[] }[] };
const elements = new Map(
  manifest.modules.flatMap((m) => m.declarations ?? []).flatMap((d) => (d.tagName ? [[d.tagName, d] as const] : [])),
);
const GLOBAL = /^(id|class|style|slot|part|hidden|lang|dir|title|ref|key|bind:this|aria-[\w-]+|data-[\w-]+)$/;
await check('every element in the README markup uses attributes, properties and events the elements have', () => {
  const problems: string[] = [];
  for (const b of all.filter((x) => ['html', 'vue', 'svelte', 'tsx'].includes(x.lang))) {
    for (const tag of b.code.matchAll(/<([a-z]+-[a-z-]+)(\s[^>]*?)?\/?>/g)) {
      const d = elements.get(tag[1]!);
      if (!d) {
        if (/^(titan|universa|digime)-/.test(tag[1]!)) problems.push(`line ${b.line}: no element <${tag[1]}>`);
        continue;
      }
      for (const a of (tag[2] ?? '').matchAll(/([:@]?[\w:-]+)(?:=|\s|$)/g)) {
        const raw = a[1]!;
        const name = raw.replace(/^[:@]/, '').replace(/^on:/, '');
        const event = raw.startsWith('@') || raw.startsWith('on:') ? name : /^on[a-z]+-/.test(name) ? name.slice(2) : undefined;
        const ok = event
          ? d.events?.some((e) => e.name === event)
          : GLOBAL.test(name) || d.attributes?.some((x) => x.name === name) || d.members?.some((m) => m.name === name);
        if (!ok) problems.push(`line ${b.line}: <${tag[1]}> has no ${event ? `event ${event}` : `attribute or property ${name}`}`);
      }
    }
  }
  if (problems.length) throw new Error(problems.join('\n'));
});

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });

/** `node <file>` in the app, as the README says; resolves with its output so far once it printed its URL. */
async function startServer(file: string, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [file], {
    cwd: app,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  for (let i = 0; i < 100 && !output.includes(`http://localhost:${port}/`); i++) {
    if (child.exitCode !== null) throw new Error(`${file} exited: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!output.includes(`http://localhost:${port}/`)) throw new Error(`${file} did not print its URL in 10 s: ${output}`);
  return { child, output: () => output };
}

const browser = await launchChromium();
try {
  for (const file of ['server.mjs', 'server-hono.mjs']) {
    await check(
      `node ${file}: the page stores a dropped file on Titan (the sandbox), shows its CID, and the backend hears of it`,
      async () => {
        // A port free a moment ago may be taken by the time the server listens (the app's own
        // embedded sandbox takes an ephemeral one first): another port, at most three times.
        let port = 0;
        let server: Awaited<ReturnType<typeof startServer>> | undefined;
        for (let i = 0; i < 3 && !server; i++) {
          port = await freePort();
          server = await startServer(file, port).catch((err: Error) => {
            if (i < 2 && err.message.includes('EADDRINUSE')) return undefined;
            throw err;
          });
        }
        if (!server) throw new Error(`${file} found no free port`);
        const page = await browser.newPage();
        try {
          const errors: string[] = [];
          page.on('pageerror', (e) => errors.push(e.message));
          await page.goto(`http://localhost:${port}/`);
          await page
            .locator('titan-uploader input[type=file]')
            .first()
            .setInputFiles({
              name: 'hello.txt',
              mimeType: 'text/plain',
              buffer: Buffer.from(`hello from the README, ${file}\n`),
            });
          // auto-proceed is off by default: the Dashboard's upload button starts it.
          await page.locator('titan-uploader .uppy-StatusBar-actionBtn--upload').click();
          const item = page.locator('#stored li').first();
          await item.waitFor({ timeout: 20_000 });
          const shown = (await item.textContent()) ?? '';
          const cid = /: (\S+)$/.exec(shown)?.[1] ?? '';
          if (!/^(b[a-z2-7]{50,}|Qm\w{44})$/.test(cid)) throw new Error(`the page shows "${shown}", no CID`);
          for (let i = 0; i < 100 && !server.output().includes(cid); i++) await new Promise((r) => setTimeout(r, 100));
          if (!/stored \S+ as \S+/.test(server.output()) || !server.output().includes(cid))
            throw new Error(`the backend did not log the upload callback for ${cid}: ${server.output()}`);
          if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
        } finally {
          await page.close();
          server.child.kill();
        }
      },
    );
  }
} finally {
  await browser.close();
}

console.log(`\n${results.length - failed} of ${results.length} README checks passed`);
if (failed) process.exit(1);
