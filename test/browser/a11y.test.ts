// Accessibility and keyboard use of every element, in every state, against the sandbox:
// axe (chai-a11y-axe) on each state, and real key presses (Tab, Shift+Tab, Enter, Space,
// arrows, Escape) for every action, with a visible focus indicator on each control reached.
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/titan/index.js';
import '../../src/universa/index.js';
import '../../src/digime/index.js';
import type { TitanUploader } from '../../src/titan/index.js';
import type { UniversaSelectAddress } from '../../src/universa/index.js';
import { clearPostboxes, type DigiMeWriter } from '../../src/digime/index.js';
import { is, knob as titanKnob, randomFile, requestLog, resetSandbox, titanApi } from './titan-helpers.js';
import {
  issue,
  knob as universaKnob,
  LONG,
  ofType,
  okButton,
  part,
  pickFirstAddress,
  resetAll as resetUniversa,
  SHORT,
  typeAddress,
  until,
  mountUniversa,
  unmountUniversa,
} from './fixtures/universa-helpers.js';
import { connectThroughDigiMe, knob as digimeKnob, openFrame, shadow as digimeShadow, writerIn } from './fixtures/digime-helpers.js';
import { recordOnce } from './situation.js';

// ---------------------------------------------------------------- keyboard helpers

/** The focused element, looking through open shadow roots. */
function deepActive(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

/** Presses a key or a chord (`Shift+Tab`): Puppeteer's press takes single keys only. */
async function press(key: string): Promise<void> {
  const keys = key.split('+');
  const last = keys.pop()!;
  for (const modifier of keys) await sendKeys({ down: modifier });
  await sendKeys({ press: last });
  for (const modifier of keys.reverse()) await sendKeys({ up: modifier });
}

/** Presses `key` until `match` holds for the focused element; fails after `max` presses. */
async function pressUntil(key: string, match: (el: Element) => boolean, what: string, max = 25): Promise<HTMLElement> {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await press(key);
    const active = deepActive();
    if (active && match(active)) return active as HTMLElement;
    seen.push(nameOf(active));
  }
  throw new Error(`${what} was not reached with ${key}; focus went through: ${seen.join(' → ')}`);
}

const matches = (selector: string) => (el: Element) => el.matches(selector);

function nameOf(el: Element | null): string {
  if (!el) return '(nothing)';
  const p = el.getAttribute('part');
  return `${el.localName}${p ? `[part=${p}]` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`;
}

/**
 * Focused by keyboard and visibly so: `:focus-visible`, and a real outline or box-shadow. Answers
 * 'visible', or what is missing, for an it to assert on.
 */
function focusRing(el: Element, what: string): string {
  if (!el.matches(':focus-visible')) return `${what} does not match :focus-visible`;
  const cs = getComputedStyle(el);
  const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
  const shadow = cs.boxShadow !== 'none' && cs.boxShadow !== '';
  if (!(outline || shadow))
    return `${what} shows no focus indicator (outline ${cs.outlineStyle} ${cs.outlineWidth}, box-shadow ${cs.boxShadow})`;
  return 'visible';
}

/** A focusable page control before the element, where keyboard navigation starts. */
function startButton(label = 'before'): HTMLButtonElement {
  const button = document.createElement('button');
  button.textContent = label;
  document.body.prepend(button);
  cleanup.push(() => button.remove());
  return button;
}

/**
 * The file picker itself is the browser's: records each time a control of `el` opened it (the
 * file input's name), but keeps it closed.
 */
function interceptFilePicker(el: HTMLElement): string[] {
  const picked: string[] = [];
  el.shadowRoot!.addEventListener(
    'click',
    (e) => {
      const target = e.target as HTMLElement;
      if (target instanceof HTMLInputElement && target.type === 'file') {
        e.preventDefault();
        picked.push(target.name);
      }
    },
    true,
  );
  return picked;
}

let cleanup: Array<() => void> = [];
afterEach(async () => {
  cleanup.forEach((f) => f());
  cleanup = [];
  document.querySelectorAll('iframe').forEach((f) => f.remove());
});

/** axe on `el` now: 'accessible', or what axe found, for an it to assert on later. */
const axe = (el: Element): Promise<string> =>
  expect(el)
    .to.be.accessible()
    .then(
      () => 'accessible',
      (e: Error) => e.message,
    );

// ---------------------------------------------------------------- <titan-uploader>

async function mountTitan(): Promise<TitanUploader> {
  const el = await fixture<TitanUploader>(html`<titan-uploader
    api-url=${await titanApi()}
    token-url="/app/titan/token"
    extra-id-url="/app/titan/extra-id"
    locale="en"
  ></titan-uploader>`);
  await waitUntil(() => el.shadowRoot!.querySelector('.uppy-Dashboard-browse'), 'no dashboard', { timeout: 3000 });
  return el;
}

