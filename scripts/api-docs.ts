// `npm run docs`: regenerates custom-elements.json from the JSDoc on each element class, and from
// it the README's element reference and the framework types: React JSX (src/react.ts), Vue
// templates (src/vue.ts) and Svelte markup (src/svelte.ts), so none can drift from the code.
// `--check` only compares and fails when any is out of date (run by `npm test`).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';

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

/** What Vue and Svelte need of each element, from the same manifest data as the React types. */
function frameworkShape(d: Declaration) {
  const attributes = publicAttributes(d);
  const fields = (d.members ?? []).filter((m) => isPublic(m) && !m.static && m.kind === 'field' && !m.readonly).map((m) => m.name);
  const reflected = [...new Set(attributes.map((a) => a.fieldName!).filter(Boolean))];
  const properties = [...new Set([...reflected, ...fields])];
  // Attributes spelled unlike their property (`token-url` for `tokenUrl`); the others are the property's name.
  const renamed = attributes.filter((a) => a.fieldName && a.name !== a.fieldName);
  const attributeMap = renamed.length ? `{ ${renamed.map((a) => `'${a.name}': '${a.fieldName}'`).join('; ')} }` : '{}';
  const [module, eventMap] = EVENT_MAPS[d.tagName!]!;
  return { tag: d.tagName!, name: d.name, module, eventMap, attributeMap, reflected: union(reflected), properties: union(properties) };
}

const frameworkImports = () => elements.map(frameworkShape).map((e) => `import type { ${e.name}, ${e.eventMap} } from '${e.module}';`);

// Vue's template tooling (Volar: vue-tsc, the Vue language server) types a custom element as the
// component it finds under the tag in GlobalComponents: its instance's `$props` check attributes
// and bindings, its `$emit` checks `@event` listeners (vuejs.org/guide/extras/web-components,
// "Non-Vue Web Components and TypeScript"). Volar camelizes a kebab-case attribute of a
// component (`max-files="3"` is checked as `maxFiles: "3"`), so a property set by an attribute
// also takes the attribute's text.
function vueTypes(): string {
  const entries = elements
    .map(frameworkShape)
    .map((e) => `'${e.tag}': VueElement<${e.name}, ${e.attributeMap}, ${e.reflected}, ${e.properties}, ${e.eventMap}>;`);
  return `// Generated by \`npm run docs\` from custom-elements.json; do not edit.
/**
 * Template types for Vue 3.5 (Volar: vue-tsc, the Vue language server): \`import type {} from
 * 'upload-elements/vue';\` once in the app. Vue's compiler must also be told these tags are custom
 * elements (\`compilerOptions.isCustomElement: (tag) => tag.includes('-')\` in the Vue plugin's
 * \`template\` options), or it looks for Vue components of that name. Each element takes its
 * attributes (\`token-url="…"\`, \`max-files="3"\`), its properties bound by their camelCase name
 * (\`:tokenProvider="…"\`: Vue sets a property when the element has one of the bound name, and a
 * kebab-case binding such as \`:token-provider\` would set a string attribute instead), and its
 * events with \`@\` (\`@titan-upload-success="(e) => e.detail.cid"\`, \`e\` a \`CustomEvent\`).
 * @module
 */
import type { EmitFn, HTMLAttributes, PublicProps } from 'vue';
${frameworkImports().join('\n')}

/** What an attribute can carry: the property's value, a number also as its text (\`max-files="3"\`). */
type AttributeValue<T> = T | (T extends number ? \`\${number}\` : never);

/**
 * A custom element as Vue's tooling reads a component: the instance is the element; \`$props\`
 * and \`$emit\` exist for template type checking only.
 */
type VueElement<El, Attributes extends Record<string, keyof El>, Reflected extends keyof El, Properties extends keyof El, Events> = new () => El & {
  /** @deprecated For template type checking only: the element has no \`$props\`. */
  $props: HTMLAttributes &
    PublicProps & { [A in keyof Attributes]?: AttributeValue<El[Attributes[A]]> } & {
      [P in Properties]?: P extends Reflected ? AttributeValue<El[P]> : El[P];
    };
  /** @deprecated For template type checking only: the element has no \`$emit\`. */
  $emit: EmitFn<{ [K in keyof Events & string]: (event: CustomEvent<Events[K]>) => void }>;
};

declare module 'vue' {
  interface GlobalComponents {
${entries.map((l) => `    ${l}`).join('\n')}
  }
}

export {};
`;
}

