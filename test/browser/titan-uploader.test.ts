import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendMouse } from '@web/test-runner-commands';
import '../../src/titan/index.js';
import '../../src/digime/index.js';
import type { TitanUploader, TitanUploaderEventMap } from '../../src/titan/index.js';
import { expectedCid, is, knob, randomFile, requestLog, resetSandbox, sleep, titanApi } from './titan-helpers.js';

type Detail<K extends keyof TitanUploaderEventMap> = TitanUploaderEventMap[K];

async function mount(attrs: { locale?: string } = {}): Promise<TitanUploader> {
  const api = await titanApi();
  return fixture<TitanUploader>(html`<titan-uploader
    api-url=${api}
    token-url="/app/titan/token"
    extra-id-url="/app/titan/extra-id"
    locale=${attrs.locale ?? 'en'}
  ></titan-uploader>`);
}

/** Resolves with every event of `name` seen until `until` settles. */
function collect<K extends keyof TitanUploaderEventMap>(el: HTMLElement, name: K): Detail<K>[] {
  const seen: Detail<K>[] = [];
  el.addEventListener(name, (e) => seen.push((e as CustomEvent<Detail<K>>).detail));
  return seen;
}

async function event<K extends keyof TitanUploaderEventMap>(el: HTMLElement, name: K): Promise<Detail<K>> {
  return ((await oneEvent(el, name)) as CustomEvent<Detail<K>>).detail;
}

const shadow = (el: TitanUploader) => el.shadowRoot!;

async function tokenRequests() {
  return (await requestLog('app-titan')).filter(is.token);
}

/** The element asks for its first token when it connects; wait until that request is answered. */
async function firstTokenSettled(status = 200) {
  await waitUntil(async () => (await tokenRequests()).some((e) => e.status === status), 'no initial token request', { timeout: 5000 });
}

