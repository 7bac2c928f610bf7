// Reloads, closed pages and second tabs, with real pages: each "page" is a same-origin iframe
// running test/browser/fixtures/universa-page.html, so IndexedDB, Web Locks and
// BroadcastChannel behave as they do between tabs.
import { expect } from '@open-wc/testing';
import {
  calls,
  checksMadeBy,
  issue,
  knob,
  linkQuery,
  ofType,
  openPage,
  pageOf,
  part,
  pendingRecord,
  pickFirstAddress,
  putPendingRecord,
  reloadPage,
  resetAll,
  SHORT,
  sleep,
  until,
} from './fixtures/universa-helpers.js';

beforeEach(async () => {
  await resetAll();
});
afterEach(() => {
  document.querySelectorAll('iframe').forEach((f) => f.remove());
});

const contractsIn = (frame: HTMLIFrameElement) => ofType(pageOf(frame).events, 'universa-contract');

describe('universa restore', () => {
  it('reload while offered: the popup comes back with the same offer', async () => {
    const { id, cb } = await issue({ caption: 'Your 120 SHT' });
    const frame = await openPage(linkQuery(cb));
    await until(() => pageOf(frame).el.open, 'the popup');
    await pageOf(frame).el.updateComplete;
    expect((await pendingRecord(cb))?.phase).to.equal('offered');

    await reloadPage(frame);
    const el = pageOf(frame).el;
    await until(() => el.open, 'the popup after reload');
    await el.updateComplete;
    expect(part(el, 'caption')!.textContent).to.equal('Your 120 SHT');
    expect(el.shadowRoot!.querySelector('dialog')!.open).to.equal(true);
    expect(await calls(id)).to.deep.equal(['cb'], 'restored from the record, nothing sent twice');
  });

  it('reload while polling: checks again within 1 s and never re-sends ok_url', async () => {
    const { id, cb } = await issue({ twoPhase: true });
    const frame = await openPage(linkQuery(cb));
    await pickFirstAddress(pageOf(frame).el);
    await until(async () => (await calls(id)).includes('check'), 'a first check');

    await reloadPage(frame);
    const connectedAt = pageOf(frame).connectedAt;
    await until(async () => (await checkTimes(id)).some((t) => t >= connectedAt), 'a check from the reloaded page');
    const first = (await checkTimes(id)).find((t) => t >= connectedAt)!;
    expect(first - connectedAt, 'ms from connect to the first check').to.be.lessThan(1000);
    expect(pageOf(frame).el.open, 'no popup: the address was chosen').to.equal(false);

    await knob('confirm', { id });
    await until(() => contractsIn(frame).length === 1, 'the contract');
    expect((await calls(id)).filter((c) => c === 'ok')).to.have.length(1);
    expect(contractsIn(frame)[0]!.address).to.equal(SHORT);
  });

  it('a finished import leaves the address bar, so reloading the link page announces nothing again', async () => {
    const { id, cb } = await issue();
    const frame = await openPage(linkQuery(cb));
    await pickFirstAddress(pageOf(frame).el);
    await until(() => contractsIn(frame).length === 1, 'the contract');
    const search = new URLSearchParams(pageOf(frame).location.search);
    expect(search.has('cb') || search.has('iv'), 'iv/cb removed from the URL').to.equal(false);

    await reloadPage(frame);
    await sleep(1500);
    expect(contractsIn(frame)).to.have.length(0, 'nothing announced after the reload');
    expect((await calls(id)).filter((c) => c === 'cb')).to.have.length(1, 'the issuer was not asked again');
  });

  it('a contract that became ready while the page was closed is delivered on the next load, once', async () => {
    const { id, cb } = await issue({ twoPhase: true });
    const first = await openPage(linkQuery(cb));
    await pickFirstAddress(pageOf(first).el);
    await until(async () => (await calls(id)).includes('check'), 'a first check');
    first.remove(); // the user closes the page
    await knob('confirm', { id });
    expect((await knob('inspect', { id })).state).to.equal('ready');

    const next = await openPage(); // the client page, opened later without the link
    await until(() => contractsIn(next).length === 1, 'the contract on the next load');
    await sleep(1500);
    expect(contractsIn(next)).to.have.length(1);
    expect(contractsIn(next)[0]).to.deep.include({ cb, address: SHORT });
    await pageOf(next).el.updateComplete;
    expect(part(pageOf(next).el, 'download')).to.not.equal(null);
    expect((await pendingRecord(cb))?.phase, 'a tombstone is all that is left').to.equal('delivered');

    const later = await openPage();
    await sleep(1500);
    expect(contractsIn(later), 'not delivered a second time').to.have.length(0);
  });

  it('a stored but unannounced contract is announced on load, without asking the issuer', async () => {
    const { id, cb } = await issue();
    const offer = (await (await fetch(cb, { method: 'POST', body: '{}' })).json()) as Record<string, string>;
    const base64Contract = btoa('\x0f\x1bkey\x08'); // BOSS {key: 1}
    const now = Date.now();
    await putPendingRecord({
      cb,
      offer: { ...offer, action: 'select_address', state: 'ready' } as never,
      phase: 'received',
      address: SHORT,
      base64Contract,
      createdAt: now,
      updatedAt: now,
    });
    const frame = await openPage();
    await until(() => contractsIn(frame).length === 1, 'the stored contract');
    expect(contractsIn(frame)[0]).to.deep.include({ cb, address: SHORT, base64Contract });
    await until(async () => (await pendingRecord(cb))?.phase === 'delivered', 'the record a tombstone after the event');
    expect((await pendingRecord(cb))?.base64Contract).to.equal(undefined);
    expect(await calls(id)).to.deep.equal(['cb'], 'only the test itself asked the issuer');
  });

  it('records untouched for more than 7 days are dropped, not resumed', async () => {
    const { id, cb } = await issue();
    const offer = (await (await fetch(cb, { method: 'POST', body: '{}' })).json()) as Record<string, string>;
    const stale = Date.now() - 7 * 24 * 3600 * 1000 - 60_000;
    await putPendingRecord({ cb, offer: offer as never, phase: 'polling', address: SHORT, createdAt: stale, updatedAt: stale });
    const frame = await openPage();
    await until(async () => (await pendingRecord(cb)) === undefined, 'the stale record to be dropped');
    await sleep(500);
    expect(pageOf(frame).events).to.deep.equal([]);
    expect(await calls(id)).to.deep.equal(['cb'], 'only the test itself asked the issuer');
  });

  it('two pages: one polls, the other follows; the contract event fires once, in the polling page, and both offer the download', async () => {
    const { id, cb } = await issue({ twoPhase: true });
    const a = await openPage(linkQuery(cb));
    await until(() => pageOf(a).el.open, 'the popup in page A');
    const b = await openPage(linkQuery(cb));
    await until(() => pageOf(b).el.open, 'the popup in page B');

    await pickFirstAddress(pageOf(a).el);
    await until(() => !pageOf(b).el.open, 'page B closing its popup, following A');
    await until(async () => (await calls(id)).filter((c) => c === 'check').length >= 2, 'a few checks');
    expect(checksMadeBy(a)).to.be.greaterThan(0);
    expect(checksMadeBy(b), 'page B does not poll').to.equal(0);
    await pageOf(b).el.updateComplete;
    expect(part(pageOf(b).el, 'status')!.textContent).to.equal('The issuer is generating the contract…');

    await knob('confirm', { id });
    await until(() => contractsIn(a).length === 1 && pageOf(b).el.received !== undefined, 'the contract in both pages');
    await sleep(500);
    expect([contractsIn(a).length, contractsIn(b).length]).to.deep.equal([1, 0]);
    expect(pageOf(b).el.received!.base64Contract).to.equal(contractsIn(a)[0]!.base64Contract);
    await pageOf(b).el.updateComplete;
    expect(part(pageOf(b).el, 'download')).to.not.equal(null);
    expect(checksMadeBy(b)).to.equal(0);
    expect((await calls(id)).filter((c) => c === 'ok')).to.have.length(1);
  });

  describe('when a cb whose contract was delivered is opened again', () => {
    /** Delivers a fresh cb's contract in a page opened with its link; answers the cb and the event. */
    async function deliveredOnce() {
      const { cb } = await issue();
      const first = await openPage(linkQuery(cb));
      await pickFirstAddress(pageOf(first).el);
      await until(() => contractsIn(first).length === 1, 'the first delivery');
      await until(async () => (await pendingRecord(cb))?.phase === 'delivered', 'the tombstone');
      const [contract] = contractsIn(first);
      first.remove();
      return { cb, contract: contract! };
    }

    /** Waits until `frame`'s element shows the import as received; answers what it shows. */
    async function shownIn(frame: HTMLIFrameElement) {
      const el = pageOf(frame).el;
      await until(() => el.received?.bytes !== undefined, 'received, with the bytes');
      await el.updateComplete;
      await sleep(300);
      return { status: part(el, 'status')!.textContent, download: part(el, 'download'), received: el.received! };
    }

    it('the same link in a new tab: "Already received." with the download, and no second event', async () => {
      const { cb, contract } = await deliveredOnce();
      const again = await openPage(linkQuery(cb));
      const shown = await shownIn(again);
      expect(contractsIn(again)).to.have.length(0);
      expect(shown.status).to.equal('Already received.');
      expect(shown.download).to.not.equal(null);
      expect(shown.received.base64Contract).to.equal(contract.base64Contract);
      expect(shown.received.delivered!.sha256).to.match(/^[0-9a-f]{64}$/);
    });

    it('a page with a static cb attribute, reloaded: the same', async () => {
      const { cb } = await deliveredOnce();
      const page = await openPage();
      const el = pageOf(page).el;
      el.cb = cb;
      await el.start();
      const shown = await shownIn(page);
      expect(contractsIn(page)).to.have.length(0);
      expect(shown.status).to.equal('Already received.');
    });
  });

  it('when the polling page closes, another open page takes over', async () => {
    const { id, cb } = await issue({ twoPhase: true });
    const a = await openPage(linkQuery(cb));
    await pickFirstAddress(pageOf(a).el);
    await until(async () => (await calls(id)).includes('check'), 'page A polling');
    const b = await openPage();
    await sleep(1200);
    expect(checksMadeBy(b), 'B waits while A polls').to.equal(0);
    a.remove();
    await until(() => checksMadeBy(b) > 0, 'page B taking over');
    await knob('confirm', { id });
    await until(() => contractsIn(b).length === 1, 'the contract in page B');
  });
});

async function checkTimes(id: string): Promise<number[]> {
  const log = (await (await fetch('/_sandbox/log?service=universa')).json()) as Array<{ path: string; time: number }>;
  return log.filter((e) => e.path === `/universa/check/${id}`).map((e) => e.time);
}
