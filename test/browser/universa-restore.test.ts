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
import { recordOnce } from './situation.js';

beforeEach(async () => {
  await resetAll();
});
afterEach(() => {
  document.querySelectorAll('iframe').forEach((f) => f.remove());
});

const contractsIn = (frame: HTMLIFrameElement) => ofType(pageOf(frame).events, 'universa-contract');

/** A situation run once, from a fresh sandbox and store, for the its of the describe it is called in. */
const situation = <T>(run: () => Promise<T>) => recordOnce(run, resetAll);

describe('universa restore', () => {
  describe('when the page reloads while the offer is shown', () => {
    const run = situation(async () => {
      const { id, cb } = await issue({ caption: 'Your 120 SHT' });
      const frame = await openPage(linkQuery(cb));
      await until(() => pageOf(frame).el.open, 'the popup');
      await pageOf(frame).el.updateComplete;
      const phase = (await pendingRecord(cb))?.phase;

      await reloadPage(frame);
      const el = pageOf(frame).el;
      await until(() => el.open, 'the popup after reload');
      await el.updateComplete;
      return {
        phase,
        caption: part(el, 'caption')!.textContent,
        dialogOpen: el.shadowRoot!.querySelector('dialog')!.open,
        calls: await calls(id),
      };
    });

    it('has stored the offer', () => {
      expect(run().phase).to.equal('offered');
    });

    it('shows the same offer again', () => {
      expect(run().caption).to.equal('Your 120 SHT');
    });

    it('opens the popup again', () => {
      expect(run().dialogOpen).to.equal(true);
    });

    it('restores it from the record, sending nothing twice', () => {
      expect(run().calls).to.deep.equal(['cb'], 'restored from the record, nothing sent twice');
    });
  });

  describe('when the page reloads while polling', () => {
    const run = situation(async () => {
      const { id, cb } = await issue({ twoPhase: true });
      const frame = await openPage(linkQuery(cb));
      await pickFirstAddress(pageOf(frame).el);
      await until(async () => (await calls(id)).includes('check'), 'a first check');

      await reloadPage(frame);
      const connectedAt = pageOf(frame).connectedAt;
      await until(async () => (await checkTimes(id)).some((t) => t >= connectedAt), 'a check from the reloaded page');
      const first = (await checkTimes(id)).find((t) => t >= connectedAt)!;
      const open = pageOf(frame).el.open;

      await knob('confirm', { id });
      await until(() => contractsIn(frame).length === 1, 'the contract');
      return {
        untilFirstCheck: first - connectedAt,
        open,
        oks: (await calls(id)).filter((c) => c === 'ok'),
        contracts: contractsIn(frame),
      };
    });

    it('checks again within 1 s', () => {
      expect(run().untilFirstCheck, 'ms from connect to the first check').to.be.lessThan(1000);
    });

    it('shows no popup: the address was chosen', () => {
      expect(run().open, 'no popup: the address was chosen').to.equal(false);
    });

    it('never re-sends ok_url', () => {
      expect(run().oks).to.have.length(1);
    });

    it('announces the contract for the address chosen', () => {
      expect(run().contracts[0]!.address).to.equal(SHORT);
    });
  });

  describe('when an import finished and its link page reloads', () => {
    const run = situation(async () => {
      const { id, cb } = await issue();
      const frame = await openPage(linkQuery(cb));
      await pickFirstAddress(pageOf(frame).el);
      await until(() => contractsIn(frame).length === 1, 'the contract');
      const search = new URLSearchParams(pageOf(frame).location.search);
      const linkLeft = search.has('cb') || search.has('iv');

      await reloadPage(frame);
      await sleep(1500);
      return { linkLeft, contracts: contractsIn(frame), cbs: (await calls(id)).filter((c) => c === 'cb') };
    });

    it('has removed iv and cb from the address bar', () => {
      expect(run().linkLeft, 'iv/cb removed from the URL').to.equal(false);
    });

    it('announces nothing again', () => {
      expect(run().contracts).to.have.length(0, 'nothing announced after the reload');
    });

    it('does not ask the issuer again', () => {
      expect(run().cbs).to.have.length(1, 'the issuer was not asked again');
    });
  });

  describe('when a contract became ready while the page was closed', () => {
    const run = situation(async () => {
      const { id, cb } = await issue({ twoPhase: true });
      const first = await openPage(linkQuery(cb));
      await pickFirstAddress(pageOf(first).el);
      await until(async () => (await calls(id)).includes('check'), 'a first check');
      first.remove(); // the user closes the page
      await knob('confirm', { id });
      const issuerState = (await knob('inspect', { id })).state;

      const next = await openPage(); // the client page, opened later without the link
      await until(() => contractsIn(next).length === 1, 'the contract on the next load');
      await sleep(1500);
      const contracts = contractsIn(next);
      await pageOf(next).el.updateComplete;
      const download = part(pageOf(next).el, 'download');
      const phase = (await pendingRecord(cb))?.phase;

      const later = await openPage();
      await sleep(1500);
      return { cb, issuerState, contracts, download, phase, later: contractsIn(later) };
    });

    it('was made ready by the issuer meanwhile', () => {
      expect(run().issuerState).to.equal('ready');
    });

    it('is delivered on the next load, once', () => {
      expect(run().contracts).to.have.length(1);
    });

    it('is delivered for its cb and the address chosen', () => {
      expect(run().contracts[0]).to.deep.include({ cb: run().cb, address: SHORT });
    });

    it('is offered for download', () => {
      expect(run().download).to.not.equal(null);
    });

    it('leaves only a tombstone', () => {
      expect(run().phase, 'a tombstone is all that is left').to.equal('delivered');
    });

    it('is not delivered a second time', () => {
      expect(run().later, 'not delivered a second time').to.have.length(0);
    });
  });

  describe('when a stored contract was not announced yet', () => {
    const base64Contract = btoa('\x0f\x1bkey\x08'); // BOSS {key: 1}
    const run = situation(async () => {
      const { id, cb } = await issue();
      const offer = (await (await fetch(cb, { method: 'POST', body: '{}' })).json()) as Record<string, string>;
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
      const contract = contractsIn(frame)[0];
      await until(async () => (await pendingRecord(cb))?.phase === 'delivered', 'the record a tombstone after the event');
      return { cb, contract, record: await pendingRecord(cb), calls: await calls(id) };
    });

    it('announces it on load', () => {
      expect(run().contract).to.deep.include({ cb: run().cb, address: SHORT, base64Contract });
    });

    it('keeps a tombstone without the contract after the event', () => {
      expect(run().record?.base64Contract).to.equal(undefined);
    });

    it('does not ask the issuer', () => {
      expect(run().calls).to.deep.equal(['cb'], 'only the test itself asked the issuer');
    });
  });

  describe('when a record was untouched for more than 7 days', () => {
    const run = situation(async () => {
      const { id, cb } = await issue();
      const offer = (await (await fetch(cb, { method: 'POST', body: '{}' })).json()) as Record<string, string>;
      const stale = Date.now() - 7 * 24 * 3600 * 1000 - 60_000;
      await putPendingRecord({ cb, offer: offer as never, phase: 'polling', address: SHORT, createdAt: stale, updatedAt: stale });
      const frame = await openPage();
      await until(async () => (await pendingRecord(cb)) === undefined, 'the stale record to be dropped');
      await sleep(500);
      return { events: pageOf(frame).events, calls: await calls(id) };
    });

    it('drops it without resuming it: no event', () => {
      expect(run().events).to.deep.equal([]);
    });

    it('does not ask the issuer', () => {
      expect(run().calls).to.deep.equal(['cb'], 'only the test itself asked the issuer');
    });
  });

  describe('when two pages show the same link and one of them chooses the address', () => {
    const run = situation(async () => {
      const { id, cb } = await issue({ twoPhase: true });
      const a = await openPage(linkQuery(cb));
      await until(() => pageOf(a).el.open, 'the popup in page A');
      const b = await openPage(linkQuery(cb));
      await until(() => pageOf(b).el.open, 'the popup in page B');

      await pickFirstAddress(pageOf(a).el);
      await until(() => !pageOf(b).el.open, 'page B closing its popup, following A');
      await until(async () => (await calls(id)).filter((c) => c === 'check').length >= 2, 'a few checks');
      const polling = { a: checksMadeBy(a), b: checksMadeBy(b) };
      await pageOf(b).el.updateComplete;
      const statusB = part(pageOf(b).el, 'status')!.textContent;

      await knob('confirm', { id });
      await until(() => contractsIn(a).length === 1 && pageOf(b).el.received !== undefined, 'the contract in both pages');
      await sleep(500);
      const counts = [contractsIn(a).length, contractsIn(b).length];
      const receivedB = pageOf(b).el.received!.base64Contract;
      await pageOf(b).el.updateComplete;
      return {
        polling,
        statusB,
        counts,
        receivedB,
        contractA: contractsIn(a)[0]!.base64Contract,
        downloadB: part(pageOf(b).el, 'download'),
        checksB: checksMadeBy(b),
        oks: (await calls(id)).filter((c) => c === 'ok'),
      };
    });

    it('only the page that chose polls', () => {
      expect(run().polling.a).to.be.greaterThan(0);
      expect(run().polling.b, 'page B does not poll').to.equal(0);
    });

    it('the other page follows: the issuer is generating the contract', () => {
      expect(run().statusB).to.equal('The issuer is generating the contract…');
    });

    it('the contract event fires once, in the polling page', () => {
      expect(run().counts).to.deep.equal([1, 0]);
    });

    it('the other page receives the same contract', () => {
      expect(run().receivedB).to.equal(run().contractA);
    });

    it('the other page offers the download too', () => {
      expect(run().downloadB).to.not.equal(null);
    });

    it('the other page never polls', () => {
      expect(run().checksB).to.equal(0);
    });

    it('ok_url is sent once', () => {
      expect(run().oks).to.have.length(1);
    });
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

    describe('when it is the same link in a new tab', () => {
      const run = situation(async () => {
        const { cb, contract } = await deliveredOnce();
        const again = await openPage(linkQuery(cb));
        const shown = await shownIn(again);
        return { contract, shown, contracts: contractsIn(again) };
      });

      it('announces no second event', () => {
        expect(run().contracts).to.have.length(0);
      });

      it('says "Already received."', () => {
        expect(run().shown.status).to.equal('Already received.');
      });

      it('offers the download', () => {
        expect(run().shown.download).to.not.equal(null);
      });

      it('offers the same contract', () => {
        expect(run().shown.received.base64Contract).to.equal(run().contract.base64Contract);
      });

      it('knows the digest of what was delivered', () => {
        expect(run().shown.received.delivered!.sha256).to.match(/^[0-9a-f]{64}$/);
      });
    });

    describe('when it is a page with a static cb attribute, reloaded', () => {
      const run = situation(async () => {
        const { cb } = await deliveredOnce();
        const page = await openPage();
        const el = pageOf(page).el;
        el.cb = cb;
        await el.start();
        const shown = await shownIn(page);
        return { shown, contracts: contractsIn(page) };
      });

      it('announces no second event', () => {
        expect(run().contracts).to.have.length(0);
      });

      it('says "Already received."', () => {
        expect(run().shown.status).to.equal('Already received.');
      });
    });
  });

  describe('when the polling page closes while another page is open', () => {
    const run = situation(async () => {
      const { id, cb } = await issue({ twoPhase: true });
      const a = await openPage(linkQuery(cb));
      await pickFirstAddress(pageOf(a).el);
      await until(async () => (await calls(id)).includes('check'), 'page A polling');
      const b = await openPage();
      await sleep(1200);
      const whileAPolls = checksMadeBy(b);
      a.remove();
      await until(() => checksMadeBy(b) > 0, 'page B taking over');
      const takenOver = checksMadeBy(b);
      await knob('confirm', { id });
      await until(() => contractsIn(b).length === 1, 'the contract in page B');
      return { whileAPolls, takenOver, contracts: contractsIn(b) };
    });

    it('the other page waits while the first one polls', () => {
      expect(run().whileAPolls, 'B waits while A polls').to.equal(0);
    });

    it('the other page takes over', () => {
      expect(run().takenOver).to.be.greaterThan(0);
    });

    it('the other page gets the contract', () => {
      expect(run().contracts).to.have.length(1);
    });
  });
});

async function checkTimes(id: string): Promise<number[]> {
  const log = (await (await fetch('/_sandbox/log?service=universa')).json()) as Array<{ path: string; time: number }>;
  return log.filter((e) => e.path === `/universa/check/${id}`).map((e) => e.time);
}
