import { html, nothing, type PropertyValues } from 'lit';
import type { Meta, Uppy, UppyFile } from '@uppy/core';
import type { Locale } from '@uppy/core/utils';
import { reportWithLegacyArray, UploadElement, type UploadReport } from '../internal/base-element.js';
import { errorDetail, UploadElementsError } from '../internal/errors.js';
import { expectOk, requestJson } from '../internal/request.js';
import { UppyController } from '../internal/uppy-controller.js';
import { elementLocale, format, Language } from '../internal/i18n.js';
import { uppyLocales } from '../internal/uppy-locales.js';
import { TitanClient, type TransferReportOutcome } from './client.js';
import type { ShareLink, ShareLinkOptions } from './share.js';
import { TitanUploadPlugin, type TitanBody } from './plugin.js';
import { titanLocales, titanStrings, type TitanStrings } from './strings.js';
import { titanUploaderStyles } from './titan-uploader.styles.js';

/** One stored file, as `titan-upload-success` and `upload()` report it. */
export interface TitanUploadResult {
  fileId: string;
  name: string;
  size: number;
  cid: string;
  /** The CID was computed here from the file's bytes and the node's answer matched it. */
  verified: boolean;
  md5: string;
  url?: string;
  extraId?: string;
  /** The Titan node that received the bytes (`c_…`); absent when Titan had them already. */
  nodeId?: string;
  deduplicated: boolean;
  /** Whether Titan took the transfer/report, which triggers the app backend's upload callback. */
  report: TransferReportOutcome;
  /**
   * A folder stored as one asset (`folder-upload="asset"`): `fileId` is the folder's key, `name`
   * its name, `size` its files' bytes, `cid` its root, `md5` empty; these are its files.
   */
  folder?: { files: { fileId: string; path: string; size: number }[] };
}

export interface TitanUploadFailure {
  fileId: string;
  name: string;
  error: { code: number | string; message: string };
}

/** `<titan-uploader>`'s events: name → `detail`. */
export interface TitanUploaderEventMap {
  'titan-upload-start': { fileId: string; name: string; size: number };
  'titan-upload-progress': { fileId: string; bytesUploaded: number; bytesTotal: number };
  'titan-upload-success': TitanUploadResult;
  'titan-upload-error': TitanUploadFailure;
  'titan-token-renewed': Record<string, never>;
  'titan-complete': TitanUploadReportDetail;
  'titan-share-created': TitanShareDetail;
  'titan-share-error': { fileId: string; name: string; cid: string; error: { code: number | string; message: string } };
}

/** A stored file's share link, as `titan-share-created` and `share()` give it. */
export interface TitanShareDetail extends ShareLink {
  fileId: string;
  name: string;
}

/** Every file of one `upload()`: what `titan-complete` carries. */
export type TitanUploadReportDetail = UploadReport<TitanUploadResult, TitanUploadFailure>;
/** What `upload()` resolves with: the report, also an array of the stored files (deprecated). */
export type TitanUploadReport = TitanUploadResult[] & TitanUploadReportDetail;

/** @deprecated Renamed `TitanUploaderEventMap`, as the other elements name theirs. */
export type TitanUploaderEvents = TitanUploaderEventMap;

type Entry =
  { fileId: string; status: 'success'; result: TitanUploadResult } | { fileId: string; status: 'error'; failure: TitanUploadFailure };

type UppyT = Uppy<Meta, TitanBody>;

/**
 * @deprecated The Dashboard's strings are Uppy's language packs now; these keys of `strings`
 * still override them (they were ours before), with a warning. Use Uppy's keys through
 * `uppy.setOptions({locale})` instead.
 */
export interface LegacyDashboardStrings {
  dropPasteFiles?: string;
  browseFiles?: string;
  uploadOne?: string;
  uploadMany?: string;
  uploading?: string;
  complete?: string;
  uploadFailed?: string;
  retry?: string;
  cancel?: string;
  done?: string;
  addMore?: string;
}

let warnedLegacy = false;