const titanPart = (el: TitanUploader, selector: string) => el.shadowRoot!.querySelector<HTMLElement>(selector);

/** An upload held at a slow node 1: resolves once the bytes are on their way there. */
async function slowUpload(name: string) {
  await titanKnob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 5000 });
  const el = await mountTitan();
  el.addFiles([randomFile(200_000, name)]);
  const failed = oneEvent(el, 'titan-upload-error');
  const running = el.upload();
  await waitUntil(async () => (await requestLog('titan')).some(is.nodeUpload('node1')), 'node never reached', { timeout: 5000 });
  return { el, failed, running };
}

describe('a11y: <titan-uploader> in every state', () => {
  beforeEach(resetSandbox);
  const situation = <T>(run: () => Promise<T>) => recordOnce(run, resetSandbox);

  describe('when empty', () => {
    it('is accessible', async () => {
      const el = await mountTitan();
      await expect(el).to.be.accessible();
    });
  });

  describe('when files are added, before upload', () => {
    const run = situation(async () => {
      const el = await mountTitan();
      el.addFiles([randomFile(1000, 'one.bin')]);
      await waitUntil(() => titanPart(el, '.uppy-StatusBar-actionBtn--upload'), 'no upload button', { timeout: 3000 });
      const one = await axe(el);
      el.addFiles([randomFile(1000, 'two.bin')]);
      await waitUntil(() => el.shadowRoot!.querySelectorAll('.uppy-Dashboard-Item').length === 2, 'no second row', { timeout: 3000 });
      return { one, several: await axe(el) };
    });

    it('is accessible with one file', () => {
      expect(run().one).to.equal('accessible');
    });

    it('is accessible with several', () => {
      expect(run().several).to.equal('accessible');
    });
  });

  describe('when uploading (slow node)', () => {
    it('is accessible', async () => {
      const { el, failed } = await slowUpload('slow.bin');
      await waitUntil(() => titanPart(el, '.uppy-StatusBar.is-uploading'), 'no uploading status bar', { timeout: 3000 });
      await expect(el).to.be.accessible();
      el.cancelAll();
      await failed;
    });
  });

  describe('when finished', () => {
    const run = situation(async () => {
      const el = await mountTitan();
      el.addFiles([randomFile(1000, 'done.bin')]);
      await el.upload();
      await el.updateComplete;
      return { copy: titanPart(el, '[part="copy"]'), link: titanPart(el, '[part="link"]'), axe: await axe(el) };
    });

    it('shows the CID row with a copy button and a link', () => {
      expect(run().copy).to.exist;
      expect(run().link).to.exist;
    });

    it('is accessible', () => {
      expect(run().axe).to.equal('accessible');
    });
  });

  describe('when failed (token-url refuses)', () => {
    const run = situation(async () => {
      await titanKnob('app-titan', 'fail-token', { count: 10, status: 503 });
      const el = await mountTitan();
      el.addFiles([randomFile(1000, 'a.txt', 'text/plain')]);
      await el.upload();
      await el.updateComplete;
      return { error: titanPart(el, '[part="error"]'), axe: await axe(el) };
    });

    it('shows the error', () => {
      expect(run().error).to.exist;
    });

    it('is accessible', () => {
      expect(run().axe).to.equal('accessible');
    });
  });

  describe('when cancelled', () => {
    const run = situation(async () => {
      const { el, failed, running } = await slowUpload('big.bin');
      el.cancelAll();
      await failed;
      await running;
      await el.updateComplete;
      return { error: titanPart(el, '[part="error"]')!.textContent!.trim(), axe: await axe(el) };
    });

    it('says Cancelled', () => {
      expect(run().error).to.equal('Cancelled');
    });

    it('is accessible', () => {
      expect(run().axe).to.equal('accessible');
    });
  });
});

