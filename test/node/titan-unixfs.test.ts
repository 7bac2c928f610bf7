// The browser's incremental UnixFS CID (src/titan/unixfs.ts) against go-unixfsnode's own test
// vectors and against an independent implementation, ipfs-unixfs-importer (src/sandbox/unixfs-cid.ts).
// The rules are those of go-unixfsnode v1.10.0 data/builder/file.go, which a Titan node runs
// (titan-node lib/carutil/car.go CreateCar → BuildUnixFSRecursive → BuildUnixFSFile).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  UnixFsFileHasher,
  UNIXFS_CHUNK_BYTES,
  UNIXFS_LINKS_PER_BLOCK,
  wasmSha256,
  webCryptoSha256,
  type Sha256,
  type UnixFsShape,
} from '../../src/titan/unixfs.js';
import { unixfsCidOfBytes, unixfsCidOfStream } from '../../src/sandbox/unixfs-cid.js';
import { digestBlob } from '../../src/titan/md5-core.js';

const CHUNK = UNIXFS_CHUNK_BYTES;
const LAYER = UNIXFS_LINKS_PER_BLOCK * CHUNK;

/** Our CID of `data`, fed in updates of the sizes `split` gives (cycled). */
async function ours(
  data: Uint8Array,
  sha256: Sha256,
  split: (i: number) => number = () => data.length,
  shape?: UnixFsShape,
): Promise<string> {
  const hasher = new UnixFsFileHasher(sha256, shape);
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.max(1, split(i));
    await hasher.update(data.subarray(at, (at += n)));
  }
  return hasher.digest();
}

/** Update sizes from 1 byte to 3 chunks, reproducibly uneven. */
const uneven = (i: number) => 1 + ((i * 7919 + 13) % (3 * CHUNK));

/**
 * Go's math/rand/v2 NewChaCha8(seed).Read (internal/chacha8rand, C2SP chacha8rand): go-unixfsnode's
 * tests fill their files with it. Per key: blocks of counters 0, 4, 8, 12, each four ChaCha8 lanes
 * interleaved word by word, only the seed words added back; the last 32 bytes are the next key.
 */
function chacha8(seed: string): (n: number) => Uint8Array {
  const key = new Uint32Array(new Uint8Array(new TextEncoder().encode(seed)).buffer);
  const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));
  function* blocks(): Generator<Uint8Array> {
    for (;;) {
      let next = key;
      for (let counter = 0; counter < 16; counter += 4) {
        const out = new Uint32Array(64); // [word][lane]
        for (let lane = 0; lane < 4; lane++) {
          const x = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, ...key, counter + lane, 0, 0, 0]);
          const qr = (a: number, b: number, c: number, d: number) => {
            x[a]! += x[b]!;
            x[d] = rotl(x[d]! ^ x[a]!, 16);
            x[c]! += x[d]!;
            x[b] = rotl(x[b]! ^ x[c]!, 12);
            x[a]! += x[b]!;
            x[d] = rotl(x[d]! ^ x[a]!, 8);
            x[c]! += x[d]!;
            x[b] = rotl(x[b]! ^ x[c]!, 7);
          };
          for (let round = 0; round < 4; round++) {
            qr(0, 4, 8, 12);
            qr(1, 5, 9, 13);
            qr(2, 6, 10, 14);
            qr(3, 7, 11, 15);
            qr(0, 5, 10, 15);
            qr(1, 6, 11, 12);
            qr(2, 7, 8, 13);
            qr(3, 4, 9, 14);
          }
          for (let w = 0; w < 16; w++) out[w * 4 + lane] = w >= 4 && w < 12 ? x[w]! + key[w - 4]! : x[w]!;
        }
        const bytes = new Uint8Array(out.buffer);
        if (counter === 12) {
          next = out.slice(56);
          yield bytes.subarray(0, 224);
        } else yield bytes;
      }
      key.set(next);
    }
  }
  const source = blocks();
  let left = new Uint8Array(0);
  return (n) => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n;) {
      if (!left.length) left = source.next().value!;
      const k = Math.min(left.length, n - at);
      out.set(left.subarray(0, k), at);
      left = left.subarray(k);
      at += k;
    }
    return out;
  };
}

