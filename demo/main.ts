import '../src/index.js';

const $ = <T extends Element = HTMLElement>(sel: string) => document.querySelector<T>(sel)!;

/** Turns a sandbox knob: POST /_sandbox/<service>/<action>. */
async function knob(path: string, body: Record<string, unknown> = {}): Promise<unknown> {
  const res = await fetch(`/_sandbox/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const value: unknown = await res.json();
  logLine('sandbox', `${path} ${JSON.stringify(body)}`);
  return value;
}

// ---- event log ------------------------------------------------------------------------------
const EVENTS = [
  'titan-upload-start',
  'titan-upload-success',
  'titan-upload-error',
  'titan-token-renewed',
  'titan-complete',
  'universa-state',
  'universa-contract',
  'universa-cancelled',
  'universa-error',
  'digime-connected',
  'digime-write-success',
  'digime-write-error',
  'digime-complete',
];

function logLine(name: string, text: string): void {
  const li = document.createElement('li');
  const time = new Date().toLocaleTimeString();
  const strong = document.createElement('strong');
  strong.textContent = name;
  li.append(`${time} `, strong, ` ${text}`);
  const log = $('#log');
  log.prepend(li);
  while (log.children.length > 200) log.lastElementChild?.remove();
}

for (const name of EVENTS) {
  document.addEventListener(name, (e) => {
    const detail = (e as CustomEvent).detail as Record<string, unknown> | undefined;
    const shown = detail && 'bytes' in detail ? { ...detail, bytes: `<${(detail.bytes as Uint8Array).length} bytes>` } : detail;
    logLine(name, JSON.stringify(shown ?? {}));
    if (name === 'titan-upload-success') {
      const { cid, verified, report } = detail as { cid: string; verified: boolean; report: { status: string } };
      uploads.set(cid, { verified, report: report.status });
      void refreshReceived();
    }
    if (name === 'digime-write-success') void refreshPostbox();
  });
}
$('#clear-log').addEventListener('click', () => ($('#log').textContent = ''));

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
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-knob]')) {
  button.addEventListener('click', () => void knob(button.dataset.knob!));
}
const toggles: Record<string, (on: boolean) => Promise<unknown>> = {
  'unauthorized-envelope': (on) => knob('titan/unauthorized', { mode: on ? 'envelope' : 'source' }),
  'node1-down': (on) => knob('titan/node', { nodeId: 'node1', mode: on ? 'down' : 'ok' }),
  'node1-wrong-cid': (on) => knob('titan/node', { nodeId: 'node1', mode: on ? 'wrong-cid' : 'ok' }),
  'report-refused': (on) => knob('titan/report', { refuse: on ? 'server-busy' : null }),
  'node-slow': async (on) => {
    for (const nodeId of ['node1', 'node2']) await knob('titan/node', { nodeId, mode: on ? 'slow' : 'ok', delayMs: 3000 });
  },
  // Issuer faults last until cleared (times: 0); clearing drops both, so re-apply the one still on.
  'issuer-slow': (on) => issuerFaults(on ? { kind: 'slow', ms: 3000 } : undefined, 'issuer-slow'),
  'issuer-down': (on) => issuerFaults(on ? { kind: 'status', status: 503 } : undefined, 'issuer-down'),
};

async function issuerFaults(fault: Record<string, unknown> | undefined, toggle: string): Promise<unknown> {
  if (fault) return knob('universa/fault', { endpoint: '*', times: 0, ...fault });
  await knob('universa/clear-faults');
  const other = toggle === 'issuer-slow' ? 'issuer-down' : 'issuer-slow';
  if ($<HTMLInputElement>(`[data-toggle="${other}"]`).checked) await toggles[other]!(true);
  return undefined;
}
for (const input of document.querySelectorAll<HTMLInputElement>('[data-toggle]')) {
  input.addEventListener('change', () => void toggles[input.dataset.toggle!]?.(input.checked));
}

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
  body.textContent = '';
  for (const r of list) {
    const tr = document.createElement('tr');
    const upload = uploads.get(r.cid);
    const checked = upload ? (upload.verified ? 'matches the file' : 'not checked') : '(another page)';
    for (const text of [r.kind, r.extraId, r.name, r.cid, checked, r.signatureOk ? 'verified' : 'REJECTED']) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  if (!list.length) body.innerHTML = '<tr><td colspan="6" class="muted">None yet.</td></tr>';
}

// ---- Universa ----------------------------------------------------------------------------------
// The user's own addresses to pick from (the protocol doc's test vectors); typing one works too.
Object.assign($('#universa-el'), {
  addresses: [
    { address: '2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ', label: 'Main wallet' },
    { address: 'sriuQrCVN3FNyH6VJEUhMD6t82duanKvBJp2ccyPGYD5gKQdofZNH7aTrQZ8aiCKuAjBRUv6', label: 'Cold storage' },
  ],
});
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

const CONFIRM_KEY = 'upload-elements-demo:universa-confirm';
const confirmButton = $<HTMLButtonElement>('#confirm');
confirmButton.hidden = !localStorage.getItem(CONFIRM_KEY);
confirmButton.addEventListener('click', async () => {
  const url = localStorage.getItem(CONFIRM_KEY);
  if (!url) return;
  await fetch(url, { method: 'POST' });
  localStorage.removeItem(CONFIRM_KEY);
  confirmButton.hidden = true;
  logLine('sandbox', "the user confirmed the address from the issuer's e-mail");
});

// ---- digi.me -----------------------------------------------------------------------------------
interface Written {
  postboxId: string;
  name?: string;
  descriptor: unknown;
  plaintextBase64: string;
}

async function refreshPostbox(): Promise<void> {
  const list = (await knob('digime/postbox')) as Written[];
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

void refreshReceived(1);
