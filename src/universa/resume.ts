import { ImportSession, type ImportSessionOptions } from './session.js';
import { defaultPendingStore } from './store.js';

export interface ResumeOptions extends ImportSessionOptions {
  /** cbs this page handles itself (the element passes the one it shows). */
  exclude?: Iterable<string>;
  /**
   * Called for each session before it resumes: attach `contract`/`state`/`error` listeners here
   * (a `contract` listener calls `detail.acknowledge()` once the app has the contract safe).
   */
  onSession?: (session: ImportSession) => void;
}

/**
 * Resumes every pending import of this origin: polls what was being polled (one page per cb,
 * the others follow), announces contracts that arrived but were never announced, and puts
 * unanswered offers back in state `offered` for a UI to show. A received contract stays stored
 * until it is acknowledged.
 */
export async function resumePendingImports(options: ResumeOptions = {}): Promise<ImportSession[]> {
  const store = options.store === undefined ? defaultPendingStore() : options.store;
  if (!store) return [];
  const skip = new Set(options.exclude);
  const sessions = (await store.list())
    // A tombstone is a finished import: only opening its cb again looks at it.
    .filter((record) => record.phase !== 'delivered' && !skip.has(record.cb))
    .map((record) => new ImportSession(record.cb, { ...options, store }));
  for (const session of sessions) {
    options.onSession?.(session);
    void session.start();
  }
  return sessions;
}