describe('keyboard: <titan-uploader>', () => {
  beforeEach(resetSandbox);
  const situation = <T>(run: () => Promise<T>) => recordOnce(run, resetSandbox);

  describe('when a file is picked, uploaded, copied and opened with the keyboard only', () => {
    const run = situation(async () => {
      const before = startButton();
      const el = await mountTitan();
      const picked = interceptFilePicker(el);
      before.focus();

      const browse = await pressUntil('Tab', matches('.uppy-Dashboard-browse'), '"browse files"');
      const browseRing = focusRing(browse, '"browse files"');
      await press('Enter');
      await waitUntil(() => picked.length === 1, '"browse files" did not open the file picker', { timeout: 2000 });
      await press('Space');
      await waitUntil(() => picked.length === 2, 'Space on "browse files" did not open the file picker', { timeout: 2000 });

      // What the picker would hand over.
      el.addFiles([randomFile(3000, 'keyboard.bin')]);
      await waitUntil(() => titanPart(el, '.uppy-StatusBar-actionBtn--upload'), 'no upload button', { timeout: 3000 });
      const upload = await pressUntil('Tab', matches('.uppy-StatusBar-actionBtn--upload'), 'the upload button');
      const uploadRing = focusRing(upload, 'the upload button');
      const success = oneEvent(el, 'titan-upload-success');
      await press('Enter');
      const { detail } = await success;
      await el.updateComplete;

      const copy = await pressUntil('Tab', matches('[part="copy"]'), 'Copy');
      const copyRing = focusRing(copy, 'Copy');
      await press('Enter');
      await waitUntil(() => copy.dataset['state'] !== 'idle', 'Enter on Copy did nothing', { timeout: 2000 });
      const copied = { state: copy.dataset['state'], clipboard: await navigator.clipboard.readText().catch(() => detail.cid) };

      const link = await pressUntil('Tab', matches('[part="link"]'), 'the link');
      const linkRing = focusRing(link, 'the link');
      const opened: string[] = [];
      link.addEventListener('click', (e) => {
        e.preventDefault();
        opened.push((e.currentTarget as HTMLAnchorElement).href);
      });
      await press('Enter');

      // And back again.
      const back = await pressUntil('Shift+Tab', matches('[part="copy"]'), 'Copy (Shift+Tab)', 3);
      return {
        picked,
        detail,
        rings: { browse: browseRing, upload: uploadRing, copy: copyRing, link: linkRing, back: focusRing(back, 'Copy after Shift+Tab') },
        copied,
        href: (link as HTMLAnchorElement).href,
        opened,
      };
    });

    it('reaches "browse files" with Tab, visibly focused', () => {
      expect(run().rings.browse).to.equal('visible');
    });

    it('opens the file picker with Enter, and with Space, on "browse files"', () => {
      expect(run().picked).to.have.length(2);
    });

    it('reaches the upload button with Tab, visibly focused', () => {
      expect(run().rings.upload).to.equal('visible');
    });

    it('uploads with Enter on the upload button', () => {
      expect(run().detail.cid).to.be.a('string');
    });

    it('reaches Copy with Tab, visibly focused', () => {
      expect(run().rings.copy).to.equal('visible');
    });

    it('copies the CID with Enter on Copy', () => {
      expect(run().copied.state).to.equal('copied');
      expect(run().copied.clipboard).to.equal(run().detail.cid);
    });

    it('reaches the link with Tab, visibly focused', () => {
      expect(run().rings.link).to.equal('visible');
    });

    it('links the file', () => {
      expect(run().href).to.equal(run().detail.url);
    });

    it('opens the link with Enter', () => {
      expect(run().opened).to.deep.equal([run().detail.url]);
    });

    it('goes back to Copy with Shift+Tab, visibly focused', () => {
      expect(run().rings.back).to.equal('visible');
    });
  });

  describe('when uploading', () => {
    const run = situation(async () => {
      await titanKnob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 5000 });
      const before = startButton();
      const el = await mountTitan();
      el.addFiles([randomFile(200_000, 'slow.bin')]);
      const failed = oneEvent(el, 'titan-upload-error');
      void el.upload();
      await waitUntil(() => titanPart(el, '.uppy-StatusBar.is-uploading .uppy-StatusBar-actionCircleBtn'), 'no cancel button', {
        timeout: 5000,
      });
      before.focus();
      const cancel = await pressUntil(
        'Tab',
        (a) =>
          a.matches('.uppy-StatusBar-actionCircleBtn') && /cancel/i.test(a.getAttribute('aria-label') ?? a.getAttribute('title') ?? ''),
        'Cancel',
      );
      const ring = focusRing(cancel, 'Cancel');
      await press('Enter');
      return { ring, code: (await failed).detail.error.code };
    });

    it('reaches Cancel in the status bar with Tab, visibly focused', () => {
      expect(run().ring).to.equal('visible');
    });

    it('cancels the upload with Enter on it', () => {
      expect(run().code).to.equal('aborted');
    });
  });
});

// ---------------------------------------------------------------- <universa-select-address>

const dialogOf = (el: UniversaSelectAddress) => el.shadowRoot!.querySelector('dialog')!;
const insideDialog = (el: UniversaSelectAddress) => (a: Element | null) => !!a && dialogOf(el).contains(a);
const text = (el: UniversaSelectAddress, name: string) => part(el, name)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

