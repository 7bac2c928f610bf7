import { UploadElementsError } from '../internal/errors.js';
import { requestJson } from '../internal/request.js';
import { sleep } from '../internal/abort.js';
import { parseUniversaAddress } from './address.js';
import {
  checkIssuerUrl,
  clampPollSeconds,
  decodeBase64,
  parseCheckAnswer,
  parseOffer,
  POLL_SECONDS,
  UniversaError,
  type IssuerOffer,
  type IssuerState,
  type OkAnswer,
  type OkRequest,
} from './protocol.js';
import { defaultPendingStore, PENDING_MAX_AGE_MS, type PendingImport, type PendingPhase, type PendingStore } from './store.js';

// This module ships in the 12 kB universa entry: messages are short and logic is shared
// between paths rather than spelled out per phase.

/**
 * `idle → offered → confirming → polling → received | cancelled | failed`. `failed` is not
 * final: `start()` may be called again (the record, if any, is kept).
 */
export type ImportState = 'idle' | 'offered' | 'confirming' | 'polling' | 'received' | 'cancelled' | 'failed';

export interface ImportSessionEvents {
  /** The session's state changed, the issuer reported a new `state`, or an error cleared. */
  state: { state: ImportState; issuerState?: IssuerState };
  /** Something went wrong; `retryable` errors are being retried already (or by `start()`). */
  error: { error: UploadElementsError; retryable: boolean };
  /** The contract arrived (announced once per page, after it was persisted). */
  contract: { address?: string; base64Contract: string; bytes: Uint8Array };
}

export interface ImportSessionOptions {
  /** Aborting it disposes the session (stops requests and timers, keeps the record). */
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Where the pending record lives; default IndexedDB (none in Node). `null` keeps it in memory. */
  store?: PendingStore | null;
  /** First delay after a failed request; doubles per failure up to `maxRetryMs`. Default 1000. */
  retryMs?: number;
  /** Default 60000. */
  maxRetryMs?: number;
  /** A request without an answer after this long counts as failed (`timeout`). Default 30000. */
  requestTimeoutMs?: number;
}

type Broadcast =
  | { type: 'phase'; phase: PendingPhase; address?: string; issuerState?: IssuerState }
  | { type: 'contract'; address?: string; base64Contract: string }
  | { type: 'cancelled' };
type Message = Broadcast & { cb: string };

type Listeners = { [K in keyof ImportSessionEvents]?: Set<(detail: ImportSessionEvents[K]) => void> };

const CHANNEL = 'universa-import';
/** `cb + contract` pairs announced in this page, so two paths to the same result fire once. */
const announced = new Set<string>();

/** Failures worth trying again: the network or the issuer may recover; a refusal will not. */
export function isRetryable(err: unknown): boolean {
  // Only our errors carry HTTP statuses as numbers; a DOMException's numeric `code` is no status.
  const code = err instanceof UploadElementsError ? err.code : undefined;
  return typeof code === 'number'
    ? code >= 500 || code === 408 || code === 429
    : !/^(insecure-url|bad-offer|bad-version|bad-state|bad-address|expired)$/.test(String(code));
}

/**
 * One import for one `cb`, headless: POSTs cb, offers, sends the chosen address to ok_url,
 * polls check_url until the contract arrives, and keeps a pending record so a reload resumes.
 * In a browser, only one page polls a given cb (Web Locks); the others follow it over a
 * BroadcastChannel and announce the same result.
 */
export class ImportSession {
  readonly cb: string;
  state: ImportState = 'idle';
  issuerState?: IssuerState;
  offer?: IssuerOffer;
  /** The address sent to ok_url (canonical text). */
  address?: string;
  /** The last error, cleared by the next successful request. */
  error?: ImportSessionEvents['error'];
  contract?: { base64Contract: string; bytes: Uint8Array };

  readonly #options: ImportSessionOptions;
  readonly #store: PendingStore | null;
  readonly #listeners: Listeners = {};
  readonly #life = new AbortController();
  #run?: AbortController;
  #record?: PendingImport;
  #channel?: BroadcastChannel;
  #driving = false;
  #done = false;
  /** The last save failed: the store lags behind the record in memory, which is the truth. */
  #unsaved = false;
  /** The issuer state last reported in a `state` event. */
  #reported?: IssuerState;

