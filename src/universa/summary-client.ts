import { TrustedWorker } from '../internal/trusted-worker.js';
import { UniversaError } from './protocol.js';
import type { ContractSummary } from './summary.js';
import type { ReadCheck, ReceivedContract, SummaryAnswer, SummaryJob } from './summary-job.js';

export type { ContractSummary } from './summary.js';
export type { ReadCheck, ReceivedContract } from './summary-job.js';

// A module-local `Worker`: the literal `new Worker(new URL(…, import.meta.url))` form, which
// Vite recognises and bundles, goes through Trusted Types at run time.
const Worker = TrustedWorker;

/**
 * A Worker that never answers must not hold a contract back: 10 s, and 1 s more per MiB of
 * work (a worker that is busy must not be raced by the same work on the page).
 */
const workerTimeoutMs = (job: SummaryJob) => 10_000 + ('check' in job ? job.check : 'bytes' in job ? job.bytes : job.base64).length / 1024;

/**
 * The contract's summary, read in a Worker; where none can start (Node, a CSP without
 * `worker-src`, a bundle served from another origin) on this thread, from a chunk fetched then.
 */
export function contractSummary(bytes: Uint8Array): Promise<ContractSummary> {
  return run({ bytes }) as Promise<ContractSummary>;
}

/**
 * A 2xx check_url answer's raw body, read (JSON, base64, size cap, summary) off this thread. It
 * is copied there, not moved: if the Worker fails, this thread reads it after all.
 */
export function readCheckAnswer(check: Uint8Array, url: string, maxBytes: number): Promise<ReadCheck> {
  return run({ check, url, maxBytes }) as Promise<ReadCheck>;
}

/** A contract kept as base64, decoded, capped and summarized off this thread. */
export function openContract(base64: string, maxBytes: number): Promise<ReceivedContract> {
  return run({ base64, maxBytes }) as Promise<ReceivedContract>;
}

async function run(job: SummaryJob): Promise<unknown> {
  let answer: SummaryAnswer;
  try {
    answer = await inWorker(job);
  } catch {
    const { answerSummaryJob } = await import('./summary-job.js');
    answer = answerSummaryJob(job);
  }
  if ('value' in answer) return answer.value;
  // Rebuilt on this side with the code and message the job gave (`bad-response` included).
  throw new UniversaError(answer.code as never, answer.message);
}

function inWorker(job: SummaryJob): Promise<SummaryAnswer> {
  if (typeof globalThis.Worker === 'undefined' || typeof document === 'undefined') return Promise.reject(new Error('no Worker'));
  return new Promise((resolve, reject) => {
    // Kept literally in this form: Vite recognises it and bundles the worker.
    const worker = new Worker(new URL('./summary.worker.ts', import.meta.url), { type: 'module' });
    const done = () => (clearTimeout(timer), worker.terminate());
    const timer = setTimeout(() => (done(), reject(new Error('the summary worker did not answer'))), workerTimeoutMs(job));
    worker.onmessage = (event: MessageEvent<SummaryAnswer>) => (done(), resolve(event.data));
    worker.onerror = (event) => (event.preventDefault(), done(), reject(new Error('the summary worker failed')));
    worker.postMessage(job);
  });
}