describe('<titan-uploader> (against the sandbox)', () => {
  beforeEach(resetSandbox);

  it('uploads a file: events, the node-computed CID, extra_id through create_asset to the callback, CID shown', async () => {
    const el = await mount();
    const starts = collect(el, 'titan-upload-start');
    const progress = collect(el, 'titan-upload-progress');
    const file = randomFile(250_000, 'report.pdf', 'application/pdf');
    el.addFiles([file]);
    const success = event(el, 'titan-upload-success');
    const complete = event(el, 'titan-complete');
    const returned = await el.upload();
    const detail = await success;

    expect(detail.cid).to.equal(await expectedCid(file));
    expect(detail).to.include({ name: 'report.pdf', size: file.size, deduplicated: false });
    expect(detail.url).to.include(detail.cid);
    expect(returned.successful).to.deep.equal([detail]);
    expect(returned.failed).to.deep.equal([]);
    expect(await complete).to.deep.equal({ successful: [detail], failed: [] });
    // The array upload() resolved with before it had the report's shape (deprecated).
    expect([...returned]).to.deep.equal([detail]);
    expect(starts).to.deep.equal([{ fileId: detail.fileId, name: 'report.pdf', size: file.size }]);
    expect(progress.at(-1)).to.deep.equal({ fileId: detail.fileId, bytesUploaded: file.size, bytesTotal: file.size });

    // What the servers saw: the app's extra_id went into create_asset; the asset carries the node's CID.
    const appLog = await requestLog('app-titan');
    expect(appLog.find(is.extraId)!.body).to.deep.equal({ name: 'report.pdf', size: file.size, type: 'application/pdf' });
    const create = (await requestLog('titan')).find(is.createAsset)!;
    expect(create.body).to.include({ asset_cid: detail.cid, extra_id: detail.extraId, node_id: 'c_node1', asset_size: file.size });
    expect(detail).to.include({ verified: true, nodeId: 'c_node1' });
    expect(detail.report).to.deep.equal({ status: 'sent', tries: 1 });
    expect(detail.extraId).to.be.a('string').and.not.equal('');
    const [asset] = await knob('titan', 'assets');
    expect(asset).to.include({ cid: detail.cid, extraId: detail.extraId });
    await waitUntil(async () => (await knob('app-titan', 'received')).length > 0, 'no callback reached the app', {
      timeout: 5000,
    });
    const [received] = await knob('app-titan', 'received');
    expect(received).to.include({ kind: 'upload', extraId: detail.extraId, cid: detail.cid, name: 'report.pdf', signatureOk: true });

    // What the user sees.
    await el.updateComplete;
    const cid = shadow(el).querySelector('[part="cid"]')!;
    expect(cid.textContent!.trim()).to.equal(detail.cid);
    expect(getComputedStyle(cid).fontFamily).to.match(/mono/i);
    const link = shadow(el).querySelector<HTMLAnchorElement>('[part="link"]')!;
    expect(link.href).to.equal(detail.url);
    const verified = shadow(el).querySelector('[part="verified"]')!;
    expect(verified.textContent!.trim()).to.equal('verified');
    expect(verified.getAttribute('title')).to.include('matches');
  });

  for (const [mode, status] of [
    ['source', 500],
    ['http', 401],
    ['envelope', 200],
  ] as const) {
    it(`renews an expired token (refused as ${mode}: HTTP ${status}) with exactly one more token request`, async () => {
      await knob('titan', 'unauthorized', { mode });
      const el = await mount();
      await firstTokenSettled();
      await knob('titan', 'expire-tokens');
      const renewed = event(el, 'titan-token-renewed');
      const success = event(el, 'titan-upload-success');
      const file = randomFile(30_000);
      el.addFiles([file]);
      await el.upload();

      expect(await renewed).to.deep.equal({});
      expect((await success).cid).to.equal(await expectedCid(file));
      expect(await tokenRequests()).to.have.length(2);
      const infos = (await requestLog('titan')).filter(is.uploadInfo);
      expect(infos.map((e) => e.status)).to.deep.equal([status, 200]);
    });
  }

  it('shows a readable error when the token-url fails', async () => {
    await knob('app-titan', 'fail-token', { count: 10, status: 503 });
    const el = await mount();
    const failure = event(el, 'titan-upload-error');
    el.addFiles([randomFile(1000, 'a.txt', 'text/plain')]);
    const report = await el.upload();
    const { error, name } = await failure;
    expect(report.failed).to.deep.equal([await failure]);
    expect(report.successful).to.deep.equal([]);
    expect(name).to.equal('a.txt');
    expect(error.code).to.equal('token-renewal');
    expect(error.message).to.include('/app/titan/token').and.include('HTTP 503');
    expect((await requestLog('titan')).filter(is.uploadInfo)).to.have.length(0);

    await el.updateComplete;
    const shown = shadow(el).querySelector('[part="error"]')!;
    expect(shown.textContent!.trim()).to.equal('Could not sign in to Titan Storage.');
    expect(shadow(el).querySelector('.error-detail')!.textContent).to.include('HTTP 503');
  });

  it('retries a failed file through Uppy once the token source recovers', async () => {
    await knob('app-titan', 'fail-token', { count: 2 });
    const el = await mount();
    await firstTokenSettled(500);
    const failure = event(el, 'titan-upload-error');
    const file = randomFile(5000);
    el.addFiles([file]);
    await el.upload();
    const { fileId } = await failure;

    const success = event(el, 'titan-upload-success');
    await el.uppy.retryUpload(fileId);
    const detail = await success;
    expect(detail.fileId).to.equal(fileId);
    expect(detail.cid).to.equal(await expectedCid(file));
    await el.updateComplete;
    expect(shadow(el).querySelectorAll('[part="result"]')).to.have.length(1);
    expect(shadow(el).querySelector('[part="cid"]')!.textContent!.trim()).to.equal(detail.cid);
  });

  it('cancels a slow upload: no create_asset, the cancel is reported and shown', async () => {
    await knob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 800 });
    const el = await mount();
    const failure = event(el, 'titan-upload-error');
    const successes = collect(el, 'titan-upload-success');
    el.addFiles([randomFile(400_000, 'big.bin')]);
    const running = el.upload();
    await waitUntil(async () => (await requestLog('titan')).some(is.nodeUpload('node1')), 'node never reached', { timeout: 5000 });
    el.cancelAll();

    const { error, name } = await failure;
    expect(error.code).to.equal('aborted');
    expect(name).to.equal('big.bin');
    await running;
    await sleep(1300); // beyond the node's delay: an upload that kept going would have finished by now
    expect((await requestLog('titan')).filter(is.createAsset)).to.have.length(0);
    expect(await knob('titan', 'assets')).to.have.length(0);
    expect(successes).to.have.length(0);
    await el.updateComplete;
    expect(shadow(el).querySelector('[part="error"]')!.textContent!.trim()).to.equal('Cancelled');
  });

  it('a cancel that comes while create_asset is on its way does not hide the stored file', async () => {
    await knob('titan', 'storage', { call: 'create_asset', delayMs: 800 });
    const el = await mount();
    const errors = collect(el, 'titan-upload-error');
    const success = event(el, 'titan-upload-success');
    const file = randomFile(20_000, 'late.bin');
    el.addFiles([file]);
    void el.upload();
    await waitUntil(async () => (await requestLog('titan')).some(is.nodeUpload()), 'the node upload', { timeout: 5000 });
    // The node has the bytes once create_asset is asked for; the sandbox holds that answer 800 ms.
    await sleep(400);
    el.cancelAll();

    const detail = await success;
    expect(detail.cid).to.equal(await expectedCid(file));
    expect(errors, 'no "cancelled" for a file Titan kept').to.have.length(0);
    const assets = await knob('titan', 'assets');
    expect(assets.map((a) => a.cid)).to.deep.equal([detail.cid]);
    expect(assets[0]!.extraId).to.equal(detail.extraId);
    await el.updateComplete;
    expect(shadow(el).querySelector('[part="cid"]')!.textContent!.trim()).to.equal(detail.cid);
  });

  it('a retried file keeps its extra_id (one extra-id-url request per file)', async () => {
    // An empty HTTP 500 is also how Titan refuses a stale token, so the client renews and tries
    // once more before failing: two failures make the file fail.
    await knob('titan', 'storage', { call: 'create_asset', failCount: 2 });
    const el = await mount();
    const failure = event(el, 'titan-upload-error');
    el.addFiles([randomFile(5000, 'again.bin')]);
    await el.upload();
    const { fileId } = await failure;
    const success = event(el, 'titan-upload-success');
    await el.uppy.retryUpload(fileId);
    const detail = await success;
    expect((await requestLog('app-titan')).filter(is.extraId)).to.have.length(1);
    const creates = (await requestLog('titan')).filter(is.createAsset);
    expect(creates.map((c) => (c.body as { extra_id: string }).extra_id)).to.deep.equal([detail.extraId, detail.extraId, detail.extraId]);
    expect(creates.map((c) => c.status)).to.deep.equal([500, 500, 200]);
  });

  it('treats the same file uploaded twice by the same user (err 1017) as success', async () => {
    const el = await mount();
    const bytes = randomFile(20_000);
    const successes = collect(el, 'titan-upload-success');
    el.addFiles([new File([bytes], 'one.bin')]);
    await el.upload();
    el.addFiles([new File([bytes], 'two.bin')]);
    await el.upload();
    expect(successes.map((s) => [s.name, s.deduplicated])).to.deep.equal([
      ['one.bin', false],
      ['two.bin', true],
    ]);
    expect(successes[1]!.cid).to.equal(successes[0]!.cid);
    const log = await requestLog('titan');
    expect(log.filter(is.nodeUpload())).to.have.length(1);
    expect(log.filter(is.createAsset)).to.have.length(2);
    await el.updateComplete;
    expect(shadow(el).querySelectorAll('[part="cid"]')).to.have.length(2);
    expect(shadow(el).textContent).to.include('already stored');
  });

  it('copies the CID with a visible "Copied" state', async () => {
    const el = await mount();
    el.addFiles([randomFile(2000)]);
    const [detail] = await el.upload();
    await el.updateComplete;
    const button = shadow(el).querySelector<HTMLButtonElement>('[part="copy"]')!;
    expect(button.textContent!.trim()).to.equal('Copy');
    // A real (trusted) click: browsers only allow clipboard writes from user gestures.
    const box = button.getBoundingClientRect();
    await sendMouse({ type: 'click', position: [Math.round(box.x + box.width / 2), Math.round(box.y + box.height / 2)] });
    await waitUntil(() => button.dataset['state'] !== 'idle', 'copy never finished', { timeout: 2000 });
    expect(button.dataset['state']).to.equal('copied');
    expect(button.textContent!.trim()).to.equal('Copied');
    expect(button.getAttribute('aria-label')).to.include(detail!.name);
  });

  it('speaks German with locale="de", and strings can be overridden', async () => {
    const el = await mount({ locale: 'de' });
    await waitUntil(() => shadow(el).querySelector('.uppy-Dashboard-browse'), 'no dashboard', { timeout: 3000 });
    expect(shadow(el).querySelector('.uppy-Dashboard-browse')!.textContent).to.equal('Dateien auswählen');
    el.addFiles([randomFile(1500)]);
    await el.upload();
    await el.updateComplete;
    expect(shadow(el).querySelector('[part="copy"]')!.textContent!.trim()).to.equal('Kopieren');
    el.strings = { copy: 'CID kopieren' };
    await el.updateComplete;
    expect(shadow(el).querySelector('[part="copy"]')!.textContent!.trim()).to.equal('CID kopieren');
  });

  it('mounts the Uppy Dashboard inside its shadow root, styled by adopted CSS', async () => {
    const el = await mount();
    await waitUntil(() => shadow(el).querySelector('.uppy-Dashboard'), 'no dashboard', { timeout: 3000 });
    expect(document.querySelector('.uppy-Dashboard')).to.equal(null);
    const inner = shadow(el).querySelector('.uppy-Dashboard-inner')!;
    // Uppy's stylesheet applies inside the shadow root (its default would be a 0px border).
    expect(getComputedStyle(inner).borderTopStyle).to.equal('solid');
    expect(el.client.apiUrl).to.equal(await titanApi());
  });

  it('switches the Dashboard between light and dark with the theme attribute', async () => {
    const el = await mount();
    await waitUntil(() => shadow(el).querySelector('.uppy-Dashboard'), 'no dashboard', { timeout: 3000 });
    const inner = () => shadow(el).querySelector<HTMLElement>('.uppy-Dashboard-inner')!;
    const light = getComputedStyle(inner()).backgroundColor;
    expect(shadow(el).querySelector('.uppy-Dashboard')!.getAttribute('data-uppy-theme')).to.equal('light');
    el.setAttribute('theme', 'dark');
    await waitUntil(() => shadow(el).querySelector('.uppy-Dashboard')!.getAttribute('data-uppy-theme') === 'dark', 'theme not applied', {
      timeout: 3000,
    });
    expect(getComputedStyle(inner()).backgroundColor).not.to.equal(light);
  });

  it('is accessible after an upload (results list, copy button, link)', async () => {
    const el = await mount();
    await waitUntil(() => shadow(el).querySelector('.uppy-Dashboard'), 'no dashboard', { timeout: 3000 });
    el.addFiles([randomFile(1000)]);
    await el.upload();
    await el.updateComplete;
    await expect(el).to.be.accessible();
  });

  it('takes a large batch in slices (the page stays responsive) and uploads all of it', async () => {
    const el = await mount();
    const files = Array.from({ length: 130 }, (_, i) => randomFile(64, `many-${i}.bin`));
    el.addFiles(files);
    expect(el.uppy.getFiles(), 'the first slice is in at once, the rest follows').to.have.length(100);
    const complete = event(el, 'titan-complete');
    const stored = await el.upload();
    expect(stored.map((r) => r.name)).to.have.members(files.map((f) => f.name));
    expect((await complete).successful).to.have.length(130);
    expect((await requestLog('titan')).filter(is.createAsset)).to.have.length(130);
  });

  it('passes area-id and group-id to Titan and applies max-files', async () => {
    const el = await fixture<TitanUploader>(html`<titan-uploader
      api-url=${await titanApi()}
      token-url="/app/titan/token"
      area-id="China, UnitedStates"
      group-id="7"
      max-files="1"
    ></titan-uploader>`);
    el.addFiles([randomFile(1000, 'kept.bin')]);
    el.addFiles([randomFile(1000, 'refused.bin')]);
    expect(el.uppy.getFiles().map((f) => f.name)).to.deep.equal(['kept.bin']);
    await el.upload();
    const log = await requestLog('titan');
    const areas = ['China', 'UnitedStates']; // countries, as get_area_id lists them
    expect(log.find(is.createAsset)!.body).to.deep.include({ asset_name: 'kept.bin', group_id: 7, area_id: areas, extra_id: '' });
    const info = log.find(is.uploadInfo)!;
    // The log folds repeated query keys into one; each area_id is its own parameter on the wire.
    expect(info.query['area_id']).to.be.oneOf(areas);
  });
});

