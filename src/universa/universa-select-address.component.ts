import { html, nothing } from 'lit';
import { UploadElement } from '../internal/base-element.js';
import { elementLocale, format, Language } from '../internal/i18n.js';
import { parseUniversaAddress, type UniversaAddressError } from './address.js';
import { PROTOCOL_VERSION, type IssuerState } from './protocol.js';
import { resumePendingImports } from './resume.js';
import { ImportSession, type ImportSessionOptions, type ImportState } from './session.js';
import type { ContractSummary } from './summary-client.js';
import { universaLocales, universaStrings, type UniversaStringKey, type UniversaStrings } from './strings.js';
import { universaSelectAddressStyles } from './universa-select-address.styles.js';

export interface UniversaAddressOption {
  address: string;
  label?: string;
}

/** A received contract, as `.received` gives it. */
export interface UniversaReceived {
  cb: string;
  address?: string;
  /** Absent for a cb delivered before whose issuer no longer answers the contract. */
  base64Contract?: string;
  bytes?: Uint8Array;
  /** Set when the contract was delivered (and acknowledged) in an earlier page or tab. */
  delivered?: { at: number; sha256: string };
  /** What it is, once read. */
  summary?: ContractSummary;
}

/** `<universa-select-address>`'s events: name → `detail`. */
export interface UniversaSelectAddressEventMap {
  'universa-state': { cb: string; state: ImportState; issuerState?: IssuerState };
  'universa-contract': { cb: string; address?: string; base64Contract: string; bytes: Uint8Array; summary: ContractSummary };
  'universa-cancelled': { cb: string };
  'universa-error': { cb: string; error: { code: number | string; message: string }; retryable: boolean };
}

/** @deprecated Renamed `UniversaSelectAddressEventMap`, as the other elements name theirs. */
export type UniversaSelectAddressEvents = UniversaSelectAddressEventMap;

/**
 * @tagname universa-select-address
 * @summary The Universa "import tokens" popup: shows the issuer's offer, lets the user choose
 * or type an address, then waits for the contract and offers it as a `.unicon` download.
 * Pending imports survive reloads (IndexedDB) and are polled by one tab at a time.
 *
 * @attr cb - issuer callback URL; when absent, read from the page URL `?iv=1&cb=…`
 * @attr no-input - only the listed addresses can be chosen: no typing or pasting one (a boolean attribute: present means no input)
 * @attr allow-input - deprecated: `allow-input="false"` is `no-input` (HTML boolean attributes cannot be turned off with "false")
 * @attr allow-same-origin - accept a cb on this page's own origin (refused by default: anyone can craft the link)
 * @attr max-contract-bytes - the largest contract accepted, in bytes (default 16 MiB)
 * @attr open - reflects whether the popup is open
 * @attr locale - UI language: `en`, `de`, `ru`, `zh` (Simplified Chinese) or `zh-Hant` (Traditional, also for `zh-TW`, `zh-HK`, `zh-MO`); a region or script tag uses its language (`zh-Hans-CN`, `ru-RU`, `de-AT`), anything else English. Without it the nearest `lang` attribute (the page's `<html lang>`). Languages other than English are fetched when first shown.
 *
 * @event universa-state - `{cb, state, issuerState}`: the import moved on (state: idle, offered, confirming, polling, received, cancelled, failed)
 * @event universa-contract - `{cb, address, base64Contract, bytes, summary}`: the contract arrived (stored first; once per cb: in the tab that polled it, never again for a cb delivered before; `.received` has it afterwards)
 * @event universa-cancelled - `{cb}`: the user or the issuer cancelled
 * @event universa-error - `{cb, error: {code, message}, retryable}`: something failed; retryable ones are retried
 *
 * @csspart dialog - the native `<dialog>`
 * @csspart caption - the issuer's caption (plain text)
 * @csspart text - the issuer's text (plain text)
 * @csspart addresses - the list of addresses to choose from
 * @csspart address - one address option
 * @csspart input - the address input
 * @csspart input-error - the inline validation message
 * @csspart actions - the OK/Cancel row
 * @csspart ok - the OK button
 * @csspart cancel - the Cancel button
 * @csspart status - the live region with the import's progress
 * @csspart error - an error message
 * @csspart retry - the retry button
 * @csspart reopen - re-opens a popup closed with Escape
 * @csspart summary - what the received contract is (kind, amount, issuer, owner, dates, size)
 * @csspart download - the `.unicon` download link
 *
 * @cssproperty --upload-elements-accent - accent color
 * @cssproperty --upload-elements-radius - corner radius
 * @cssproperty --upload-elements-font - Font family (a font shorthand, which this element alone used to take, is still honoured, with a warning)
 */
