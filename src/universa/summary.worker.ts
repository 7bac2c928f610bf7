// Reads a received contract off the main thread (summary-job.ts): a 16 MiB contract is 22 MB
// of JSON and base64, which must not stall the page.
import { answerSummaryJob, type SummaryJob } from './summary-job.js';

addEventListener('message', (event: MessageEvent<SummaryJob>) => {
  const answer = answerSummaryJob(event.data);
  const value = 'value' in answer ? answer.value : undefined;
  const bytes = value && ('contract' in value ? value.contract?.bytes : 'bytes' in value ? value.bytes : undefined);
  // The decoded bytes move to the page rather than being copied.
  postMessage(answer, { transfer: bytes ? [bytes.buffer] : [] });
});
