import { expect } from '@open-wc/testing';
import '../../src/universa/index.js';
import { universaLocales, universaStrings, type UniversaSelectAddress } from '../../src/universa/index.js';
import {
  calls,
  issue,
  issuerLog,
  knob,
  LONG,
  ofType,
  okButton,
  openPage,
  pageOf,
  part,
  pendingRecord,
  pickFirstAddress,
  resetAll,
  SHORT,
  sleep,
  typeAddress,
  until,
  linkQuery,
  type UniversaEvent,
  mountUniversa,
  unmountUniversa,
} from './fixtures/universa-helpers.js';
import { recordOnce } from './situation.js';

const mount = mountUniversa;

const errorsOf = (events: UniversaEvent[]) => ofType(events, 'universa-error');
const text = (el: UniversaSelectAddress, name: string) => part(el, name)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

beforeEach(async () => {
  await resetAll();
});
afterEach(() => {
  unmountUniversa();
  document.querySelectorAll('iframe').forEach((f) => f.remove());
});

/** A situation run once, from a fresh sandbox and store, for the its of the describe it is called in. */
const situation = <T>(run: () => Promise<T>) => recordOnce(run, resetAll);

describe('<universa-select-address>', () => {
  describe('when a link with an offer is opened and the user chooses an address (happy path)', () => {
    const run = situation(async () => {
      const { id, cb } = await issue();
      const { el, events } = await mount({ cb });
      await until(() => el.open, 'the popup');
      const offered = {
        dialogOpen: el.shadowRoot!.querySelector('dialog')!.open,
        openAttribute: el.hasAttribute('open'),
        caption: text(el, 'caption'),
        text: text(el, 'text'),
        okDisabled: okButton(el).disabled,
        a11y: await expect(el)
          .to.be.accessible()
          .then(
            () => 'accessible',
            (e: Error) => e.message,
          ),
      };

      // What the page itself parses and decodes while the contract comes (it should not be the contract).
      const seen: string[] = [];
      const { parse } = JSON;
      const decode = globalThis.atob;
      JSON.parse = (text: string, ...rest: never[]) => (seen.push(String(text)), parse(text, ...rest));
      globalThis.atob = (text: string) => (seen.push(String(text)), decode(text));
      try {
        await pickFirstAddress(el);
        await until(() => ofType(events, 'universa-contract').length === 1, 'the contract', 8000);
      } finally {
        JSON.parse = parse;
        globalThis.atob = decode;
      }
      const [contract] = ofType(events, 'universa-contract');
      const mainThread = { sawContract: seen.some((t) => t.includes(contract!.base64Contract)), calls: seen.length };
      await el.updateComplete;
      const shown = Object.fromEntries(
        [...part(el, 'summary')!.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling!.textContent]),
      );
      const states = ofType(events, 'universa-state').map((d) => d.state);
      const requests = await calls(id);
      const log = await (await fetch('/_sandbox/log?service=universa')).json();

      await el.updateComplete;
      const link = part(el, 'download') as HTMLAnchorElement;
      const received = {
        open: el.open,
        status: text(el, 'status'),
        role: part(el, 'status')!.getAttribute('role'),
        download: link.download,
        downloaded: new Uint8Array(await (await fetch(link.href)).arrayBuffer()),
      };
      await until(async () => (await pendingRecord(cb))?.phase === 'delivered', 'only a tombstone left');
      return {
        cb,
        offered,
        contract: contract!,
        mainThread,
        shown,
        states,
        requests,
        ok: log[1],
        received,
        record: await pendingRecord(cb),
      };
    });

    it('opens the popup as a dialog', () => {
      expect(run().offered.dialogOpen).to.equal(true);
      expect(run().offered.openAttribute).to.equal(true);
    });

    it("shows the offer's caption and text", () => {
      expect(run().offered.caption).to.equal('She-Token generation');
      expect(run().offered.text).to.contain('120 SHT');
    });

    it('keeps OK disabled until an address is chosen', () => {
      expect(run().offered.okDisabled, 'OK before choosing').to.equal(true);
    });

    it('is accessible', () => {
      expect(run().offered.a11y).to.equal('accessible');
    });

    it('announces the contract for the cb and the address chosen', () => {
      expect(run().contract.cb).to.equal(run().cb);
      expect(run().contract.address).to.equal(SHORT);
    });

    // Read in a Worker: the owner is the address chosen, the amount the issuer's.
    it('says in the event what arrived', () => {
      const { contract } = run();
      expect(contract.summary).to.deep.include({
        kind: 'contract',
        readable: true,
        amount: '120',
        unit: 'SHT',
        size: contract.bytes.length,
      });
      expect(contract.summary.owner).to.deep.equal([SHORT]);
    });

    it('lists what arrived in the popup', () => {
      const { shown } = run();
      expect(shown).to.deep.include({ Kind: 'Sealed contract', Amount: '120 SHT', Owner: SHORT });
      expect(Object.keys(shown)).to.deep.equal(['Kind', 'Amount', 'Issuer', 'Owner', 'Created', 'Expires', 'Size']);
    });

    // The check answer is up to 22 MB of JSON and base64 (a 16 MiB contract): reading it on the
    // page would stall it. The Worker reads it; the page gets the result.
    it('neither parses nor decodes the contract on the main thread', () => {
      expect(run().mainThread.sawContract).to.equal(false);
    });

    it('hands over the bytes and their base64 alike', () => {
      const { contract } = run();
      expect(btoa(String.fromCharCode(...contract.bytes))).to.equal(contract.base64Contract);
    });

    it('goes offered → confirming → polling → received', () => {
      expect(run().states).to.deep.equal(['offered', 'confirming', 'polling', 'received']);
    });

    it('calls cb, ok_url and check_url, in that order', () => {
      expect(run().requests).to.deep.equal(['cb', 'ok', 'check']);
    });

    it('POSTs the chosen address to ok_url as JSON', () => {
      expect(run().ok.body).to.deep.equal({ address: SHORT });
      expect(run().ok.headers['content-type']).to.equal('application/json');
    });

    it('closes the popup', () => {
      expect(run().received.open).to.equal(false);
    });

    it('says the contract was received', () => {
      expect(run().received.status).to.equal('Contract received.');
    });

    // A polite live region: role=status implies aria-live=polite (and aria-atomic).
    it('says so in a polite live region', () => {
      expect(run().received.role).to.equal('status');
    });

    it('offers the bytes as a .unicon download', () => {
      const { received, contract } = run();
      expect(received.download).to.match(/\.unicon$/);
      expect([...received.downloaded]).to.deep.equal([...contract.bytes]);
    });

    it('leaves only a tombstone', () => {
      expect(run().record?.base64Contract).to.equal(undefined);
    });
  });

  describe('when the issuer is still generating the contract (2-phase)', () => {
    const run = situation(async () => {
      const { id, cb } = await issue({ twoPhase: true });
      const { el, events } = await mount({ cb });
      await pickFirstAddress(el);
      await until(async () => (await calls(id)).includes('check'), 'a first check');
      await until(() => text(el, 'status') === 'The issuer is generating the contract…', 'the in_progress status');
      const polling = {
        status: text(el, 'status'),
        role: part(el, 'status')!.getAttribute('role'),
        state: ofType(events, 'universa-state').at(-1),
        phase: (await pendingRecord(cb))?.phase,
      };
      await knob('confirm', { id });
      await until(() => ofType(events, 'universa-contract').length === 1, 'the contract after confirmation', 5000);
      return { cb, polling, contracts: ofType(events, 'universa-contract').length };
    });

    it('shows the issuer state in a live region', () => {
      expect(run().polling.status).to.equal('The issuer is generating the contract…');
      expect(run().polling.role).to.equal('status');
    });

    it('reports polling, with the issuer state, as an event', () => {
      expect(run().polling.state).to.deep.equal({ cb: run().cb, state: 'polling', issuerState: 'in_progress' });
    });

    it('keeps the record as polling', () => {
      expect(run().polling.phase).to.equal('polling');
    });

    it('delivers the contract once confirmed', () => {
      expect(run().contracts).to.equal(1);
    });
  });

  describe('when the user cancels the offer', () => {
    const run = situation(async () => {
      const { id, cb } = await issue();
      const { el, events } = await mount({ cb });
      await until(() => el.open, 'the popup');
      const phase = (await pendingRecord(cb))?.phase;
      part(el, 'cancel')!.click();
      await until(() => ofType(events, 'universa-cancelled').length === 1, 'universa-cancelled');
      const cancelled = ofType(events, 'universa-cancelled')[0];
      const requests = await calls(id);
      const record = await pendingRecord(cb);
      await el.updateComplete;
      return {
        cb,
        phase,
        cancelled,
        requests,
        record,
        open: el.open,
        dialogOpen: el.shadowRoot!.querySelector('dialog')!.open,
        issuerState: (await knob('inspect', { id })).state,
      };
    });

    it('had stored the offer', () => {
      expect(run().phase).to.equal('offered');
    });

    it('fires universa-cancelled for the cb', () => {
      expect(run().cancelled).to.deep.equal({ cb: run().cb });
    });

    it('POSTs cancel_url', () => {
      expect(run().requests).to.deep.equal(['cb', 'cancel']);
    });

    it('leaves the offer cancelled at the issuer', () => {
      expect(run().issuerState).to.equal('cancelled');
    });

    it('forgets the record', () => {
      expect(run().record).to.equal(undefined);
    });

    it('closes the popup', () => {
      expect(run().open).to.equal(false);
      expect(run().dialogOpen).to.equal(false);
    });
  });

  describe('when the caption and text of the offer contain HTML', () => {
    const caption = '<img src=x onerror="window.__universaXss = 1">';
    const body = '<b>bold</b><script>window.__universaXss = 2</script>';
    const run = situation(async () => {
      const { cb } = await issue({ caption, text: body });
      const { el } = await mount({ cb });
      await until(() => el.open, 'the popup');
      await sleep(100);
      return {
        caption: part(el, 'caption')!.textContent,
        text: part(el, 'text')!.textContent,
        elements: el.shadowRoot!.querySelector('img, b, script'),
        xss: (window as { __universaXss?: number }).__universaXss,
      };
    });

    it('shows the caption as text', () => {
      expect(run().caption).to.equal(caption);
    });

    it('shows the text as text', () => {
      expect(run().text).to.equal(body);
    });

    it('makes no element of them', () => {
      expect(run().elements).to.equal(null);
    });

    it('runs no script of them', () => {
      expect(run().xss).to.equal(undefined);
    });
  });

  describe('when the user types an address', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el } = await mount({ cb, addresses: [] });
      await until(() => el.open, 'the popup');
      const input = part(el, 'input') as HTMLInputElement;
      const shown = () => ({
        error: text(el, 'input-error'),
        invalid: input.getAttribute('aria-invalid'),
        okDisabled: okButton(el).disabled,
      });
      const badCrc = SHORT.slice(0, 10) + (SHORT[10] === 'a' ? 'b' : 'a') + SHORT.slice(11);
      await typeAddress(el, badCrc);
      const typo = shown();
      await typeAddress(el, 'not an address');
      const junk = shown();
      await typeAddress(el, LONG.replaceAll('1', 'l'));
      return { typo, junk, good: shown() };
    });

    it('says a bad checksum is probably a typo', () => {
      expect(run().typo.error).to.equal('Checksum mismatch: a typo?');
    });

    it('marks the input invalid', () => {
      expect(run().typo.invalid).to.equal('true');
    });

    it('keeps OK disabled for a bad checksum', () => {
      expect(run().typo.okDisabled).to.equal(true);
    });

    it('says text that is no address is not one', () => {
      expect(run().junk.error).to.equal('Not a Universa address.');
    });

    it('keeps OK disabled for it', () => {
      expect(run().junk.okDisabled).to.equal(true);
    });

    it('takes a valid address, look-alike characters and all: no error', () => {
      expect(run().good.error).to.equal('');
    });

    it('marks the input valid again', () => {
      expect(run().good.invalid).to.equal('false');
    });

    it('enables OK', () => {
      expect(run().good.okDisabled).to.equal(false);
    });
  });

  describe('when a language is used for the first time', () => {
    it('is not built in: only English is', () => {
      expect(Object.keys(universaStrings), 'only English is built in').to.not.include('fr');
    });

    it('is fetched, and a later locale re-renders once its table is in (pages add their own)', async () => {
      universaLocales['fr'] = async () => ({ default: { ...universaStrings.en, cancel: 'Annuler' } });
      try {
        const { cb } = await issue();
        const { el } = await mount({ cb });
        await until(() => el.open, 'the popup');
        expect(text(el, 'cancel')).to.equal('Cancel');
        el.locale = 'fr-CA';
        await until(() => text(el, 'cancel') === 'Annuler', 'the French table');
      } finally {
        delete universaLocales['fr'];
        delete universaStrings['fr'];
      }
    });
  });

  describe('when a language never loads', () => {
    const run = situation(async () => {
      universaLocales['xx'] = () => new Promise(() => {});
      try {
        const { id, cb } = await issue();
        const mountedAt = Date.now();
        const { el, events } = await mount({ cb, locale: 'xx' });
        await until(() => ofType(events, 'universa-state').some((e) => e.state === 'offered'), 'the offer', 1000);
        const untilOffer = Date.now() - mountedAt;
        const requests = await calls(id);
        const openAtOffer = el.open;
        await until(() => el.open, 'the popup', 6000);
        return { untilOffer, requests, openAtOffer, cancel: text(el, 'cancel') };
      } finally {
        delete universaLocales['xx'];
      }
    });

    it('does not hold the import back: the offer comes at once', () => {
      expect(run().untilOffer, 'ms from mount to the offer').to.be.lessThan(1000);
    });

    it('asks cb at once', () => {
      expect(run().requests).to.deep.equal(['cb']);
    });

    it('waits a little for the language before opening the popup', () => {
      expect(run().openAtOffer, 'the popup waits a little for its language').to.equal(false);
    });

    it('then opens the popup in English', () => {
      expect(run().cancel).to.equal('Cancel');
    });
  });

  describe('when a language table fails to load', () => {
    const run = situation(async () => {
      let loads = 0;
      universaLocales['xy'] = () => (loads++, Promise.reject(new Error('chunk missing after a deploy')));
      try {
        const { cb } = await issue();
        const { el } = await mount({ cb, locale: 'xy' });
        await until(() => el.open, 'the popup');
        // A render loop would starve timers: this one must fire on time.
        const t0 = performance.now();
        await sleep(20);
        return { timer: performance.now() - t0, cancel: text(el, 'cancel'), loads };
      } finally {
        delete universaLocales['xy'];
      }
    });

    it('keeps the page responsive', () => {
      expect(run().timer, 'ms for a 20 ms timer').to.be.lessThan(500);
    });

    it('leaves English', () => {
      expect(run().cancel).to.equal('Cancel');
    });

    it('fetches it once', () => {
      expect(run().loads, 'fetched once').to.equal(1);
    });
  });

  describe('when the element is removed and put back while open', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el, events } = await mount({ cb });
      await until(() => el.open, 'the popup');
      el.remove();
      await el.updateComplete;
      const openWhileOut = el.open;
      document.body.append(el);
      await until(() => ofType(events, 'universa-state').filter((e) => e.state === 'offered').length === 2, 'the offer again');
      await sleep(300); // the closing dialog's late close event must not shut the new one
      await el.updateComplete;
      const open = el.open;
      await el.updateComplete;
      return { openWhileOut, open, modal: el.shadowRoot!.querySelector('dialog')!.matches(':modal') };
    });

    it('closes the popup while out of the document', () => {
      expect(run().openWhileOut, 'closed while out of the document').to.equal(false);
    });

    it('opens it again', () => {
      expect(run().open).to.equal(true);
    });

    it('as a modal', () => {
      expect(run().modal).to.equal(true);
    });
  });

  describe('when a popup restored without a link was dismissed', () => {
    it('start() re-opens it', async () => {
      const { cb } = await issue();
      const first = await mount({ cb });
      await until(() => first.el.open, 'the popup');
      unmountUniversa();
      const { el } = await mount({});
      await until(() => el.open, 'the restored popup');
      el.shadowRoot!.querySelector('dialog')!.close(); // Escape
      await until(() => !el.open, 'the popup closed');
      await el.start();
      await el.updateComplete;
      expect(el.open).to.equal(true);
      expect(el.shadowRoot!.querySelector('dialog')!.open).to.equal(true);
    });
  });

  describe('when locale="de" is set, then string overrides', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el } = await mount({ cb, locale: 'de' });
      await until(() => el.open, 'the popup');
      const cancel = text(el, 'cancel');
      await typeAddress(el, SHORT.slice(0, -1) + (SHORT.endsWith('Z') ? 'Y' : 'Z'));
      const inputError = text(el, 'input-error');
      el.strings = { cancel: 'Nein danke' };
      await el.updateComplete;
      return { cancel, inputError, overridden: text(el, 'cancel') };
    });

    it('speaks German', () => {
      expect(run().cancel).to.equal('Abbrechen');
      expect(run().inputError).to.equal('Prüfsumme falsch: ein Tippfehler?');
    });

    it('takes string overrides', () => {
      expect(run().overridden).to.equal('Nein danke');
    });
  });
});