/** Uppy's locale with the deprecated Dashboard keys of `strings` over it (mapped as they were). */
function withLegacyDashboardStrings(locale: Locale | undefined, s: Record<string, string | undefined> = {}): Locale | undefined {
  const legacy: Record<string, unknown> = {};
  for (const key of 'dropPasteFiles browseFiles uploading complete uploadFailed retry cancel done addMore'.split(' '))
    if (s[key]) legacy[key] = s[key];
  const { uploadOne: one = s.uploadMany, uploadMany: many = one } = s;
  if (one) legacy.uploadXFiles = legacy.uploadXNewFiles = { 0: one, 1: many };
  if (!Object.keys(legacy).length) return locale;
  if (!warnedLegacy) console.warn('<titan-uploader>: Dashboard keys in strings are deprecated');
  warnedLegacy = true;
  return { pluralize: (n: number) => (n === 1 ? 0 : 1), ...locale, strings: { ...locale?.strings, ...legacy } } as Locale;
}

/** The media type a folder is described by (freedesktop's), to the app's extra_id source. */
const DIRECTORY_TYPE = 'inode/directory';

const cancelled = () => new UploadElementsError('aborted', 'The upload was cancelled.');

/**
 * Uploads files to Titan Storage: an Uppy Dashboard to pick files, streamed md5, upload to a
 * Titan node with progress and fallback, and each stored file's CID with a copy button.
 *
 * @tagname titan-uploader
 * @summary File uploader for Titan Storage (decentralised storage) built on Uppy.
 *
 * @attr api-url - Titan API base URL (default: Titan's public test network, https://api-test1.container1.titannet.io).
 * @attr token - Initial user token (optional when a token source is set).
 * @attr token-url - App backend endpoint; POST answers `{ "token": "…" }`. Used at start and on every renewal.
 * @attr extra-id-url - App backend endpoint; POST `{name,size,type}` answers `{ "extra_id": "…" }`, once per file.
 * @attr area-id - Comma-separated Titan areas: the country names get_area_id lists (`client.getAreaIds()`), e.g. `China, UnitedStates`.
 * @attr group-id - Titan folder id (default 0).
 * @attr folder - Titan folder path to store files in (`invoices/2026`), its missing folders created; overrides `group-id`.
 * @attr folder-upload - A dropped or picked folder: `files` (default) stores each of its files as an asset; `asset` stores the folder as ONE asset (a CAR of its UnixFS directory, one CID), fetching that code when first used.
 * @attr accept - Allowed file types, comma-separated (`image/*,.pdf`).
 * @attr max-file-size - Largest file in bytes.
 * @attr max-files - Most files per upload.
 * @attr auto-proceed - Start uploading as soon as files are added.
 * @attr locale - UI language: `en`, `de`, `ru`, `zh` (Simplified Chinese) or `zh-Hant` (Traditional, also for `zh-TW`, `zh-HK`, `zh-MO`); a region or script tag uses its language (`zh-Hans-CN`, `ru-RU`, `de-AT`), anything else English. Without it the nearest `lang` attribute (the page's `<html lang>`). Languages other than English, the Dashboard's included, are fetched when first shown.
 * @attr restore - Keep picked files across a reload or a crash (IndexedDB, Uppy's Golden Retriever): small files come back, larger ones as entries to pick again, whose hashes are not computed again. Give the element an `id` when the page has more than one uploader.
 * @attr theme - Dashboard colour scheme: `light` (default), `dark` or `auto`.
 *
 * @event titan-upload-start - `{fileId, name, size}` when a file's upload begins.
 * @event titan-upload-progress - `{fileId, bytesUploaded, bytesTotal}` while bytes go to the node.
 * @event titan-upload-success - `{fileId, name, size, cid, verified, md5, url?, extraId?, nodeId?, deduplicated, report, folder?}` when Titan stored the file; once per folder stored as one asset, with `folder.files`.
 * @event titan-upload-error - `{fileId, name, error: {code, message}}` when a file failed or was cancelled (`code: 'aborted'`).
 * @event titan-token-renewed - `{}` after a rejected token was replaced through the token source.
 * @event titan-complete - `{successful, failed}` when an upload run finished.
 * @event titan-share-created - `{fileId, name, cid, url, expiresAt?, protected}` when a stored file's share link was made (its Share button, or `share()`).
 * @event titan-share-error - `{fileId, name, cid, error: {code, message}}` when a share link could not be made.
 *
 * @csspart base - The wrapper around everything.
 * @csspart dashboard - The element the Uppy Dashboard is mounted in.
 * @csspart results - The list of finished files.
 * @csspart result - One finished file.
 * @csspart name - A file's name.
 * @csspart cid - A stored file's CID (monospace).
 * @csspart verified - The mark shown when the CID was checked against the file's own bytes.
 * @csspart copy - The button copying a CID.
 * @csspart link - The link to a stored file, when Titan returned one.
 * @csspart share - The button making a stored file's share link.
 * @csspart share-link - The share link, once made.
 * @csspart error - A failed file's error text.
 *
 * @cssproperty --upload-elements-accent - Accent color of buttons, links and progress.
 * @cssproperty --upload-elements-radius - Corner radius.
 * @cssproperty --upload-elements-font - Font family.
 */
