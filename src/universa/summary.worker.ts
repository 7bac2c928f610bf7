// Reads a received contract's summary off the main thread: a 16 MiB contract must not stall the page.
import { summarizeContract } from './summary.js';

addEventListener('message', (event: MessageEvent<Uint8Array>) => {
  postMessage(summarizeContract(event.data));
});
