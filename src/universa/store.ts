/**
 * Pending imports, kept so a closed or reloaded page can pick up where it stopped
 * (the import-tokens flow's "restore after a premature page close"). One record per cb in
 * IndexedDB through idb-keyval, in its own database so nothing else on the origin collides.
 */
import { createStore, del, entries, get, set, type UseStore } from 'idb-keyval';
import type { IssuerOffer, IssuerState } from './protocol.js';

/**
 * How far an import got: `offered` (popup not answered yet), `confirming` (ok_url being sent),
 * `polling` (waiting for check_url), `received` (contract stored, not yet acknowledged),
 * `delivered` (a tombstone: the contract was acknowledged; only its hash and time are kept, so
 * the same cb opened again is not delivered a second time).
 */
export type PendingPhase = 'offered' | 'confirming' | 'polling' | 'received' | 'delivered';

export interface PendingImport {
  cb: string;
  /** The issuer's answer to `POST cb` (validated, URLs absolute). */
  offer: IssuerOffer;
  phase: PendingPhase;
  /** The address sent (or about to be sent) to ok_url; absent when restored from the issuer. */
  address?: string;
  issuerState?: IssuerState;
  /** When the next `check_url` poll is due (ms since epoch). */
  nextPollAt?: number;
  /** Set in phase `received`, until the contract has been acknowledged. */
  base64Contract?: string;
  /** Phase `delivered`: SHA-256 (hex) of the contract's bytes, and when it was acknowledged. */
  contractHash?: string;
  deliveredAt?: number;
  createdAt: number;
  updatedAt: number;
}

/**
 * A record nobody touched for this long is dropped: long 2-phase confirmations still fit, an
 * import abandoned for a week does not come back as a surprise popup, and a delivered cb's
 * tombstone lasts as long.
 */
export const PENDING_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/** Where sessions keep their records; the default is IndexedDB, tests may pass a Map-backed one. */
export interface PendingStore {
  get(cb: string): Promise<PendingImport | undefined>;
  put(record: PendingImport): Promise<void>;
  remove(cb: string): Promise<void>;
  list(): Promise<PendingImport[]>;
}

const PHASES: readonly unknown[] = ['offered', 'confirming', 'polling', 'received', 'delivered'];

/** Records come from disk, possibly from another version of this library: check before use. */
export const isPendingImport = (v: unknown): v is PendingImport =>
  PHASES.includes((v as PendingImport | null)?.phase) &&
  typeof (v as PendingImport).offer?.check_url === 'string' &&
  ((v as PendingImport).phase !== 'received' || typeof (v as PendingImport).base64Contract === 'string') &&
  ((v as PendingImport).phase !== 'delivered' || typeof (v as PendingImport).contractHash === 'string');

const fresh = (r: PendingImport, now: number) => now - r.updatedAt < PENDING_MAX_AGE_MS;

let db: UseStore | undefined;
// Opened on first use: importing the module must not touch IndexedDB.
const idb = () => (db ??= createStore('universa-import', 'pending'));

export const idbPendingStore: PendingStore = {
  async get(cb) {
    const r: unknown = await get(cb, idb());
    if (isPendingImport(r) && fresh(r, Date.now())) return r;
    if (r !== undefined) await del(cb, idb());
    return undefined;
  },
  put: (record) => set(record.cb, record, idb()),
  remove: (cb) => del(cb, idb()),
  async list() {
    const now = Date.now();
    const kept: PendingImport[] = [];
    for (const [key, r] of await entries<IDBValidKey, unknown>(idb())) {
      if (isPendingImport(r) && fresh(r, now)) kept.push(r);
      else await del(key, idb());
    }
    return kept.sort((a, b) => a.createdAt - b.createdAt);
  },
};

/** The store sessions use unless told otherwise: IndexedDB where there is one. */
export const defaultPendingStore = (): PendingStore | null => (typeof indexedDB === 'undefined' ? null : idbPendingStore);
