// A page where no Worker can start (a CSP without worker-src, a CDN copy on another origin)
// still hashes, on the main thread, and says so once (issue 14, item 3). Its own file: the
// fallback is decided once per page.
import { expect } from '@open-wc/testing';
import SparkMD5 from 'spark-md5';
import { md5 } from '../../src/titan/index.js';
import { randomFile } from './titan-helpers.js';

describe('md5 when no Worker can start', () => {
  it('hashes on the main thread, matching an independent md5, and warns once per page', async () => {
    const RealWorker = globalThis.Worker;
    const warn = console.warn;
    const warnings: string[] = [];
    globalThis.Worker = function RefusedWorker() {
      throw new DOMException('Refused by the page (test)', 'SecurityError');
    } as unknown as typeof Worker;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
    try {
      const files = [randomFile(300_000), randomFile(70_000)];
      for (const file of files) expect(await md5(file)).to.equal(SparkMD5.ArrayBuffer.hash(await file.arrayBuffer()));
    } finally {
      globalThis.Worker = RealWorker;
      console.warn = warn;
    }
    expect(warnings.filter((w) => w.includes('main thread'))).to.have.length(1);
  });
});
