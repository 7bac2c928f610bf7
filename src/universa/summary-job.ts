/**
 * The work on a received contract that could stall the page, done in the summary Worker
 * (summary.worker.ts), or on the main thread where no Worker starts: the check_url answer's
 * JSON (up to 4/3 of `maxContractBytes` of base64), its base64, the size cap and the summary.
 * DOM-free. Errors are the ones the session reported when it did this itself.
 */
import { UploadElementsError } from '../internal/errors.js';
import { decodeBase64, parseCheckAnswer, UniversaError, type IssuerState } from './protocol.js';
import { summarizeContract, type ContractSummary } from './summary.js';

/** A contract as the session keeps it: the text the issuer sent, its bytes, what it is. */
export interface ReceivedContract {
  base64Contract: string;
  bytes: Uint8Array<ArrayBuffer>;
  summary: ContractSummary;
}

/** A check answer, read: the issuer's state and `poll_seconds`, or the contract. */
export interface ReadCheck {
  state: IssuerState;
  poll_seconds?: unknown;
  contract?: ReceivedContract;
}

export type SummaryJob =
  /** The raw body of a 2xx check_url answer; `url` names it in messages. */
  | { check: Uint8Array; url: string; maxBytes: number }
  /** A contract kept as base64 (a stored record). */
  | { base64: string; maxBytes: number }
  | { bytes: Uint8Array };

/** What a job answers across the Worker boundary: its value, or the error's code and message. */
export type SummaryAnswer = { value: ReadCheck | ReceivedContract | ContractSummary } | { code: string | number; message: string };

export function runSummaryJob(job: SummaryJob): ReadCheck | ReceivedContract | ContractSummary {
  if ('bytes' in job) return summarizeContract(job.bytes);
  if ('base64' in job) return openContract(job.base64, job.maxBytes);
  const text = new TextDecoder().decode(job.check);
  let json: unknown = null;
  try {
    // An empty answer (a 204) is an answer without fields: `bad-answer` below.
    if (text.trim()) json = JSON.parse(text);
  } catch {
    throw new UploadElementsError('bad-response', `Not JSON from ${job.url}`);
  }
  const { state, poll_seconds, base64_contract } = parseCheckAnswer(json);
  return { state, poll_seconds, contract: base64_contract == null ? undefined : openContract(base64_contract, job.maxBytes) };
}

function openContract(base64Contract: string, maxBytes: number): ReceivedContract {
  const bytes = decodeBase64(base64Contract);
  if (bytes.byteLength > maxBytes) throw new UniversaError('too-large', `The contract is larger than ${maxBytes} bytes.`);
  return { base64Contract, bytes, summary: summarizeContract(bytes) };
}

/** The job's answer, never a throw (a Worker posts it back as it is). */
export function answerSummaryJob(job: SummaryJob): SummaryAnswer {
  try {
    return { value: runSummaryJob(job) };
  } catch (err) {
    const { code = 'error', message = String(err) } = err as Partial<UploadElementsError>;
    return { code, message };
  }
}
