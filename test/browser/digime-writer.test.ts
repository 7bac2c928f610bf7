import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../src/digime/index.js';
import { DigiMeWriter, clearPostboxes } from '../../src/digime/index.js';
import { knob, resetSandbox, sandboxLog, shadow } from './fixtures/digime-helpers.js';
import { recordOnce } from './situation.js';

/** A fresh sandbox, no postbox remembered, nothing in the session. */
async function fresh(): Promise<void> {
  await resetSandbox();
  await clearPostboxes();
  sessionStorage.clear();
}

/** A situation run once, from a fresh start, for the its of the describe it is called in. */
const situation = <T>(run: () => Promise<T>) => recordOnce(run, fresh);

const connectLabel = (el: DigiMeWriter) => shadow(el, '[part="connect-button"]')?.textContent?.trim();

describe('<digime-writer> element', () => {
  beforeEach(fresh);

  describe('when imported', () => {
    it('is defined once (defining it again changes nothing)', () => {
      expect(customElements.get('digime-writer')).to.equal(DigiMeWriter);
      DigiMeWriter.define('digime-writer');
    });
  });

  describe('when mounted with a backend-url', () => {
    let el: DigiMeWriter;
    beforeEach(async () => {
      el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime"></digime-writer>`);
    });

    it('offers to connect digi.me', () => {
      expect(connectLabel(el)).to.equal('Connect digi.me');
    });

    it('hides the Dashboard until connected', () => {
      expect(shadow(el, '[part="dashboard"]')?.hidden).to.equal(true);
    });

    it('has the Uppy Dashboard ready', () => {
      expect(shadow(el, '[part="dashboard"] .uppy-Dashboard')).to.exist;
    });

    it('is accessible', async () => {
      await expect(el).to.be.accessible();
    });
  });

  describe('when it has no locale', () => {
    let el: DigiMeWriter;
    beforeEach(async () => {
      const wrapper = await fixture<HTMLDivElement>(
        html`<div lang="de-AT"><digime-writer backend-url="/app/digime"></digime-writer></div>`,
      );
      el = wrapper.querySelector('digime-writer')!;
      // German is fetched when first shown.
      await waitUntil(() => connectLabel(el) !== 'Connect digi.me', 'German never came', { timeout: 3000 });
    });

    it('speaks the language of the nearest lang attribute, as the other elements do', () => {
      expect(connectLabel(el)).to.equal('digi.me verbinden');
    });

    it('speaks the locale once one is set', async () => {
      el.locale = 'en';
      await el.updateComplete;
      expect(connectLabel(el)).to.equal('Connect digi.me');
    });
  });

  describe('when locale="de"', () => {
    let el: DigiMeWriter;
    beforeEach(async () => {
      el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime" locale="de"></digime-writer>`);
      await waitUntil(() => connectLabel(el) !== 'Connect digi.me', 'German never came', { timeout: 3000 });
    });

    it('speaks German', () => {
      expect(connectLabel(el)).to.equal('digi.me verbinden');
    });

    it('takes a single string override', async () => {
      el.strings = { connect: 'Mit meinem digi.me verbinden' };
      await el.updateComplete;
      expect(connectLabel(el)).to.equal('Mit meinem digi.me verbinden');
    });

    it('speaks the new locale once the override is dropped and the locale changed', async () => {
      el.strings = { connect: 'Mit meinem digi.me verbinden' };
      await el.updateComplete;
      el.locale = 'en';
      el.strings = {};
      await el.updateComplete;
      expect(connectLabel(el)).to.equal('Connect digi.me');
    });
  });

  describe('when it has no backend-url', () => {
    let el: DigiMeWriter;
    beforeEach(async () => {
      el = await fixture<DigiMeWriter>(html`<digime-writer></digime-writer>`);
    });

    it('says so', () => {
      expect(shadow(el, '[part="error"]')?.textContent).to.contain('backend-url');
    });

    it('cannot connect', () => {
      expect((shadow(el, '[part="connect-button"]') as HTMLButtonElement).disabled).to.equal(true);
    });
  });

  describe('when the user connects (connect())', () => {
    const run = situation(async () => {
      const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime"></digime-writer>`);
      const visited: string[] = [];
      el.navigate = (url) => visited.push(url);
      shadow(el, '[part="connect-button"]')!.click();
      await waitUntil(() => visited.length === 1, 'did not navigate');
      const { url: sandbox } = (await (await fetch('/_sandbox/info')).json()) as { url: string };
      const [authorize] = await sandboxLog('app-digime');
      return {
        sandbox,
        target: new URL(visited[0]!),
        authorize,
        buttonDisabled: (shadow(el, '[part="connect-button"]') as HTMLButtonElement).disabled,
      };
    });

    it("navigates to digi.me's authorize page", () => {
      const { target, sandbox } = run();
      expect(`${target.origin}${target.pathname}`).to.equal(`${sandbox}/digime/apps/saas/authorize`);
    });

    it('with the code the backend got for it', () => {
      expect(run().target.searchParams.get('code')).to.be.a('string').and.not.equal('');
    });

    it('asks the backend for the digi.me URL with this page as returnUrl', () => {
      expect(run().authorize?.body).to.deep.equal({ returnUrl: location.href });
    });

    it('leaves the connect button enabled', () => {
      expect(run().buttonDisabled).to.equal(false);
    });
  });

  describe('when the backend fails while connecting', () => {
    const run = situation(async () => {
      const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime-missing"></digime-writer>`);
      el.navigate = () => {
        throw new Error('must not navigate');
      };
      const failed = oneEvent(el, 'digime-connect-error');
      shadow(el, '[part="connect-button"]')!.click();
      const { detail } = await failed;
      return { detail, shownError: shadow(el, '[part="error"]')?.textContent };
    });

    it("fires digime-connect-error with the backend's status", () => {
      expect(run().detail.error.code).to.equal(404);
    });

    it('shows the error', () => {
      expect(run().shownError).to.contain('Could not connect digi.me');
    });
  });

  describe('when files are written before connecting', () => {
    const run = situation(async () => {
      const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime"></digime-writer>`);
      const failed = oneEvent(el, 'digime-write-error');
      const complete = oneEvent(el, 'digime-complete');
      el.addFiles([new File(['x'], 'x.txt', { type: 'text/plain' })]);
      const report = await el.upload();
      const { detail } = await failed;
      return { report, detail, complete: (await complete).detail, received: await knob('app-digime', 'received') };
    });

    it('fails each file with not-connected', () => {
      expect(run().detail.error.code).to.equal('not-connected');
    });

    it('resolves upload() with the file failed and none written', () => {
      const { report, detail } = run();
      expect(report.failed).to.deep.equal([detail]);
      expect(report.successful).to.deep.equal([]);
    });

    it('fires digime-complete with the same report', () => {
      expect(run().complete).to.deep.equal({ successful: [], failed: [run().detail] });
    });

    // The array upload() resolved with before it had the report's shape (deprecated).
    it('still resolves upload() as the array of outcomes it was before (deprecated)', () => {
      expect(run().report.map((o) => o.state)).to.deep.equal(['failed']);
    });

    it('sends the backend nothing', () => {
      expect(run().received).to.deep.equal([]);
    });
  });
});
