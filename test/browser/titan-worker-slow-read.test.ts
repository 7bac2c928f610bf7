// A hashing Worker that started and took its job but is slow to read the file's first chunk (a
// file on a network drive, a cloud-synced file fetched on read, a busy machine) is waited for:
// the start watchdog is for a Worker that never starts, not for a slow read. Its own file: a
// fallback would be decided once for the page.
import { expect } from '@open-wc/testing';
import SparkMD5 from 'spark-md5';
import { md5 } from '../../src/titan/index.js';
import { randomFile, workerWithReplyFilter } from './titan-helpers.js';

/** Past md5.ts's 10 s start watchdog. */
const SLOW_READ_MS = 10_500;

describe('md5 when the Worker is slow to read the first chunk', () => {
  it('waits for the Worker: hashed there, no main-thread fallback, no warning', async function () {
    this.timeout(30_000);
    const RealWorker = globalThis.Worker;
    const warn = console.warn;
    const warnings: string[] = [];
    let delayed = 0;
    // The Worker's hashing replies (progress, done) reach the page SLOW_READ_MS late, as if its
    // first read took that long; anything it says on taking the job is not held back.
    const SlowReader = workerWithReplyFilter((_, event, deliver) => {
      if (event.data.type !== 'progress' && event.data.type !== 'done') return deliver();
      delayed++;
      setTimeout(deliver, SLOW_READ_MS);
    });
    globalThis.Worker = SlowReader;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
    try {
      const file = randomFile(300_000);
      expect(await md5(file)).to.equal(SparkMD5.ArrayBuffer.hash(await file.arrayBuffer()));
    } finally {
      globalThis.Worker = RealWorker;
      console.warn = warn;
    }
    expect(delayed, 'the hash came from the Worker').to.be.greaterThan(0);
    expect(warnings.filter((w) => w.includes('main thread'))).to.deep.equal([]);
  });
});
