import { TrustedWorker } from '../internal/trusted-worker.js';
import type { ContractSummary } from './summary.js';

export type { ContractSummary } from './summary.js';

// A module-local `Worker`: the literal `new Worker(new URL(…, import.meta.url))` form, which
// Vite recognises and bundles, goes through Trusted Types at run time.
const Worker = TrustedWorker;

/** A Worker that never answers must not hold a contract back. */
const WORKER_TIMEOUT_MS = 10_000;

/**
 * The contract's summary, read in a Worker; where none can start (Node, a CSP without
 * `worker-src`, a bundle served from another origin) on this thread, from a chunk fetched then.
 */
export async function contractSummary(bytes: Uint8Array): Promise<ContractSummary> {
  try {
    return await inWorker(bytes);
  } catch {
    const { summarizeContract } = await import('./summary.js');
    return summarizeContract(bytes);
  }
}

function inWorker(bytes: Uint8Array): Promise<ContractSummary> {
  if (typeof globalThis.Worker === 'undefined' || typeof document === 'undefined') return Promise.reject(new Error('no Worker'));
  return new Promise((resolve, reject) => {
    // Kept literally in this form: Vite recognises it and bundles the worker.
    const worker = new Worker(new URL('./summary.worker.ts', import.meta.url), { type: 'module' });
    const done = () => (clearTimeout(timer), worker.terminate());
    const timer = setTimeout(() => (done(), reject(new Error('the summary worker did not answer'))), WORKER_TIMEOUT_MS);
    worker.onmessage = (event: MessageEvent<ContractSummary>) => (done(), resolve(event.data));
    worker.onerror = (event) => (event.preventDefault(), done(), reject(new Error('the summary worker failed')));
    worker.postMessage(bytes);
  });
}
