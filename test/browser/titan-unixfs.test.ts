// hashFile's md5 + Titan CID in one read, in the Worker, on the main thread and without
// WebAssembly, against values computed in Node with node:crypto and ipfs-unixfs-importer
// (src/sandbox/unixfs-cid.ts) for the same bytes. Its own file: refusing WebAssembly is per realm.
import { expect } from '@open-wc/testing';
import { refuseWasm } from '../../src/titan/page-hash.js';
import { hashFile } from '../../src/titan/md5.js';

/** 12 full 256 KiB chunks and a partial one, from xorshift32: the same bytes as in Node. */
function deterministicFile(size = 3 * 1024 * 1024 + 12_345): File {
  const out = new Uint8Array(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return new File([out], 'file.bin');
}

// node:crypto md5 and unixfsCidOfBytes of deterministicFile(), computed when this test was written.
const expected = { md5: '1450d7c724edbd2e5dbbcfa54c83038f', cid: 'bafybeiejbmn25wzyzunznr7divoofqefxoujgmoel66tta7evebpxa4wze' };

describe('hashFile: md5 and UnixFS CID from one read', () => {
  const file = deterministicFile();

  it('in the Worker', async () => {
    const progress: number[] = [];
    expect(await hashFile(file, { worker: 'require', cid: true, onProgress: (done) => progress.push(done) })).to.deep.equal(expected);
    expect(progress.at(-1)).to.equal(file.size);
    // The warm worker is reused; without `cid` there is none.
    expect(await hashFile(file, { worker: 'require' })).to.deep.equal({ md5: expected.md5 });
  });

  it('on the main thread', async () => {
    expect(await hashFile(file, { worker: false, cid: true })).to.deep.equal(expected);
  });

  it('on the main thread with WebAssembly refused (plain-JS md5, WebCrypto SHA-256)', async () => {
    refuseWasm();
    expect(await hashFile(file, { worker: false, cid: true })).to.deep.equal(expected);
  });
});
