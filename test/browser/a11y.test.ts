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

/** Focused by keyboard and visibly so: `:focus-visible`, and a real outline or box-shadow. */
function expectFocusRing(el: Element, what: string): void {
  expect(el.matches(':focus-visible'), `${what} matches :focus-visible`).to.equal(true);
  const cs = getComputedStyle(el);
  const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
  const shadow = cs.boxShadow !== 'none' && cs.boxShadow !== '';
  expect(
    outline || shadow,
    `${what} shows a focus indicator (outline ${cs.outlineStyle} ${cs.outlineWidth}, box-shadow ${cs.boxShadow})`,
  ).to.equal(true);
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

  it('browse files, upload, Copy and the link are reached and used with the keyboard, each visibly focused', async () => {
    const before = startButton();
    const el = await mountTitan();
    const picked = interceptFilePicker(el);
    before.focus();

    const browse = await pressUntil('Tab', matches('.uppy-Dashboard-browse'), '"browse files"');
    expectFocusRing(browse, '"browse files"');
    await press('Enter');
    await waitUntil(() => picked.length === 1, '"browse files" did not open the file picker', { timeout: 2000 });
    await press('Space');
    await waitUntil(() => picked.length === 2, 'Space on "browse files" did not open the file picker', { timeout: 2000 });

    // What the picker would hand over.
    el.addFiles([randomFile(3000, 'keyboard.bin')]);
    await waitUntil(() => titanPart(el, '.uppy-StatusBar-actionBtn--upload'), 'no upload button', { timeout: 3000 });
    const upload = await pressUntil('Tab', matches('.uppy-StatusBar-actionBtn--upload'), 'the upload button');
    expectFocusRing(upload, 'the upload button');
    const success = oneEvent(el, 'titan-upload-success');
    await press('Enter');
    const { detail } = await success;
    await el.updateComplete;

    const copy = await pressUntil('Tab', matches('[part="copy"]'), 'Copy');
    expectFocusRing(copy, 'Copy');
    await press('Enter');
    await waitUntil(() => copy.dataset['state'] !== 'idle', 'Enter on Copy did nothing', { timeout: 2000 });
    expect(copy.dataset['state']).to.equal('copied');
    expect(await navigator.clipboard.readText().catch(() => detail.cid)).to.equal(detail.cid);

    const link = await pressUntil('Tab', matches('[part="link"]'), 'the link');
    expectFocusRing(link, 'the link');
    expect((link as HTMLAnchorElement).href).to.equal(detail.url);
    const opened: string[] = [];
    link.addEventListener('click', (e) => {
      e.preventDefault();
      opened.push((e.currentTarget as HTMLAnchorElement).href);
    });
    await press('Enter');
    expect(opened).to.deep.equal([detail.url]);

    // And back again.
    const back = await pressUntil('Shift+Tab', matches('[part="copy"]'), 'Copy (Shift+Tab)', 3);
    expectFocusRing(back, 'Copy after Shift+Tab');
  });

  it('Cancel in the status bar is reachable while uploading', async () => {
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
      (a) => a.matches('.uppy-StatusBar-actionCircleBtn') && /cancel/i.test(a.getAttribute('aria-label') ?? a.getAttribute('title') ?? ''),
      'Cancel',
    );
    expectFocusRing(cancel, 'Cancel');
    await press('Enter');
    expect((await failed).detail.error.code).to.equal('aborted');
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

  /** The page control that led to the popup keeps focus until the popup opens. */
  async function openFrom(props: Parameters<typeof mountUniversa>[0]) {
    const trigger = startButton('import');
    trigger.focus();
    const mounted = await mountUniversa(props);
    await until(() => mounted.el.open && insideDialog(mounted.el)(deepActive()), 'the popup, focused');
    return { ...mounted, trigger };
  }

  it('picks an address with the arrow keys and Space, confirms with Enter; focus returns to the page', async () => {
    const { cb } = await issue();
    const { el, events, trigger } = await openFrom({
      cb,
      addresses: [
        { address: SHORT, label: 'Main key' },
        { address: LONG, label: 'Cold' },
      ],
    });
    const radios = [...el.shadowRoot!.querySelectorAll<HTMLInputElement>('input[type=radio]')];
    expect(deepActive()).to.equal(radios[0]);
    expectFocusRing(radios[0]!, 'the first address');

    await press('Space');
    await el.updateComplete;
    expect(radios[0]!.checked).to.equal(true);
    await press('ArrowDown');
    await el.updateComplete;
    expect(deepActive()).to.equal(radios[1]);
    expect(radios[1]!.checked).to.equal(true);
    await press('ArrowUp');
    await el.updateComplete;
    expect(radios[0]!.checked && !radios[1]!.checked).to.equal(true);
    expect(okButton(el).disabled).to.equal(false);

    await press('Tab');
    expect(deepActive()).to.equal(part(el, 'input'));
    expectFocusRing(part(el, 'input')!, 'the address input');
    const cancel = await pressUntil('Tab', matches('[part~="cancel"]'), 'Cancel', 1);
    expectFocusRing(cancel, 'Cancel');
    const ok = await pressUntil('Tab', matches('[part~="ok"]'), 'OK', 1);
    expectFocusRing(ok, 'OK');
    await press('Enter');

    await until(() => ofType(events, 'universa-state').some((s) => s.state === 'polling'), 'polling');
    await until(() => !dialogOf(el).open, 'the popup to close');
    const [, ok1] = (await (await fetch('/_sandbox/log?service=universa')).json()) as Array<{ body: unknown }>;
    expect(ok1!.body).to.deep.equal({ address: SHORT });
    expect(deepActive(), 'focus is back where it was before the popup').to.equal(trigger);
  });

  it('types an address: the error is announced, Enter does nothing until it is valid, then submits', async () => {
    const { cb } = await issue();
    const { el, events, trigger } = await openFrom({ cb, addresses: [] });
    const input = part(el, 'input') as HTMLInputElement;
    expect(deepActive()).to.equal(input);
    await sendKeys({ type: 'nonsense' });
    await el.updateComplete;
    expect(text(el, 'input-error')).to.equal('Not a Universa address.');
    expect(input.getAttribute('aria-invalid')).to.equal('true');
    expect(input.getAttribute('aria-describedby')).to.equal('input-error');
    await press('Enter');
    await el.updateComplete;
    expect(el.open).to.equal(true);
    expect(ofType(events, 'universa-state').map((s) => s.state)).to.deep.equal(['offered']);

    for (let i = 0; i < 'nonsense'.length; i++) await press('Backspace');
    await sendKeys({ type: LONG });
    await el.updateComplete;
    expect(text(el, 'input-error')).to.equal('');
    await press('Enter');
    await until(() => ofType(events, 'universa-state').some((s) => s.state === 'polling'), 'polling');
    await until(() => !dialogOf(el).open, 'the popup to close');
    expect(deepActive()).to.equal(trigger);
  });

  it('Cancel with the keyboard declines the offer and gives focus back', async () => {
    const { cb } = await issue();
    const { el, events, trigger } = await openFrom({ cb });
    await pressUntil('Tab', matches('[part~="cancel"]'), 'Cancel', 3);
    await press('Space');
    await until(() => ofType(events, 'universa-cancelled').length === 1, 'universa-cancelled');
    await until(() => !dialogOf(el).open, 'the popup to close');
    expect(deepActive()).to.equal(trigger);
  });

  it('Escape closes the popup, focus returns; the re-open button brings it back and gets focus again after Escape', async () => {
    const { cb } = await issue();
    const { el, trigger } = await openFrom({ cb });
    await press('Escape');
    await until(() => !el.open && !dialogOf(el).open, 'the popup to close');
    expect(deepActive()).to.equal(trigger);

    await el.updateComplete;
    const reopen = await pressUntil('Tab', matches('[part~="reopen"]'), 're-open', 5);
    expectFocusRing(reopen, 're-open');
    await press('Enter');
    await until(() => el.open && dialogOf(el).open && insideDialog(el)(deepActive()), 'the popup again, focused');
    await press('Escape');
    await until(() => !dialogOf(el).open, 'the popup to close again');
    await el.updateComplete;
    expect(nameOf(deepActive())).to.equal(nameOf(part(el, 'reopen')));
  });

  it('traps focus: Tab and Shift+Tab cycle inside the dialog, nothing outside gets focus', async () => {
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
    const forward: string[] = [];
    for (let i = 0; i < 8; i++) {
      await press('Tab');
      const active = deepActive();
      expect(insideDialog(el)(active), `Tab #${i + 1} stays in the dialog (at ${nameOf(active)})`).to.equal(true);
      forward.push(nameOf(active));
    }
    expect(forward.slice(0, 4)).to.deep.equal(['input[part=input]', 'button[part=cancel]', 'button[part=ok]', 'input']);
    // Backward from the first control wraps to OK.
    (radio as HTMLInputElement).focus();
    await press('Shift+Tab');
    expect(nameOf(deepActive())).to.equal('button[part=ok]');
    for (let i = 0; i < 6; i++) {
      await press('Shift+Tab');
      expect(insideDialog(el)(deepActive()), `Shift+Tab #${i + 1} stays in the dialog`).to.equal(true);
    }
    expect(leaked).to.deep.equal([]);
    expect(dialogOf(el).matches(':modal')).to.equal(true);
  });

  it('Retry is reachable with the keyboard after a failure', async () => {
    const { cb } = await issue();
    await universaKnob('fault', { endpoint: 'cb', kind: 'status', status: 500, times: 1 });
    const trigger = startButton('import');
    const { el, events } = await mountUniversa({ cb });
    await until(() => ofType(events, 'universa-state').at(-1)?.state === 'failed', 'failed', 10_000);
    await el.updateComplete;
    trigger.focus();
    const retry = await pressUntil('Tab', matches('[part~="retry"]'), 'Try again', 5);
    expectFocusRing(retry, 'Try again');
    await press('Enter');
    await until(() => el.open && insideDialog(el)(deepActive()), 'the popup after retrying');
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

  it('Connect is reached with Tab and started with Enter or Space', async () => {
    const before = startButton();
    const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime"></digime-writer>`);
    const visited: string[] = [];
    el.navigate = (url) => visited.push(url);
    before.focus();
    const connect = await pressUntil('Tab', matches('[part="connect-button"]'), 'Connect digi.me', 3);
    expectFocusRing(connect, 'Connect digi.me');
    await press('Enter');
    await waitUntil(() => visited.length === 1, 'Enter did not connect');
    await waitUntil(() => !(connect as HTMLButtonElement).disabled, 'the button stays busy');
    await press('Space');
    await waitUntil(() => visited.length === 2, 'Space did not connect');
  });

  it('connected: browse, upload and Disconnect with the keyboard; focus lands on Connect afterwards', async () => {
    const before = startButton();
    const el = await connectedWriter();
    const visited: string[] = [];
    el.navigate = (url) => visited.push(url);
    const picked = interceptFilePicker(el);
    before.focus();
    const disconnect = await pressUntil('Tab', matches('[part="disconnect-button"]'), 'Disconnect', 3);
    expectFocusRing(disconnect, 'Disconnect');
    const browse = await pressUntil('Tab', matches('.uppy-Dashboard-browse'), '"browse files"');
    expectFocusRing(browse, '"browse files"');
    await press('Enter');
    await waitUntil(() => picked.length === 1, '"browse files" did not open the file picker', { timeout: 2000 });

    el.addFiles([new File(['typed'], 'typed.txt', { type: 'text/plain' })]);
    await waitUntil(() => digimeShadow(el, '.uppy-StatusBar-actionBtn--upload'), 'no upload button');
    const upload = await pressUntil('Tab', matches('.uppy-StatusBar-actionBtn--upload'), 'the upload button');
    expectFocusRing(upload, 'the upload button');
    const written = oneEvent(el, 'digime-write-success');
    await press('Enter');
    expect((await written).detail.name).to.equal('typed.txt');

    const back = await pressUntil('Shift+Tab', matches('[part="disconnect-button"]'), 'Disconnect (Shift+Tab)');
    await press('Enter');
    await waitUntil(() => !el.postboxId && digimeShadow(el, '[part="connect-button"]'), 'not disconnected');
    await el.updateComplete;
    expect(back.isConnected).to.equal(false);
    await waitUntil(() => deepActive() === digimeShadow(el, '[part="connect-button"]'), 'focus did not move to Connect', { timeout: 2000 });
    expectFocusRing(deepActive()!, 'Connect after Disconnect');
    expect(visited, 'Enter on Disconnect must not also connect').to.deep.equal([]);
  });
});
