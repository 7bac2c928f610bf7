import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../src/digime/index.js';
import { DigiMeWriter, clearPostboxes } from '../../src/digime/index.js';
import { knob, resetSandbox, sandboxLog, shadow } from './fixtures/digime-helpers.js';

describe('<digime-writer> element', () => {
  beforeEach(async () => {
    await resetSandbox();
    await clearPostboxes();
    sessionStorage.clear();
  });

  it('is defined once and renders the connect button, Dashboard hidden until connected', async () => {
    expect(customElements.get('digime-writer')).to.equal(DigiMeWriter);
    DigiMeWriter.define('digime-writer');
    const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime"></digime-writer>`);
    expect(shadow(el, '[part="connect-button"]')?.textContent?.trim()).to.equal('Connect digi.me');
    expect(shadow(el, '[part="dashboard"]')?.hidden).to.equal(true);
    expect(shadow(el, '[part="dashboard"] .uppy-Dashboard')).to.exist;
    await expect(el).to.be.accessible();
  });

  it('without locale it speaks the language of the nearest lang attribute, as the other elements do', async () => {
    const wrapper = await fixture<HTMLDivElement>(html`<div lang="de-AT"><digime-writer backend-url="/app/digime"></digime-writer></div>`);
    const el = wrapper.querySelector('digime-writer')!;
    await el.updateComplete;
    expect(shadow(el, '[part="connect-button"]')?.textContent?.trim()).to.equal('digi.me verbinden');
    el.locale = 'en';
    await el.updateComplete;
    expect(shadow(el, '[part="connect-button"]')?.textContent?.trim()).to.equal('Connect digi.me');
  });

  it('speaks German with locale="de" and takes single string overrides', async () => {
    const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime" locale="de"></digime-writer>`);
    expect(shadow(el, '[part="connect-button"]')?.textContent?.trim()).to.equal('digi.me verbinden');
    el.strings = { connect: 'Mit meinem digi.me verbinden' };
    await el.updateComplete;
    expect(shadow(el, '[part="connect-button"]')?.textContent?.trim()).to.equal('Mit meinem digi.me verbinden');
    el.locale = 'en';
    el.strings = {};
    await el.updateComplete;
    expect(shadow(el, '[part="connect-button"]')?.textContent?.trim()).to.equal('Connect digi.me');
  });

  it('without backend-url it says so and cannot connect', async () => {
    const el = await fixture<DigiMeWriter>(html`<digime-writer></digime-writer>`);
    expect(shadow(el, '[part="error"]')?.textContent).to.contain('backend-url');
    expect((shadow(el, '[part="connect-button"]') as HTMLButtonElement).disabled).to.equal(true);
  });

  it('connect() asks the backend for the digi.me URL with this page as returnUrl and navigates there', async () => {
    const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime"></digime-writer>`);
    const visited: string[] = [];
    el.navigate = (url) => visited.push(url);
    shadow(el, '[part="connect-button"]')!.click();
    await waitUntil(() => visited.length === 1, 'did not navigate');
    const { url: sandbox } = (await (await fetch('/_sandbox/info')).json()) as { url: string };
    const target = new URL(visited[0]!);
    expect(`${target.origin}${target.pathname}`).to.equal(`${sandbox}/digime/apps/saas/authorize`);
    expect(target.searchParams.get('code')).to.be.a('string').and.not.equal('');
    const [authorize] = await sandboxLog('app-digime');
    expect(authorize?.body).to.deep.equal({ returnUrl: location.href });
    expect((shadow(el, '[part="connect-button"]') as HTMLButtonElement).disabled).to.equal(false);
  });

  it('a backend error while connecting is shown and reported as digime-connect-error', async () => {
    const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime-missing"></digime-writer>`);
    el.navigate = () => {
      throw new Error('must not navigate');
    };
    const failed = oneEvent(el, 'digime-connect-error');
    shadow(el, '[part="connect-button"]')!.click();
    const { detail } = await failed;
    expect(detail.error.code).to.equal(404);
    expect(shadow(el, '[part="error"]')?.textContent).to.contain('Could not connect digi.me');
  });

  it('writing before connecting fails per file with not-connected', async () => {
    const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime"></digime-writer>`);
    const failed = oneEvent(el, 'digime-write-error');
    const complete = oneEvent(el, 'digime-complete');
    el.addFiles([new File(['x'], 'x.txt', { type: 'text/plain' })]);
    const report = await el.upload();
    const { detail } = await failed;
    expect(detail.error.code).to.equal('not-connected');
    expect(report.failed).to.deep.equal([detail]);
    expect(report.successful).to.deep.equal([]);
    expect((await complete).detail).to.deep.equal({ successful: [], failed: [detail] });
    // The array upload() resolved with before it had the report's shape (deprecated).
    expect(report.map((o) => o.state)).to.deep.equal(['failed']);
    expect(await knob('app-digime', 'received')).to.deep.equal([]);
  });
});
