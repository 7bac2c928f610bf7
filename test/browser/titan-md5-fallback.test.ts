// A page whose CSP refuses WebAssembly hashes with the plain-JS md5, which is fetched only then.
// Its own file: refusing WebAssembly is decided once per realm.
import { expect } from '@open-wc/testing';
import SparkMD5 from 'spark-md5';
import { refuseWasm } from '../../src/titan/page-hash.js';
import { md5 } from '../../src/titan/index.js';
import { randomFile } from './titan-helpers.js';

// The test page loads hundreds of modules; keep room to see the one that matters.
performance.setResourceTimingBufferSize(100_000);

describe('md5 without WebAssembly', () => {
  it('loads the plain-JS md5 on demand and hashes on the main thread, matching an independent md5', async () => {
    const loaded = () => performance.getEntriesByType('resource').some((e) => /\/md5-js\.ts/.test(e.name));
    expect(loaded(), 'not fetched before it is needed').to.equal(false);
    refuseWasm();
    const file = randomFile(3 * 1024 * 1024 + 5);
    expect(await md5(file, { worker: false })).to.equal(SparkMD5.ArrayBuffer.hash(await file.arrayBuffer()));
    expect(loaded(), 'fetched once WebAssembly was refused').to.equal(true);
  });
});