describe('<universa-select-address> trust boundaries (anyone can craft the link)', () => {
  describe("when the link's cb is on the page's own origin", () => {
    /** An issue made through the test page's server, where the sandbox is mounted too: every URL on the page's origin. */
    const issueHere = async () => ((await (await fetch('/universa/issue', { method: 'POST', body: '{}' })).json()) as { cb: string }).cb;

    describe('when the page does not allow it', () => {
      const run = situation(async () => {
        const cb = await issueHere();
        const { el, events } = await mount({ cb });
        await until(() => errorsOf(events).length === 1, 'universa-error');
        const error = errorsOf(events)[0]!;
        await el.updateComplete;
        const shown = text(el, 'error');
        await sleep(200);
        return { cb, error, shown, requests: (await calls()).filter((c) => c !== 'issue'), record: await pendingRecord(cb) };
      });

      it("is a cb on the page's origin", () => {
        expect(new URL(run().cb).origin).to.equal(location.origin);
      });

      it('is refused with a same-origin error, not retryable', () => {
        expect(run().error).to.deep.include({ cb: run().cb, retryable: false });
        expect(run().error.error.code).to.equal('same-origin');
      });

      it('says why', () => {
        expect(run().shown).to.equal('This page does not accept issuer links on its own site.');
      });

      it('sends no request', () => {
        expect(run().requests).to.deep.equal([]);
      });

      it('stores nothing', () => {
        expect(run().record).to.equal(undefined);
      });
    });

    describe('when the page allows it (allow-same-origin)', () => {
      const run = situation(async () => {
        document.cookie = 'wallet-session=secret; path=/';
        try {
          const cb = await issueHere();
          const { el } = await mount({ cb, allowSameOrigin: true });
          await until(() => el.open, 'the offer');
          return (await issuerLog()).filter((e) => e.path.split('/')[2] !== 'issue');
        } finally {
          document.cookie = 'wallet-session=; path=/; max-age=0';
        }
      });

      it('asks the issuer', () => {
        expect(run().map((e) => e.path.split('/')[2])).to.deep.equal(['cb']);
      });

      it("sends none of the page's cookies", () => {
        expect(run()[0]!.headers.cookie).to.equal(undefined);
      });
    });
  });

  describe('when the issuer is on another origin', () => {
    it('the offer is shown without any opt-in', async () => {
      const { cb } = await issue();
      expect(new URL(cb).origin).not.to.equal(location.origin);
      const { el } = await mount({ cb });
      await until(() => el.open, 'the offer');
      expect(text(el, 'caption')).to.equal('She-Token generation');
    });
  });
});