export class TitanUploader extends UploadElement<TitanUploaderEventMap> {
  static override styles = titanUploaderStyles;

  static override properties = {
    apiUrl: { attribute: 'api-url' },
    token: {},
    tokenUrl: { attribute: 'token-url' },
    tokenProvider: { attribute: false },
    extraIdUrl: { attribute: 'extra-id-url' },
    extraIdProvider: { attribute: false },
    areaId: { attribute: 'area-id' },
    groupId: { attribute: 'group-id', type: Number },
    folder: {},
    folderUpload: { attribute: 'folder-upload' },
    accept: {},
    maxFileSize: { attribute: 'max-file-size', type: Number },
    maxFiles: { attribute: 'max-files', type: Number },
    autoProceed: { attribute: 'auto-proceed', type: Boolean },
    restore: { type: Boolean },
    locale: {},
    theme: { reflect: true },
    strings: { attribute: false },
    shareOptions: { attribute: false },
    _entries: { state: true },
    _copied: { state: true },
    _shares: { state: true },
  };

  /**
   * Titan API base URL. Without it, Titan's public test network
   * (`https://api-test1.container1.titannet.io`): set it to your Titan API, or to the sandbox's
   * `/titan` when developing. An API that cannot be reached fails the upload naming the URL tried.
   */
  declare apiUrl?: string;
  /** Initial user token. */
  declare token?: string;
  /** App backend endpoint answering `{token}` to a POST. */
  declare tokenUrl?: string;
  /** Returns a fresh user token; overrides `token-url`. */
  declare tokenProvider?: () => Promise<string>;
  /** App backend endpoint answering `{extra_id}` to a POST of `{name,size,type}`. */
  declare extraIdUrl?: string;
  /** Returns the app's extra_id for a file; overrides `extra-id-url`. */
  declare extraIdProvider?: (file: File) => Promise<string | undefined>;
  /** Comma-separated Titan areas: country names as get_area_id lists them (`China, UnitedStates`). */
  declare areaId?: string;
  /** Folder id. */
  declare groupId?: number;
  /** Folder path to store files in (`invoices/2026`), created when missing; overrides `groupId`. */
  declare folder?: string;
  /** A dropped or picked folder: each file an asset (`files`, default), or the folder ONE asset (`asset`). */
  declare folderUpload?: 'files' | 'asset';
  declare accept?: string;
  declare maxFileSize?: number;
  declare maxFiles?: number;
  declare autoProceed: boolean;
  /** Keep picked files across a reload (read when the element's Uppy is made). */
  declare restore: boolean;
  declare locale?: string;
  /** Uppy Dashboard colour scheme: `light` (default), `dark`, or `auto` (follows the system). */
  declare theme?: 'light' | 'dark' | 'auto';
  /** Replaces single UI strings of the current locale. */
  declare strings?: Partial<TitanStrings> & LegacyDashboardStrings;