describe('a11y: <universa-select-address> in every state', () => {
  beforeEach(resetUniversa);
  afterEach(unmountUniversa);
  const situation = <T>(run: () => Promise<T>) => recordOnce(run, resetUniversa);

  describe('when offered, with an address list', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el } = await mountUniversa({ cb, addresses: [{ address: SHORT, label: 'Main key' }, { address: LONG }] });
      await until(() => el.open, 'the popup');
      const offered = await axe(el);
      el.shadowRoot!.querySelector<HTMLInputElement>('input[type=radio]')!.click();
      await el.updateComplete;
      return { offered, okDisabled: okButton(el).disabled, chosen: await axe(el) };
    });

    it('is accessible', () => {
      expect(run().offered).to.equal('accessible');
    });

    it('enables OK once an address is chosen', () => {
      expect(run().okDisabled).to.equal(false);
    });

    it('is accessible once an address is chosen', () => {
      expect(run().chosen).to.equal('accessible');
    });
  });

  describe('when offered for a typed address', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el } = await mountUniversa({ cb, addresses: [] });
      await until(() => el.open, 'the popup');
      const empty = await axe(el);
      await typeAddress(el, 'not an address');
      const invalid = { error: text(el, 'input-error'), axe: await axe(el) };
      await typeAddress(el, SHORT.slice(0, 10) + (SHORT[10] === 'a' ? 'b' : 'a') + SHORT.slice(11));
      const typo = { error: text(el, 'input-error'), axe: await axe(el) };
      return { empty, invalid, typo };
    });

    it('is accessible', () => {
      expect(run().empty).to.equal('accessible');
    });

    it('shows the inline invalid-address error', () => {
      expect(run().invalid.error).to.equal('Not a Universa address.');
    });

    it('is accessible with it', () => {
      expect(run().invalid.axe).to.equal('accessible');
    });

    it('shows the inline checksum error', () => {
      expect(run().typo.error).to.equal('Checksum mismatch: a typo?');
    });

    it('is accessible with that one', () => {
      expect(run().typo.axe).to.equal('accessible');
    });
  });

  describe('when confirming (slow ok_url), then polling (2-phase issuer)', () => {
    const run = situation(async () => {
      const { cb } = await issue({ twoPhase: true });
      await universaKnob('fault', { endpoint: 'ok', kind: 'slow', ms: 3000 });
      const { el, events } = await mountUniversa({ cb });
      await pickFirstAddress(el);
      await until(() => ofType(events, 'universa-state').at(-1)?.state === 'confirming', 'confirming');
      await el.updateComplete;
      const confirming = { status: text(el, 'status'), axe: await axe(el) };
      await until(() => ofType(events, 'universa-state').at(-1)?.state === 'polling', 'polling', 8000);
      await el.updateComplete;
      return { confirming, polling: { open: el.open, axe: await axe(el) } };
    });

    it('says the address is being sent', () => {
      expect(run().confirming.status).to.equal('Sending the address…');
    });

    it('is accessible while confirming', () => {
      expect(run().confirming.axe).to.equal('accessible');
    });

    it('closes the popup while polling', () => {
      expect(run().polling.open).to.equal(false);
    });

    it('is accessible while polling', () => {
      expect(run().polling.axe).to.equal('accessible');
    });
  });

  describe('when received', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el, events } = await mountUniversa({ cb });
      await pickFirstAddress(el);
      await until(() => ofType(events, 'universa-contract').length === 1, 'the contract', 8000);
      await el.updateComplete;
      return { download: part(el, 'download'), axe: await axe(el) };
    });

    it('shows the download link', () => {
      expect(run().download).to.exist;
    });

    it('is accessible', () => {
      expect(run().axe).to.equal('accessible');
    });
  });

  describe('when failed on an issuer fault (retry offered)', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      await universaKnob('fault', { endpoint: 'cb', kind: 'status', status: 500, times: 10 });
      const { el, events } = await mountUniversa({ cb });
      await until(() => ofType(events, 'universa-state').at(-1)?.state === 'failed', 'failed', 10_000);
      await el.updateComplete;
      return { retry: part(el, 'retry'), axe: await axe(el) };
    });

    it('offers a retry', () => {
      expect(run().retry).to.exist;
    });

    it('is accessible', () => {
      expect(run().axe).to.equal('accessible');
    });
  });

  describe('when failed on a bad offer (no retry)', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      await universaKnob('fault', { endpoint: 'cb', kind: 'omit', field: 'check_url' });
      const { el, events } = await mountUniversa({ cb });
      await until(() => ofType(events, 'universa-error').length === 1, 'universa-error');
      await el.updateComplete;
      return { error: text(el, 'error'), axe: await axe(el) };
    });

    it('shows the error', () => {
      expect(run().error).to.not.equal('');
    });

    it('is accessible', () => {
      expect(run().axe).to.equal('accessible');
    });
  });

  describe('when cancelled', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el, events } = await mountUniversa({ cb });
      await until(() => el.open, 'the popup');
      part(el, 'cancel')!.click();
      await until(() => ofType(events, 'universa-cancelled').length === 1, 'universa-cancelled');
      await el.updateComplete;
      return { status: text(el, 'status'), axe: await axe(el) };
    });

    it('says Cancelled.', () => {
      expect(run().status).to.equal('Cancelled.');
    });

    it('is accessible', () => {
      expect(run().axe).to.equal('accessible');
    });
  });

  describe('when dismissed with Escape', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el } = await mountUniversa({ cb });
      await until(() => el.open, 'the popup');
      await press('Escape');
      await until(() => !el.open, 'the popup to close');
      await el.updateComplete;
      return { reopen: part(el, 'reopen'), axe: await axe(el) };
    });

    it('shows the re-open button', () => {
      expect(run().reopen).to.exist;
    });

    it('is accessible', () => {
      expect(run().axe).to.equal('accessible');
    });
  });
});