export class UniversaSelectAddress extends UploadElement<UniversaSelectAddressEventMap> {
  static override styles = universaSelectAddressStyles;

  static override properties = {
    cb: { type: String },
    addresses: { attribute: false },
    allowInput: { attribute: 'allow-input', converter: { fromAttribute: allowInputFromAttribute } },
    noInput: { type: Boolean, attribute: 'no-input' },
    open: { type: Boolean, reflect: true },
    allowSameOrigin: { type: Boolean, attribute: 'allow-same-origin' },
    maxContractBytes: { type: Number, attribute: 'max-contract-bytes' },
    locale: { type: String },
    strings: { attribute: false },
    picked: { state: true },
    typed: { state: true },
  };

  // Reactive properties are declared (their accessors come from `properties`) and set in the
  // constructor, the same under either class-field semantics.
  declare cb?: string;
  declare addresses: UniversaAddressOption[];
  /** Typing or pasting an address is offered (default); false or `no-input` offers only the list. */
  declare allowInput: boolean;
  /** Only the listed addresses can be chosen (the `no-input` attribute). */
  declare noInput: boolean;
  declare open: boolean;
  declare allowSameOrigin: boolean;
  declare maxContractBytes?: number;
  declare locale?: string;
  /** Replaces single entries of the string table. */
  declare strings?: Partial<UniversaStrings>;

  declare protected picked: string;
  declare protected typed: string;
  #session?: ImportSession;
  #bootError?: UniversaSelectAddressEventMap['universa-error'];
  #download?: string;
  /** The language shown; another one is fetched on first use, and shown once it is in. */
  readonly #language = new Language(this, universaStrings, universaLocales);
  /** Settles when the popup may open: its language table is in, or took too long. */
  #opening?: Promise<unknown>;
  /** Aborted on disconnect: disposes every session this element started. */
  #connection?: AbortController;

  constructor() {
    super();
    this.addresses = [];
    this.allowInput = true;
    this.noInput = false;
    this.open = false;
    this.allowSameOrigin = false;
    this.picked = this.typed = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#boot((this.#connection = new AbortController()).signal);
  }