  declare _entries: Entry[];
  declare _copied: { fileId: string; ok: boolean } | undefined;
  declare _shares: Record<string, { url?: string; failed?: boolean }>;
  /**
   * What the Share button asks for: expiry, password, and `baseUrl`, Titan's web app where the
   * links open (default `https://storage.titannet.io`).
   */
  declare shareOptions?: Omit<ShareLinkOptions, 'signal'>;

  readonly #client: TitanClient;
  readonly #uppy: UppyController<Meta, TitanBody>;
  #text: TitanStrings = titanStrings.en;
  /** The language shown: this element's table and Uppy's pack for the Dashboard, switched together. */
  readonly #language = new Language(this, titanStrings, titanLocales, uppyLocales);
  readonly #inFlight = new Map<string, { name: string }>();
  readonly #outcomes = new Map<string, Entry>();
  #copyTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.autoProceed = false;
    this.restore = false;
    this._entries = [];
    this._copied = undefined;
    this._shares = {};
    this.#client = new TitanClient({ tokenProvider: () => this.#provideToken() });
    this.#client.addEventListener('tokenrenewed', () => this.emit('titan-token-renewed', {}));
    this.#uppy = new UppyController<Meta, TitanBody>(this, {
      id: 'titan-uploader',
      target: () => this.renderRoot.querySelector<HTMLElement>('.dashboard'),
      setup: (uppy) => {
        uppy.use(TitanUploadPlugin<Meta, TitanBody>, {
          client: this.#client,
          extraIdProvider: (file) => this.#provideExtraId(fileName(file), file.size ?? 0, file.type, file.data),
          folderExtraIdProvider: ({ name, size }) => this.#provideExtraId(name, size, DIRECTORY_TYPE),
          // Cancelled too late to stop: what Titan did decides what the page hears.
          onSettledAfterCancel: (file, body) => (body ? this.#succeed(file, body) : this.#fail(file.id, fileName(file), cancelled())),
        });
        this.#listen(uppy);
        // A new Uppy (the element came back to the page) starts with the current options.
        if (this.hasUpdated) this.#configure(uppy);
      },
      dashboard: () => ({ theme: this.theme ?? 'light' }),
      restoreId: () => (this.restore || this.hasAttribute('restore') ? `titan-uploader:${this.id}` : undefined),
    });
  }

  /** The headless client this element uploads through. */
  get client(): TitanClient {
    return this.#client;
  }

  /** The Uppy instance behind the Dashboard (a new one after the element left the page and came back). */
  get uppy(): UppyT {
    return this.#uppy.uppy;
  }

  /**
   * Uploads every added file; resolves with `{successful, failed}` (what `titan-complete`
   * carries). Also an array of the stored files, as it resolved before (deprecated).
   */
  async upload(): Promise<TitanUploadReport> {
    const report = this.#report(await this.uppy.upload());
    return reportWithLegacyArray(report, [...report.successful]);
  }

  /** Adds files as if the user had picked them (restrictions apply). */
  addFiles(files: File[]): void {
    this.uppy.addFiles(files.map((file) => ({ name: file.name, type: file.type, data: file, source: 'titan-uploader' })));
  }

  /** Cancels every upload in progress and clears the selection (a file whose create_asset was sent already is stored and reported as such). */
  cancelAll(): void {
    this.uppy.cancelAll();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('apiUrl')) this.#client.apiUrl = this.apiUrl ?? '';
    if (changed.has('theme')) this.#uppy.setDashboardOptions({ theme: this.theme ?? 'light' });
    if (changed.has('token') && this.token) this.#client.updateToken(this.token);
    // Titan's own messages (in errors) come in Chinese for `Lang: cn`, otherwise in English.
    this.#client.lang = /^zh\b/i.test(elementLocale(this)) ? 'cn' : 'en';
    const switched = this.#language.update();
    if (switched || changed.has('strings'))
      this.#uppy.setLocale(withLegacyDashboardStrings(this.#language.extra, this.strings as Record<string, string>));
    if (switched || !this.hasUpdated || changed.has('strings')) this.#text = this.#language.strings(this.strings);
    const keys = ['areaId', 'groupId', 'folder', 'folderUpload', 'strings', 'accept', 'maxFileSize', 'maxFiles', 'autoProceed'] as const;
    const uppy = this.#uppy.current;
    if (uppy && (switched || !this.hasUpdated || keys.some((k) => changed.has(k)))) this.#configure(uppy);
  }

  /** Passes the element's options to Uppy and to the uploader plugin. */
  #configure(uppy: UppyT): void {
    uppy.getPlugin<TitanUploadPlugin<Meta, TitanBody>>('TitanUpload')!.setOptions({
      areaId: (this.areaId ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      groupId: this.groupId ?? 0,
      folder: this.folder ?? '',
      folders: this.folderUpload === 'asset' ? 'asset' : 'files',
      hashingMessage: this.#text.hashing,
    });
    const types = (this.accept ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    uppy.setOptions({
      autoProceed: this.autoProceed,
      restrictions: {
        allowedFileTypes: types.length ? types : null,
        maxFileSize: this.maxFileSize || null,
        maxNumberOfFiles: this.maxFiles || null,
      },
    });
  }

  protected override firstUpdated(): void {
    // Fetch the first token early so the first upload does not wait for it.
    if (!this.token && (this.tokenProvider || this.tokenUrl)) this.#client.ensureToken().catch(() => undefined);
  }

  override render() {
    const s = this.#text;
    return html`<div part="base" class="base">
      <div part="dashboard" class="dashboard"></div>
      ${
        this._entries.length
          ? html`<ul part="results" class="results" aria-label=${s.resultsLabel} aria-live="polite">
            ${this._entries.map((entry) => (entry.status === 'success' ? this.#renderSuccess(entry.result) : this.#renderFailure(entry.failure)))}
          </ul>`
          : nothing
      }
    </div>`;
  }

  #renderSuccess(r: TitanUploadResult) {
    const s = this.#text;
    const copied = this._copied?.fileId === r.fileId ? this._copied : undefined;
    const shared = this._shares[r.fileId];
    return html`<li part="result" class="result success" data-file-id=${r.fileId}>
      <span part="name" class="name">${r.folder ? `${r.name}/` : r.name}</span>
      ${r.folder ? html`<span class="note">${format(s.folder, { count: r.folder.files.length })}</span>` : nothing}
      <code part="cid" class="cid">${r.cid}</code>
      ${r.verified ? html`<span part="verified" class="note verified" title=${s.verifiedLabel}>${s.verified}</span>` : nothing}
      <button
        part="copy"
        class="copy"
        type="button"
        aria-label=${format(s.copyLabel, { name: r.name })}
        data-state=${copied ? (copied.ok ? 'copied' : 'failed') : 'idle'}
        @click=${() => this.#copy(r)}
      >
        ${copied ? (copied.ok ? s.copied : s.copyFailed) : s.copy}
      </button>
      ${r.url ? html`<a part="link" class="link" href=${r.url} target="_blank" rel="noopener noreferrer">${s.open}</a>` : nothing}
      ${
        shared?.url
          ? html`<a part="share-link" class="link" href=${shared.url} target="_blank" rel="noopener noreferrer">${shared.url}</a>`
          : html`<button
              part="share"
              class="copy"
              type="button"
              aria-label=${format(s.shareLabel, { name: r.name })}
              ?disabled=${shared && !shared.failed}
              @click=${() => this.share(r.fileId).catch(() => undefined)}
            >
              ${shared?.failed ? s.shareFailed : s.share}
            </button>`
      }
      ${r.deduplicated ? html`<span class="note">${s.deduplicated}</span>` : nothing}
    </li>`;
  }

  #renderFailure(f: TitanUploadFailure) {
    const s = this.#text;
    const wasCancelled = f.error.code === 'aborted';
    return html`<li part="result" class="result error" data-file-id=${f.fileId}>
      <span part="name" class="name">${f.name}</span>
      <span part="error" class="error-text" role=${wasCancelled ? nothing : 'alert'}>${wasCancelled ? s.cancelled : this.#headline(f.error.code)}</span>
      ${wasCancelled ? nothing : html`<span class="error-detail">${f.error.message}</span>`}
    </li>`;
  }

  #headline(code: number | string): string {
    const s = this.#text;
    switch (code) {
      case 'token-renewal':
        return s.errorToken;
      case 'network':
        return s.errorNetwork;
      case 401:
        return s.errorUnauthorized;
      case 'node-upload':
      case 'no-nodes':
      case 'bad-node-url':
        return s.errorNode;
      case 'empty-file':
        return s.errorEmpty;
      case 'cid-mismatch':
        return s.errorCid;
      case 'extra-id':
        return s.errorExtraId;
      case 'bad-folder':
        return s.errorFolder;
      default:
        return s.errorOther;
    }
  }

  /**
   * Makes a share link for a stored file (by its file id or CID) with `shareOptions` and
   * `options` over them, shows it in the file's row and fires `titan-share-created`; a
   * failure fires `titan-share-error` and rejects. The same file shared again gets the same link.
   */
  async share(file: string, options: ShareLinkOptions = {}): Promise<TitanShareDetail> {
    const entry = this._entries.find((e) => e.status === 'success' && (e.fileId === file || e.result.cid === file));
    if (entry?.status !== 'success') throw new UploadElementsError('bad-state', `No stored file ${file} in this uploader.`);
    const { fileId, name, cid } = entry.result;
    this._shares = { ...this._shares, [fileId]: {} };
    try {
      const link = await this.#client.createShareLink(cid, { ...this.shareOptions, ...options });
      const detail = { ...link, fileId, name };
      this._shares = { ...this._shares, [fileId]: { url: link.url } };
      this.emit('titan-share-created', detail);
      return detail;
    } catch (err) {
      this._shares = { ...this._shares, [fileId]: { failed: true } };
      this.emit('titan-share-error', { fileId, name, cid, error: errorDetail(err) });
      throw err;
    }
  }

  async #copy(r: TitanUploadResult): Promise<void> {
    let ok = false;
    try {
      await navigator.clipboard.writeText(r.cid);
      ok = true;
    } catch {
      ok = this.#copyBySelection(r.fileId);
    }
    this._copied = { fileId: r.fileId, ok };
    clearTimeout(this.#copyTimer);
    this.#copyTimer = setTimeout(() => (this._copied = undefined), 2500);
  }

  /** Clipboard API refused (no focus, no permission): select the CID so it can be copied by hand. */
  #copyBySelection(fileId: string): boolean {
    const code = this.renderRoot.querySelector(`li[data-file-id="${CSS.escape(fileId)}"] .cid`);
    const selection = getSelection();
    if (!code || !selection) return false;
    const range = document.createRange();
    range.selectNodeContents(code);
    selection.removeAllRanges();
    selection.addRange(range);
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }

  #record(entry: Entry): void {
    this.#outcomes.set(entry.fileId, entry);
    this._entries = [...this._entries.filter((e) => e.fileId !== entry.fileId), entry];
  }

  #listen(uppy: UppyT): void {
    const plugin = () => uppy.getPlugin<TitanUploadPlugin<Meta, TitanBody>>('TitanUpload')!;
    uppy.on('upload-start', (files) => {
      for (const file of files) {
        const name = fileName(file);
        this.#inFlight.set(file.id, { name });
        this.emit('titan-upload-start', { fileId: file.id, name, size: file.size ?? 0 });
      }
    });
    uppy.on('upload-progress', (file, progress) => {
      if (!file) return;
      this.emit('titan-upload-progress', {
        fileId: file.id,
        bytesUploaded: progress.bytesUploaded,
        bytesTotal: progress.bytesTotal ?? file.size ?? 0,
      });
    });
    uppy.on('upload-success', (file, response) => {
      if (file && response.body) this.#succeed(file, response.body);
    });
    uppy.on('upload-error', (file, error) => {
      if (file) this.#fail(file.id, fileName(file), error);
    });
    // The uploader stays silent about removed files (Uppy forgets them); the page still hears of
    // it, unless create_asset was sent already (onSettledAfterCancel reports the outcome).
    uppy.on('file-removed', (file) => {
      const pending = this.#inFlight.get(file.id);
      if (!pending || plugin().committed(file.id)) return;
      this.#fail(file.id, pending.name, cancelled());
    });
    uppy.on('complete', (result) => this.emit('titan-complete', this.#report(result)));
  }

  /** Uppy's result as the element reports it: each file's success or error detail. */
  #report(result: { successful?: UppyFile<Meta, TitanBody>[]; failed?: UppyFile<Meta, TitanBody>[] } | undefined): TitanUploadReportDetail {
    const pick = <S extends Entry['status']>(files: UppyFile<Meta, TitanBody>[] | undefined, status: S) =>
      (files ?? []).flatMap((f) => {
        const entry = this.#outcomes.get(f.id);
        return entry?.status === status ? [entry as Extract<Entry, { status: S }>] : [];
      });
    // The files of a folder stored as one asset share its entry: it is listed once.
    return {
      successful: [...new Set(pick(result?.successful, 'success').map((e) => e.result))],
      failed: pick(result?.failed, 'error').map((e) => e.failure),
    };
  }

  #succeed(file: UppyFile<Meta, TitanBody>, body: TitanBody): void {
    this.#inFlight.delete(file.id);
    const { folder, ...stored } = body;
    if (folder) {
      // Every file of a folder asset brings the same body: the folder is one entry, told once.
      const known = this.#outcomes.get(folder.id);
      if (known) return void this.#outcomes.set(file.id, known);
      const size = folder.files.reduce((sum, f) => sum + f.size, 0);
      const result: TitanUploadResult = { fileId: folder.id, name: folder.name, size, ...stored, folder: { files: folder.files } };
      this.#record({ fileId: folder.id, status: 'success', result });
      this.#outcomes.set(file.id, this.#outcomes.get(folder.id)!);
      this.emit('titan-upload-success', result);
      return;
    }
    // The plugin's body is the stored file's record; the element adds the file's own fields.
    const result: TitanUploadResult = { fileId: file.id, name: fileName(file), size: file.size ?? 0, ...stored };
    this.#record({ fileId: file.id, status: 'success', result });
    this.emit('titan-upload-success', result);
  }

  #fail(fileId: string, name: string, error: unknown): void {
    this.#inFlight.delete(fileId);
    const failure: TitanUploadFailure = { fileId, name, error: errorDetail(error) };
    this.#record({ fileId, status: 'error', failure });
    this.emit('titan-upload-error', failure);
  }

  async #provideToken(): Promise<string> {
    if (this.tokenProvider) return this.tokenProvider();
    if (!this.tokenUrl) {
      throw new UploadElementsError('no-token-source', 'no token source is set (token-url or tokenProvider).');
    }
    const body = expectOk(await requestJson(this.tokenUrl, { method: 'POST' }), { withUrl: true }) as { token?: unknown } | undefined;
    if (typeof body?.token !== 'string' || !body.token) {
      throw new UploadElementsError('bad-response', `${this.tokenUrl} answered without a token.`);
    }
    return body.token;
  }

  /** The app's extra_id for a file, or a folder stored as one asset (`type` `inode/directory`, no data). */
  async #provideExtraId(name: string, size: number, type: string, data?: unknown): Promise<string | undefined> {
    if (this.extraIdProvider) {
      return this.extraIdProvider(data instanceof File ? data : new File(data instanceof Blob ? [data] : [], name, { type }));
    }
    if (!this.extraIdUrl) return undefined;
    const body = expectOk(await requestJson(this.extraIdUrl, { json: { name, size, type } }), {
      withUrl: true,
    }) as { extra_id?: unknown } | undefined;
    const extraId = body?.extra_id;
    if (typeof extraId === 'number') return String(extraId);
    if (typeof extraId !== 'string' || !extraId) {
      throw new UploadElementsError('bad-response', `${this.extraIdUrl} answered without an extra_id.`);
    }
    return extraId;
  }
}

function fileName(file: UppyFile<Meta, TitanBody>): string {
  return file.meta.name ?? file.name ?? 'file';
}
