import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendMouse } from '@web/test-runner-commands';
import '../../src/titan/index.js';
import '../../src/digime/index.js';
import type { TitanUploader, TitanUploaderEventMap } from '../../src/titan/index.js';
import { expectedCid, is, knob, randomFile, requestLog, resetSandbox, sleep, titanApi } from './titan-helpers.js';
import { recordOnce } from './situation.js';

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

/** A situation run once, from a fresh sandbox, for the its of the describe it is called in. */
const situation = <T>(run: () => Promise<T>) => recordOnce(run, resetSandbox);

const text = (el: TitanUploader, selector: string) => shadow(el).querySelector(selector)?.textContent?.trim();

describe('<titan-uploader> (against the sandbox)', () => {
  beforeEach(resetSandbox);

  describe('when a file is uploaded', () => {
    const run = situation(async () => {
      const el = await mount();
      const starts = collect(el, 'titan-upload-start');
      const progress = collect(el, 'titan-upload-progress');
      const file = randomFile(250_000, 'report.pdf', 'application/pdf');
      el.addFiles([file]);
      const success = event(el, 'titan-upload-success');
      const complete = event(el, 'titan-complete');
      const returned = await el.upload();
      const detail = await success;
      const appLog = await requestLog('app-titan');
      const create = (await requestLog('titan')).find(is.createAsset)!;
      const [asset] = await knob('titan', 'assets');
      // The callback is waited for here; the it on it fails if none came.
      await waitUntil(async () => (await knob('app-titan', 'received')).length > 0, 'no callback reached the app', {
        timeout: 5000,
      }).catch(() => undefined);
      const [received] = await knob('app-titan', 'received');
      await el.updateComplete;
      const cid = shadow(el).querySelector('[part="cid"]')!;
      const verified = shadow(el).querySelector('[part="verified"]')!;
      const shown = {
        cid: cid.textContent!.trim(),
        cidFont: getComputedStyle(cid).fontFamily,
        link: shadow(el).querySelector<HTMLAnchorElement>('[part="link"]')!.href,
        verified: verified.textContent!.trim(),
        verifiedTitle: verified.getAttribute('title'),
      };
      return {
        file,
        starts,
        progress,
        returned,
        detail,
        complete: await complete,
        cid: await expectedCid(file),
        appLog,
        create,
        asset,
        received,
        shown,
      };
    });

    it('fires titan-upload-success with the node-computed CID', () => {
      expect(run().detail.cid).to.equal(run().cid);
    });

    it('names the file and its size, not deduplicated', () => {
      expect(run().detail).to.include({ name: 'report.pdf', size: run().file.size, deduplicated: false });
    });

    it('links the stored file by its CID', () => {
      expect(run().detail.url).to.include(run().detail.cid);
    });

    it('resolves upload() with the file successful and none failed', () => {
      const { returned, detail } = run();
      expect(returned.successful).to.deep.equal([detail]);
      expect(returned.failed).to.deep.equal([]);
    });

    it('fires titan-complete with the same report', () => {
      expect(run().complete).to.deep.equal({ successful: [run().detail], failed: [] });
    });

    // The array upload() resolved with before it had the report's shape (deprecated).
    it('still resolves upload() as the array of successes it was before (deprecated)', () => {
      expect([...run().returned]).to.deep.equal([run().detail]);
    });

    it('fires titan-upload-start with the file', () => {
      const { starts, detail, file } = run();
      expect(starts).to.deep.equal([{ fileId: detail.fileId, name: 'report.pdf', size: file.size }]);
    });

    it('fires titan-upload-progress up to the whole file', () => {
      const { progress, detail, file } = run();
      expect(progress.at(-1)).to.deep.equal({ fileId: detail.fileId, bytesUploaded: file.size, bytesTotal: file.size });
    });

    // What the servers saw: the app's extra_id went into create_asset; the asset carries the node's CID.
    it("asks the extra-id-url for the file's extra_id with its name, size and type", () => {
      expect(run().appLog.find(is.extraId)!.body).to.deep.equal({ name: 'report.pdf', size: run().file.size, type: 'application/pdf' });
    });

    it('registers the CID with the extra_id in create_asset', () => {
      const { create, detail, file } = run();
      expect(create.body).to.include({ asset_cid: detail.cid, extra_id: detail.extraId, node_id: 'c_node1', asset_size: file.size });
    });

    it('fires the upload verified on the node', () => {
      expect(run().detail).to.include({ verified: true, nodeId: 'c_node1' });
    });

    it('fires the transfer report sent on the first try', () => {
      expect(run().detail.report).to.deep.equal({ status: 'sent', tries: 1 });
    });

    it('fires the extra_id', () => {
      expect(run().detail.extraId).to.be.a('string').and.not.equal('');
    });

    it('stores the asset with its CID and extra_id', () => {
      expect(run().asset).to.include({ cid: run().detail.cid, extraId: run().detail.extraId });
    });

    it('brings the signed callback with the extra_id and CID to the app backend', () => {
      const { received, detail } = run();
      expect(received).to.include({ kind: 'upload', extraId: detail.extraId, cid: detail.cid, name: 'report.pdf', signatureOk: true });
    });

    // What the user sees.
    it('shows the CID', () => {
      expect(run().shown.cid).to.equal(run().detail.cid);
    });

    it('shows the CID in a monospace font', () => {
      expect(run().shown.cidFont).to.match(/mono/i);
    });

    it('links the stored file', () => {
      expect(run().shown.link).to.equal(run().detail.url);
    });

    it('shows that the CID was verified', () => {
      expect(run().shown.verified).to.equal('verified');
      expect(run().shown.verifiedTitle).to.include('matches');
    });
  });

  for (const [mode, status] of [
    ['source', 500],
    ['http', 401],
    ['envelope', 200],
  ] as const) {
    describe(`when the token has expired and is refused as ${mode} (HTTP ${status})`, () => {
      const run = situation(async () => {
        await knob('titan', 'unauthorized', { mode });
        const el = await mount();
        await firstTokenSettled();
        await knob('titan', 'expire-tokens');
        const renewed = event(el, 'titan-token-renewed');
        const success = event(el, 'titan-upload-success');
        const file = randomFile(30_000);
        el.addFiles([file]);
        await el.upload();
        return {
          renewed: await renewed,
          success: await success,
          cid: await expectedCid(file),
          tokenRequests: await tokenRequests(),
          infos: (await requestLog('titan')).filter(is.uploadInfo),
        };
      });

      it('fires titan-token-renewed', () => {
        expect(run().renewed).to.deep.equal({});
      });

      it('uploads the file', () => {
        expect(run().success.cid).to.equal(run().cid);
      });

      it('renews it with exactly one more token request', () => {
        expect(run().tokenRequests).to.have.length(2);
      });

      it('asks get_upload_info again with the new token', () => {
        expect(run().infos.map((e) => e.status)).to.deep.equal([status, 200]);
      });
    });
  }

  // Share links: the API server's CreateShareLinkHandler / ShareLinkInfoHandler /
  // ShareLinkUpdateHandler / UpdateShareStatusHandler (gnasnik/titan-explorer api/events.go),
  // replicated in src/sandbox/titan/share.ts.
  describe("when a stored file's Share button is pressed, then the file is shared again with a password", () => {
    const run = situation(async () => {
      const el = await mount();
      el.shareOptions = { baseUrl: 'https://share.example' };
      el.addFiles([randomFile(3000, 'minutes.txt', 'text/plain')]);
      const [stored] = (await el.upload()).successful;
      await el.updateComplete;
      const button = shadow(el).querySelector<HTMLButtonElement>('[part=share]')!;
      const label = button.getAttribute('aria-label');
      const created = event(el, 'titan-share-created');
      button.click();
      const detail = await created;
      await el.updateComplete;
      const shown = shadow(el).querySelector<HTMLAnchorElement>('[part=share-link]');
      const again = await el.share(stored!.cid, { password: 'secret' });
      const log = await requestLog('titan');
      const calls = log.filter((e) => /create_link|share_link_info|share_link_update|share_status_set/.test(e.path));
      const [link] = await knob('titan', 'links');
      const [asset] = await knob('titan', 'assets');
      return { stored: stored!, label, detail, shown: shown && { href: shown.href, text: shown.textContent }, again, calls, link, asset };
    });

    it('fires titan-share-created with the file, its CID and the link on the share base URL', () => {
      const { detail, stored } = run();
      expect(detail).to.include({ fileId: stored.fileId, name: 'minutes.txt', cid: stored.cid, protected: false });
      expect(detail.url.startsWith(`https://share.example/link?cid=${stored.cid}&ts=`), detail.url).to.equal(true);
      expect(detail.url).to.match(/&ts=\d+$/);
    });

    it('shows the link in place of the button, opening in a new tab', () => {
      expect(run().shown).to.deep.equal({ href: run().detail.url, text: run().detail.url });
    });

    it('names the file in the button label', () => {
      expect(run().label).to.equal('Make a share link for minutes.txt');
    });

    it('asks create_link with the user, the CID and the long link, then marks the asset shared', () => {
      const [create, status] = run().calls;
      expect(create!.path).to.match(/create_link$/);
      expect(create!.query).to.include({ cid: run().stored.cid, expire_time: '0' });
      expect(create!.query.username).to.match(/\/demo$/);
      expect(create!.query.url).to.equal(
        `https://share.example/distributionstatus?cid=${run().stored.cid}&AssetType=file&address=${encodeURIComponent(create!.query.username!)}`,
      );
      expect(status!.path).to.match(/share_status_set$/);
      expect(run().asset?.shared).to.equal(true);
    });

    it('gives the same link when shared again (LinkAlreadyExist → share_link_info) and sets the new password', () => {
      expect(run().again).to.include({ url: run().detail.url, protected: true });
      expect(run().calls.map((c) => c.path.split('/').pop())).to.deep.equal([
        'create_link',
        'share_status_set',
        'create_link',
        'share_link_info',
        'share_link_update',
        'share_status_set',
      ]);
      expect(run().link?.shortPass).to.equal('secret');
    });
  });

  describe('when Titan refuses to make a share link', () => {
    const run = situation(async () => {
      const el = await mount();
      el.addFiles([randomFile(3000, 'a.txt', 'text/plain')]);
      const [stored] = (await el.upload()).successful;
      // The server's empty HTTP 500, twice: the client renews the token once and tries again (as for any call).
      await knob('titan', 'storage', { call: 'create_link', failCount: 2 });
      const failed = event(el, 'titan-share-error');
      const rejected = await el.share(stored!.fileId).then(
        () => undefined,
        (e: Error) => e,
      );
      const detail = await failed;
      await el.updateComplete;
      const button = shadow(el).querySelector<HTMLButtonElement>('[part=share]')!;
      const retryText = button.textContent?.trim();
      const created = event(el, 'titan-share-created');
      button.click();
      return { stored: stored!, rejected, detail, retryText, retried: await created };
    });

    it('fires titan-share-error with the file and the typed error, and share() rejects', () => {
      expect(run().detail).to.include({ fileId: run().stored.fileId, cid: run().stored.cid });
      expect(run().detail.error.code).to.not.equal(undefined);
      expect(run().rejected).to.be.instanceOf(Error);
    });

    it('offers the button again, saying it failed; pressing it makes the link', () => {
      expect(run().retryText).to.equal('Share failed: retry');
      expect(run().retried.cid).to.equal(run().stored.cid);
    });
  });

  // Deprecation path: these keys were ours before the Dashboard spoke Uppy's language packs.
  describe('when strings still overrides Dashboard keys (deprecated)', () => {
    const run = situation(async () => {
      const warnings: string[] = [];
      const warn = console.warn;
      console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
      try {
        const el = await mount();
        el.strings = { browseFiles: 'pick them', uploadOne: 'Send %{smart_count} file', done: 'Finished' };
        await el.updateComplete;
        el.addFiles([randomFile(100, 'a.txt', 'text/plain')]);
        await sleep(50);
        await el.updateComplete;
        return {
          button: text(el, '.uppy-StatusBar-actionBtn--upload'),
          warnings: warnings.filter((w) => w.includes('deprecated')),
        };
      } finally {
        console.warn = warn;
      }
    });

    it('still shows them in the Dashboard', () => {
      expect(run().button).to.equal('Send 1 file');
    });

    it('warns that they are deprecated', () => {
      expect(run().warnings).to.have.length(1);
    });
  });

  // Uppy's Golden Retriever keeps Uppy's state in localStorage and the files in IndexedDB under the
  // Uppy id, which `restore` makes stable. A reload is played by a second element of that id made
  // while the first still holds the file (removing an element clears what it picked).
  describe('when restore is on and the page comes back with a file picked, not yet uploaded', () => {
    const run = situation(async () => {
      const api = await titanApi();
      const make = () =>
        fixture<TitanUploader>(
          html`<titan-uploader id="keep" restore api-url=${api} token-url="/app/titan/token" extra-id-url="/app/titan/extra-id"></titan-uploader>`,
        );
      const first = await make();
      // The restore chunk loads a moment after the element connects; files picked before it are not kept.
      await waitUntil(() => first.uppy.getPlugin('GoldenRetriever'), 'the restore plugin', { timeout: 5000 });
      first.addFiles([new File(['kept across a reload\n'], 'kept.txt', { type: 'text/plain', lastModified: 1_700_000_000_000 })]);
      await sleep(1500); // Golden Retriever saves its state throttled, the file into IndexedDB
      const second = await make();
      await waitUntil(() => second.uppy.getFiles().length === 1, 'the file restored', { timeout: 5000 });
      const [restored] = second.uppy.getFiles();
      first.remove();
      const report = await second.upload();
      await sleep(1500);
      const third = await make();
      await sleep(1500);
      return { restored: restored!, report, afterUpload: third.uppy.getFiles().length, stored: await knob('titan', 'assets') };
    });

    it('brings the file back, bytes and all', () => {
      expect(run().restored).to.include({ name: 'kept.txt', size: 21 });
      expect((run().restored as { isGhost?: boolean }).isGhost).to.equal(false);
    });

    it('uploads the restored file', () => {
      expect(run().report.successful.map((r) => r.name)).to.deep.equal(['kept.txt']);
      expect(run().stored.map((a) => a.name)).to.deep.equal(['kept.txt']);
    });

    it('brings nothing back once it is stored: a file is never uploaded twice', () => {
      expect(run().afterUpload).to.equal(0);
    });
  });

  describe('when folder names a path that does not exist yet', () => {
    const run = situation(async () => {
      const el = await mount();
      el.setAttribute('folder', 'reports/q3');
      await el.updateComplete;
      el.addFiles([randomFile(2000, 'one.txt', 'text/plain'), randomFile(2000, 'two.txt', 'text/plain')]);
      const report = await el.upload();
      return { report, groups: await knob('titan', 'groups'), assets: await knob('titan', 'assets') };
    });

    it('makes the folders once and stores every file in the innermost one', () => {
      expect(run().report.successful).to.have.length(2);
      expect(run().groups.map((g) => g.name)).to.deep.equal(['reports', 'q3']);
      expect(run().assets.map((a) => a.groupId)).to.deep.equal([run().groups[1]!.id, run().groups[1]!.id]);
    });
  });

  describe('when api-url names an API that cannot be reached', () => {
    const run = situation(async () => {
      const el = await fixture<TitanUploader>(html`<titan-uploader
        api-url="http://127.0.0.1:9/titan"
        token-url="/app/titan/token"
        extra-id-url="/app/titan/extra-id"
      ></titan-uploader>`);
      const failure = event(el, 'titan-upload-error');
      el.addFiles([randomFile(1000, 'a.txt', 'text/plain')]);
      await el.upload();
      return await failure;
    });

    it('fails the file naming the URL it tried and the attribute to set', () => {
      expect(run().error.code).to.equal('network');
      expect(run().error.message).to.include('http://127.0.0.1:9/titan').and.include('api-url');
    });
  });

  describe('when a compromised API answers a javascript: link (sandbox knob tamper)', () => {
    const run = situation(async () => {
      await knob('titan', 'tamper', { link: 'javascript:alert(document.domain)' });
      const el = await mount();
      const success = event(el, 'titan-upload-success');
      el.addFiles([randomFile(2000, 'a.txt', 'text/plain')]);
      await el.upload();
      await el.updateComplete;
      const hrefs = [...shadow(el).querySelectorAll('a')].map((a) => a.getAttribute('href') ?? '');
      return { detail: await success, hrefs };
    });

    it('stores the file, but reports no link', () => {
      expect(run().detail.cid).to.be.a('string');
      expect(run().detail.url).to.equal(undefined);
    });

    it('renders no javascript: link', () => {
      expect(run().hrefs.filter((h) => /^\s*javascript:/i.test(h))).to.deep.equal([]);
    });
  });

  describe('when a compromised API offers a data: node URL', () => {
    const run = situation(async () => {
      await knob('titan', 'tamper', { uploadUrl: 'data:text/plain,x' });
      const el = await mount();
      const failure = event(el, 'titan-upload-error');
      const successes = collect(el, 'titan-upload-success');
      el.addFiles([randomFile(2000, 'a.txt', 'text/plain')]);
      const report = await el.upload();
      const creates = (await requestLog('titan')).filter(is.createAsset);
      return { failure: await failure, successes, report, creates };
    });

    it('fails the file with bad-node-url', () => {
      expect(run().failure.error.code).to.equal('bad-node-url');
      expect(run().report.failed.map((f) => f.error.code)).to.deep.equal(['bad-node-url']);
    });

    it('counts nothing as stored: no success, no create_asset', () => {
      expect(run().successes).to.deep.equal([]);
      expect(run().creates).to.have.length(0);
    });
  });

  describe('when the token-url fails', () => {
    const run = situation(async () => {
      await knob('app-titan', 'fail-token', { count: 10, status: 503 });
      const el = await mount();
      const failure = event(el, 'titan-upload-error');
      el.addFiles([randomFile(1000, 'a.txt', 'text/plain')]);
      const report = await el.upload();
      const infos = (await requestLog('titan')).filter(is.uploadInfo);
      await el.updateComplete;
      const shown = { error: text(el, '[part="error"]'), detail: shadow(el).querySelector('.error-detail')!.textContent };
      return { report, failure: await failure, infos, shown };
    });

    it('resolves upload() with the file failed and none successful', () => {
      const { report, failure } = run();
      expect(report.failed).to.deep.equal([failure]);
      expect(report.successful).to.deep.equal([]);
    });

    it('fires titan-upload-error naming the file', () => {
      expect(run().failure.name).to.equal('a.txt');
    });

    it('fails with token-renewal', () => {
      expect(run().failure.error.code).to.equal('token-renewal');
    });

    it('says which token-url failed and how', () => {
      expect(run().failure.error.message).to.include('/app/titan/token').and.include('HTTP 503');
    });

    it('sends Titan nothing', () => {
      expect(run().infos).to.have.length(0);
    });

    it('shows a readable error', () => {
      expect(run().shown.error).to.equal('Could not sign in to Titan Storage.');
    });

    it('shows the HTTP status in the detail', () => {
      expect(run().shown.detail).to.include('HTTP 503');
    });
  });

  describe('when a file that failed is retried through Uppy once the token source recovers', () => {
    const run = situation(async () => {
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
      await el.updateComplete;
      const results = shadow(el).querySelectorAll('[part="result"]');
      return { fileId, detail, cid: await expectedCid(file), results, shownCid: text(el, '[part="cid"]') };
    });

    it('uploads that same file', () => {
      expect(run().detail.fileId).to.equal(run().fileId);
    });

    it('with its CID', () => {
      expect(run().detail.cid).to.equal(run().cid);
    });

    it('shows one result', () => {
      expect(run().results).to.have.length(1);
    });

    it('shows the CID', () => {
      expect(run().shownCid).to.equal(run().detail.cid);
    });
  });

  describe('when a slow upload is cancelled', () => {
    const run = situation(async () => {
      await knob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 800 });
      const el = await mount();
      const failure = event(el, 'titan-upload-error');
      const successes = collect(el, 'titan-upload-success');
      el.addFiles([randomFile(400_000, 'big.bin')]);
      const running = el.upload();
      await waitUntil(async () => (await requestLog('titan')).some(is.nodeUpload('node1')), 'node never reached', { timeout: 5000 });
      el.cancelAll();
      const { error, name } = await failure;
      await running;
      await sleep(1300); // beyond the node's delay: an upload that kept going would have finished by now
      const creates = (await requestLog('titan')).filter(is.createAsset);
      const assets = await knob('titan', 'assets');
      await el.updateComplete;
      return { error, name, creates, assets, successes, shownError: text(el, '[part="error"]') };
    });

    it('reports the cancel as titan-upload-error aborted', () => {
      expect(run().error.code).to.equal('aborted');
    });

    it('names the file', () => {
      expect(run().name).to.equal('big.bin');
    });

    it('stores nothing (no create_asset)', () => {
      expect(run().creates).to.have.length(0);
      expect(run().assets).to.have.length(0);
    });

    it('fires no success', () => {
      expect(run().successes).to.have.length(0);
    });

    it('shows Cancelled', () => {
      expect(run().shownError).to.equal('Cancelled');
    });
  });

  describe('when a cancel comes while create_asset is on its way', () => {
    const run = situation(async () => {
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
      const assets = await knob('titan', 'assets');
      await el.updateComplete;
      return { detail, cid: await expectedCid(file), errors, assets, shownCid: text(el, '[part="cid"]') };
    });

    it('fires titan-upload-success with the CID', () => {
      expect(run().detail.cid).to.equal(run().cid);
    });

    it('fires no "cancelled" for a file Titan kept', () => {
      expect(run().errors, 'no "cancelled" for a file Titan kept').to.have.length(0);
    });

    it('leaves the file stored, with its extra_id', () => {
      const { assets, detail } = run();
      expect(assets.map((a) => a.cid)).to.deep.equal([detail.cid]);
      expect(assets[0]!.extraId).to.equal(detail.extraId);
    });

    it('shows the CID', () => {
      expect(run().shownCid).to.equal(run().detail.cid);
    });
  });

  describe('when a file is retried after create_asset failed', () => {
    const run = situation(async () => {
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
      return {
        detail: await success,
        extraIdRequests: (await requestLog('app-titan')).filter(is.extraId),
        creates: (await requestLog('titan')).filter(is.createAsset),
      };
    });

    it('asks the extra-id-url once for the file', () => {
      expect(run().extraIdRequests).to.have.length(1);
    });

    it('keeps its extra_id in every create_asset', () => {
      const { creates, detail } = run();
      expect(creates.map((c) => (c.body as { extra_id: string }).extra_id)).to.deep.equal([detail.extraId, detail.extraId, detail.extraId]);
    });

    it('stores it on the retry, after the two failures', () => {
      expect(run().creates.map((c) => c.status)).to.deep.equal([500, 500, 200]);
    });
  });

  describe('when the same user uploads the same file twice (err 1017)', () => {
    const run = situation(async () => {
      const el = await mount();
      const bytes = randomFile(20_000);
      const successes = collect(el, 'titan-upload-success');
      el.addFiles([new File([bytes], 'one.bin')]);
      await el.upload();
      el.addFiles([new File([bytes], 'two.bin')]);
      await el.upload();
      const log = await requestLog('titan');
      await el.updateComplete;
      return { successes, log, cids: shadow(el).querySelectorAll('[part="cid"]'), shownText: shadow(el).textContent };
    });

    it('fires success for both, the second deduplicated', () => {
      expect(run().successes.map((s) => [s.name, s.deduplicated])).to.deep.equal([
        ['one.bin', false],
        ['two.bin', true],
      ]);
    });

    it('with the same CID', () => {
      expect(run().successes[1]!.cid).to.equal(run().successes[0]!.cid);
    });

    it('sends the bytes to a node once', () => {
      expect(run().log.filter(is.nodeUpload())).to.have.length(1);
    });

    it('asks create_asset for both', () => {
      expect(run().log.filter(is.createAsset)).to.have.length(2);
    });

    it('shows both CIDs', () => {
      expect(run().cids).to.have.length(2);
    });

    it('says the file was already stored', () => {
      expect(run().shownText).to.include('already stored');
    });
  });

  describe('when the user copies the CID', () => {
    const run = situation(async () => {
      const el = await mount();
      el.addFiles([randomFile(2000)]);
      const [detail] = await el.upload();
      await el.updateComplete;
      const button = shadow(el).querySelector<HTMLButtonElement>('[part="copy"]')!;
      const idle = button.textContent!.trim();
      // A real (trusted) click: browsers only allow clipboard writes from user gestures.
      const box = button.getBoundingClientRect();
      await sendMouse({ type: 'click', position: [Math.round(box.x + box.width / 2), Math.round(box.y + box.height / 2)] });
      await waitUntil(() => button.dataset['state'] !== 'idle', 'copy never finished', { timeout: 2000 });
      return {
        detail,
        idle,
        state: button.dataset['state'],
        after: button.textContent!.trim(),
        label: button.getAttribute('aria-label'),
      };
    });

    it('offers a Copy button', () => {
      expect(run().idle).to.equal('Copy');
    });

    it('copies it', () => {
      expect(run().state).to.equal('copied');
    });

    it('shows "Copied"', () => {
      expect(run().after).to.equal('Copied');
    });

    it('names the file in the button label', () => {
      expect(run().label).to.include(run().detail!.name);
    });
  });

  describe('when locale="de"', () => {
    const run = situation(async () => {
      const el = await mount({ locale: 'de' });
      // German, the element's and Uppy's, is fetched when first shown.
      const browseText = () => shadow(el).querySelector('.uppy-Dashboard-browse')?.textContent;
      await waitUntil(() => browseText() && browseText() !== 'browse files', 'no German dashboard', { timeout: 3000 });
      const browse = browseText();
      el.addFiles([randomFile(1500)]);
      await el.upload();
      await el.updateComplete;
      const copy = text(el, '[part="copy"]');
      el.strings = { copy: 'CID kopieren' };
      await el.updateComplete;
      return { browse, copy, overridden: text(el, '[part="copy"]') };
    });

    it('speaks German in the Dashboard', () => {
      expect(run().browse).to.equal('Dateien auswählen');
    });

    it('speaks German in its results', () => {
      expect(run().copy).to.equal('Kopieren');
    });

    it('lets its strings be overridden', () => {
      expect(run().overridden).to.equal('CID kopieren');
    });
  });

  describe('when mounted', () => {
    let el: TitanUploader;
    beforeEach(async () => {
      el = await mount();
      await waitUntil(() => shadow(el).querySelector('.uppy-Dashboard'), 'no dashboard', { timeout: 3000 });
    });

    it('mounts the Uppy Dashboard inside its shadow root, not in the document', () => {
      expect(document.querySelector('.uppy-Dashboard')).to.equal(null);
    });

    // Uppy's stylesheet applies inside the shadow root (its default would be a 0px border).
    it("styles the Dashboard with Uppy's CSS, adopted", () => {
      const inner = shadow(el).querySelector('.uppy-Dashboard-inner')!;
      expect(getComputedStyle(inner).borderTopStyle).to.equal('solid');
    });

    it('talks to the api-url', async () => {
      expect(el.client.apiUrl).to.equal(await titanApi());
    });

    it('shows the Dashboard light', () => {
      expect(shadow(el).querySelector('.uppy-Dashboard')!.getAttribute('data-uppy-theme')).to.equal('light');
    });

    it('switches the Dashboard to dark with theme="dark"', async () => {
      const inner = () => shadow(el).querySelector<HTMLElement>('.uppy-Dashboard-inner')!;
      const light = getComputedStyle(inner()).backgroundColor;
      el.setAttribute('theme', 'dark');
      await waitUntil(() => shadow(el).querySelector('.uppy-Dashboard')!.getAttribute('data-uppy-theme') === 'dark', 'theme not applied', {
        timeout: 3000,
      });
      expect(getComputedStyle(inner()).backgroundColor).not.to.equal(light);
    });

    it('is accessible after an upload (results list, copy button, link)', async () => {
      el.addFiles([randomFile(1000)]);
      await el.upload();
      await el.updateComplete;
      await expect(el).to.be.accessible();
    });
  });

  describe('when a large batch is added', function () {
    // 130 files, about six requests each from the page, about 7 ms each from this Chromium on
    // loopback: 9 s on an idle machine, 10 to 13 s with a core busy, and once 20.4 s, past the
    // default 20 s (a CI run failed so). What is checked here is slicing and completeness; speed
    // is the bench's.
    this.timeout(60_000);
    const run = situation(async () => {
      const el = await mount();
      const files = Array.from({ length: 130 }, (_, i) => randomFile(64, `many-${i}.bin`));
      el.addFiles(files);
      const firstSlice = el.uppy.getFiles();
      const complete = event(el, 'titan-complete');
      const stored = await el.upload();
      return {
        files,
        firstSlice,
        stored,
        complete: await complete,
        creates: (await requestLog('titan')).filter(is.createAsset),
      };
    });

    it('takes it in slices, so the page stays responsive', () => {
      expect(run().firstSlice, 'the first slice is in at once, the rest follows').to.have.length(100);
    });

    it('uploads all of it', () => {
      expect(run().stored.map((r) => r.name)).to.have.members(run().files.map((f) => f.name));
    });

    it('fires titan-complete with every file successful', () => {
      expect(run().complete.successful).to.have.length(130);
    });

    it('registers every file with Titan', () => {
      expect(run().creates).to.have.length(130);
    });
  });

  describe('when given area-id, group-id and max-files', () => {
    const run = situation(async () => {
      const el = await fixture<TitanUploader>(html`<titan-uploader
        api-url=${await titanApi()}
        token-url="/app/titan/token"
        area-id="China, UnitedStates"
        group-id="7"
        max-files="1"
      ></titan-uploader>`);
      el.addFiles([randomFile(1000, 'kept.bin')]);
      el.addFiles([randomFile(1000, 'refused.bin')]);
      const names = el.uppy.getFiles().map((f) => f.name);
      await el.upload();
      return { names, log: await requestLog('titan') };
    });
    const areas = ['China', 'UnitedStates']; // countries, as get_area_id lists them

    it('refuses files beyond max-files', () => {
      expect(run().names).to.deep.equal(['kept.bin']);
    });

    it('passes the areas and the group to create_asset', () => {
      expect(run().log.find(is.createAsset)!.body).to.deep.include({ asset_name: 'kept.bin', group_id: 7, area_id: areas, extra_id: '' });
    });

    // The log folds repeated query keys into one; each area_id is its own parameter on the wire.
    it('passes each area to get_upload_info', () => {
      expect(run().log.find(is.uploadInfo)!.query['area_id']).to.be.oneOf(areas);
    });
  });
});

