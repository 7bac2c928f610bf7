import { expect, oneEvent, waitUntil } from '@open-wc/testing';
import { clearPostboxes, loadPostbox } from '../../src/digime/store.js';
import type { DigiMeWriter } from '../../src/digime/index.js';
import {
  connectThroughDigiMe,
  FRAME_URL,
  frameEvents,
  containsBytes,
  fromBase64,
  jwtClaims,
  knob,
  openFrame,
  pickFiles,
  resetSandbox,
  sandboxLog,
  shadow,
  writerIn,
} from './fixtures/digime-helpers.js';

const MARKER = 'upload-elements digime plaintext marker';

function pickedBytes(): Uint8Array {
  const text = new TextEncoder().encode(`${MARKER}\n`.repeat(40));
  const noise = crypto.getRandomValues(new Uint8Array(1000));
  const out = new Uint8Array(text.length + noise.length);
  out.set(text);
  out.set(noise, text.length);
  return out;
}

async function connectedWriter(frame: HTMLIFrameElement): Promise<DigiMeWriter> {
  await connectThroughDigiMe(frame);
  const el = await writerIn(frame);
  await waitUntil(() => !!el.postboxId, 'the writer did not connect', { timeout: 10_000 });
  return el;
}

describe('<digime-writer> connect → write through the sandbox', () => {
  let frame: HTMLIFrameElement | undefined;

  beforeEach(async () => {
    await resetSandbox();
    await clearPostboxes();
    sessionStorage.clear();
  });

  afterEach(() => {
    frame?.remove();
    frame = undefined;
  });

  it('connects, cleans the address bar, remembers the postbox, and writes a picked file the backend only saw encrypted', async () => {
    frame = await openFrame();
    const first = await writerIn(frame);
    expect(shadow(first, '[part="connect-button"]')?.textContent?.trim()).to.equal('Connect digi.me');
    expect(shadow(first, '[part="dashboard"]')?.hidden).to.equal(true);

    await connectThroughDigiMe(frame);
    const el = await writerIn(frame);
    await waitUntil(() => !!el.postboxId, 'the writer did not connect', { timeout: 10_000 });
    expect(frameEvents(frame)).to.deep.equal([{ type: 'digime-connected', detail: { postboxId: el.postboxId } }]);

    // The return parameters are gone from the address bar.
    expect(frame.contentWindow!.location.search).to.equal('');
    await el.updateComplete;
    expect(shadow(el, '[part="status"]')?.textContent).to.contain('Connected to digi.me');
    expect(shadow(el, '[part="dashboard"]')?.hidden).to.equal(false);

    // The exchange carried digi.me's redirect parameters to the backend.
    const exchange = (await sandboxLog('app-digime')).find((e) => e.path === '/app/digime/exchange');
    expect(exchange?.status).to.equal(200);
    expect(exchange?.body).to.include({ postboxId: el.postboxId });
    expect((exchange!.body as { publicKey: string }).publicKey).to.contain('BEGIN RSA PUBLIC KEY');

    // Remembered in IndexedDB for this backend.
    const saved = await loadPostbox(new URL('/app/digime', location.href).href);
    expect(saved?.postboxId).to.equal(el.postboxId);

    el.accounts = [{ accountId: 'acc-browser' }];
    el.tags = ['browser-test'];
    el.reference = ['ref-1'];
    const bytes = pickedBytes();
    pickFiles(frame, el, [{ name: 'notes.txt', type: 'text/plain', bytes }]);
    await waitUntil(() => el.uppy.getFiles().length === 1, 'the Dashboard did not take the file');
    await el.updateComplete;
    await waitUntil(() => shadow(el, '.uppy-StatusBar-actionBtn--upload'), 'no upload button');
    const success = oneEvent(el, 'digime-write-success');
    shadow(el, '.uppy-StatusBar-actionBtn--upload')!.click();
    const { detail } = await success;
    expect(detail.name).to.equal('notes.txt');
    expect(detail.status).to.equal('delivered');
    expect(detail.fileId).to.equal(el.uppy.getFiles()[0]?.id);
    expect(detail.expires).to.be.a('number');

    // digi.me decrypted exactly the picked bytes and the descriptor.
    const [stored] = await knob('digime', 'postbox');
    expect(stored?.postboxId).to.equal(el.postboxId);
    expect(stored?.name).to.equal('notes.txt');
    expect(Array.from(fromBase64(stored!.plaintextBase64))).to.deep.equal(Array.from(bytes));
    expect(stored?.descriptor).to.deep.equal({
      mimeType: 'text/plain',
      accounts: [{ accountId: 'acc-browser' }],
      reference: ['ref-1'],
      tags: ['browser-test'],
    });

    // The app backend received ciphertext only: not the bytes, not a piece of them, not the descriptor.
    const [received] = await knob('app-digime', 'received');
    const got = fromBase64(received!.fileBase64);
    expect(got.length).to.equal(bytes.length + 16 - (bytes.length % 16));
    expect(containsBytes(got, new TextEncoder().encode(MARKER))).to.equal(false);
    expect(containsBytes(got, bytes.subarray(bytes.length - 64))).to.equal(false);
    expect(Object.keys(received!.fields).sort()).to.deep.equal(['iv', 'metadata', 'postbox_id', 'symmetrical_key']);
    expect(received!.fields.postbox_id).to.equal(el.postboxId);
    expect(atob(received!.fields.metadata!)).not.to.contain('acc-browser');
    expect(received!.fields.iv).to.match(/^[0-9a-f]{32}$/);

    await waitUntil(() => shadow(el, '[part~="result-delivered"]'), 'no delivered row');
    expect(shadow(el, '[part~="result"]')?.textContent).to.contain('notes.txt').and.to.contain('Delivered');

    // A reload restores the connection from IndexedDB without going to digi.me again.
    const reloaded = new Promise<void>((resolve) => frame!.addEventListener('load', () => resolve(), { once: true }));
    frame.contentWindow!.location.reload();
    await reloaded;
    const again = await writerIn(frame);
    await waitUntil(() => again.postboxId === el.postboxId, 'the postbox was not restored');
    expect((await sandboxLog('app-digime')).filter((e) => e.path === '/app/digime/authorize')).to.have.length(1);
  });

  it('a failure redirect (success=false&errorCode) shows the error and does not exchange', async () => {
    await knob('digime', 'fail-authorize', { errorCode: 'UserDeclined' });
    frame = await openFrame();
    await connectThroughDigiMe(frame);
    const el = await writerIn(frame);
    await waitUntil(() => shadow(el, '[part="error"]'), 'no error shown');
    expect(shadow(el, '[part="error"]')?.textContent).to.contain('UserDeclined');
    expect(shadow(el, '[part="error"]')?.getAttribute('role')).to.equal('alert');
    expect(shadow(el, '[part="connect-button"]')).to.exist;
    expect(el.postboxId).to.equal(undefined);
    expect(frameEvents(frame).map((e) => [e.type, (e.detail.error as { code: string }).code])).to.deep.equal([
      ['digime-connect-error', 'UserDeclined'],
    ]);
    expect(frame.contentWindow!.location.search).to.equal('');
    expect((await sandboxLog('app-digime')).map((e) => e.path)).to.deep.equal(['/app/digime/authorize']);
  });

  it('another tab connecting again moves the session to a new postbox: this tab adopts it and the write still lands', async () => {
    frame = await openFrame();
    const a = await connectedWriter(frame);
    const first = a.postboxId!;
    const other = await openFrame();
    try {
      const b = await connectedWriter(other);
      expect(b.postboxId).to.not.equal(first);

      const bytes = pickedBytes();
      const success = oneEvent(a, 'digime-write-success');
      pickFiles(frame, a, [{ name: 'moved.txt', type: 'text/plain', bytes }]);
      await waitUntil(() => shadow(a, '.uppy-StatusBar-actionBtn--upload'), 'no upload button');
      shadow(a, '.uppy-StatusBar-actionBtn--upload')!.click();
      expect((await success).detail.status).to.equal('delivered');
      expect(a.postboxId, 'adopted the session postbox').to.equal(b.postboxId);
      const writes = (await sandboxLog('app-digime')).filter((e) => e.path === '/app/digime/write');
      expect(writes.map((w) => w.status)).to.deep.equal([409, 200]);
      const [stored] = await knob('digime', 'postbox');
      expect(stored?.postboxId).to.equal(b.postboxId);
      expect(containsBytes(fromBase64(stored!.plaintextBase64), bytes)).to.equal(true);
    } finally {
      other.remove();
    }
  });

  it("a page's own ?success=false (no connect in progress) is left alone", async () => {
    frame = await openFrame(`${FRAME_URL}?success=false&errorCode=OrderFailed&state=app-own`);
    const el = await writerIn(frame);
    await el.updateComplete;
    await new Promise((r) => setTimeout(r, 200));
    expect(frameEvents(frame)).to.deep.equal([]);
    expect(shadow(el, '[part="error"]')).to.equal(null);
    expect(frame.contentWindow!.location.search).to.equal('?success=false&errorCode=OrderFailed&state=app-own');
  });

  it('an expired access token is refreshed by the backend and the write retried once', async () => {
    frame = await openFrame();
    const el = await connectedWriter(frame);
    await knob('digime', 'expire-access-tokens');
    el.addFiles([new (frame.contentWindow as Window & typeof globalThis).File(['after expiry'], 'later.txt', { type: 'text/plain' })]);
    const success = oneEvent(el, 'digime-write-success');
    const report = await el.upload();
    expect(report.successful).to.deep.equal([(await success).detail]);
    expect(report.successful.map((o) => o.status)).to.deep.equal(['delivered']);

    const digime = await sandboxLog('digime');
    const writes = digime.filter((e) => e.path.includes('/permission-access/postbox/'));
    expect(writes.map((e) => e.status)).to.deep.equal([401, 200]);
    const grants = digime.filter((e) => e.path.endsWith('/oauth/token')).map((e) => jwtClaims(e.headers.authorization).grant_type);
    expect(grants).to.deep.equal(['authorization_code', 'refresh_token']);
    const [first, second] = writes.map((e) => jwtClaims(e.headers.authorization));
    expect(first?.access_token).not.to.equal(second?.access_token);
    // The browser wrote once; the retry happened between backend and digi.me.
    expect((await sandboxLog('app-digime')).filter((e) => e.path === '/app/digime/write')).to.have.length(1);
    const [stored] = await knob('digime', 'postbox');
    expect(new TextDecoder().decode(fromBase64(stored!.plaintextBase64))).to.equal('after expiry');
  });

  it('pending writes show as pending', async () => {
    frame = await openFrame();
    const el = await connectedWriter(frame);
    await knob('digime', 'write-status', { status: 'pending' });
    const success = oneEvent(el, 'digime-write-success');
    el.addFiles([new (frame.contentWindow as Window & typeof globalThis).File(['p'], 'p.txt', { type: 'text/plain' })]);
    void el.upload();
    expect((await success).detail.status).to.equal('pending');
    await waitUntil(() => shadow(el, '[part~="result-pending"]'), 'no pending row');
    expect(shadow(el, '[part~="result-pending"]')?.textContent).to.contain('Pending');
  });

  it('when the backend lost the session, the write fails with not-connected and the writer offers to connect again', async () => {
    frame = await openFrame();
    const el = await connectedWriter(frame);
    // Sessions live in the demo backend's memory: a reset is a backend restart.
    await resetSandbox();
    const failed = oneEvent(el, 'digime-write-error');
    el.addFiles([new (frame.contentWindow as Window & typeof globalThis).File(['x'], 'x.txt', { type: 'text/plain' })]);
    void el.upload();
    const { detail } = await failed;
    expect(detail.name).to.equal('x.txt');
    expect(detail.error.code).to.equal('not-connected');
    await waitUntil(() => shadow(el, '[part="connect-button"]'), 'connect button not offered again');
    expect(el.postboxId).to.equal(undefined);
    expect(await loadPostbox(new URL('/app/digime', location.href).href)).to.equal(undefined);
    expect(await knob('digime', 'postbox')).to.deep.equal([]);
  });
});
