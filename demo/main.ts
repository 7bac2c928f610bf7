import '../src/index.js';
import type { DigiMeWriterEventMap, TitanUploaderEventMap, UniversaSelectAddressEventMap } from '../src/index.js';

const $ = <T extends Element = HTMLElement>(sel: string) => document.querySelector<T>(sel)!;

// ---- event log ------------------------------------------------------------------------------
// One line per entry (time, event, a short summary), the full `detail` as JSON in a collapsed
// <details>. Every string from an event is set as text, never parsed as HTML.

type Events = TitanUploaderEventMap & UniversaSelectAddressEventMap & DigiMeWriterEventMap;
/** Progress is left out: one a few times a second per file. */
type Logged = Exclude<keyof Events, 'titan-upload-progress'>;

const shortId = (s: string, head = 6, tail = 6) => (s.length > head + tail + 1 ? `${s.slice(0, head)}…${s.slice(-tail)}` : s);
function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The events logged, with a few words on each. (Not exhaustive by type: an element may gain events before this page knows them.) */
const SUMMARY: { [K in Logged]?: (detail: Events[K]) => string } = {
  'titan-upload-start': (d) => `${d.name} (${size(d.size)})`,
  'titan-upload-success': (d) =>
    `${d.name} → ${shortId(d.cid)} (${[
      d.verified ? 'verified' : 'not verified',
      d.deduplicated && 'already stored',
      d.report.status !== 'sent' && 'report failed',
    ]
      .filter(Boolean)
      .join(', ')})`,
  'titan-upload-error': (d) => `${d.name}: ${d.error.code === 'aborted' ? 'cancelled' : d.error.message}`,
  'titan-token-renewed': () => 'Titan refused the token; token-url gave a new one',
  'titan-complete': (d) => `${d.successful.length} stored, ${d.failed.length} failed`,
  'titan-share-created': (d) => `${d.name}: share link made${d.protected ? ' (with a password)' : ''}`,
  'titan-share-error': (d) => `${d.name}: ${d.error.message}`,
  'universa-state': (d) => `${d.state}${d.issuerState ? ` (issuer: ${d.issuerState})` : ''}`,
  'universa-contract': (d) => {
    const what = d.summary.amount ? `${d.summary.amount} ${d.summary.unit ?? ''}`.trim() : 'a contract';
    return `${what}${d.address ? ` to ${shortId(d.address, 4, 4)}` : ''} (${size(d.bytes.length)})`;
  },
  'universa-cancelled': () => 'the import was cancelled',
  'universa-error': (d) => `${d.error.message}${d.retryable ? ' (retryable)' : ''}`,
  'digime-connected': (d) => `postbox ${d.postboxId}`,
  'digime-connect-error': (d) => `${d.error.code}: ${d.error.message}`,
  'digime-write-success': (d) => `${d.name}: ${d.status}`,
  'digime-write-error': (d) => `${d.name}: ${d.error.message}`,
  'digime-complete': (d) => `${d.successful.length} written, ${d.failed.length} failed`,
};

/** Bytes are shown by their length; everything else as it is. */
const json = (value: unknown) => JSON.stringify(value ?? {}, (_, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v), 2);

function logEntry(name: string, summary: string, detail: unknown): void {
  const li = document.createElement('li');
  li.dataset.event = name;
  const details = document.createElement('details');
  const line = document.createElement('summary');
  const time = document.createElement('time');
  const now = new Date();
  time.dateTime = now.toISOString();
  time.textContent = now.toTimeString().slice(0, 8);
  const event = document.createElement('strong');
  event.textContent = name;
  const what = document.createElement('span');
  what.className = 'what';
  what.textContent = summary;
  what.title = summary;
  line.append(time, ' ', event, ' ', what);
  const pre = document.createElement('pre');
  pre.textContent = json(detail);
  details.append(line, pre);
  li.append(details);
  const log = $('#log');
  log.prepend(li);
  while (log.children.length > 200) log.lastElementChild?.remove();
}

for (const name of Object.keys(SUMMARY) as Logged[]) {
  document.addEventListener(name, (e) => {
    const detail: unknown = (e as CustomEvent).detail;
    let summary = '';
    try {
      summary = (SUMMARY[name] as (d: unknown) => string)(detail);
    } catch {
      // A detail of another shape than this page knows: the JSON still says it all.
    }
    logEntry(name, summary, detail);
    if (name === 'titan-upload-success') {
      const { cid, verified, report } = detail as Events['titan-upload-success'];
      uploads.set(cid, { verified, report: report.status });
      void refreshReceived();
    }
    if (name === 'digime-write-success') void refreshPostbox();
  });
}
$('#clear-log').addEventListener('click', () => ($('#log').textContent = ''));

