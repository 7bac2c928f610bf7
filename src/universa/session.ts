import { UploadElementsError } from '../internal/errors.js';
import { requestJson } from '../internal/request.js';
import { sleep } from '../internal/abort.js';
import { TypedEventTarget } from '../internal/typed-events.js';
import { openContract, readCheckAnswer, type ContractSummary, type ReceivedContract } from './summary-client.js';
import { parseUniversaAddress } from './address.js';
import {
  checkIssuerUrl,
  clampPollSeconds,
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
 * final: `start()` may be called again (the record, if any, is kept). `TRANSITIONS` has every step.
 */
export type ImportState = 'idle' | 'offered' | 'confirming' | 'polling' | 'received' | 'cancelled' | 'failed';

/**
 * Which state may follow which (a state may also follow itself, to report a new issuer state).
 * Besides the path above: another page can move an import on (to confirming, polling, received
 * or cancelled) whatever this one shows, an issuer refusing the address sends it back to
 * `offered`, and an import finished elsewhere is asked afresh (which may offer it again).
 * `received` and `cancelled` are final: a late step of an aborted run cannot undo them.
 */
export const TRANSITIONS: { readonly [S in ImportState]: readonly ImportState[] } = {
  idle: ['offered', 'confirming', 'polling', 'received', 'cancelled', 'failed'],
  offered: ['confirming', 'polling', 'received', 'cancelled'],
  confirming: ['offered', 'polling', 'received', 'cancelled', 'failed'],
  polling: ['offered', 'confirming', 'received', 'cancelled', 'failed'],
  failed: ['offered', 'confirming', 'polling', 'received', 'cancelled'],
  received: [],
  cancelled: [],
};

/**
 * The state a stored phase resumes in. A `received` record holds a contract not yet
 * acknowledged: the session shows `polling` until it has announced it again.
 */
const RESUMED_STATE: { readonly [P in PendingPhase]: ImportState } = {
  offered: 'offered',
  confirming: 'confirming',
  polling: 'polling',
  received: 'polling',
  delivered: 'received',
};

/** The `detail` of each of an `ImportSession`'s events. */
export interface ImportSessionEvents {
  /** The session's state changed, the issuer reported a new `state`, or an error cleared. */
  state: { state: ImportState; issuerState?: IssuerState };
  /** Something went wrong; `retryable` errors are being retried already (or by `start()`). */
  error: { error: UploadElementsError; retryable: boolean };
  /**
   * The contract arrived; it was stored first. It stays stored (and is announced again by the
   * next `start()` or `resumePendingImports()`) until `acknowledge()` is called: call it once
   * the app has the contract safe. Announced once per cb: in the page that polled it (other
   * pages following the same cb get the `received` state and `contract`, without this event),
   * and never again for a cb whose delivery was acknowledged (see `delivered`).
   */
  contract: {
    address?: string;
    base64Contract: string;
    bytes: Uint8Array;
    /** What the contract is (kind, issuer, owner, amount, dates, size), read in a Worker. */
    summary: ContractSummary;
    acknowledge: () => Promise<void>;
  };
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
  /**
   * Accept a cb on the page's own origin. Off by default: anyone can craft the link, and the
   * page's origin is where its own endpoints live.
   */
  allowSameOrigin?: boolean;
  /** The largest contract accepted, in bytes (a larger check answer is refused while it streams). Default 16 MiB. */
  maxContractBytes?: number;
}

/** The largest answer to `POST cb` or ok_url: an offer is a few hundred bytes. */
export const MAX_OFFER_BYTES = 64 * 1024;
/** The default `maxContractBytes`. */
export const MAX_CONTRACT_BYTES = 16 * 1024 * 1024;

type Broadcast =
  | { type: 'phase'; phase: PendingPhase; address?: string; issuerState?: IssuerState }
  | { type: 'contract'; address?: string; contract: ReceivedContract }
  | { type: 'cancelled' };
type Message = Broadcast & { cb: string };

const CHANNEL = 'universa-import';
/** `cb + contract` pairs acknowledged in this page, so two paths to the same result fire once. */
const acknowledged = new Set<string>();

/** SHA-256 of `bytes`, hex (WebCrypto: browsers and Node alike). */
async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Failures worth trying again: the network or the issuer may recover; a refusal will not. */
export function isRetryable(err: unknown): boolean {
  // Only our errors carry HTTP statuses as numbers; a DOMException's numeric `code` is no status.
  const code = err instanceof UploadElementsError ? err.code : undefined;
  return typeof code === 'number'
    ? code >= 500 || code === 408 || code === 429
    : !/^(insecure-url|same-origin|bad-offer|bad-version|bad-state|bad-address|expired)$/.test(String(code));
}

/**
 * One import for one `cb`, headless: POSTs cb, offers, sends the chosen address to ok_url,
 * polls check_url until the contract arrives, and keeps a pending record so a reload resumes.
 * In a browser, only one page polls a given cb (Web Locks); the others follow it over a
 * BroadcastChannel and announce the same result.
 */
export class ImportSession extends TypedEventTarget<ImportSessionEvents> {
  readonly cb: string;
  #state: ImportState = 'idle';
  #issuerState?: IssuerState;
  #offer?: IssuerOffer;
  #address?: string;
  #error?: ImportSessionEvents['error'];
  #contract?: { base64Contract: string; bytes: Uint8Array };
  #delivered?: { at: number; sha256: string };
  #summary?: ContractSummary;
  /** The acknowledgement being written, awaited before the Web Lock is let go. */
  #acking?: Promise<void>;

  readonly #options: ImportSessionOptions;
  readonly #store: PendingStore | null;
  readonly #life = new AbortController();
  /** `contract` listeners attached with the deprecated `on()`, which acknowledge by listening. */
  #implicitAcks = 0;
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
    super();
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

  get state(): ImportState {
    return this.#state;
  }
  /** The issuer's `state` as last reported. */
  get issuerState(): IssuerState | undefined {
    return this.#issuerState;
  }
  /** The issuer's offer (caption, text, URLs), once `POST cb` answered or a record was read. */
  get offer(): IssuerOffer | undefined {
    return this.#offer;
  }
  /** The address sent to ok_url (canonical text). */
  get address(): string | undefined {
    return this.#address;
  }
  /** The last error, cleared by the next successful request. */
  get error(): ImportSessionEvents['error'] | undefined {
    return this.#error;
  }
  /**
   * The contract, once `received`. For a cb delivered earlier, fetched again from the issuer
   * when it still answers it with the same bytes (else undefined: `delivered` says it came).
   */
  get contract(): { base64Contract: string; bytes: Uint8Array } | undefined {
    return this.#contract;
  }
  /** What the contract is, once received (a `state` event follows when it is read). */
  get summary(): ContractSummary | undefined {
    return this.#summary;
  }
  /**
   * Set when this cb's contract was delivered and acknowledged before (in an earlier page or
   * tab, within the 7 days a tombstone is kept): when, and the SHA-256 (hex) of its bytes. Such a
   * session goes straight to `received` and fires no `contract` event.
   */
  get delivered(): { at: number; sha256: string } | undefined {
    return this.#delivered;
  }

  /**
   * @deprecated Use `addEventListener(type, (event) => event.detail)` and call
   * `detail.acknowledge()` for a contract. A `contract` listener attached here acknowledges the
   * contract by being there, as this method always did.
   */
  on<K extends keyof ImportSessionEvents & string>(type: K, listener: (detail: ImportSessionEvents[K]) => void): () => void {
    const wrapped = (event: CustomEvent<ImportSessionEvents[K]>) => listener(event.detail);
    this.addEventListener(type, wrapped);
    const counts = type === 'contract';
    if (counts) this.#implicitAcks++;
    let attached = true;
    return () => {
      if (attached && counts) this.#implicitAcks--;
      attached = false;
      this.removeEventListener(type, wrapped);
    };
  }

  /**
   * Resumes the stored record for this cb if there is one; otherwise POSTs cb and offers.
   * Safe to call again after `failed`.
   */
  async start(): Promise<void> {
    if (this.#state === 'idle' || this.#state === 'failed') await this.#open();
  }

  /**
   * The app has the contract safe: the stored record goes, and this page will not announce the
   * same contract again. Rejects (`bad-state`) before the contract arrived.
   */
  async acknowledge(): Promise<void> {
    const contract = this.#contract;
    if (!contract) throw new UploadElementsError('bad-state', `Import is ${this.#state}.`);
    acknowledged.add(`${this.cb}\n${contract.base64Contract}`);
    await (this.#acking ??= this.#tombstone(contract.bytes));
  }

  /** The stored record becomes a tombstone: the contract goes, its hash and the time stay. */
  async #tombstone(bytes: Uint8Array): Promise<void> {
    const sha256 = await sha256Hex(bytes);
    const record = this.#record ?? (await this.#read().catch(() => undefined));
    if (!record || record.phase === 'delivered') return;
    const { base64Contract: _contract, nextPollAt: _next, ...kept } = record;
    await this.#save({ ...kept, phase: 'delivered', contractHash: sha256, deliveredAt: Date.now() });
  }

  async #open(): Promise<void> {
    const signal = this.#newRun();
    try {
      checkIssuerUrl(this.cb, 'cb');
      if (!this.#options.allowSameOrigin && new URL(this.cb).origin === globalThis.location?.origin) {
        throw new UniversaError('same-origin', "cb is on this page's own origin; the page has not allowed that (allowSameOrigin).");
      }
      let record = await this.#read();
      if (!record) {
        const offer = parseOffer(await this.#post(this.cb, {}, signal), this.cb);
        this.#offer = offer;
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
      if (record.phase === 'offered') this.#transition('offered');
      else if (record.phase === 'delivered') await this.#reopen(record, signal);
      else void this.#drive();
    } catch (err) {
      if (signal.aborted) return;
      this.#reportError(err, isRetryable(err));
      this.#transition('failed');
    }
  }

  /**
   * The user pressed OK with `address`: validates it (throws `UniversaAddressError`), then
   * POSTs ok_url and starts polling. Resolves once the address is stored, not when the
   * contract arrives (watch the `contract` event).
   */
  async confirm(address: string): Promise<void> {
    const record = this.#record;
    if (this.#state !== 'offered' || !record) throw new UploadElementsError('bad-state', `Import is ${this.#state}.`);
    const { text } = parseUniversaAddress(address);
    this.#address = text;
    await this.#save({ ...record, phase: 'confirming', address: text });
    this.#broadcast({ type: 'phase', phase: 'confirming', address: text });
    void this.#drive();
  }

  /** The user declined: POSTs cancel_url (when the issuer gave one) and drops the record. */
  async cancel(): Promise<void> {
    if (this.#done) return;
    this.#run?.abort();
    const url = this.#offer?.cancel_url;
    try {
      if (url) await this.#post(url, {}, this.#life.signal);
      await this.#end();
    } catch (err) {
      if (this.#life.signal.aborted) return;
      // Not cancelled after all: say so and carry on where this import was.
      this.#reportError(err, false);
      if (this.#state !== 'offered') void this.#drive();
    }
  }

  /** Stops every request and timer; the record stays for the next page. */
  dispose(): void {
    this.#life.abort();
    this.#closeChannel();
  }

  #maxContractBytes(): number {
    return this.#options.maxContractBytes ?? MAX_CONTRACT_BYTES;
  }

  /** A fresh signal for the next step, aborting the previous one (and aborted by dispose). */
  #newRun(): AbortSignal {
    this.#run?.abort();
    this.#run = new AbortController();
    return AbortSignal.any([this.#run.signal, this.#life.signal]);
  }

  #adopt(record: PendingImport): void {
    this.#record = record;
    this.#offer = record.offer;
    this.#address = record.address ?? this.#address;
    this.#issuerState = record.issuerState ?? this.#issuerState;
  }

  /**
   * Everything after the offer runs while holding this cb's Web Lock, so one page polls and
   * the rest wait in the lock queue (taking over if that page closes) and follow its messages.
   */
  async #drive(): Promise<void> {
    if (this.#driving || this.#done) return;
    this.#driving = true;
    const signal = this.#newRun();
    this.#transition(RESUMED_STATE[this.#record?.phase ?? 'polling']);
    let vanished = false;
    const work = async () => {
      // Another page may have moved the import on while this one waited for the lock.
      const record = await this.#read();
      if (signal.aborted || this.#done) return;
      if (!record) return void (vanished = true);
      this.#adopt(record);
      if (record.phase === 'offered') this.#transition('offered');
      else if (record.phase === 'received') await this.#deliver(await openContract(record.base64Contract!, this.#maxContractBytes()));
      else if (record.phase === 'delivered') await this.#reopen(record, signal);
      else await this.#loop(signal);
    };
    try {
      const locks = this.#store && globalThis.navigator?.locks;
      await (locks ? locks.request(`${CHANNEL}:${this.cb}`, { signal }, work) : work());
    } catch (err) {
      // Aborted lock waits land here too; only storage failures are worth telling.
      if (!signal.aborted) {
        this.#reportError(err, true);
        this.#transition('failed');
      }
    }
    this.#driving = false;
    // Finished in another page without this one hearing of it: ask the issuer afresh.
    if (vanished && !signal.aborted && !this.#done) await this.#open();
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
        return void this.#transition('failed');
      }
      // An abort ends the wait early; the loop then ends.
      await sleep(wait, signal).catch(() => undefined);
      if (signal.aborted) return;
      const record = this.#record!;
      const confirming = record.phase === 'confirming';
      let state: IssuerState = 'in_progress';
      try {
        if (confirming) {
          const answer = await this.#post(record.offer.ok_url, { address: record.address ?? '' } satisfies OkRequest, signal);
          wait = clampPollSeconds((answer as OkAnswer | null)?.poll_seconds) * 1000;
        } else {
          const check = await this.#check(record, signal);
          if (check.state === 'cancelled') return await this.#end();
          if (check.contract) return await this.#deliver(check.contract);
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
          return void this.#transition('offered');
        }
        this.#reportError(err, true);
        wait = Math.min(maxRetryMs, retryMs * 2 ** failures++);
        continue;
      }
      failures = 0;
      this.#issuerState = state;
      this.#clearError();
      await this.#save({ ...record, phase: 'polling', issuerState: state, nextPollAt: Date.now() + wait });
      this.#broadcast({ type: 'phase', phase: 'polling', address: record.address, issuerState: state });
      this.#transition('polling');
    }
  }

  /**
   * Persist, then announce, then broadcast; the record goes when the app acknowledges. A crash
   * in between, or nobody acknowledging, announces it again on the next load.
   */
  async #deliver(contract: ReceivedContract): Promise<void> {
    const { address } = this.#record!;
    await this.#save({ ...this.#record!, phase: 'received', issuerState: 'ready', base64Contract: contract.base64Contract });
    // Disposed meanwhile (the page is going): the stored record announces it on the next load.
    if (this.#life.signal.aborted) return;
    this.#announce(contract, address, true);
    this.#broadcast({ type: 'contract', address, contract });
    this.#closeChannel();
    // Still holding the cb's lock: a page queued on it must find the tombstone, not the contract.
    await this.#acking?.catch(() => undefined);
  }

  /** The contract is here; `fire`: this page delivers it (the one that polled), others only show it. */
  #announce({ base64Contract, bytes, summary }: ReceivedContract, address: string | undefined, fire: boolean): void {
    this.#finish();
    this.#address = address ?? this.#address;
    this.#contract = { base64Contract, bytes };
    this.#summary = summary;
    this.#issuerState = 'ready';
    this.#clearError();
    this.#transition('received');
    if (!fire || acknowledged.has(`${this.cb}\n${base64Contract}`)) return;
    this.fire('contract', { address: this.#address, base64Contract, bytes, summary, acknowledge: () => this.acknowledge() });
    if (this.#implicitAcks) void this.acknowledge();
  }

  /**
   * A cb delivered before: `received` at once, no `contract` event. The issuer usually still
   * answers the contract on check_url; when it gives the same bytes they are offered again.
   */
  async #reopen(record: PendingImport, signal: AbortSignal): Promise<void> {
    this.#delivered = { at: record.deliveredAt ?? record.updatedAt, sha256: record.contractHash! };
    this.#issuerState = 'ready';
    this.#transition('received');
    this.#closeChannel();
    try {
      const { contract } = await this.#check(record, signal);
      if (contract && (await sha256Hex(contract.bytes)) === record.contractHash && !signal.aborted) {
        this.#contract = { base64Contract: contract.base64Contract, bytes: contract.bytes };
        this.#summary = contract.summary;
        this.#transition('received', true);
      }
    } catch {
      // Only the download is missing; that the contract came is known from the tombstone.
    }
    this.#finish();
  }

  async #end(): Promise<void> {
    this.#finish();
    await this.#forget();
    this.#broadcast({ type: 'cancelled' });
    this.#closeChannel();
    this.#transition('cancelled');
  }

  #finish(): void {
    this.#done = true;
    this.#run?.abort();
  }

  #onMessage(m: Message | undefined): void {
    if (m?.cb !== this.cb || this.#done) return;
    try {
      if (m.type === 'contract') this.#announce(m.contract, m.address, false);
      else if (m.type === 'cancelled') {
        this.#finish();
        this.#transition('cancelled');
      } else {
        this.#address = m.address ?? this.#address;
        this.#issuerState = m.issuerState ?? this.#issuerState;
        if (m.phase === 'offered') return;
        // Another page took the offer: stop asking here and follow it (queued on its lock).
        if (this.#record) this.#record = { ...this.#record, phase: m.phase };
        if (this.#driving) this.#transition(RESUMED_STATE[m.phase]);
        else void this.#drive();
        return;
      }
    } catch (err) {
      this.#reportError(err, false);
    }
    this.#closeChannel();
  }

  /**
   * POSTs to the issuer without credentials (it knows the user by the cb URL, not by cookies),
   * reading at most `maxBytes` of the answer.
   */
  async #post(url: string, body: object, signal: AbortSignal, maxBytes = MAX_OFFER_BYTES, raw?: boolean): Promise<unknown> {
    const answer = await requestJson(url, {
      json: body,
      signal,
      credentials: 'omit',
      maxBytes,
      timeoutMs: this.#options.requestTimeoutMs ?? 30_000,
      fetch: this.#options.fetch,
      raw,
    });
    // The status decides (isRetryable), whatever an issuer's error body says.
    if (!answer.ok) throw new UploadElementsError(answer.status, `HTTP ${answer.status} from ${answer.url}`);
    if (raw) return answer.bytes;
    if (answer.invalid) throw new UploadElementsError('bad-response', `Not JSON from ${answer.url}`);
    // An empty answer (a 204, a bare 200 from ok_url) is an answer without fields.
    return answer.json ?? null;
  }

  /**
   * POSTs check_url. Its answer carries the contract as base64 (4/3 of its bytes) in a little
   * JSON, read with the contract off the main thread.
   */
  async #check(record: PendingImport, signal: AbortSignal) {
    const url = record.offer.check_url;
    const max = this.#maxContractBytes();
    return readCheckAnswer(
      (await this.#post(url, {}, signal, Math.ceil((max * 4) / 3) + 4096, true)) as Uint8Array,
      url.split('?')[0]!,
      max,
    );
  }

  /**
   * The stored record, which another page may have moved on; the one in memory when there is no
   * store, the last save failed, or reading fails (IndexedDB lost or blocked): the import goes
   * on, only a reload would lose it.
   */
  async #read(): Promise<PendingImport | undefined> {
    if (!this.#store || this.#unsaved) return this.#record;
    let record: PendingImport | undefined;
    try {
      record = await this.#store.get(this.cb);
    } catch (err) {
      this.#storageError(err);
      return this.#record;
    }
    if (record) {
      // Storage is the origin's, not this library's: a record goes through the offer's rules
      // again (URLs https and on cb's origin), and a bad one is dropped, not followed.
      try {
        if (record.cb !== this.cb) throw new UniversaError('bad-offer', 'The stored import is not for this cb.');
        record = { ...record, offer: parseOffer(record.offer, this.cb) };
      } catch (err) {
        await this.#store.remove(this.cb).catch(() => undefined);
        throw err;
      }
    }
    return record;
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

  /**
   * The one place the state changes: a step `TRANSITIONS` does not allow is refused (a late
   * step of an aborted run), a step to the same state reports a new issuer state or a cleared
   * error (`force`). A listener that throws does not break the import: EventTarget reports it as
   * an uncaught error and goes on.
   */
  #transition(to: ImportState, force?: boolean): void {
    const from = this.#state;
    const issuerState = this.#issuerState;
    if (from === to ? force || this.#reported !== issuerState : TRANSITIONS[from].includes(to)) {
      this.#state = to;
      this.#reported = issuerState;
      this.fire('state', { state: to, issuerState });
    }
  }

  #reportError(err: unknown, retryable: boolean): void {
    const error = err instanceof UploadElementsError ? err : new UploadElementsError('error', String((err as Error)?.message ?? err));
    this.fire('error', (this.#error = { error, retryable }));
  }

  #clearError(): void {
    if (this.#error) {
      this.#error = undefined;
      this.#transition(this.#state, true);
    }
  }
}