describe('UnixFS file CIDs as a Titan node computes them', () => {
  let wasm: Sha256;
  before(async () => {
    wasm = await wasmSha256();
  });

  describe("when given go-unixfsnode's reference files (data/builder/file_test.go TestBuildUnixFSFile_Reference)", () => {
    // HEAD's vectors: between v1.10.0 (what titan-node's go.mod pins) and HEAD only the tests'
    // random source changed (go-test/random → ChaCha8); data/builder itself did not.
    const vectors: [number, string][] = [
      [1024, 'bafkreifb7ur7vrppfjmfzdai64b7ps2kbknn3qm2h5rgekisk4p2invbma'],
      [10 * 1024, 'bafkreib4e6kdlkbqflqxuajrc3gaojmg5h76z2uwcgylgk77rhdiymxprm'],
      [100 * 1024, 'bafkreibf7lmsphxirotzojspxp2cg4swevwade3uctwakw5ite7cfjcu4i'],
      // 40 raw leaves under one dag-pb node: pins the node's encoding (links first, empty Name,
      // Tsize, UnixFS Type/filesize/blocksizes).
      [10 * 1024 * 1024, 'bafybeihq2p6motnxdjdlhba7m6qt4xpor6n5rksasgfmfz4pq4jdh5p3e4'],
    ];
    // The files are read one after the other from one ChaCha8 stream (bareExpected).
    const files = new Map<number, Uint8Array>();
    before(() => {
      const read = chacha8('ABCDEFGHIJKLMNOPQRSTUVWXYZ123456');
      for (const [size] of vectors) files.set(size, read(size));
    });

    for (const [size, expected] of vectors) {
      it(`gives the ${size}-byte file its fixed CID (ours, WebCrypto)`, async () => {
        assert.equal(await ours(files.get(size)!, webCryptoSha256, uneven), expected, `${size} bytes, ours (WebCrypto)`);
      });

      it(`gives the ${size}-byte file its fixed CID (ours, hash-wasm)`, async () => {
        assert.equal(await ours(files.get(size)!, wasm, uneven), expected, `${size} bytes, ours (hash-wasm)`);
      });

      it(`gives the ${size}-byte file its fixed CID (the reference library)`, async () => {
        assert.equal(await unixfsCidOfBytes(files.get(size)!), expected, `${size} bytes, the reference library`);
      });
    }
  });

  describe('when compared with ipfs-unixfs-importer configured as go-unixfsnode, at each size where the layout changes', () => {
    const cases: [string, number][] = [
      // BuildUnixFSFile: no chunk at all → an empty raw block is the root.
      ['empty', 0],
      // fileTreeRecursive: one chunk → one raw leaf; the depth-2 node of one child is that child.
      ['1 byte', 1],
      ['exactly one chunk (boxo chunker DefaultBlockSize, 256 KiB)', CHUNK],
      ['one chunk + 1 byte: a dag-pb node over two raw leaves', CHUNK + 1],
      ['a multi-chunk file with a partial last chunk', 10 * CHUNK + 12_345],
      ['exactly one full layer (DefaultLinksPerBlock × chunk): one node of 174 leaves', LAYER],
      // depth 3: [the full node, fileTreeRecursive(2) over one leaf = that raw leaf itself].
      ['one full layer + 1 byte: the 175th leaf hangs off the root itself (degenerate case)', LAYER + 1],
      ['one full layer + a chunk and a bit: the root over a full node and a node of two leaves', LAYER + CHUNK + 99],
    ];
    for (const [what, size] of cases) {
      describe(`when the file is ${what}`, () => {
        let data: Uint8Array;
        let expected: string;
        before(async () => {
          data = randomBytes(size);
          expected = await unixfsCidOfBytes(data);
        });
        after(() => {
          data = new Uint8Array(0); // up to 45 MB per case: one case's bytes in memory at a time
        });

        it('gives the same CID from one update (WebCrypto)', async () => {
          assert.equal(await ours(data, webCryptoSha256), expected, `${what}: one update (WebCrypto)`);
        });

        it('gives the same CID from uneven updates (hash-wasm)', async () => {
          assert.equal(await ours(data, wasm, uneven), expected, `${what}: uneven updates (hash-wasm)`);
        });

        it('gives the same CID from updates around chunk edges', async () => {
          assert.equal(
            await ours(data, webCryptoSha256, (i) => [CHUNK, 1, CHUNK - 1, 2 * CHUNK + 3][i % 4]!),
            expected,
            `${what}: updates around chunk edges`,
          );
        });

        it(size > CHUNK ? 'is a dag-pb root (above one chunk)' : 'is a raw leaf (up to one chunk)', () => {
          assert.match(expected, size > CHUNK ? /^bafybei/ : /^bafkrei/, `${what}: a dag-pb root above one chunk, a raw leaf up to one`);
        });
      });
    }

    describe('when one chunk + 1 byte is fed 1 byte at a time', () => {
      it('gives the same CID', async () => {
        const small = randomBytes(CHUNK + 1);
        assert.equal(await ours(small, wasm, () => 1), await unixfsCidOfBytes(small), 'one chunk + 1 byte fed 1 byte at a time');
      });
    });
  });

  describe('when the tree is deep (small chunks and links per node, as go-unixfsnode "size-N" chunkers allow)', () => {
    // fileTreeRecursive at every depth: groups of linksPerBlock children, a last group of one is that
    // child itself, and BuildUnixFSFile grows the depth until the root stops changing.
    const shape = { chunkBytes: 4, linksPerBlock: 3 };
    const data = randomBytes(4 * (3 ** 4 + 5));
    const results: { size: number; ours: string; expected: string }[] = [];
    before(async () => {
      for (let size = 0; size <= data.length; size++) {
        const bytes = data.subarray(0, size);
        results.push({ size, ours: await ours(bytes, wasm, (i) => 1 + (i % 6), shape), expected: await unixfsCidOfBytes(bytes, shape) });
      }
    });

    it('gives the same CID as the reference at every size up to four full layers', () => {
      for (const r of results) assert.equal(r.ours, r.expected, `${r.size} bytes`);
    });

    it('gives every size its own CID', () => {
      const seen = new Set(results.map((r) => r.expected));
      assert.equal(seen.size, data.length + 1, 'every size gives its own CID');
    });
  });

  describe('when unixfsCidOfStream streams a file from disk', () => {
    let data: Uint8Array;
    let dir: string;
    let expected: string;
    before(async () => {
      data = randomBytes(LAYER + 3 * CHUNK + 7);
      dir = await mkdtemp(join(tmpdir(), 'unixfs-'));
      await writeFile(join(dir, 'file.bin'), data);
      expected = await unixfsCidOfBytes(data);
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('agrees with unixfsCidOfBytes', async () => {
      assert.equal(await unixfsCidOfStream(createReadStream(join(dir, 'file.bin'))), expected);
    });

    it('agrees with the browser hasher', async () => {
      assert.equal(await ours(data, webCryptoSha256, uneven), expected);
    });
  });

  describe('when digestBlob reads a file', () => {
    const data = randomBytes(12 * CHUNK + 321);
    const md5 = createHash('md5').update(data).digest('hex');
    let cid: string;
    before(async () => {
      cid = await unixfsCidOfBytes(data);
    });

    it('gives md5 and CID from one read of a byte stream, whatever its chunks', async () => {
      let at = 0;
      // A byte stream handing out uneven chunks, read into md5-core's one reused buffer.
      const stream = () =>
        new ReadableStream({
          type: 'bytes',
          pull(controller) {
            if (at >= data.length) {
              controller.close();
              controller.byobRequest?.respond(0);
              return;
            }
            const n = uneven(at);
            controller.enqueue(new Uint8Array(data.subarray(at, (at += n))));
          },
        });
      const blob = { size: data.length, stream } as unknown as Blob;
      assert.deepEqual(await digestBlob(blob, { cid: true }), { md5, cid });
    });

    it('gives md5 and CID of a real Blob', async () => {
      assert.deepEqual(await digestBlob(new Blob([data]), { cid: true }), { md5, cid });
    });

    it('gives no CID unless asked for', async () => {
      assert.deepEqual(await digestBlob(new Blob([data])), { md5 }, 'no CID unless asked for');
    });

    it('gives the md5 and CID of an empty file', async () => {
      assert.deepEqual(await digestBlob(new Blob([]), { cid: true }), {
        md5: 'd41d8cd98f00b204e9800998ecf8427e',
        cid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
      });
    });
  });
});