// ---- sandbox knobs ("Simulate") ------------------------------------------------------------

type KnobRequest = [path: string, body?: Record<string, unknown>];

/** Turns sandbox knobs (POST /_sandbox/<service>/<action>) one after another; one log entry for all. */
async function simulate(what: string, requests: KnobRequest[]): Promise<void> {
  const done: Array<{ request: string; body: Record<string, unknown>; answer: unknown }> = [];
  for (const [path, body = {}] of requests) {
    const res = await fetch(`/_sandbox/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    done.push({ request: `POST /_sandbox/${path}`, body, answer: (await res.json()) as unknown });
  }
  logEntry('sandbox', what, done.length === 1 ? done[0] : done);
}

const checked = (toggle: string) => $<HTMLInputElement>(`[data-toggle="${toggle}"]`).checked;

/** Node 1's mode from the boxes ticked: down, else a wrong CID, else slow. */
const node1Mode = () => (checked('node1-down') ? 'down' : checked('node1-wrong-cid') ? 'wrong-cid' : checked('node-slow') ? 'slow' : 'ok');
const nodeBody = (nodeId: string, mode: string) => ({ nodeId, mode, ...(mode === 'slow' ? { delayMs: 3000 } : {}) });

/** Issuer faults last until cleared (times: 0), and clearing drops them all: clear, then set those ticked. */
const issuerFaults = (): KnobRequest[] => [
  ['universa/clear-faults'],
  ...(checked('issuer-slow') ? [['universa/fault', { endpoint: '*', times: 0, kind: 'slow', ms: 3000 }] as KnobRequest] : []),
  ...(checked('issuer-down') ? [['universa/fault', { endpoint: '*', times: 0, kind: 'status', status: 503 }] as KnobRequest] : []),
];

const toggles: Record<string, (on: boolean) => KnobRequest[]> = {
  'unauthorized-envelope': (on) => [['titan/unauthorized', { mode: on ? 'envelope' : 'source' }]],
  'node1-down': () => [['titan/node', nodeBody('node1', node1Mode())]],
  'node1-wrong-cid': () => [['titan/node', nodeBody('node1', node1Mode())]],
  'report-refused': (on) => [['titan/report', { refuse: on ? 'server-busy' : null }]],
  'node-slow': (on) => [
    ['titan/node', nodeBody('node1', node1Mode())],
    ['titan/node', nodeBody('node2', on ? 'slow' : 'ok')],
  ],
  'issuer-slow': issuerFaults,
  'issuer-down': issuerFaults,
};
const boxes = [...document.querySelectorAll<HTMLInputElement>('[data-toggle], #two-phase')];
const labelOf = (input: HTMLInputElement) => input.closest('label')?.textContent?.trim() ?? input.id;

// The sandbox keeps its faults across reloads (the Universa link and digi.me's consent reload the
// page too), so the boxes do: restored from this tab's storage, and turned on again in case the
// sandbox was restarted meanwhile.
const SIMULATE_KEY = 'upload-elements-demo:simulate';
const saveBoxes = () =>
  sessionStorage.setItem(SIMULATE_KEY, JSON.stringify(boxes.filter((b) => b.checked).map((b) => b.dataset.toggle ?? b.id)));
const restored = new Set(JSON.parse(sessionStorage.getItem(SIMULATE_KEY) ?? '[]') as string[]);
for (const box of boxes) box.checked = restored.has(box.dataset.toggle ?? box.id);
const reapply = boxes.filter((b) => b.checked && b.dataset.toggle);
if (reapply.length) {
  const requests = reapply.flatMap((b) => toggles[b.dataset.toggle!]!(true));
  const unique = [...new Map(requests.map((r) => [JSON.stringify(r), r])).values()];
  void simulate(`Still on after the reload: ${reapply.map(labelOf).join(', ')}`, unique);
}

for (const input of boxes) {
  input.addEventListener('change', () => {
    saveBoxes();
    const toggle = input.dataset.toggle;
    if (toggle) void simulate(`${labelOf(input)}: ${input.checked ? 'on' : 'off'}`, toggles[toggle]!(input.checked));
  });
}
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-knob]')) {
  button.addEventListener('click', () => void simulate(button.textContent!.trim(), [[button.dataset.knob!]]));
}

// ---- theme -----------------------------------------------------------------------------------
// Kept across reloads (the Universa link and "Reload the page" reload it).
const THEME_KEY = 'upload-elements-demo:theme';
function setTheme(dark: boolean): void {
  document.documentElement.classList.toggle('dark', dark);
  $('#theme').setAttribute('aria-pressed', String(dark));
  localStorage.setItem(THEME_KEY, dark ? 'dark' : 'light');
  // The Dashboards follow through their `theme` attribute; colours through custom properties.
  for (const el of document.querySelectorAll('titan-uploader, digime-writer')) el.setAttribute('theme', dark ? 'dark' : 'light');
}
setTheme(localStorage.getItem(THEME_KEY) === 'dark');
$('#theme').addEventListener('click', () => setTheme(!document.documentElement.classList.contains('dark')));

// ---- Titan -----------------------------------------------------------------------------------
interface Received {
  kind: string;
  extraId: string;
  cid: string;
  name: string;
  signatureOk: boolean;
}

/** What the widget said of each stored CID: checked against the file's bytes, and the transfer/report's fate. */
const uploads = new Map<string, { verified: boolean; report: string }>();

/** Titan calls the app back once the upload's transfer/report reached it; look a few times. */
async function refreshReceived(tries = 5): Promise<void> {
  for (let i = 0; i < tries; i++) {
    const res = await fetch('/app/titan/received');
    if (!res.ok) return;
    const list = (await res.json()) as Received[];
    renderReceived(list);
    if (list.length) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function renderReceived(list: Received[]): void {
  const body = $('#received');
  // Each cell carries its column's name: a phone shows a row as a list of them.
  const columns = [...document.querySelectorAll('.received th')].map((th) => th.textContent ?? '');
  body.textContent = '';
  for (const r of list) {
    const tr = document.createElement('tr');
    const upload = uploads.get(r.cid);
    const checked = upload ? (upload.verified ? 'matches the file' : 'not checked') : '(another page)';
    for (const [i, text] of [r.kind, r.extraId, r.name, r.cid, checked, r.signatureOk ? 'verified' : 'REJECTED'].entries()) {
      const td = document.createElement('td');
      td.dataset.label = columns[i];
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  if (!list.length) body.innerHTML = '<tr><td colspan="6" class="muted">None yet.</td></tr>';
}

// ---- Universa ----------------------------------------------------------------------------------
/** Properties this page sets on an element, by name: the snippets show them too. */
const propsSet = new WeakMap<Element, string[]>();
function setProps(el: Element, props: Record<string, unknown>): void {
  Object.assign(el, props);
  propsSet.set(el, [...new Set([...(propsSet.get(el) ?? []), ...Object.keys(props)])]);
  renderSnippets();
}

const CONFIRM_KEY = 'upload-elements-demo:universa-confirm';
const confirmButton = $<HTMLButtonElement>('#confirm');

$('#get-token').addEventListener('click', async () => {
  const twoPhase = $<HTMLInputElement>('#two-phase').checked;
  const res = await fetch('/universa/issue', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ twoPhase }),
  });
  // The sandbox issuer answers {id, cb, confirm_url}; the link it would send the user is this
  // page (the "client") with `?iv=1&cb=…`, as the real flow's e-mail or SMS would carry.
  const { cb, link, confirm_url } = (await res.json()) as { id: string; cb: string; confirm_url: string; link?: string };
  // The 2-phase e-mail's link, kept so the "Confirm the e-mail" button can play the user's click.
  if (twoPhase) localStorage.setItem(CONFIRM_KEY, confirm_url);
  else localStorage.removeItem(CONFIRM_KEY);
  const client = new URL(location.pathname, location.href);
  client.searchParams.set('iv', '1');
  client.searchParams.set('cb', cb);
  location.assign(link ?? client.href);
});
$('#reload').addEventListener('click', () => location.reload());

confirmButton.hidden = !localStorage.getItem(CONFIRM_KEY);
confirmButton.addEventListener('click', async () => {
  const url = localStorage.getItem(CONFIRM_KEY);
  if (!url) return;
  const res = await fetch(url, { method: 'POST' });
  localStorage.removeItem(CONFIRM_KEY);
  confirmButton.hidden = true;
  logEntry('sandbox', "The user confirmed the address from the issuer's e-mail", { request: `POST ${url}`, status: res.status });
});

// ---- digi.me -----------------------------------------------------------------------------------
interface Written {
  postboxId: string;
  name?: string;
  descriptor: unknown;
  plaintextBase64: string;
}

$('#refuse-consent').addEventListener(
  'click',
  () => void simulate('Refuse the next consent', [['digime/fail-authorize', { errorCode: 'AccessDenied' }]]),
);

/** What the sandbox's digi.me decrypted (a look into the sandbox, not logged as a knob). */
async function refreshPostbox(): Promise<void> {
  const res = await fetch('/_sandbox/digime/postbox', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const list = (await res.json()) as Written[];
  const ul = $('#postbox');
  ul.textContent = '';
  for (const w of list) {
    const li = document.createElement('li');
    const bytes = atob(w.plaintextBase64);
    li.textContent = `${w.name ?? '(file)'}: ${bytes.length} bytes decrypted, descriptor ${JSON.stringify(w.descriptor)}`;
    ul.append(li);
  }
  if (!list.length) ul.innerHTML = '<li class="muted">Nothing yet.</li>';
}

// ---- snippets ----------------------------------------------------------------------------------
// Each section's markup, written from its live element: the attributes it has on this page, the
// properties main.ts set on it, and a comment where this page differs from production on purpose.

/**
 * Attributes that are not the page's markup: `id` is this page's own hook; `open` is the Universa
 * popup's state, reflected; an empty `locale` is <digime-writer> reflecting its default (no language set).
 */
const notMarkup = (name: string, value: string | null) => name === 'id' || name === 'open' || (name === 'locale' && !value);
/** Why an attribute here is not what production would have, by element and attribute names. */
const NOTES: Record<string, Array<[attributes: string[], note: string]>> = {
  'titan-uploader': [
    [['api-url'], "api-url: the sandbox's Titan; in production yours, or none for Titan's test network"],
    [['token-url', 'extra-id-url'], "token-url, extra-id-url: your backend's routes (here the sandbox's stand-in)"],
  ],
  'universa-select-address': [
    [['allow-same-origin'], 'allow-same-origin: only as the sandbox issuer is on this origin; leave it off in production'],
  ],
  'digime-writer': [[['backend-url'], "backend-url: your backend's digi.me routes (here the sandbox's stand-in)"]],
};
const SCRIPT = [
  "<!-- the package's dist/cdn bundle, served by your app (this page loads the sources) -->",
  '<script type="module" src="/upload-elements/upload-elements.js"></script>',
];

const quote = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('\n', '\\n')}'`;
/** A JavaScript literal for a property's value: arrays one item a line, flat objects inline. */
function literal(value: unknown, indent: string): string {
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    return `[\n${value.map((v) => `${indent}  ${literal(v, `${indent}  `)},`).join('\n')}\n${indent}]`;
  }
  if (value && typeof value === 'object') {
    const fields = Object.entries(value).map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k)}: ${literal(v, `${indent}  `)}`);
    if (!fields.length) return '{}';
    const inline = `{ ${fields.join(', ')} }`;
    return inline.length + indent.length <= 120 && !inline.includes('\n')
      ? inline
      : `{\n${fields.map((f) => `${indent}  ${f},`).join('\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

function snippetOf(el: Element): string[] {
  const tag = el.localName;
  const names = el.getAttributeNames().filter((n) => !notMarkup(n, el.getAttribute(n)));
  const attrs = names.map((n) => {
    const value = el.getAttribute(n)!;
    return value === '' ? n : `${n}="${value.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}"`;
  });
  const notes = (NOTES[tag] ?? []).filter(([on]) => on.some((n) => names.includes(n))).map(([, note]) => `<!-- ${note} -->`);
  const open =
    attrs.length > 1
      ? [`<${tag}`, ...attrs.map((a) => `  ${a}`), `></${tag}>`]
      : [`<${tag}${attrs.map((a) => ` ${a}`).join('')}></${tag}>`];
  const props = propsSet.get(el) ?? [];
  const script = props.length
    ? [
        '<script type="module">',
        `  const el = document.querySelector('${tag}');`,
        ...props.map((p) => `  el.${p} = ${literal((el as unknown as Record<string, unknown>)[p], '  ')};`),
        '</script>',
      ]
    : [];
  return [...SCRIPT, '', ...notes, ...open, ...script];
}

function renderSnippets(): void {
  for (const code of document.querySelectorAll<HTMLElement>('code[data-snippet]')) {
    // data-snippet names the section whose element it shows.
    const lines = snippetOf($(`#${code.dataset.snippet} :is(titan-uploader, universa-select-address, digime-writer)`));
    code.textContent = '';
    for (const [i, line] of lines.entries()) {
      if (/^\s*(<!--|\/\/)/.test(line)) {
        const span = document.createElement('span');
        span.className = 'comment';
        span.textContent = line;
        code.append(span);
      } else code.append(line);
      if (i < lines.length - 1) code.append('\n');
    }
  }
}
const watchMarkup = new MutationObserver((records) => {
  if (records.some((r) => r.attributeName !== 'open')) renderSnippets();
});
for (const el of document.querySelectorAll('titan-uploader, universa-select-address, digime-writer'))
  watchMarkup.observe(el, { attributes: true });

// The user's own addresses to pick from (the protocol doc's test vectors); typing one works too.
setProps($('#universa-el'), {
  addresses: [
    { address: '2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ', label: 'Main wallet' },
    { address: 'sriuQrCVN3FNyH6VJEUhMD6t82duanKvBJp2ccyPGYD5gKQdofZNH7aTrQZ8aiCKuAjBRUv6', label: 'Cold storage' },
  ],
});
renderSnippets();
void refreshReceived(1);