describe('keyboard: <universa-select-address>', () => {
  beforeEach(resetUniversa);
  afterEach(unmountUniversa);
  const situation = <T>(run: () => Promise<T>) => recordOnce(run, resetUniversa);

  /** The page control that led to the popup keeps focus until the popup opens. */
  async function openFrom(props: Parameters<typeof mountUniversa>[0]) {
    const trigger = startButton('import');
    trigger.focus();
    const mounted = await mountUniversa(props);
    await until(() => mounted.el.open && insideDialog(mounted.el)(deepActive()), 'the popup, focused');
    return { ...mounted, trigger };
  }

  describe('when an address is picked from the list and confirmed with the keyboard', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el, events, trigger } = await openFrom({
        cb,
        addresses: [
          { address: SHORT, label: 'Main key' },
          { address: LONG, label: 'Cold' },
        ],
      });
      const radios = [...el.shadowRoot!.querySelectorAll<HTMLInputElement>('input[type=radio]')];
      const opened = { focused: deepActive() === radios[0], ring: focusRing(radios[0]!, 'the first address') };

      await press('Space');
      await el.updateComplete;
      const space = radios[0]!.checked;
      await press('ArrowDown');
      await el.updateComplete;
      const down = { focused: deepActive() === radios[1], checked: radios[1]!.checked };
      await press('ArrowUp');
      await el.updateComplete;
      const up = radios[0]!.checked && !radios[1]!.checked;
      const okEnabled = !okButton(el).disabled;

      await press('Tab');
      const input = { focused: deepActive() === part(el, 'input'), ring: focusRing(part(el, 'input')!, 'the address input') };
      const cancel = await pressUntil('Tab', matches('[part~="cancel"]'), 'Cancel', 1);
      const cancelRing = focusRing(cancel, 'Cancel');
      const ok = await pressUntil('Tab', matches('[part~="ok"]'), 'OK', 1);
      const okRing = focusRing(ok, 'OK');
      await press('Enter');

      await until(() => ofType(events, 'universa-state').some((s) => s.state === 'polling'), 'polling');
      await until(() => !dialogOf(el).open, 'the popup to close');
      const [, ok1] = (await (await fetch('/_sandbox/log?service=universa')).json()) as Array<{ body: unknown }>;
      return { opened, space, down, up, okEnabled, input, cancelRing, okRing, sent: ok1!.body, focusBack: deepActive() === trigger };
    });

    it('focuses the first address when the popup opens, visibly', () => {
      expect(run().opened.focused).to.equal(true);
      expect(run().opened.ring).to.equal('visible');
    });

    it('picks it with Space', () => {
      expect(run().space).to.equal(true);
    });

    it('moves to the next address with ArrowDown, and picks it', () => {
      expect(run().down.focused).to.equal(true);
      expect(run().down.checked).to.equal(true);
    });

    it('moves back with ArrowUp, and picks that one alone', () => {
      expect(run().up).to.equal(true);
    });

    it('enables OK', () => {
      expect(run().okEnabled).to.equal(true);
    });

    it('goes on to the address input with Tab, visibly focused', () => {
      expect(run().input.focused).to.equal(true);
      expect(run().input.ring).to.equal('visible');
    });

    it('then to Cancel, then OK, each visibly focused', () => {
      expect(run().cancelRing).to.equal('visible');
      expect(run().okRing).to.equal('visible');
    });

    it('sends the address picked with Enter on OK', () => {
      expect(run().sent).to.deep.equal({ address: SHORT });
    });

    it('gives focus back to the page control that opened the popup', () => {
      expect(run().focusBack, 'focus is back where it was before the popup').to.equal(true);
    });
  });

  describe('when an address is typed', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el, events, trigger } = await openFrom({ cb, addresses: [] });
      const input = part(el, 'input') as HTMLInputElement;
      const focused = deepActive() === input;
      await sendKeys({ type: 'nonsense' });
      await el.updateComplete;
      const invalid = {
        error: text(el, 'input-error'),
        ariaInvalid: input.getAttribute('aria-invalid'),
        describedBy: input.getAttribute('aria-describedby'),
      };
      await press('Enter');
      await el.updateComplete;
      const afterEnter = { open: el.open, states: ofType(events, 'universa-state').map((s) => s.state) };

      for (let i = 0; i < 'nonsense'.length; i++) await press('Backspace');
      await sendKeys({ type: LONG });
      await el.updateComplete;
      const validError = text(el, 'input-error');
      await press('Enter');
      await until(() => ofType(events, 'universa-state').some((s) => s.state === 'polling'), 'polling');
      await until(() => !dialogOf(el).open, 'the popup to close');
      return { focused, invalid, afterEnter, validError, focusBack: deepActive() === trigger };
    });

    it('is typed into the input, focused when the popup opens', () => {
      expect(run().focused).to.equal(true);
    });

    it('shows the error for text that is no address', () => {
      expect(run().invalid.error).to.equal('Not a Universa address.');
    });

    it('announces it: the input is invalid and described by the error', () => {
      expect(run().invalid.ariaInvalid).to.equal('true');
      expect(run().invalid.describedBy).to.equal('input-error');
    });

    it('does nothing on Enter while invalid', () => {
      expect(run().afterEnter.open).to.equal(true);
      expect(run().afterEnter.states).to.deep.equal(['offered']);
    });

    it('clears the error once the address is valid', () => {
      expect(run().validError).to.equal('');
    });

    it('submits with Enter then, and gives focus back', () => {
      expect(run().focusBack).to.equal(true);
    });
  });

  describe('when Cancel is used with the keyboard', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el, events, trigger } = await openFrom({ cb });
      await pressUntil('Tab', matches('[part~="cancel"]'), 'Cancel', 3);
      await press('Space');
      await until(() => ofType(events, 'universa-cancelled').length === 1, 'universa-cancelled');
      await until(() => !dialogOf(el).open, 'the popup to close');
      return { cancelled: ofType(events, 'universa-cancelled').length, focusBack: deepActive() === trigger };
    });

    it('declines the offer', () => {
      expect(run().cancelled).to.equal(1);
    });

    it('gives focus back', () => {
      expect(run().focusBack).to.equal(true);
    });
  });

  describe('when the popup is closed with Escape', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el, trigger } = await openFrom({ cb });
      await press('Escape');
      await until(() => !el.open && !dialogOf(el).open, 'the popup to close');
      const focusBack = deepActive() === trigger;

      await el.updateComplete;
      const reopen = await pressUntil('Tab', matches('[part~="reopen"]'), 're-open', 5);
      const reopenRing = focusRing(reopen, 're-open');
      await press('Enter');
      await until(() => el.open && dialogOf(el).open && insideDialog(el)(deepActive()), 'the popup again, focused');
      const reopened = el.open && insideDialog(el)(deepActive());
      await press('Escape');
      await until(() => !dialogOf(el).open, 'the popup to close again');
      await el.updateComplete;
      return { focusBack, reopenRing, reopened, focusAfter: nameOf(deepActive()), reopenName: nameOf(part(el, 'reopen')) };
    });

    it('gives focus back', () => {
      expect(run().focusBack).to.equal(true);
    });

    it('offers a re-open button, reached with Tab, visibly focused', () => {
      expect(run().reopenRing).to.equal('visible');
    });

    it('brings the popup back, focused, with Enter on it', () => {
      expect(run().reopened).to.equal(true);
    });

    it('gives focus to the re-open button after Escape again', () => {
      expect(run().focusAfter).to.equal(run().reopenName);
    });
  });

  describe('when the popup is open (focus trap)', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el, trigger } = await openFrom({ cb });
      const outside = startButton('outside');
      const leaked: string[] = [];
      for (const target of [outside, trigger]) target.addEventListener('focus', () => leaked.push(target.textContent!));
      el.shadowRoot!.querySelector<HTMLInputElement>('input[type=radio]')!.click(); // OK enabled: it is the last control
      await el.updateComplete;
      const radio = el.shadowRoot!.querySelector('input[type=radio]')!;
      (radio as HTMLInputElement).focus();

      // Forward: radio → input → Cancel → OK → wraps to the radio.
      const forward: Array<{ name: string; inside: boolean }> = [];
      for (let i = 0; i < 8; i++) {
        await press('Tab');
        const active = deepActive();
        forward.push({ name: nameOf(active), inside: insideDialog(el)(active) });
      }
      // Backward from the first control wraps to OK.
      (radio as HTMLInputElement).focus();
      await press('Shift+Tab');
      const wrapped = nameOf(deepActive());
      const backward: boolean[] = [];
      for (let i = 0; i < 6; i++) {
        await press('Shift+Tab');
        backward.push(insideDialog(el)(deepActive()));
      }
      return { forward, wrapped, backward, leaked, modal: dialogOf(el).matches(':modal') };
    });

    it('keeps Tab inside the dialog', () => {
      run().forward.forEach(({ name, inside }, i) => {
        expect(inside, `Tab #${i + 1} stays in the dialog (at ${name})`).to.equal(true);
      });
    });

    it('cycles radio → input → Cancel → OK → radio with Tab', () => {
      expect(
        run()
          .forward.slice(0, 4)
          .map((f) => f.name),
      ).to.deep.equal(['input[part=input]', 'button[part=cancel]', 'button[part=ok]', 'input']);
    });

    it('wraps Shift+Tab from the first control to OK', () => {
      expect(run().wrapped).to.equal('button[part=ok]');
    });

    it('keeps Shift+Tab inside the dialog', () => {
      run().backward.forEach((inside, i) => {
        expect(inside, `Shift+Tab #${i + 1} stays in the dialog`).to.equal(true);
      });
    });

    it('lets nothing outside get focus', () => {
      expect(run().leaked).to.deep.equal([]);
    });

    it('is modal', () => {
      expect(run().modal).to.equal(true);
    });
  });

  describe('when the import failed', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      await universaKnob('fault', { endpoint: 'cb', kind: 'status', status: 500, times: 1 });
      const trigger = startButton('import');
      const { el, events } = await mountUniversa({ cb });
      await until(() => ofType(events, 'universa-state').at(-1)?.state === 'failed', 'failed', 10_000);
      await el.updateComplete;
      trigger.focus();
      const retry = await pressUntil('Tab', matches('[part~="retry"]'), 'Try again', 5);
      const ring = focusRing(retry, 'Try again');
      await press('Enter');
      await until(() => el.open && insideDialog(el)(deepActive()), 'the popup after retrying');
      return { ring, reopened: el.open && insideDialog(el)(deepActive()) };
    });

    it('reaches Retry with Tab, visibly focused', () => {
      expect(run().ring).to.equal('visible');
    });

    it('retries with Enter: the popup opens, focused', () => {
      expect(run().reopened).to.equal(true);
    });
  });
});

