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

describe('<universa-select-address>', () => {
  it('happy path: offer, choose, OK, polling, contract as event and .unicon download', async () => {
    const { id, cb } = await issue();
    const { el, events } = await mount({ cb });
    await until(() => el.open, 'the popup');
    const dialog = el.shadowRoot!.querySelector('dialog')!;
    expect(dialog.open).to.equal(true);
    expect(el.hasAttribute('open')).to.equal(true);
    expect(text(el, 'caption')).to.equal('She-Token generation');
    expect(text(el, 'text')).to.contain('120 SHT');
    expect(okButton(el).disabled, 'OK before choosing').to.equal(true);
    await expect(el).to.be.accessible();

    await pickFirstAddress(el);
    await until(() => ofType(events, 'universa-contract').length === 1, 'the contract', 8000);
    const [contract] = ofType(events, 'universa-contract');
    expect(contract!.cb).to.equal(cb);
    expect(contract!.address).to.equal(SHORT);
    // Read in a Worker: the owner is the address chosen, the amount the issuer's.
    expect(contract!.summary).to.deep.include({
      kind: 'contract',
      readable: true,
      amount: '120',
      unit: 'SHT',
      size: contract!.bytes.length,
    });
    expect(contract!.summary.owner).to.deep.equal([SHORT]);
    await el.updateComplete;
    const shown = Object.fromEntries(
      [...part(el, 'summary')!.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling!.textContent]),
    );
    expect(shown).to.deep.include({ Kind: 'Sealed contract', Amount: '120 SHT', Owner: SHORT });
    expect(Object.keys(shown)).to.deep.equal(['Kind', 'Amount', 'Issuer', 'Owner', 'Created', 'Expires', 'Size']);
    expect(btoa(String.fromCharCode(...contract!.bytes))).to.equal(contract!.base64Contract);

    expect(ofType(events, 'universa-state').map((d) => d.state)).to.deep.equal(['offered', 'confirming', 'polling', 'received']);
    expect(await calls(id)).to.deep.equal(['cb', 'ok', 'check']);
    const log = await (await fetch('/_sandbox/log?service=universa')).json();
    expect(log[1].body).to.deep.equal({ address: SHORT });
    expect(log[1].headers['content-type']).to.equal('application/json');

    await el.updateComplete;
    expect(el.open).to.equal(false);
    expect(text(el, 'status')).to.equal('Contract received.');
    // A polite live region: role=status implies aria-live=polite (and aria-atomic).
    expect(part(el, 'status')!.getAttribute('role')).to.equal('status');
    const link = part(el, 'download') as HTMLAnchorElement;
    expect(link.download).to.match(/\.unicon$/);
    const downloaded = new Uint8Array(await (await fetch(link.href)).arrayBuffer());
    expect([...downloaded]).to.deep.equal([...contract!.bytes]);
    await until(async () => (await pendingRecord(cb))?.phase === 'delivered', 'only a tombstone left');
    expect((await pendingRecord(cb))?.base64Contract).to.equal(undefined);
  });

  it('shows the issuer state while polling (2-phase) in a live region', async () => {
    const { id, cb } = await issue({ twoPhase: true });
    const { el, events } = await mount({ cb });
    await pickFirstAddress(el);
    await until(async () => (await calls(id)).includes('check'), 'a first check');
    await until(() => text(el, 'status') === 'The issuer is generating the contract…', 'the in_progress status');
    expect(ofType(events, 'universa-state').at(-1)).to.deep.equal({ cb, state: 'polling', issuerState: 'in_progress' });
    expect((await pendingRecord(cb))?.phase).to.equal('polling');
    await knob('confirm', { id });
    await until(() => ofType(events, 'universa-contract').length === 1, 'the contract after confirmation', 5000);
  });

  it('cancel POSTs cancel_url, closes the popup and forgets the record', async () => {
    const { id, cb } = await issue();
    const { el, events } = await mount({ cb });
    await until(() => el.open, 'the popup');
    expect((await pendingRecord(cb))?.phase).to.equal('offered');
    part(el, 'cancel')!.click();
    await until(() => ofType(events, 'universa-cancelled').length === 1, 'universa-cancelled');
    expect(ofType(events, 'universa-cancelled')[0]).to.deep.equal({ cb });
    expect(await calls(id)).to.deep.equal(['cb', 'cancel']);
    expect(await pendingRecord(cb)).to.equal(undefined);
    await el.updateComplete;
    expect(el.open).to.equal(false);
    expect(el.shadowRoot!.querySelector('dialog')!.open).to.equal(false);
    expect((await knob('inspect', { id })).state).to.equal('cancelled');
  });

  it('renders caption and text as text, never as HTML', async () => {
    const caption = '<img src=x onerror="window.__universaXss = 1">';
    const body = '<b>bold</b><script>window.__universaXss = 2</script>';
    const { cb } = await issue({ caption, text: body });
    const { el } = await mount({ cb });
    await until(() => el.open, 'the popup');
    await sleep(100);
    expect(part(el, 'caption')!.textContent).to.equal(caption);
    expect(part(el, 'text')!.textContent).to.equal(body);
    expect(el.shadowRoot!.querySelector('img, b, script')).to.equal(null);
    expect((window as { __universaXss?: number }).__universaXss).to.equal(undefined);
  });

  it('validates a typed address inline; a bad checksum keeps OK disabled', async () => {
    const { cb } = await issue();
    const { el } = await mount({ cb, addresses: [] });
    await until(() => el.open, 'the popup');
    const input = part(el, 'input') as HTMLInputElement;
    const badCrc = SHORT.slice(0, 10) + (SHORT[10] === 'a' ? 'b' : 'a') + SHORT.slice(11);
    await typeAddress(el, badCrc);
    expect(text(el, 'input-error')).to.equal('Checksum mismatch: a typo?');
    expect(input.getAttribute('aria-invalid')).to.equal('true');
    expect(okButton(el).disabled).to.equal(true);
    await typeAddress(el, 'not an address');
    expect(text(el, 'input-error')).to.equal('Not a Universa address.');
    expect(okButton(el).disabled).to.equal(true);
    await typeAddress(el, LONG.replaceAll('1', 'l'));
    expect(text(el, 'input-error')).to.equal('');
    expect(input.getAttribute('aria-invalid')).to.equal('false');
    expect(okButton(el).disabled).to.equal(false);
  });

  it('fetches a language on first use: a later locale re-renders once its table is in; pages add their own', async () => {
    expect(Object.keys(universaStrings), 'only English is built in').to.not.include('fr');
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

  it('does not hold an import back for a language that never loads: cb is asked at once, the popup opens in English', async () => {
    universaLocales['xx'] = () => new Promise(() => {});
    try {
      const { id, cb } = await issue();
      const mountedAt = Date.now();
      const { el, events } = await mount({ cb, locale: 'xx' });
      await until(() => ofType(events, 'universa-state').some((e) => e.state === 'offered'), 'the offer', 1000);
      expect(Date.now() - mountedAt, 'ms from mount to the offer').to.be.lessThan(1000);
      expect(await calls(id)).to.deep.equal(['cb']);
      expect(el.open, 'the popup waits a little for its language').to.equal(false);
      await until(() => el.open, 'the popup', 6000);
      expect(text(el, 'cancel')).to.equal('Cancel');
    } finally {
      delete universaLocales['xx'];
    }
  });

  it('a language whose table fails to load leaves English and keeps the page responsive', async () => {
    let loads = 0;
    universaLocales['xy'] = () => (loads++, Promise.reject(new Error('chunk missing after a deploy')));
    try {
      const { cb } = await issue();
      const { el } = await mount({ cb, locale: 'xy' });
      await until(() => el.open, 'the popup');
      // A render loop would starve timers: this one must fire on time.
      const t0 = performance.now();
      await sleep(20);
      expect(performance.now() - t0, 'ms for a 20 ms timer').to.be.lessThan(500);
      expect(text(el, 'cancel')).to.equal('Cancel');
      expect(loads, 'fetched once').to.equal(1);
    } finally {
      delete universaLocales['xy'];
    }
  });

  it('removed and put back while open: the popup opens again as a modal', async () => {
    const { cb } = await issue();
    const { el, events } = await mount({ cb });
    await until(() => el.open, 'the popup');
    el.remove();
    await el.updateComplete;
    expect(el.open, 'closed while out of the document').to.equal(false);
    document.body.append(el);
    await until(() => ofType(events, 'universa-state').filter((e) => e.state === 'offered').length === 2, 'the offer again');
    await sleep(300); // the closing dialog's late close event must not shut the new one
    await el.updateComplete;
    expect(el.open).to.equal(true);
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('dialog')!.matches(':modal')).to.equal(true);
  });

  it('start() re-opens a dismissed popup restored without a link', async () => {
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

  it('speaks German with locale="de" and takes string overrides', async () => {
    const { cb } = await issue();
    const { el } = await mount({ cb, locale: 'de' });
    await until(() => el.open, 'the popup');
    expect(text(el, 'cancel')).to.equal('Abbrechen');
    await typeAddress(el, SHORT.slice(0, -1) + (SHORT.endsWith('Z') ? 'Y' : 'Z'));
    expect(text(el, 'input-error')).to.equal('Prüfsumme falsch: ein Tippfehler?');
    el.strings = { cancel: 'Nein danke' };
    await el.updateComplete;
    expect(text(el, 'cancel')).to.equal('Nein danke');
  });
});

describe('<universa-select-address> trust boundaries (anyone can craft the link)', () => {
  describe("when the link's cb is on the page's own origin", () => {
    /** An issue made through the test page's server, where the sandbox is mounted too: every URL on the page's origin. */
    const issueHere = async () => ((await (await fetch('/universa/issue', { method: 'POST', body: '{}' })).json()) as { cb: string }).cb;

    it('is refused unless the page allows it: no request, nothing stored', async () => {
      const cb = await issueHere();
      expect(new URL(cb).origin).to.equal(location.origin);
      const { el, events } = await mount({ cb });
      await until(() => errorsOf(events).length === 1, 'universa-error');
      expect(errorsOf(events)[0]).to.deep.include({ cb, retryable: false });
      expect(errorsOf(events)[0]!.error.code).to.equal('same-origin');
      await el.updateComplete;
      expect(text(el, 'error')).to.equal('This page does not accept issuer links on its own site.');
      await sleep(200);
      expect((await calls()).filter((c) => c !== 'issue')).to.deep.equal([]);
      expect(await pendingRecord(cb)).to.equal(undefined);
    });

    it("with allow-same-origin, requests to the issuer carry none of the page's cookies", async () => {
      document.cookie = 'wallet-session=secret; path=/';
      try {
        const cb = await issueHere();
        const { el } = await mount({ cb, allowSameOrigin: true });
        await until(() => el.open, 'the offer');
        const log = (await issuerLog()).filter((e) => e.path.split('/')[2] !== 'issue');
        expect(log.map((e) => e.path.split('/')[2])).to.deep.equal(['cb']);
        expect(log[0]!.headers.cookie).to.equal(undefined);
      } finally {
        document.cookie = 'wallet-session=; path=/; max-age=0';
      }
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
  it('refuses an http cb on a non-loopback host before any request', async () => {
    const { id } = await issue();
    const { url } = (await (await fetch('/_sandbox/info')).json()) as { url: string };
    // *.localhost reaches the sandbox in Chromium, so a wrongly accepted URL would show in the log.
    const host = url.replace('127.0.0.1', 'issuer.localhost');
    expect((await fetch(`${host}/_sandbox/info`, { mode: 'no-cors' })).type, 'the sandbox is reachable under that name').to.equal('opaque');
    const cb = `${host}/universa/cb/${id}`;
    const { el, events } = await mount({ cb });
    await until(() => errorsOf(events).length === 1, 'universa-error');
    expect(errorsOf(events)[0]).to.deep.include({ cb, retryable: false });
    expect(errorsOf(events)[0]!.error.code).to.equal('insecure-url');
    await el.updateComplete;
    expect(text(el, 'error')).to.equal('Insecure link: https is required.');
    expect(el.open).to.equal(false);
    await sleep(200);
    expect(await calls()).to.deep.equal([]);
  });

  it('refuses a link with iv other than 1', async () => {
    const { cb } = await issue();
    const frame = await openPage(linkQuery(cb, '2'));
    const page = pageOf(frame);
    await until(() => ofType(page.events, 'universa-error').length === 1, 'universa-error');
    expect(ofType(page.events, 'universa-error')[0]).to.deep.include({ cb, retryable: false });
    expect(ofType(page.events, 'universa-error')[0]!.error.code).to.equal('bad-version');
    await page.el.updateComplete;
    expect(text(page.el, 'error')).to.equal('Unsupported link version (iv must be 1).');
    await sleep(200);
    expect(await calls()).to.deep.equal([]);
  });

  for (const [name, fault, code, shown] of [
    ['malformed JSON', { kind: 'malformed' }, 'bad-response', /did not|Not JSON/],
    ['a wrong action', { kind: 'set', field: 'action', value: 'send_money' }, 'bad-offer', /action/],
    ['a missing check_url', { kind: 'omit', field: 'check_url' }, 'bad-offer', /check_url/],
  ] as const) {
    it(`reports ${name} from the issuer clearly, and a retry can still succeed`, async () => {
      const { cb } = await issue();
      await knob('fault', { endpoint: 'cb', ...fault });
      const { el, events } = await mount({ cb });
      await until(() => errorsOf(events).length === 1, 'universa-error');
      expect(errorsOf(events)[0]!.error.code).to.equal(code);
      expect(errorsOf(events)[0]!.error.message).to.match(shown);
      expect(ofType(events, 'universa-state').at(-1)?.state).to.equal('failed');
      await el.updateComplete;
      expect(text(el, 'error')).to.not.equal('');
      expect(el.open).to.equal(false);
      expect(await pendingRecord(cb)).to.equal(undefined);
      const retry = part(el, 'retry');
      if (code === 'bad-response') {
        // Unreadable answers may be transient: the user gets a retry button.
        retry!.click();
        await until(() => el.open, 'the popup after retrying');
      } else {
        expect(retry, 'no retry for an answer that is wrong by design').to.equal(null);
      }
    });
  }

  it('keeps the record when the contract is not base64, and takes the next good one', async () => {
    const { cb } = await issue();
    await knob('fault', { endpoint: 'check', kind: 'corrupt-contract' });
    const { el, events } = await mount({ cb });
    const recordAtError: Array<string | undefined> = [];
    el.addEventListener('universa-error', () => void pendingRecord(cb).then((r) => recordAtError.push(r?.phase)));
    await pickFirstAddress(el);
    await until(() => errorsOf(events).length === 1, 'universa-error');
    expect(errorsOf(events)[0]).to.deep.include({ cb, retryable: true });
    expect(errorsOf(events)[0]!.error.code).to.equal('bad-contract');
    await el.updateComplete;
    expect(text(el, 'error')).to.equal('The contract is damaged. Retrying…');
    await until(() => ofType(events, 'universa-contract').length === 1, 'the contract', 8000);
    expect(recordAtError).to.deep.equal(['polling']);
    await until(async () => (await pendingRecord(cb))?.phase === 'delivered', 'only a tombstone left');
    expect((await pendingRecord(cb))?.base64Contract).to.equal(undefined);
  });

  it('a CORS failure is a retryable error that keeps the record', async () => {
    const { id, cb } = await issue();
    await knob('fault', { endpoint: 'check', kind: 'no-cors' });
    const { el, events } = await mount({ cb });
    await pickFirstAddress(el);
    await until(() => errorsOf(events).length === 1, 'universa-error');
    expect(errorsOf(events)[0]).to.deep.include({ cb, retryable: true });
    expect(errorsOf(events)[0]!.error.code).to.equal('network');
    await el.updateComplete;
    expect(text(el, 'error')).to.equal('The issuer is unreachable (network or CORS). Retrying…');
    expect((await pendingRecord(cb))?.phase).to.equal('polling');
    await until(() => ofType(events, 'universa-contract').length === 1, 'the contract', 8000);
    await el.updateComplete;
    expect(part(el, 'error')).to.equal(null);
    expect((await calls(id)).filter((c) => c === 'ok')).to.have.length(1);
  });

  it('a CORS failure on the first request offers a retry', async () => {
    const { cb } = await issue();
    await knob('fault', { endpoint: 'cb', kind: 'no-cors' });
    const { el, events } = await mount({ cb });
    await until(() => errorsOf(events).length === 1, 'universa-error');
    expect(errorsOf(events)[0]!.error.code).to.equal('network');
    await el.updateComplete;
    part(el, 'retry')!.click();
    await until(() => el.open, 'the popup after retrying');
  });

  it('500s while polling are retried with backoff until the contract comes', async () => {
    const { id, cb } = await issue();
    await knob('fault', { endpoint: 'check', kind: 'status', status: 500, times: 2 });
    const { el, events } = await mount({ cb });
    await pickFirstAddress(el);
    await until(() => ofType(events, 'universa-contract').length === 1, 'the contract', 10000);
    expect(errorsOf(events).map((e) => [e.error.code, e.retryable])).to.deep.equal([
      [500, true],
      [500, true],
    ]);
    const checks = (await (await fetch('/_sandbox/log?service=universa')).json()).filter(
      (e: { path: string }) => e.path === `/universa/check/${id}`,
    );
    expect(checks).to.have.length(3);
    expect(checks[2].time - checks[1].time, 'second backoff doubles the first').to.be.greaterThan(1800);
  });
});