// Svelte 5 sets a custom element's property when the element has a setter of the attribute's
// name (its camelCase name), sets an attribute otherwise (kebab-case names), and listens to
// `on<event>` attributes: `ontitan-complete={…}` is `addEventListener('titan-complete', …)`.
// svelte-check and the Svelte language server check an element's attributes against
// `svelteHTML.IntrinsicElements[tag]` (svelte/svelte-html.d.ts), keeping the case of a custom
// element's attribute names.
function svelteTypes(): string {
  const entries = elements
    .map(frameworkShape)
    .map((e) => `'${e.tag}': SvelteElement<${e.name}, ${e.attributeMap}, ${e.properties}, ${e.eventMap}>;`);
  return `// Generated by \`npm run docs\` from custom-elements.json; do not edit.
/**
 * Markup types for Svelte 5 (svelte-check, the Svelte language server): \`import type {} from
 * 'upload-elements/svelte';\` once in the app. Each element takes its attributes
 * (\`token-url="…"\`), its properties by their camelCase name (\`tokenProvider={…}\`, set as
 * properties) and its events as \`on<event>\` attributes
 * (\`ontitan-upload-success={(e) => e.detail.cid}\`, \`e\` a \`CustomEvent\`; \`on:<event>\` in
 * legacy mode).
 * @module
 */
import type { HTMLAttributes } from 'svelte/elements';
${frameworkImports().join('\n')}

/** What an attribute can carry: the property's value, a number also as its text (\`max-files="3"\`). */
type AttributeValue<T> = T | (T extends number ? \`\${number}\` : never) | null;

type Listener<El, Detail> = ((event: CustomEvent<Detail> & { currentTarget: EventTarget & El }) => unknown) | null;

type SvelteElement<El extends EventTarget, Attributes extends Record<string, keyof El>, Properties extends keyof El, Events> = HTMLAttributes<El> & {
  [A in keyof Attributes]?: AttributeValue<El[Attributes[A]]>;
} & { [P in Properties]?: El[P] } & { [K in keyof Events & string as \`on\${K}\` | \`on:\${K}\`]?: Listener<El, Events[K]> };

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace svelteHTML {
    interface IntrinsicElements {
${entries.map((l) => `      ${l}`).join('\n')}
    }
  }
}

export {};
`;
}

/** The generated TypeScript as prettier writes it (src/react.ts is left as generated, and ignored by prettier). */
async function formatted(path: string, text: string): Promise<string> {
  return format(text, { ...(await resolveConfig(path)), filepath: path });
}

const START = '<!-- api:start (generated by `npm run docs` from custom-elements.json; do not edit) -->';
const END = '<!-- api:end -->';
const readmePath = `${root}README.md`;
const readme = readFileSync(readmePath, 'utf8');
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from < 0 || to < from) throw new Error('README.md has no api:start/api:end markers');
const next = `${readme.slice(0, from + START.length)}\n\n${elements.map(render).join('\n\n')}\n\n${readme.slice(to)}`;

const generated: { label: string; path: string; text: string }[] = [
  { label: 'src/react.ts', path: `${root}src/react.ts`, text: reactTypes() },
  { label: 'src/vue.ts', path: `${root}src/vue.ts`, text: await formatted(`${root}src/vue.ts`, vueTypes()) },
  { label: 'src/svelte.ts', path: `${root}src/svelte.ts`, text: await formatted(`${root}src/svelte.ts`, svelteTypes()) },
];
const current = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');

if (check) {
  const stale = [
    next !== readme && 'README.md element reference',
    ...generated.filter((g) => g.text !== current(g.path)).map((g) => g.label),
  ].filter(Boolean);
  if (stale.length) {
    console.error(`${stale.join(', ')} out of date: run \`npm run docs\` and commit.`);
    process.exit(1);
  }
  console.log(`docs: README element reference and React, Vue and Svelte types match custom-elements.json (${elements.length} elements)`);
} else {
  writeFileSync(readmePath, next);
  for (const g of generated) writeFileSync(g.path, g.text);
  console.log(`docs: wrote the reference and React, Vue and Svelte types of ${elements.map((e) => e.tagName).join(', ')}`);
}