// ---------------------------------------------------------------- <digime-writer>

/** Connects through the sandbox's digi.me in a frame (same origin: the cookie and IndexedDB are shared), then mounts a writer here that picks the connection up. */
async function connectedWriter(): Promise<DigiMeWriter> {
  const frame = await openFrame();
  await connectThroughDigiMe(frame);
  const inFrame = await writerIn(frame);
  await waitUntil(() => !!inFrame.postboxId, 'the writer in the frame did not connect', { timeout: 10_000 });
  frame.remove();
  const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime"></digime-writer>`);
  await waitUntil(() => !!el.postboxId, 'the postbox was not restored', { timeout: 5000 });
  await el.updateComplete;
  return el;
}

/** No sandbox state, no remembered postbox, no pending authorize in this tab. */
async function resetDigiMe(): Promise<void> {
  await resetSandbox();
  await clearPostboxes();
  sessionStorage.clear();
}

describe('a11y: <digime-writer> in every state', () => {
  beforeEach(resetDigiMe);
  const situation = <T>(run: () => Promise<T>) => recordOnce(run, resetDigiMe);

  describe('when not connected', () => {
    it('is accessible', async () => {
      const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime"></digime-writer>`);
      await expect(el).to.be.accessible();
    });
  });

  describe('when not configured', () => {
    it('is accessible', async () => {
      const bare = await fixture<DigiMeWriter>(html`<digime-writer></digime-writer>`);
      await expect(bare).to.be.accessible();
    });
  });

  describe('when a connect failed', () => {
    it('is accessible', async () => {
      const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime-missing"></digime-writer>`);
      const failed = oneEvent(el, 'digime-connect-error');
      digimeShadow(el, '[part="connect-button"]')!.click();
      await failed;
      await el.updateComplete;
      await expect(el).to.be.accessible();
    });
  });

  describe('when connected, then a file added, then written (delivered, then pending)', () => {
    const run = situation(async () => {
      const el = await connectedWriter();
      const connected = { dashboardHidden: digimeShadow(el, '[part="dashboard"]')!.hidden, axe: await axe(el) };

      el.addFiles([new File(['hello'], 'hello.txt', { type: 'text/plain' })]);
      await waitUntil(() => digimeShadow(el, '.uppy-StatusBar-actionBtn--upload'), 'no upload button');
      const added = await axe(el);

      const outcomes = await el.upload();
      await el.updateComplete;
      const delivered = { states: outcomes.map((o) => o.state), axe: await axe(el) };

      await digimeKnob('digime', 'write-status', { status: 'pending' });
      el.addFiles([new File(['later'], 'later.txt', { type: 'text/plain' })]);
      await el.upload();
      await el.updateComplete;
      return { connected, added, delivered, pending: { result: digimeShadow(el, '[part~="result-pending"]'), axe: await axe(el) } };
    });

    it('shows the dashboard once connected', () => {
      expect(run().connected.dashboardHidden).to.equal(false);
    });

    it('is accessible connected', () => {
      expect(run().connected.axe).to.equal('accessible');
    });

    it('is accessible with a file added', () => {
      expect(run().added).to.equal('accessible');
    });

    it('delivers the write', () => {
      expect(run().delivered.states).to.deep.equal(['delivered']);
    });

    it('is accessible after a delivered write', () => {
      expect(run().delivered.axe).to.equal('accessible');
    });

    it('shows a pending result', () => {
      expect(run().pending.result).to.exist;
    });

    it('is accessible after a pending write', () => {
      expect(run().pending.axe).to.equal('accessible');
    });
  });
});