describe('<titan-uploader> and <digime-writer> leaving the page (their shared Uppy controller)', () => {
  beforeEach(resetSandbox);

  for (const tag of ['titan-uploader', 'digime-writer'] as const) {
    it(`${tag}: moved in one task it keeps its Uppy; removed it frees Uppy and the Dashboard; back on the page it has both again`, async () => {
      const el = document.createElement(tag) as HTMLElement & {
        uppy: { getPlugin(id: string): unknown; getFiles(): unknown[] };
        updateComplete: Promise<unknown>;
      };
      if (tag === 'titan-uploader') el.setAttribute('max-files', '1');
      const a = document.createElement('div');
      const b = document.createElement('div');
      document.body.append(a, b);
      a.append(el);
      await el.updateComplete;
      const first = el.uppy;
      expect(first.getPlugin('Dashboard') !== undefined, 'Dashboard mounted').to.equal(true);

      b.append(el); // a move: removed and inserted in the same task
      await sleep(0);
      // Compared as booleans: chai would render two Uppy instances in a failure message for ever.
      expect(el.uppy === first, 'the same Uppy after a move').to.equal(true);
      expect(first.getPlugin('Dashboard') !== undefined, 'Dashboard kept after a move').to.equal(true);

      el.remove();
      await sleep(0);
      expect(first.getPlugin('Dashboard') === undefined, 'the old Uppy is destroyed').to.equal(true);
      expect(el.shadowRoot!.querySelector('.uppy-Dashboard') === null, 'no Dashboard left in the shadow root').to.equal(true);
      // An update of the removed element (a property set on it) brings no new Uppy to life.
      el.setAttribute('theme', 'dark');
      await el.updateComplete;
      expect(el.shadowRoot!.querySelector('.uppy-Dashboard') === null, 'no Dashboard after an update while removed').to.equal(true);

      b.append(el);
      await el.updateComplete;
      const second = el.uppy;
      expect(second === first, 'a new Uppy after coming back').to.equal(false);
      expect(second.getPlugin('Dashboard') !== undefined, 'Dashboard on the new Uppy').to.equal(true);
      expect(el.shadowRoot!.querySelectorAll('.uppy-Dashboard')).to.have.length(1);
      if (tag === 'titan-uploader') {
        // The new Uppy has the element's options: max-files="1" still refuses a second file.
        const uploader = el as unknown as TitanUploader;
        uploader.addFiles([randomFile(10, 'one.bin')]);
        uploader.addFiles([randomFile(10, 'two.bin')]);
        expect(uploader.uppy.getFiles().map((f) => f.name)).to.deep.equal(['one.bin']);
      }
      a.remove();
      b.remove();
    });
  }
});
