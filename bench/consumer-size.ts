// What an app's production build gains per entry: the packed package (as `npm install` gives
// it) in a one-line Vite app per entry, built for production and gzipped file by file, less the
// same app without the import. "At load" is the entry chunk, its static imports and CSS (what
// the page fetches before it runs); "later" is what loads on demand (Workers, other languages,
// the plain-JS md5 of strict-CSP pages).
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { installPacked } from '../test/e2e/pack.js';

export interface EntrySize {
  entry: string;
  atLoadKB: number;
  laterKB: number;
}

/** Each module an app might write, as the one line of its main.js (headless clients must be used to be kept). */
export const ENTRIES: Record<string, string> = {
  'upload-elements/titan/client': `import { TitanClient } from 'upload-elements/titan/client'; globalThis.keep = TitanClient;`,
  'upload-elements/universa/client': `import { ImportSession } from 'upload-elements/universa/client'; globalThis.keep = ImportSession;`,
  'upload-elements/digime/client': `import { DigiMeWriterClient } from 'upload-elements/digime/client'; globalThis.keep = DigiMeWriterClient;`,
  'upload-elements/titan': `import 'upload-elements/titan';`,
  'upload-elements/universa': `import 'upload-elements/universa';`,
  'upload-elements/digime': `import 'upload-elements/digime';`,
  'upload-elements': `import 'upload-elements';`,
};

const gz = (file: string) => gzipSync(readFileSync(file), { level: 9 }).byteLength;

/** Gzipped bytes of one production build: at load (index.html's script, modulepreloads, CSS) and the rest. */
async function measure(dir: string, main: string): Promise<{ atLoad: number; later: number }> {
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  writeFileSync(join(dir, 'main.js'), `${main}\n`);
  await build({ root: dir, configFile: false, logLevel: 'silent', build: { outDir: 'dist', emptyOutDir: true } });
  const html = readFileSync(join(dir, 'dist/index.html'), 'utf8');
  const loaded = new Set([...html.matchAll(/(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]!));
  let atLoad = 0;
  let later = 0;
  const walk = (sub: string) => {
    for (const name of readdirSync(join(dir, 'dist', sub))) {
      const rel = sub ? `${sub}/${name}` : name;
      if (statSync(join(dir, 'dist', rel)).isDirectory()) walk(rel);
      else if (/\.(js|css|wasm)$/.test(name)) {
        if (loaded.has(rel)) atLoad += gz(join(dir, 'dist', rel));
        else later += gz(join(dir, 'dist', rel));
      }
    }
  };
  walk('');
  return { atLoad, later };
}

/** Packs the package (build it first) into `workDir` and measures every entry against an empty app. */
export async function consumerSizes(root: string, workDir: string): Promise<{ entries: EntrySize[]; cdnKB: number }> {
  rmSync(workDir, { recursive: true, force: true });
  installPacked(root, workDir);
  writeFileSync(join(workDir, 'index.html'), '<!doctype html><title>app</title><script type="module" src="/main.js"></script>\n');
  const base = await measure(workDir, `globalThis.keep = 1;`);
  const entries: EntrySize[] = [];
  for (const [entry, main] of Object.entries(ENTRIES)) {
    const m = await measure(workDir, main);
    entries.push({ entry, atLoadKB: (m.atLoad - base.atLoad) / 1000, laterKB: (m.later - base.later) / 1000 });
  }
  // The CDN bundle and the chunks it imports statically (and theirs), as a page loads it.
  const files = [join(workDir, 'node_modules/upload-elements/dist/cdn/upload-elements.js')];
  for (let i = 0; i < files.length; i++) {
    for (const [, rel] of readFileSync(files[i]!, 'utf8').matchAll(/(?:from|import)\s*"(\.{1,2}\/[^"]+\.js)"/g)) {
      const file = join(dirname(files[i]!), rel!);
      if (!files.includes(file)) files.push(file);
    }
  }
  return { entries, cdnKB: files.reduce((sum, f) => sum + gz(f), 0) / 1000 };
}