describe('<universa-select-address> bad input', () => {
  describe('when cb is http on a non-loopback host', () => {
    const run = situation(async () => {
      const { id } = await issue();
      const { url } = (await (await fetch('/_sandbox/info')).json()) as { url: string };
      // *.localhost reaches the sandbox in Chromium, so a wrongly accepted URL would show in the log.
      const host = url.replace('127.0.0.1', 'issuer.localhost');
      const reachable = (await fetch(`${host}/_sandbox/info`, { mode: 'no-cors' })).type;
      const cb = `${host}/universa/cb/${id}`;
      const { el, events } = await mount({ cb });
      await until(() => errorsOf(events).length === 1, 'universa-error');
      const error = errorsOf(events)[0]!;
      await el.updateComplete;
      const shown = { error: text(el, 'error'), open: el.open };
      await sleep(200);
      return { cb, reachable, error, shown, requests: await calls() };
    });

    it('is a host that reaches the sandbox', () => {
      expect(run().reachable, 'the sandbox is reachable under that name').to.equal('opaque');
    });

    it('is refused with an insecure-url error, not retryable', () => {
      expect(run().error).to.deep.include({ cb: run().cb, retryable: false });
      expect(run().error.error.code).to.equal('insecure-url');
    });

    it('says https is required', () => {
      expect(run().shown.error).to.equal('Insecure link: https is required.');
    });

    it('opens no popup', () => {
      expect(run().shown.open).to.equal(false);
    });

    it('sends no request', () => {
      expect(run().requests).to.deep.equal([]);
    });
  });

  describe('when the link has iv other than 1', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const frame = await openPage(linkQuery(cb, '2'));
      const page = pageOf(frame);
      await until(() => ofType(page.events, 'universa-error').length === 1, 'universa-error');
      const error = ofType(page.events, 'universa-error')[0]!;
      await page.el.updateComplete;
      const shown = text(page.el, 'error');
      await sleep(200);
      return { cb, error, shown, requests: await calls() };
    });

    it('is refused with a bad-version error, not retryable', () => {
      expect(run().error).to.deep.include({ cb: run().cb, retryable: false });
      expect(run().error.error.code).to.equal('bad-version');
    });

    it('says iv must be 1', () => {
      expect(run().shown).to.equal('Unsupported link version (iv must be 1).');
    });

    it('sends no request', () => {
      expect(run().requests).to.deep.equal([]);
    });
  });

  for (const [name, fault, code, shown] of [
    ['malformed JSON', { kind: 'malformed' }, 'bad-response', /did not|Not JSON/],
    ['a wrong action', { kind: 'set', field: 'action', value: 'send_money' }, 'bad-offer', /action/],
    ['a missing check_url', { kind: 'omit', field: 'check_url' }, 'bad-offer', /check_url/],
  ] as const) {
    describe(`when the issuer answers ${name}`, () => {
      const run = situation(async () => {
        const { cb } = await issue();
        await knob('fault', { endpoint: 'cb', ...fault });
        const { el, events } = await mount({ cb });
        await until(() => errorsOf(events).length === 1, 'universa-error');
        const error = errorsOf(events)[0]!;
        const state = ofType(events, 'universa-state').at(-1)?.state;
        await el.updateComplete;
        const failed = { error: text(el, 'error'), open: el.open, record: await pendingRecord(cb) };
        const retry = part(el, 'retry');
        let reopened: boolean | undefined;
        if (code === 'bad-response') {
          // Unreadable answers may be transient: the user gets a retry button.
          retry!.click();
          await until(() => el.open, 'the popup after retrying');
          reopened = el.open;
        }
        return { error, state, failed, retry, reopened };
      });

      it(`reports ${code}`, () => {
        expect(run().error.error.code).to.equal(code);
      });

      it('says what is wrong', () => {
        expect(run().error.error.message).to.match(shown);
      });

      it('fails', () => {
        expect(run().state).to.equal('failed');
      });

      it('shows an error, the popup closed', () => {
        expect(run().failed.error).to.not.equal('');
        expect(run().failed.open).to.equal(false);
      });

      it('stores nothing', () => {
        expect(run().failed.record).to.equal(undefined);
      });

      if (code === 'bad-response') {
        it('offers a retry, which can succeed', () => {
          expect(run().reopened).to.equal(true);
        });
      } else {
        it('offers no retry: the answer is wrong by design', () => {
          expect(run().retry, 'no retry for an answer that is wrong by design').to.equal(null);
        });
      }
    });
  }

  describe('when the contract is not base64, then a good one comes', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      await knob('fault', { endpoint: 'check', kind: 'corrupt-contract' });
      const { el, events } = await mount({ cb });
      const recordAtError: Array<string | undefined> = [];
      el.addEventListener('universa-error', () => void pendingRecord(cb).then((r) => recordAtError.push(r?.phase)));
      await pickFirstAddress(el);
      await until(() => errorsOf(events).length === 1, 'universa-error');
      const error = errorsOf(events)[0]!;
      await el.updateComplete;
      const shown = text(el, 'error');
      await until(() => ofType(events, 'universa-contract').length === 1, 'the contract', 8000);
      await until(async () => (await pendingRecord(cb))?.phase === 'delivered', 'only a tombstone left');
      return { cb, error, shown, recordAtError, contracts: ofType(events, 'universa-contract').length, record: await pendingRecord(cb) };
    });

    it('reports a bad contract, retryable', () => {
      expect(run().error).to.deep.include({ cb: run().cb, retryable: true });
      expect(run().error.error.code).to.equal('bad-contract');
    });

    it('says it is damaged and retries', () => {
      expect(run().shown).to.equal('The contract is damaged. Retrying…');
    });

    it('keeps the record while reporting it', () => {
      expect(run().recordAtError).to.deep.equal(['polling']);
    });

    it('takes the next good one', () => {
      expect(run().contracts).to.equal(1);
    });

    it('leaves only a tombstone after that', () => {
      expect(run().record?.base64Contract).to.equal(undefined);
    });
  });

  describe('when a check fails for CORS', () => {
    const run = situation(async () => {
      const { id, cb } = await issue();
      await knob('fault', { endpoint: 'check', kind: 'no-cors' });
      const { el, events } = await mount({ cb });
      await pickFirstAddress(el);
      await until(() => errorsOf(events).length === 1, 'universa-error');
      const error = errorsOf(events)[0]!;
      await el.updateComplete;
      const shown = text(el, 'error');
      const phase = (await pendingRecord(cb))?.phase;
      await until(() => ofType(events, 'universa-contract').length === 1, 'the contract', 8000);
      await el.updateComplete;
      return { cb, error, shown, phase, errorAfter: part(el, 'error'), oks: (await calls(id)).filter((c) => c === 'ok') };
    });

    it('reports a network error, retryable', () => {
      expect(run().error).to.deep.include({ cb: run().cb, retryable: true });
      expect(run().error.error.code).to.equal('network');
    });

    it('says the issuer is unreachable and retries', () => {
      expect(run().shown).to.equal('The issuer is unreachable (network or CORS). Retrying…');
    });

    it('keeps the record', () => {
      expect(run().phase).to.equal('polling');
    });

    it('clears the error once the contract comes', () => {
      expect(run().errorAfter).to.equal(null);
    });

    it('sends ok_url once', () => {
      expect(run().oks).to.have.length(1);
    });
  });

  describe('when the first request fails for CORS', () => {
    it('reports a network error and offers a retry that opens the popup', async () => {
      const { cb } = await issue();
      await knob('fault', { endpoint: 'cb', kind: 'no-cors' });
      const { el, events } = await mount({ cb });
      await until(() => errorsOf(events).length === 1, 'universa-error');
      expect(errorsOf(events)[0]!.error.code).to.equal('network');
      await el.updateComplete;
      part(el, 'retry')!.click();
      await until(() => el.open, 'the popup after retrying');
    });
  });

  describe('when checks answer 500 twice while polling', () => {
    const run = situation(async () => {
      const { id, cb } = await issue();
      await knob('fault', { endpoint: 'check', kind: 'status', status: 500, times: 2 });
      const { el, events } = await mount({ cb });
      await pickFirstAddress(el);
      await until(() => ofType(events, 'universa-contract').length === 1, 'the contract', 10000);
      const checks = (await (await fetch('/_sandbox/log?service=universa')).json()).filter(
        (e: { path: string }) => e.path === `/universa/check/${id}`,
      );
      return { errors: errorsOf(events).map((e) => [e.error.code, e.retryable]), checks };
    });

    it('reports each as retryable', () => {
      expect(run().errors).to.deep.equal([
        [500, true],
        [500, true],
      ]);
    });

    it('checks again until the contract comes', () => {
      expect(run().checks).to.have.length(3);
    });

    it('doubles the backoff', () => {
      const { checks } = run();
      expect(checks[2].time - checks[1].time, 'second backoff doubles the first').to.be.greaterThan(1800);
    });
  });
});
