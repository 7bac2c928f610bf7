// `npm run docs`: regenerates custom-elements.json from the JSDoc on each element class, and from
// it the README's element reference and the React JSX types (src/react.ts), so neither can drift
// from the code. `--check` only compares and fails when either is out of date (run by `npm test`).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

interface Named {
  name: string;
  description?: string;
  type?: { text: string };
  default?: string;
}
interface Member extends Named {
  kind: 'field' | 'method';
  privacy?: string;
  static?: boolean;
  readonly?: boolean;
  attribute?: string;
  parameters?: Named[];
  return?: { type?: { text: string } };
}
interface Declaration {
  customElement?: boolean;
  tagName?: string;
  name: string;
  summary?: string;
  description?: string;
  attributes?: (Named & { fieldName?: string })[];
  members?: Member[];
  events?: Named[];
  cssParts?: Named[];
  cssProperties?: Named[];
}

const root = new URL('..', import.meta.url).pathname;
const check = process.argv.includes('--check');
execFileSync('npx', ['cem', 'analyze', '--quiet'], { cwd: root, stdio: 'ignore' });
const manifest = JSON.parse(readFileSync(`${root}custom-elements.json`, 'utf8')) as { modules: { declarations?: Declaration[] }[] };

const cell = (s: string | undefined) =>
  (s ?? '')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();
const code = (s: string | undefined) => (s ? `\`${s.replace(/\|/g, '\\|')}\`` : '');
const isPublic = (m: { name: string; privacy?: string }) =>
  !m.name.startsWith('_') && !m.name.startsWith('#') && m.privacy !== 'private' && m.privacy !== 'protected';

function table(head: string[], rows: string[][]): string {
  if (!rows.length) return '';
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Attributes of public fields only: Lit's internal `state` properties show up as attributes too. */
const publicAttributes = (d: Declaration) =>
  (d.attributes ?? []).filter((a) => isPublic(a) && isPublic(d.members?.find((m) => m.name === a.fieldName) ?? a));

function render(d: Declaration): string {
  const attributes = publicAttributes(d);
  const attrFields = new Set(attributes.map((a) => a.fieldName));
  const members = (d.members ?? []).filter((m) => isPublic(m) && !m.static);
  const properties = members.filter((m) => m.kind === 'field' && !attrFields.has(m.name));
  const methods = members.filter((m) => m.kind === 'method');
  const parts = [
    `### \`<${d.tagName}>\``,
    cell(d.summary ?? d.description),
    table(
      ['attribute', 'property', 'type', 'default', 'meaning'],
      attributes.map((a) => [code(a.name), code(a.fieldName), code(a.type?.text), code(a.default), cell(a.description)]),
    ),
    table(
      ['property', 'type', 'meaning'],
      properties.map((p) => [code(`.${p.name}`) + (p.readonly ? ' (read-only)' : ''), code(p.type?.text), cell(p.description)]),
    ),
    table(
      ['method', 'meaning'],
      methods.map((m) => [code(`${m.name}(${(m.parameters ?? []).map((p) => p.name).join(', ')})`), cell(m.description)]),
    ),
    table(
      ['event', 'detail and when'],
      (d.events ?? []).filter((e) => e.name).map((e) => [code(e.name), cell(e.description)]),
    ),
    table(
      ['part', 'what'],
      (d.cssParts ?? []).map((p) => [code(p.name), cell(p.description)]),
    ),
    table(
      ['custom property', 'what'],
      (d.cssProperties ?? []).map((p) => [code(p.name), cell(p.description)]),
    ),
  ];
  return parts.filter(Boolean).join('\n\n');
}

const order = ['titan-uploader', 'universa-select-address', 'digime-writer'];
const elements = manifest.modules
  .flatMap((m) => m.declarations ?? [])
  .filter((d) => d.customElement && d.tagName)
  .sort((a, b) => order.indexOf(a.tagName!) - order.indexOf(b.tagName!));

// React 19 sets a custom element's properties, sets attributes for other props, and listens to
// `on<event>` props. The detail types come from each subpath's event map.
const EVENT_MAPS: Record<string, [module: string, type: string]> = {
  'titan-uploader': ['./titan/index.js', 'TitanUploaderEventMap'],
  'universa-select-address': ['./universa/index.js', 'UniversaSelectAddressEventMap'],
  'digime-writer': ['./digime/index.js', 'DigiMeWriterEventMap'],
};
const union = (names: string[]) => (names.length ? names.map((n) => `'${n}'`).join(' | ') : 'never');

function reactTypes(): string {
  const imports = elements.map((d) => `import type { ${d.name}, ${EVENT_MAPS[d.tagName!]![1]} } from '${EVENT_MAPS[d.tagName!]![0]}';`);
  const entries = elements.map((d) => {
    const attributes = publicAttributes(d);
    const fields = (d.members ?? []).filter((m) => isPublic(m) && !m.static && m.kind === 'field' && !m.readonly).map((m) => m.name);
    const properties = [...new Set([...attributes.map((a) => a.fieldName!).filter(Boolean), ...fields])];
    return `      '${d.tagName}': ElementProps<${d.name}, ${union(attributes.map((a) => a.name))}, ${union(properties)}, ${EVENT_MAPS[d.tagName!]![1]}>;`;
  });
  return `// Generated by \`npm run docs\` from custom-elements.json; do not edit.
/**
 * JSX types for React 19 (needs \`@types/react\`): \`import type {} from 'upload-elements/react';\`
 * once in the app. Each element takes its attributes (\`token-url="…"\`), its properties
 * (\`tokenProvider={…}\`) and its events as \`on<event>\` (\`ontitan-upload-success={(e) => e.detail.cid}\`).
 * @module
 */
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
${imports.join('\n')}

type ElementProps<El, Attributes extends string, Properties extends keyof El, Events> = DetailedHTMLProps<HTMLAttributes<El>, El> & {
  [A in Attributes]?: string | number | boolean;
} & Partial<Pick<El, Properties>> & {
  [K in keyof Events & string as \`on\${K}\`]?: (event: CustomEvent<Events[K]>) => void;
};

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
${entries.join('\n')}
    }
  }
}

export {};
`;
}

const START = '<!-- api:start (generated by `npm run docs` from custom-elements.json; do not edit) -->';
const END = '<!-- api:end -->';
const readmePath = `${root}README.md`;
const readme = readFileSync(readmePath, 'utf8');
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from < 0 || to < from) throw new Error('README.md has no api:start/api:end markers');
const next = `${readme.slice(0, from + START.length)}\n\n${elements.map(render).join('\n\n')}\n\n${readme.slice(to)}`;

const reactPath = `${root}src/react.ts`;
const react = reactTypes();
const currentReact = existsSync(reactPath) ? readFileSync(reactPath, 'utf8') : '';

if (check) {
  const stale = [next !== readme && 'README.md element reference', react !== currentReact && 'src/react.ts'].filter(Boolean);
  if (stale.length) {
    console.error(`${stale.join(' and ')} out of date: run \`npm run docs\` and commit.`);
    process.exit(1);
  }
  console.log(`docs: README element reference and React JSX types match custom-elements.json (${elements.length} elements)`);
} else {
  writeFileSync(readmePath, next);
  writeFileSync(reactPath, react);
  console.log(`docs: wrote the reference and React JSX types of ${elements.map((e) => e.tagName).join(', ')}`);
}
