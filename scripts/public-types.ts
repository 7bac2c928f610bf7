// Every type a public function takes or returns is exported from the entry that has the
// function (issue 14): for each `exports` entry of package.json, the declaration files it
// re-exports are read, and every name they import from elsewhere in the package (tsc keeps in a
// .d.ts only the imports its exported declarations use) must be exported by that entry too.
// Run after the build (`npm run lint:package`); prints what is missing and fails.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

interface Module {
  exports: Set<string>;
  /** Names this module's declarations use that come from another module of the package. */
  imported: Map<string, string>;
}

const cache = new Map<string, Module>();

function read(file: string): Module {
  const known = cache.get(file);
  if (known) return known;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const module: Module = { exports: new Set(), imported: new Map() };
  cache.set(file, module);
  const target = (spec: string) => resolve(dirname(file), spec.replace(/\.js$/, '.d.ts'));
  for (const m of text.matchAll(/export \* from ['"](\.[^'"]+)['"]/g)) read(target(m[1]!)).exports.forEach((n) => module.exports.add(n));
  for (const m of text.matchAll(/export (?:type )?\{([^}]*)\}(?: from ['"][^'"]+['"])?/g)) {
    for (const part of m[1]!.split(',')) {
      const name = part
        .trim()
        .replace(/^type /, '')
        .split(/ as /)
        .pop()!
        .trim();
      if (name) module.exports.add(name);
    }
  }
  for (const m of text.matchAll(/export (?:declare )?(?:abstract )?(?:class|interface|type|function|const|let|enum) (\w+)/g))
    module.exports.add(m[1]!);
  for (const m of text.matchAll(/import (?:type )?\{([^}]*)\} from ['"](\.[^'"]+)['"]/g)) {
    for (const part of m[1]!.split(',')) {
      const name = part
        .trim()
        .replace(/^type /, '')
        .split(/ as /)[0]!
        .trim();
      if (name) module.imported.set(name, m[2]!);
    }
  }
  return module;
}

/** The modules an entry re-exports with `export *`, itself included. */
function reachable(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const m of text.matchAll(/export \* from ['"](\.[^'"]+)['"]/g))
    reachable(resolve(dirname(file), m[1]!.replace(/\.js$/, '.d.ts')), seen);
  return seen;
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, { types?: string } | string> };
const missing: string[] = [];
for (const [entry, target] of Object.entries(pkg.exports)) {
  const types = typeof target === 'string' ? undefined : target.types;
  if (!types || !types.endsWith('.d.ts')) continue;
  const file = resolve(types);
  const exported = read(file).exports;
  // A declarations-only entry (the React JSX types) exports nothing: it augments, it has no API.
  if (!exported.size) continue;
  for (const module of reachable(file)) {
    for (const [name, from] of read(module).imported) {
      if (!exported.has(name)) missing.push(`${entry}: ${name} (used by ${module.slice(resolve('dist/types').length + 1)}, from ${from})`);
    }
  }
}
if (missing.length) {
  console.error(`public-types: ${missing.length} type(s) used by an entry's API but not exported from it:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
console.log(`public-types: every type the entries' APIs use is exported (${Object.keys(pkg.exports).length} entries)`);