  constructor(cb: string, options: ImportSessionOptions = {}) {
    this.cb = cb;
    this.#options = options;
    this.#store = options.store === undefined ? defaultPendingStore() : options.store;
    if (this.#store && typeof BroadcastChannel !== 'undefined') {
      this.#channel = new BroadcastChannel(CHANNEL);
      this.#channel.onmessage = (ev: MessageEvent<Message>) => this.#onMessage(ev.data);
      // Node keeps the process alive for an open channel; a pending import must not.
      (this.#channel as { unref?: () => void }).unref?.();
    }
    const { signal } = options;
    if (signal?.aborted) this.dispose();
    else signal?.addEventListener('abort', () => this.dispose(), { once: true });
  }

  on<K extends keyof ImportSessionEvents>(type: K, listener: (detail: ImportSessionEvents[K]) => void): () => void {
    const set = (this.#listeners[type] ??= new Set<never>()) as Set<(detail: ImportSessionEvents[K]) => void>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Resumes the stored record for this cb if there is one; otherwise POSTs cb and offers.
   * Safe to call again after `failed`.
   */
  async start(): Promise<void> {
    if (this.state !== 'idle' && this.state !== 'failed') return;
    const signal = this.#newRun();
    try {
      checkIssuerUrl(this.cb, 'cb');
      let record = await this.#read();
      if (!record) {
        const offer = parseOffer(await this.#post(this.cb, {}, signal), this.cb);
        this.offer = offer;
        if (offer.state === 'cancelled') return await this.#end();
        // Not `new`: the link was opened again after an address was chosen (the protocol's
        // restore path), so there is nothing to ask — just fetch the contract.
        const phase = offer.state === 'new' ? 'offered' : 'polling';
        record = { cb: this.cb, offer, phase, issuerState: offer.state, createdAt: Date.now(), updatedAt: 0 };
        await this.#save(record);
      }
      if (signal.aborted || this.#done) return;
      this.#clearError();
      this.#adopt(record);
      if (record.phase === 'offered') this.#setState('offered');
      else void this.#drive();
    } catch (err) {
      if (signal.aborted) return;
      this.#reportError(err, isRetryable(err));
      this.#setState('failed');
    }
  }

  /**
   * The user pressed OK with `address`: validates it (throws `UniversaAddressError`), then
   * POSTs ok_url and starts polling. Resolves once the address is stored, not when the
   * contract arrives (watch the `contract` event).
   */
  async confirm(address: string): Promise<void> {
    const record = this.#record;
    if (this.state !== 'offered' || !record) throw new UploadElementsError('bad-state', `Import is ${this.state}.`);
    const { text } = parseUniversaAddress(address);
    this.address = text;
    await this.#save({ ...record, phase: 'confirming', address: text });
    this.#broadcast({ type: 'phase', phase: 'confirming', address: text });
    void this.#drive();
  }

  /** The user declined: POSTs cancel_url (when the issuer gave one) and drops the record. */
  async cancel(): Promise<void> {
    if (this.#done) return;
    this.#run?.abort();
    const url = this.offer?.cancel_url;
    try {
      if (url) await this.#post(url, {}, this.#life.signal);
      await this.#end();
    } catch (err) {
      if (this.#life.signal.aborted) return;
      // Not cancelled after all: say so and carry on where this import was.
      this.#reportError(err, false);
      if (this.state !== 'offered') void this.#drive();
    }
  }

  /** Stops every request and timer; the record stays for the next page. */
  dispose(): void {
    this.#life.abort();
    this.#closeChannel();
  }

  /** A fresh signal for the next step, aborting the previous one (and aborted by dispose). */
  #newRun(): AbortSignal {
    this.#run?.abort();
    this.#run = new AbortController();
    return AbortSignal.any([this.#run.signal, this.#life.signal]);
  }

  #adopt(record: PendingImport): void {
    this.#record = record;
    this.offer = record.offer;
    this.address = record.address ?? this.address;
    this.issuerState = record.issuerState ?? this.issuerState;
  }

  /**
   * Everything after the offer runs while holding this cb's Web Lock, so one page polls and
   * the rest wait in the lock queue (taking over if that page closes) and follow its messages.
   */
  async #drive(): Promise<void> {
    if (this.#driving || this.#done) return;
    this.#driving = true;
    const signal = this.#newRun();
    this.#setState(this.#record?.phase === 'confirming' ? 'confirming' : 'polling');
    let vanished = false;
    const work = async () => {
      // Another page may have moved the import on while this one waited for the lock.
      const record = await this.#read();
      if (signal.aborted || this.#done) return;
      if (!record) return void (vanished = true);
      this.#adopt(record);
      if (record.phase === 'offered') this.#setState('offered');
      else if (record.phase === 'received') await this.#deliver(record.base64Contract!);
      else await this.#loop(signal);
    };
    try {
      const locks = this.#store && globalThis.navigator?.locks;
      await (locks ? locks.request(`${CHANNEL}:${this.cb}`, { signal }, work) : work());
    } catch (err) {
      // Aborted lock waits land here too; only storage failures are worth telling.
      if (!signal.aborted) {
        this.#reportError(err, true);
        this.#setState('failed');
      }
    }
    this.#driving = false;
    if (vanished && !signal.aborted && !this.#done) {
      // Finished in another page without this one hearing of it: ask the issuer afresh.
      this.state = 'idle';
      await this.start();
    }
  }

  /**
   * POSTs ok_url (phase `confirming`), then check_url until the contract or a cancel arrives.
   * A resumed page checks at once, since nobody knows how long it was away; failures back off
   * and are reported, never dropped. Only an issuer refusing the address ends it early.
   */
  async #loop(signal: AbortSignal): Promise<void> {
    const { retryMs = 1000, maxRetryMs = 60_000 } = this.#options;
    let wait = 0;
    for (let failures = 0, since = Date.now(); !signal.aborted;) {
      if (Date.now() - since > PENDING_MAX_AGE_MS) {
        this.#reportError(new UniversaError('expired', 'Gave up after 7 days.'), false);
        return this.#setState('failed');
      }
      // An abort ends the wait early; the loop then ends.
      await sleep(wait, signal).catch(() => undefined);
      if (signal.aborted) return;
      const record = this.#record!;
      const confirming = record.phase === 'confirming';
      let state: IssuerState = 'in_progress';
      try {
        const answer = await this.#post(
          confirming ? record.offer.ok_url : record.offer.check_url,
          confirming ? ({ address: record.address ?? '' } satisfies OkRequest) : {},
          signal,
        );
        if (confirming) wait = clampPollSeconds((answer as OkAnswer | null)?.poll_seconds) * 1000;
        else {
          const check = parseCheckAnswer(answer);
          if (check.state === 'cancelled') return await this.#end();
          if (check.base64_contract != null) {
            decodeBase64(check.base64_contract);
            return await this.#deliver(check.base64_contract);
          }
          state = check.state;
          // `ready` without a contract means "on the next check": no reason to wait long.
          wait = (state === 'ready' ? POLL_SECONDS.min : clampPollSeconds(check.poll_seconds)) * 1000;
        }
      } catch (err) {
        if (signal.aborted) return;
        if (confirming && !isRetryable(err)) {
          // The issuer refused this address: back to the popup so the user can choose again.
          this.#reportError(err, false);
          await this.#save({ ...record, phase: 'offered' });
          this.#broadcast({ type: 'phase', phase: 'offered' });
          return this.#setState('offered');
        }
        this.#reportError(err, true);
        wait = Math.min(maxRetryMs, retryMs * 2 ** failures++);
        continue;
      }
      failures = 0;
      this.issuerState = state;
      this.#clearError();
      await this.#save({ ...record, phase: 'polling', issuerState: state, nextPollAt: Date.now() + wait });
      this.#broadcast({ type: 'phase', phase: 'polling', address: record.address, issuerState: state });
      this.#setState('polling');
    }
  }

  /** Persist, then announce, then broadcast, then forget: a crash in between re-delivers. */
  async #deliver(base64Contract: string): Promise<void> {
    const { address } = this.#record!;
    await this.#save({ ...this.#record!, phase: 'received', issuerState: 'ready', base64Contract });
    // Disposed meanwhile (the page is going): the stored record announces it on the next load.
    if (this.#life.signal.aborted) return;
    const heard = this.#announce(base64Contract, address);
    this.#broadcast({ type: 'contract', address, base64Contract });
    this.#closeChannel();
    // Nobody listened (a headless resume without a handler): keep it for a page that does.
    if (heard) await this.#forget();
  }

  #announce(base64Contract: string, address: string | undefined): boolean {
    const bytes = decodeBase64(base64Contract);
    this.#finish();
    this.address = address ?? this.address;
    this.contract = { base64Contract, bytes };
    this.issuerState = 'ready';
    this.#clearError();
    this.#setState('received');
    const key = `${this.cb}\n${base64Contract}`;
    const heard = announced.has(key) || this.#emit('contract', { address: this.address, base64Contract, bytes });
    if (heard) announced.add(key);
    return heard;
  }

  async #end(): Promise<void> {
    this.#finish();
    await this.#forget();
    this.#broadcast({ type: 'cancelled' });
    this.#closeChannel();
    this.#setState('cancelled');
  }

  #finish(): void {
    this.#done = true;
    this.#run?.abort();
  }

  #onMessage(m: Message | undefined): void {
    if (m?.cb !== this.cb || this.#done) return;
    try {
      if (m.type === 'contract') this.#announce(m.base64Contract, m.address);
      else if (m.type === 'cancelled') {
        this.#finish();
        this.#setState('cancelled');
      } else {
        this.address = m.address ?? this.address;
        this.issuerState = m.issuerState ?? this.issuerState;
        if (m.phase === 'offered') return;
        // Another page took the offer: stop asking here and follow it (queued on its lock).
        if (this.#record) this.#record = { ...this.#record, phase: m.phase };
        if (this.#driving) this.#setState(m.phase === 'confirming' ? 'confirming' : 'polling');
        else void this.#drive();
        return;
      }
    } catch (err) {
      this.#reportError(err, false);
    }
    this.#closeChannel();
  }

  async #post(url: string, body: object, signal: AbortSignal): Promise<unknown> {
    const answer = await requestJson(url, {
      json: body,
      signal,
      timeoutMs: this.#options.requestTimeoutMs ?? 30_000,
      fetch: this.#options.fetch,
    });
    // The status decides (isRetryable), whatever an issuer's error body says.
    if (!answer.ok) throw new UploadElementsError(answer.status, `HTTP ${answer.status} from ${answer.url}`);
    if (answer.invalid) throw new UploadElementsError('bad-response', `Not JSON from ${answer.url}`);
    // An empty answer (a 204, a bare 200 from ok_url) is an answer without fields.
    return answer.json ?? null;
  }

  /**
   * The stored record, which another page may have moved on; the one in memory when there is no
   * store, the last save failed, or reading fails (IndexedDB lost or blocked): the import goes
   * on, only a reload would lose it.
   */
  async #read(): Promise<PendingImport | undefined> {
    if (!this.#store || this.#unsaved) return this.#record;
    try {
      return await this.#store.get(this.cb);
    } catch (err) {
      this.#storageError(err);
      return this.#record;
    }
  }

  async #save(record: PendingImport): Promise<void> {
    this.#record = { ...record, updatedAt: Date.now() };
    try {
      await this.#store?.put(this.#record);
      this.#unsaved = false;
    } catch (err) {
      this.#unsaved = true;
      this.#storageError(err);
    }
  }

  #storageError(cause: unknown): void {
    this.#reportError(new UploadElementsError('storage', 'Not stored; a reload will lose it.', { cause }), true);
  }

  async #forget(): Promise<void> {
    this.#record = undefined;
    // A leftover record only costs one extra check on the next load.
    await this.#store?.remove(this.cb).catch(() => {});
  }

  #broadcast(message: Broadcast): void {
    this.#channel?.postMessage({ ...message, cb: this.cb });
  }

  #closeChannel(): void {
    this.#channel?.close();
    this.#channel = undefined;
  }

  #setState(state: ImportState, force?: boolean): void {
    const issuerState = this.issuerState;
    if (force || this.state !== state || this.#reported !== issuerState) {
      this.state = state;
      this.#reported = issuerState;
      this.#emit('state', { state, issuerState });
    }
  }

  #reportError(err: unknown, retryable: boolean): void {
    const error = err instanceof UploadElementsError ? err : new UploadElementsError('error', String((err as Error)?.message ?? err));
    this.#emit('error', (this.error = { error, retryable }));
  }

  #clearError(): void {
    if (this.error) {
      this.error = undefined;
      this.#setState(this.state, true);
    }
  }

  #emit<K extends keyof ImportSessionEvents>(type: K, detail: ImportSessionEvents[K]): boolean {
    const set = this.#listeners[type] as Set<(detail: ImportSessionEvents[K]) => void> | undefined;
    set?.forEach((listener) => {
      try {
        listener(detail);
      } catch (err) {
        // A throwing listener must not break the import; it surfaces like any uncaught error.
        queueMicrotask(() => {
          throw err;
        });
      }
    });
    return !!set?.size;
  }
}