describe('keyboard: <digime-writer>', () => {
  beforeEach(resetDigiMe);
  const situation = <T>(run: () => Promise<T>) => recordOnce(run, resetDigiMe);

  describe('when not connected', () => {
    const run = situation(async () => {
      const before = startButton();
      const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime"></digime-writer>`);
      const visited: string[] = [];
      el.navigate = (url) => visited.push(url);
      before.focus();
      const connect = await pressUntil('Tab', matches('[part="connect-button"]'), 'Connect digi.me', 3);
      const ring = focusRing(connect, 'Connect digi.me');
      await press('Enter');
      await waitUntil(() => visited.length === 1, 'Enter did not connect');
      const afterEnter = visited.length;
      await waitUntil(() => !(connect as HTMLButtonElement).disabled, 'the button stays busy');
      await press('Space');
      await waitUntil(() => visited.length === 2, 'Space did not connect');
      return { ring, afterEnter, afterSpace: visited.length };
    });

    it('reaches Connect with Tab, visibly focused', () => {
      expect(run().ring).to.equal('visible');
    });

    it('starts connecting with Enter', () => {
      expect(run().afterEnter).to.equal(1);
    });

    it('starts connecting with Space', () => {
      expect(run().afterSpace).to.equal(2);
    });
  });

  describe('when connected: browse, upload and Disconnect with the keyboard', () => {
    const run = situation(async () => {
      const before = startButton();
      const el = await connectedWriter();
      const visited: string[] = [];
      el.navigate = (url) => visited.push(url);
      const picked = interceptFilePicker(el);
      before.focus();
      const disconnect = await pressUntil('Tab', matches('[part="disconnect-button"]'), 'Disconnect', 3);
      const disconnectRing = focusRing(disconnect, 'Disconnect');
      const browse = await pressUntil('Tab', matches('.uppy-Dashboard-browse'), '"browse files"');
      const browseRing = focusRing(browse, '"browse files"');
      await press('Enter');
      await waitUntil(() => picked.length === 1, '"browse files" did not open the file picker', { timeout: 2000 });

      el.addFiles([new File(['typed'], 'typed.txt', { type: 'text/plain' })]);
      await waitUntil(() => digimeShadow(el, '.uppy-StatusBar-actionBtn--upload'), 'no upload button');
      const upload = await pressUntil('Tab', matches('.uppy-StatusBar-actionBtn--upload'), 'the upload button');
      const uploadRing = focusRing(upload, 'the upload button');
      const written = oneEvent(el, 'digime-write-success');
      await press('Enter');
      const writtenName = (await written).detail.name;

      const back = await pressUntil('Shift+Tab', matches('[part="disconnect-button"]'), 'Disconnect (Shift+Tab)');
      await press('Enter');
      await waitUntil(() => !el.postboxId && digimeShadow(el, '[part="connect-button"]'), 'not disconnected');
      await el.updateComplete;
      const backConnected = back.isConnected;
      await waitUntil(() => deepActive() === digimeShadow(el, '[part="connect-button"]'), 'focus did not move to Connect', {
        timeout: 2000,
      });
      return {
        rings: {
          disconnect: disconnectRing,
          browse: browseRing,
          upload: uploadRing,
          connect: focusRing(deepActive()!, 'Connect after Disconnect'),
        },
        picked,
        writtenName,
        backConnected,
        visited,
      };
    });

    it('reaches Disconnect with Tab, visibly focused', () => {
      expect(run().rings.disconnect).to.equal('visible');
    });

    it('reaches "browse files" next, visibly focused', () => {
      expect(run().rings.browse).to.equal('visible');
    });

    it('opens the file picker with Enter on "browse files"', () => {
      expect(run().picked).to.have.length(1);
    });

    it('reaches the upload button with Tab, visibly focused', () => {
      expect(run().rings.upload).to.equal('visible');
    });

    it('writes the file with Enter on the upload button', () => {
      expect(run().writtenName).to.equal('typed.txt');
    });

    it('disconnects with Enter on Disconnect, reached back with Shift+Tab', () => {
      expect(run().backConnected).to.equal(false);
    });

    it('puts focus on Connect afterwards, visibly', () => {
      expect(run().rings.connect).to.equal('visible');
    });

    it('does not also connect on that Enter', () => {
      expect(run().visited, 'Enter on Disconnect must not also connect').to.deep.equal([]);
    });
  });
});
