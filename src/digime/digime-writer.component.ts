import { html, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { Uppy, UppyFile } from '@uppy/core';
import { reportWithLegacyArray, UploadElement, type UploadReport } from '../internal/base-element.js';
import { UploadElementsError, errorDetail } from '../internal/errors.js';
import { format, Language } from '../internal/i18n.js';
import { RunController } from '../internal/run-controller.js';
import { UppyController } from '../internal/uppy-controller.js';
import { uppyLocales } from '../internal/uppy-locales.js';
import { DigiMeWriterClient, readDigiMeReturn, withoutDigiMeReturn, type DigiMeReturn } from './client.js';
import { DigiMeWritePlugin, type DigiMeMeta, type DigiMeWriteBody } from './plugin.js';
import { BACKEND_ERRORS, type FileDescriptor, type Postbox, type WriteStatus } from './protocol.js';
import { forgetPostbox, loadPostbox, savePostbox } from './store.js';
import { digimeWriterLocales, digimeWriterStrings, type DigiMeWriterStringKey, type DigiMeWriterStrings } from './strings.js';
import { digimeWriterStyles } from './digime-writer.styles.js';

export type ErrorDetail = { code: number | string; message: string };

/** One file digi.me accepted, as `digime-write-success` and `upload()` report it. */
export interface DigiMeWriteResult {
  fileId: string;
  name: string;
  status: WriteStatus;
  expires?: number;
}

/** One file that was not written, as `digime-write-error` and `upload()` report it. */
export interface DigiMeWriteFailure {
  fileId: string;
  name: string;
  error: ErrorDetail;
}

/** Every file of one `upload()`: what `digime-complete` carries. */
export type DigiMeWriteReportDetail = UploadReport<DigiMeWriteResult, DigiMeWriteFailure>;
/** What `upload()` resolves with: the report, also an array of every file's outcome (deprecated). */
export type DigiMeWriteReport = DigiMeWriteOutcome[] & DigiMeWriteReportDetail;

export interface DigiMeWriterEventMap {
  'digime-connected': { postboxId: string };
  'digime-write-success': DigiMeWriteResult;
  'digime-write-error': DigiMeWriteFailure;
  'digime-connect-error': { error: ErrorDetail };
  'digime-complete': DigiMeWriteReportDetail;
}

/** One file's outcome, as the results list shows it. */
export interface DigiMeWriteOutcome {
  fileId: string;
  name: string;
  state: 'writing' | WriteStatus | 'failed';
  expires?: number;
  error?: ErrorDetail;
}

/** An error message: its string key and the values its placeholders take. */
type ErrorText = [key: DigiMeWriterStringKey, values?: Record<string, string>];

/** Which element started the authorize, so only it (not every writer on the page) exchanges. */
const PENDING_KEY = 'upload-elements:digime:pending';
/** One exchange per return, however many writers for the same backend are on the page. */
const exchanges = new Map<string, Promise<Postbox>>();

const defaultNavigate = (url: string): void => {
  location.assign(url);
};

/**
 * @tagname digime-writer
 * @summary Writes files to the user's digi.me library. They are encrypted in the browser
 * (AES-256-CBC, key wrapped RSA-OAEP with the postbox public key); the app backend only signs
 * and forwards ciphertext.
 *
 * @attr backend-url - App backend base path serving `authorize`, `exchange` and `write`.
 * @attr locale - UI language: `en`, `de`, `ru`, `zh` (Simplified Chinese) or `zh-Hant` (Traditional, also for `zh-TW`, `zh-HK`, `zh-MO`); a region or script tag uses its language (`zh-Hans-CN`, `ru-RU`, `de-AT`), anything else English. Without it the nearest `lang` attribute (the page's `<html lang>`). Languages other than English, the Dashboard's included, are fetched when first shown.
 * @attr theme - Dashboard colour scheme: `light` (default), `dark` or `auto`.
 *
 * @event digime-connected - `{postboxId}` after a new digi.me connection was exchanged.
 * @event digime-write-success - `{fileId, name, status, expires}` per file digi.me accepted (`delivered` or `pending`).
 * @event digime-write-error - `{fileId, name, error: {code, message}}` per file that failed.
 * @event digime-connect-error - `{error: {code, message}}` when connecting failed (digi.me's `errorCode` or the backend's).
 * @event digime-complete - `{successful, failed}` when a batch finished: each file's success and error detail.
 *
 * @csspart base - The wrapper.
 * @csspart header - Connect / status row.
 * @csspart connect-button - "Connect digi.me".
 * @csspart disconnect-button - Forgets the connection in this browser.
 * @csspart status - Connected status text with the postbox id.
 * @csspart error - Error message.
 * @csspart dashboard - The Uppy Dashboard container.
 * @csspart results - List of written files.
 * @csspart result - One file's row (also `result-writing`, `result-delivered`, `result-pending`, `result-failed`).
 *
 * @cssproperty --upload-elements-accent - Button and accent color.
 * @cssproperty --upload-elements-radius - Corner radius.
 * @cssproperty --upload-elements-font - Font family.
 */
export class DigiMeWriter extends UploadElement<DigiMeWriterEventMap> {
  static override styles = digimeWriterStyles;

  static override properties = {
    backendUrl: { type: String, attribute: 'backend-url' },
    locale: { type: String, reflect: true },
    theme: { reflect: true },
    strings: { attribute: false },
    mimeType: { attribute: false },
    accounts: { attribute: false },
    reference: { attribute: false },
    tags: { attribute: false },
    _postbox: { state: true },
    _navigating: { state: true },
    _error: { state: true },
    _results: { state: true },
  };

  // Reactive properties are declared (their accessors come from `properties`) and set in the
  // constructor, the same under either class-field semantics.
  /** App backend base path (attribute `backend-url`). */
  declare backendUrl: string;
  /** Uppy Dashboard colour scheme: `light` (default), `dark`, or `auto` (follows the system). */
  declare theme: 'light' | 'dark' | 'auto';
  declare locale: string;
  /** Overrides single UI strings. */
  declare strings: Partial<DigiMeWriterStrings>;
  /** fileDescriptor `mimeType`; default: the file's own type. */
  declare mimeType: string;
  /** fileDescriptor `accounts`. */
  declare accounts: FileDescriptor['accounts'];
  /** fileDescriptor `reference`. */
  declare reference: string[];
  /** fileDescriptor `tags`. */
  declare tags: string[];
  /** How to send the user to digi.me; replaceable (embedding apps, tests). */
  navigate: (url: string) => void = defaultNavigate;

  declare private _postbox: Postbox | undefined;
  /** The page is on its way to digi.me (the default navigation unloads it). */
  declare private _navigating: boolean;
  /** The error shown, as a string key and its values: it follows a later change of language. */
  declare private _error: ErrorText | undefined;
  declare private _results: DigiMeWriteOutcome[];

  /** The language shown: this element's table and Uppy's pack for the Dashboard, switched together. */
  readonly #language = new Language(this, digimeWriterStrings, digimeWriterLocales, uppyLocales);
  #text = digimeWriterStrings.en;
  readonly #uppy = new UppyController<DigiMeMeta, DigiMeWriteBody>(this, {
    id: 'digime-writer',
    target: () => this.renderRoot.querySelector<HTMLElement>('[part="dashboard"]'),
    setup: (uppy) => {
      uppy.use(DigiMeWritePlugin, {
        client: () => this.#getClient(),
        postbox: () => this._postbox,
        descriptor: (file) => this.#descriptor(file),
        notConnectedMessage: this.#text.notConnected,
        onWriteStart: (file) => this.#setResult({ fileId: file.id, name: file.name ?? 'file', state: 'writing' }),
        // Another tab connected again: this session's postbox is the one written to now.
        onPostboxChanged: async (postbox) => {
          this._postbox = postbox;
          const client = this.#getClient();
          if (client) await savePostbox({ ...postbox, backendUrl: client.backendUrl, connectedAt: Date.now() }).catch(() => undefined);
        },
      });
      this.#listen(uppy);
    },
    dashboard: () => ({ theme: this.theme, note: this.#text.note }),
  });
  #client: DigiMeWriterClient | undefined;
  /** Connecting: authorize, or the exchange after coming back; a newer run drops an older one. */
  readonly #connection = new RunController(this);
  /** Reading the remembered postbox (not "busy": the button stays as it is meanwhile). */
  readonly #restoring = new RunController(this);

  /** The Uppy instance (a new one after the element left the page and came back). */
  get uppy(): Uppy<DigiMeMeta, DigiMeWriteBody> {
    return this.#uppy.uppy;
  }

  /** The connected postbox id, if any. */
  get postboxId(): string | undefined {
    return this._postbox?.postboxId;
  }

  constructor() {
    super();
    this.backendUrl = '';
    this.theme = 'light';
    this.locale = '';
    this.strings = {};
    this.mimeType = '';
    this.accounts = [];
    this.reference = [];
    this.tags = [];
    this._postbox = undefined;
    this._navigating = false;
    this._error = undefined;
    this._results = [];
  }

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('pageshow', this.#onPageShow);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('pageshow', this.#onPageShow);
  }

  /** Back from digi.me through the back-forward cache: no reload happened, so Connect must work again. */
  #onPageShow = (e: PageTransitionEvent): void => {
    if (e.persisted) this._navigating = false;
  };

  /** Starts connecting: the backend answers the digi.me URL and the page goes there. */
  async connect(): Promise<void> {
    if (this.#busy) return;
    const client = this.#getClient();
    if (!client) {
      this._error = ['missingBackend'];
      return;
    }
    this._error = undefined;
    try {
      const returnUrl = withoutDigiMeReturn(new URL(location.href)).href;
      const done = await this.#connection.run((signal) => client.authorize(returnUrl, signal));
      if (!done) return;
      rememberPending({ backendUrl: client.backendUrl, state: done.value.state });
      // The default navigation unloads the page; keep the button disabled until it does.
      this._navigating = this.navigate === defaultNavigate;
      this.navigate(done.value.url);
    } catch (err) {
      this.#connectFailed(err);
    }
  }

  /** Connecting (authorize or exchange), or on the way to digi.me. */
  get #busy(): boolean {
    return this.#connection.pending || this._navigating;
  }

  /** Forgets the postbox in this browser. */
  async disconnect(): Promise<void> {
    const client = this.#getClient();
    this._postbox = undefined;
    if (client) await forgetPostbox(client.backendUrl);
  }

  addFiles(files: File[]): void {
    this.uppy.addFiles(files.map((f) => ({ name: f.name, type: f.type, data: f, source: 'digime-writer' })));
  }

  /**
   * Encrypts and writes every added file; resolves with `{successful, failed}` (what
   * `digime-complete` carries). Also an array of every file's outcome, as it resolved before
   * (deprecated).
   */
  async upload(): Promise<DigiMeWriteReport> {
    const outcomes = this.#outcomesOf(await this.uppy.upload());
    return reportWithLegacyArray(report(outcomes), outcomes);
  }

  cancelAll(): void {
    this.uppy.cancelAll();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const switched = this.#language.update();
    if (switched) this.#uppy.setLocale(this.#language.extra);
    if (switched || changed.has('strings')) {
      this.#text = this.#language.strings(this.strings);
      this.#uppy.setDashboardOptions({ note: this.#text.note });
      this.#uppy.current?.getPlugin<DigiMeWritePlugin>('DigiMeWrite')?.setOptions({ notConnectedMessage: this.#text.notConnected });
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('backendUrl')) {
      this.#client = undefined;
      void this.#restore();
    }
    if (changed.has('theme')) this.#uppy.setDashboardOptions({ theme: this.theme });
  }

  protected override render() {
    const s = this.#text;
    const [key, values = {}]: Partial<ErrorText> = this._error ?? (this.backendUrl ? [] : ['missingBackend']);
    const error = key && format(s[key], values);
    return html`
      <div part="base">
        <div part="header">
          ${
            this._postbox
              ? html`<span part="status" role="status">${s.connected} <small>${this._postbox.postboxId}</small></span>
                <button part="disconnect-button" type="button" @click=${this.#disconnectClicked}>${s.disconnect}</button>`
              : // Busy is aria-disabled, not disabled: a disabled button drops keyboard focus.
                html`<button part="connect-button" type="button" ?disabled=${!this.backendUrl} aria-disabled=${this.#busy} @click=${() => void this.connect()}>
                ${this.#busy ? s.connecting : s.connect}
              </button>`
          }
        </div>
        ${error ? html`<p part="error" role="alert">${error}</p>` : nothing}
        <div part="dashboard" ?hidden=${!this._postbox}></div>
        ${
          this._results.length
            ? html`<ul part="results" aria-label=${s.results}>
              ${repeat(
                this._results,
                (r) => r.fileId,
                (r) => html`<li part="result result-${r.state}" data-file-id=${r.fileId}>
                  <span>${r.name}</span><span>${this.#stateLabel(r, s)}</span>
                </li>`,
              )}
            </ul>`
            : nothing
        }
      </div>
    `;
  }

  /** The Disconnect button goes away; keyboard focus moves to the Connect button that replaces it. */
  readonly #disconnectClicked = async (): Promise<void> => {
    await this.disconnect();
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('[part="connect-button"]')?.focus();
  };

  #stateLabel(r: DigiMeWriteOutcome, s: DigiMeWriterStrings): string {
    switch (r.state) {
      case 'writing':
        return s.writing;
      case 'delivered':
        return s.delivered;
      case 'pending':
        return s.pending;
      default:
        return format(s.failed, { message: r.error?.message ?? '' });
    }
  }

  #getClient(): DigiMeWriterClient | undefined {
    if (!this.backendUrl) return undefined;
    return (this.#client ??= new DigiMeWriterClient(this.backendUrl));
  }

  /** After a return from digi.me: exchange and clean the address bar; otherwise the remembered postbox. */
  async #restore(): Promise<void> {
    const client = this.#getClient();
    if (!client) return this.#restoring.abort();
    const here = new URL(location.href);
    const ret = readDigiMeReturn(here);
    if (ret && ownsReturn(client.backendUrl, ret)) {
      history.replaceState(history.state, '', withoutDigiMeReturn(here).href);
      forgetPending();
      await this.#handleReturn(client, ret);
      return;
    }
    // A newer run (another backend-url) drops this one's answer.
    const saved = await this.#restoring.run(() => loadPostbox(client.backendUrl).catch(() => undefined));
    if (saved) this._postbox = saved.value ? { postboxId: saved.value.postboxId, publicKey: saved.value.publicKey } : undefined;
  }

  async #handleReturn(client: DigiMeWriterClient, ret: DigiMeReturn): Promise<void> {
    if (!ret.success) {
      const error = new UploadElementsError(ret.errorCode, format(this.#text.authorizeFailed, { errorCode: ret.errorCode }));
      this._error = ['authorizeFailed', { errorCode: ret.errorCode }];
      this.emit('digime-connect-error', { error: error.toJSON() });
      return;
    }
    this._error = undefined;
    try {
      // One exchange per return, shared by every writer of the page: it is not aborted with a run.
      let exchange = exchanges.get(ret.state);
      if (!exchange) {
        exchange = client.exchange({ code: ret.code, state: ret.state, postboxId: ret.postboxId, publicKey: ret.publicKey });
        exchanges.set(ret.state, exchange);
      }
      const done = await this.#connection.run(async () => {
        const postbox = await exchange;
        await savePostbox({ ...postbox, backendUrl: client.backendUrl, connectedAt: Date.now() }).catch(() => undefined);
        return postbox;
      });
      if (!done) return;
      this._postbox = done.value;
      this.emit('digime-connected', { postboxId: done.value.postboxId });
    } catch (err) {
      this.#connectFailed(err);
    }
  }

  #connectFailed(err: unknown): void {
    const detail = errorDetail(err);
    this._error = ['connectFailed', { message: detail.message }];
    this.emit('digime-connect-error', { error: detail });
  }

  /** The writes' outcomes, from the plugin's Uppy events, as results and the element's events. */
  #listen(uppy: Uppy<DigiMeMeta, DigiMeWriteBody>): void {
    uppy.on('upload-success', (file, response) => {
      const result = response.body;
      if (!file || !result) return;
      const name = file.name ?? 'file';
      const expires = result.expires !== undefined ? { expires: result.expires } : {};
      this.#setResult({ fileId: file.id, name, state: result.status, ...expires });
      this.emit('digime-write-success', { fileId: file.id, name, status: result.status, ...expires });
    });
    uppy.on('upload-error', (file, err) => {
      if (!file) return;
      const name = file.name ?? 'file';
      const error = errorDetail(err);
      this.#setResult({ fileId: file.id, name, state: 'failed', error });
      this.emit('digime-write-error', { fileId: file.id, name, error });
      // The backend lost (or never had) this connection: offer to connect again.
      if (error.code === BACKEND_ERRORS.notConnected && this._postbox) {
        this._error = ['notConnected'];
        void this.disconnect();
      }
    });
    // A cancelled write leaves no outcome behind (the plugin reports nothing for it).
    const forget = (ids?: Set<string>) => {
      this._results = this._results.filter((r) => r.state !== 'writing' || (ids && !ids.has(r.fileId)));
    };
    uppy.on('cancel-all', () => forget());
    uppy.on('complete', (result) => this.emit('digime-complete', report(this.#outcomesOf(result))));
    uppy.on('file-removed', (file) => forget(new Set([file.id])));
  }

  #descriptor(file: UppyFile<DigiMeMeta, DigiMeWriteBody>): FileDescriptor {
    return {
      mimeType: this.mimeType || file.type || 'application/octet-stream',
      accounts: this.accounts,
      ...(this.reference.length ? { reference: this.reference } : {}),
      ...(this.tags.length ? { tags: this.tags } : {}),
    };
  }

  /** The outcomes of the files in one of Uppy's upload results. */
  #outcomesOf(result: { successful?: { id: string }[]; failed?: { id: string }[] } | undefined): DigiMeWriteOutcome[] {
    const ids = new Set([...(result?.successful ?? []), ...(result?.failed ?? [])].map((f) => f.id));
    return this._results.filter((r) => ids.has(r.fileId));
  }

  #setResult(outcome: DigiMeWriteOutcome): void {
    const at = this._results.findIndex((r) => r.fileId === outcome.fileId);
    this._results = at < 0 ? [...this._results, outcome] : this._results.map((r, i) => (i === at ? outcome : r));
  }
}

/** The outcomes of one batch as success and error details. */
function report(outcomes: DigiMeWriteOutcome[]): DigiMeWriteReportDetail {
  const successful: DigiMeWriteResult[] = [];
  const failed: DigiMeWriteFailure[] = [];
  for (const { fileId, name, state, expires, error } of outcomes) {
    if (state === 'failed') failed.push({ fileId, name, error: error! });
    else if (state !== 'writing') successful.push({ fileId, name, status: state, ...(expires !== undefined ? { expires } : {}) });
  }
  return { successful, failed };
}

interface Pending {
  backendUrl: string;
  state?: string;
}

function rememberPending(pending: Pending): void {
  try {
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  } catch {
    // Storage can be unavailable (sandboxed frames); the return is then handled by any writer.
  }
}

function forgetPending(): void {
  try {
    sessionStorage.removeItem(PENDING_KEY);
  } catch {
    // see rememberPending
  }
}

/**
 * A return belongs to the writer whose backend started it. A success with no record (another
 * tab, storage cleared) goes to any writer, since its backend checks `state`; a failure only
 * to the writer that started it, or a page's own `?success=false` would pass for one.
 */
function ownsReturn(backendUrl: string, ret: DigiMeReturn): boolean {
  try {
    const raw = sessionStorage.getItem(PENDING_KEY);
    if (!raw) return ret.success;
    const pending = JSON.parse(raw) as Pending;
    return pending.backendUrl === backendUrl && (ret.success || !ret.state || ret.state === pending.state);
  } catch {
    return ret.success;
  }
}