describe('<titan-uploader> and <digime-writer> leaving the page (their shared Uppy controller)', () => {
  beforeEach(resetSandbox);

  for (const tag of ['titan-uploader', 'digime-writer'] as const) {
    describe(`when a <${tag}> is moved, removed, updated while removed and put back`, () => {
      // Compared as booleans throughout: chai would render two Uppy instances in a failure message for ever.
      const run = situation(async () => {
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
        const mounted = first.getPlugin('Dashboard') !== undefined;

        b.append(el); // a move: removed and inserted in the same task
        await sleep(0);
        const moved = { sameUppy: el.uppy === first, dashboardKept: first.getPlugin('Dashboard') !== undefined };

        el.remove();
        await sleep(0);
        const removed = {
          uppyDestroyed: first.getPlugin('Dashboard') === undefined,
          noDashboard: el.shadowRoot!.querySelector('.uppy-Dashboard') === null,
        };
        // An update of the removed element (a property set on it) brings no new Uppy to life.
        el.setAttribute('theme', 'dark');
        await el.updateComplete;
        const noDashboardAfterUpdate = el.shadowRoot!.querySelector('.uppy-Dashboard') === null;

        b.append(el);
        await el.updateComplete;
        const second = el.uppy;
        const back = {
          sameUppy: second === first,
          dashboardOnNew: second.getPlugin('Dashboard') !== undefined,
          dashboards: el.shadowRoot!.querySelectorAll('.uppy-Dashboard'),
          names: [] as string[],
        };
        if (tag === 'titan-uploader') {
          // The new Uppy has the element's options: max-files="1" still refuses a second file.
          const uploader = el as unknown as TitanUploader;
          uploader.addFiles([randomFile(10, 'one.bin')]);
          uploader.addFiles([randomFile(10, 'two.bin')]);
          back.names = uploader.uppy.getFiles().map((f) => f.name);
        }
        a.remove();
        b.remove();
        return { mounted, moved, removed, noDashboardAfterUpdate, back };
      });

      it('mounts the Dashboard', () => {
        expect(run().mounted, 'Dashboard mounted').to.equal(true);
      });

      it('keeps its Uppy when moved in one task', () => {
        expect(run().moved.sameUppy, 'the same Uppy after a move').to.equal(true);
      });

      it('keeps the Dashboard when moved', () => {
        expect(run().moved.dashboardKept, 'Dashboard kept after a move').to.equal(true);
      });

      it('frees its Uppy when removed', () => {
        expect(run().removed.uppyDestroyed, 'the old Uppy is destroyed').to.equal(true);
      });

      it('frees the Dashboard when removed', () => {
        expect(run().removed.noDashboard, 'no Dashboard left in the shadow root').to.equal(true);
      });

      it('brings no Uppy back to life when updated while removed', () => {
        expect(run().noDashboardAfterUpdate, 'no Dashboard after an update while removed').to.equal(true);
      });

      it('has a new Uppy back on the page', () => {
        expect(run().back.sameUppy, 'a new Uppy after coming back').to.equal(false);
      });

      it('has one Dashboard again, on the new Uppy', () => {
        expect(run().back.dashboardOnNew, 'Dashboard on the new Uppy').to.equal(true);
        expect(run().back.dashboards).to.have.length(1);
      });

      if (tag === 'titan-uploader') {
        it("gives the new Uppy the element's options (max-files)", () => {
          expect(run().back.names).to.deep.equal(['one.bin']);
        });
      }
    });
  }
});