  override firstUpdated(): void {
    honourFontShorthand(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    // A removed modal dialog stays open but not modal; the next connect opens it afresh.
    this.open = false;
    this.#connection?.abort();
    this.#setDownload();
  }

  /**
   * The contract of the import shown, once received, also when it was delivered before (then
   * `delivered` says when, and the bytes are there if the issuer still answers them): what an app
   * reads instead of waiting for a `universa-contract` that comes once per cb.
   */
  get received(): UniversaReceived | undefined {
    const session = this.#session;
    if (session?.state !== 'received') return undefined;
    return { cb: session.cb, address: session.address, ...session.contract, delivered: session.delivered, summary: session.summary };
  }

  /** POSTs cb and shows the popup; re-opens it if it was dismissed; after a failure, tries again. */
  async start(): Promise<void> {
    const cb = this.#linkCb();
    // Without a link, the import shown is the one restored from storage.
    const session = !cb || this.#session?.cb === cb ? this.#session : undefined;
    if (session?.state === 'offered') this.open = true;
    else if (session?.state === 'failed') await session.start();
    else if (cb && session?.state !== 'polling' && session?.state !== 'confirming') await this.#show(cb);
  }

  /** Declines the offer: POSTs cancel_url and forgets the import. */
  async cancel(): Promise<void> {
    await this.#session?.cancel();
  }

  override willUpdate(): void {
    this.#language.update();
  }

  override updated(): void {
    // Always rendered, so always there after an update.
    const dialog = this.renderRoot.querySelector('dialog')!;
    if (this.open && !dialog.open && this.#session?.offer && this.isConnected) dialog.showModal();
    else if (!this.open && dialog.open) dialog.close();
  }

  override render() {
    const s = this.#strings();
    const session = this.#session;
    const state = session?.state ?? 'idle';
    const offer = session?.offer;
    const error = session?.error ?? this.#bootError;
    const address = this.#address();
    const errorLine = error
      ? html`
          <p part="error" role="alert">
            ${this.#errorText(error.error, s)}
            ${
              error.retryable
                ? state === 'failed'
                  ? html`<button part="retry" @click=${() => this.start()}>${s.retry}</button>`
                  : s.retrying
                : nothing
            }
          </p>
        `
      : nothing;
    const status =
      state === 'polling' && session?.issuerState === 'in_progress'
        ? s.in_progress
        : state === 'received' && session?.delivered
          ? s.already
          : s[state as 'polling'];
    return html`
      <dialog
        part="dialog"
        aria-labelledby="caption"
        aria-describedby="text"
        @close=${(e: Event) => (this.open = (e.target as HTMLDialogElement).open)}
        @keydown=${this.#trap}
      >
        ${
          offer
            ? html`
              <form method="dialog" @submit=${this.#submit}>
                <h2 id="caption" part="caption">${offer.caption}</h2>
                <p id="text" part="text">${offer.text}</p>
                ${
                  this.addresses.length
                    ? html`
                      <fieldset part="addresses">
                        <legend>${s.choose}</legend>
                        ${this.addresses.map(
                          (a) => html`
                            <label part="address">
                              <input
                                type="radio"
                                name="address"
                                .value=${a.address}
                                .checked=${this.picked === a.address}
                                @change=${() => ((this.picked = a.address), (this.typed = ''))}
                              />
                              ${a.label} <code>${a.address}</code>
                            </label>
                          `,
                        )}
                      </fieldset>
                    `
                    : nothing
                }
                ${
                  this.allowInput && !this.noInput
                    ? html`
                      <label for="input">${s.enter}</label>
                      <input
                        id="input"
                        part="input"
                        .value=${this.typed}
                        autocomplete="off"
                        spellcheck="false"
                        aria-invalid=${!!address.problem}
                        aria-describedby="input-error"
                        @input=${(e: Event) => ((this.typed = (e.target as HTMLInputElement).value), (this.picked = ''))}
                      />
                      <p id="input-error" part="input-error">${address.problem}</p>
                    `
                    : nothing
                }
                ${this.open ? errorLine : nothing}
                <div part="actions">
                  <button type="button" part="cancel" @click=${() => this.cancel()}>${s.cancel}</button>
                  <button part="ok" ?disabled=${!address.text || state !== 'offered'}>${s.ok}</button>
                </div>
              </form>
            `
            : nothing
        }
      </dialog>
      <p part="status" role="status">${status}</p>
      ${state === 'offered' ? html`<button part="reopen" @click=${() => (this.open = true)}>${offer?.caption}</button>` : nothing}
      ${this.open ? nothing : errorLine}
      ${state === 'received' && session?.summary ? this.#summary(session.summary, s) : nothing}
      ${this.#download ? html`<a part="download" href=${this.#download} download="contract.unicon">${s.download}</a>` : nothing}
    `;
  }

  /** What arrived, before the download: the issuer's words are not trusted here either (text only). */
  #summary(summary: ContractSummary, s: UniversaStrings) {
    if (!summary.readable) return html`<p part="summary">${s.unreadable}</p>`;
    // The page's language when it is a valid tag (a `locale` attribute may not be), else ISO.
    const date = (ms?: number) => {
      if (ms === undefined) return undefined;
      try {
        return new Date(ms).toLocaleDateString(elementLocale(this) || undefined);
      } catch {
        return new Date(ms).toISOString().slice(0, 10);
      }
    };
    const rows: Array<[string, string | undefined]> = [
      [s.kind, summary.kind === 'transaction-pack' ? s.pack : s.sealed],
      [s.amount, summary.amount && [summary.amount, summary.unit].filter(Boolean).join(' ')],
      [s.issuer, summary.issuer.join(', ') || undefined],
      [s.owner, summary.owner.join(', ') || undefined],
      [s.created, date(summary.createdAt)],
      [s.expires, date(summary.expiresAt)],
      [s.size, `${(summary.size / 1024).toFixed(1)} KiB`],
    ];
    return html`
      <dl part="summary">
        ${rows.map(([label, value]) => (value ? html`<dt>${label}</dt><dd>${value}</dd>` : nothing))}
      </dl>
    `;
  }

  /**
   * Keeps Tab inside the modal popup: the last control wraps to the first, and back. The radios
   * are one tab stop, so Shift+Tab on any of them counts as leaving the first control.
   */
  #trap(e: KeyboardEvent): void {
    const controls = [...this.renderRoot.querySelectorAll<HTMLElement>('form :enabled:not(fieldset)')];
    const active = (this.renderRoot as ShadowRoot).activeElement as HTMLInputElement | null;
    const back = e.shiftKey;
    if (e.key === 'Tab' && (back ? active?.type === 'radio' || active === controls[0] : active === controls.at(-1))) {
      e.preventDefault();
      controls.at(back ? -1 : 0)?.focus();
    }
  }

  async #boot(signal: AbortSignal): Promise<void> {
    const cb = this.#linkCb();
    // Without a link (or a broken one) the latest unfinished import is the one shown; records
    // come oldest first. The rest resume unseen. No IndexedDB (private mode, blocked storage)
    // means nothing to restore.
    const showLatest = !cb && !this.#bootError;
    // The popup opens in the page's language, not English first, unless its table is slow to
    // come (it re-renders when the table arrives). Requests and polling never wait for it.
    this.#language.update();
    const load = this.#language.ready;
    this.#opening = load && Promise.race([load, new Promise((r) => setTimeout(r, 2000))]);
    await resumePendingImports({
      ...this.#sessionOptions(signal),
      exclude: [cb ?? ''],
      onSession: (session) => {
        if (showLatest) this.#session = session;
        this.#wire(session);
      },
    }).catch(() => undefined);
    if (cb && !signal.aborted) await this.#show(cb);
  }

  /** The cb of the link this page was opened with: the attribute, else `?iv=1&cb=…`. */
  #linkCb(): string | undefined {
    this.#bootError = undefined;
    if (this.cb) return this.cb;
    const query = new URLSearchParams(location.search);
    const cb = query.get('cb');
    if (!cb) return undefined;
    if (query.get('iv') === PROTOCOL_VERSION) return cb;
    this.#bootError = { cb, error: { code: 'bad-version', message: `iv must be ${PROTOCOL_VERSION}` }, retryable: false };
    this.emit('universa-error', this.#bootError);
    this.requestUpdate();
    return undefined;
  }

  async #show(cb: string): Promise<void> {
    this.#session?.dispose();
    this.#setDownload();
    this.picked = this.typed = '';
    const session = (this.#session = new ImportSession(cb, this.#sessionOptions(this.#connection?.signal)));
    this.#wire(session);
    await session.start();
  }

  #sessionOptions(signal: AbortSignal | undefined): ImportSessionOptions {
    return { signal, allowSameOrigin: this.allowSameOrigin, ...(this.maxContractBytes ? { maxContractBytes: this.maxContractBytes } : {}) };
  }

  #setDownload(bytes?: Uint8Array): void {
    if (this.#download) URL.revokeObjectURL(this.#download);
    this.#download = bytes && URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    this.requestUpdate();
  }

  #wire(session: ImportSession): void {
    const { cb } = session;
    const mine = () => session === this.#session;
    session.addEventListener('state', ({ detail: { state, issuerState } }) => {
      this.emit('universa-state', { cb, state, issuerState });
      if (state === 'cancelled') this.emit('universa-cancelled', { cb });
      if (state === 'cancelled' || state === 'received') forgetLink(cb);
      if (!mine()) return;
      // Received here without the event: another tab delivered it, or it was delivered before.
      if (state === 'received' && session.contract && !this.#download) this.#setDownload(session.contract.bytes);
      if (state === 'offered') void Promise.resolve(this.#opening).then(() => mine() && session.state === 'offered' && (this.open = true));
      else if (state !== 'confirming') this.open = false;
      this.requestUpdate();
    });
    session.addEventListener('error', ({ detail: { error, retryable } }) => {
      this.emit('universa-error', { cb, error: error.toJSON(), retryable });
      if (mine()) this.requestUpdate();
    });
    session.addEventListener('contract', ({ detail: { address, base64Contract, bytes, summary, acknowledge } }) => {
      if (mine()) this.#setDownload(bytes);
      this.emit('universa-contract', { cb, address, base64Contract, bytes, summary });
      // Handed to the page (and offered as a download): the stored record has done its job.
      void acknowledge();
    });
  }

  #submit(e: Event): void {
    // Stay open until the issuer took the address; the session closes the popup.
    e.preventDefault();
    const { text } = this.#address();
    // OK is only enabled for a valid address in state `offered`, all that confirm() asks for.
    if (text) void this.#session?.confirm(text);
  }

  /** The chosen address (typed wins over picked), or why the typed one is not valid. */
  #address(): { text?: string; problem?: string } {
    const candidate = this.typed.trim() || this.picked;
    try {
      return { text: candidate ? parseUniversaAddress(candidate).text : undefined };
    } catch (err) {
      return { problem: this.#strings()[(err as UniversaAddressError).reason === 'crc' ? 'crc' : 'invalid'] };
    }
  }

  #errorText(error: { code: number | string; message: string }, s: UniversaStrings): string {
    const { code, message } = error;
    // Codes double as string keys; 4xx and unknown codes keep the (English) message.
    const text = s[(code === 'timeout' ? 'network' : +code >= 500 ? 'server' : code) as UniversaStringKey];
    return text ? format(text, { message, code }) : message;
  }

  #strings(): UniversaStrings {
    return this.#language.strings(this.strings);
  }
}

let warnedAllowInput = false;
let warnedFont = false;

/**
 * `--upload-elements-font` is a font family, as in the other elements; this one took a `font`
 * shorthand (`italic 15px/1.4 Georgia`) in 0.1.0, which a family cannot be. Such a value is still
 * applied, with one warning per page.
 */
function honourFontShorthand(host: UniversaSelectAddress): void {
  const value = getComputedStyle(host).getPropertyValue('--upload-elements-font');
  if (CSS.supports('font-family', value) || !CSS.supports('font', value)) return;
  if (!warnedFont) console.warn('<universa-select-address>: --upload-elements-font takes a font family; a font shorthand is deprecated.');
  warnedFont = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`:host{font:${value}}`);
  const root = host.renderRoot as ShadowRoot;
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

/** `allow-input="false"`, the old spelling of `no-input`: still honoured, with one warning per page. */
function allowInputFromAttribute(value: string | null): boolean {
  if (value !== 'false') return true;
  if (!warnedAllowInput) {
    warnedAllowInput = true;
    console.warn('<universa-select-address>: allow-input="false" is deprecated; use the boolean attribute no-input.');
  }
  return false;
}

/**
 * A finished import's link leaves the address bar, so a reload does not ask the issuer again
 * and announce the same contract a second time.
 */
function forgetLink(cb: string): void {
  const url = new URL(location.href);
  if (url.searchParams.get('cb') !== cb) return;
  url.searchParams.delete('cb');
  url.searchParams.delete('iv');
  history.replaceState(history.state, '', url);
}
