// A folder as one Titan asset (issue 15, item 1), against the sandbox, whose create_asset and
// node `/upload` replicate titan-explorer api/events.go CreateAssetPostHandler and titan-node
// node/httpserver/handler_upload.go uploadHandler + node/asset/storage saveUserAsset (the CAR
// must be the announced size and hold every block under the root). The expected root CIDs come
// from ipfs-unixfs-importer (IPFS's own importer), not from the client's packer.
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import '../../src/titan/titan-uploader.js';
import type { TitanUploader, TitanUploadResult } from '../../src/titan/index.js';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { TitanClient, type TitanError, type FolderEntry, type UploadFolderResult } from '../../src/titan/index.js';
import { packFolder } from '../../src/titan/folder.js';
import { fileDag } from '../../src/titan/md5.js';
import { pageSha256 } from '../../src/titan/page-hash.js';
import { unixfsDirectoryCid } from '../../src/sandbox/unixfs-cid.js';
import { demoToken, is, knob, randomFile, requestLog, resetSandbox, titanApi, type LogEntry } from './titan-helpers.js';
import { caught } from './titan-helpers.js';
import { recordOnce } from './situation.js';

const situation = <T>(run: () => Promise<T>) => recordOnce(run, resetSandbox);

async function makeClient(): Promise<TitanClient> {
  return new TitanClient({ apiUrl: await titanApi(), tokenProvider: () => demoToken(), retry: { perNode: 1, delaysMs: [10] } });
}

async function reference(entries: FolderEntry[]): Promise<string> {
  return unixfsDirectoryCid(
    await Promise.all(entries.map(async (e) => ({ path: e.path, content: new Uint8Array(await e.data.arrayBuffer()) }))),
  );
}

/** A CARv1 read back: its header's roots and its blocks, each checked against its CID's hash. */
async function readCar(car: Blob): Promise<{ roots: string[]; blocks: Map<string, Uint8Array>; badHashes: string[] }> {
  const bytes = new Uint8Array(await car.arrayBuffer());
  let at = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
  };
  const headerEnd = varint() + at;
  // The header is DAG-CBOR {roots: [tag 42 bytes], version: 1}: its CIDs follow the 0x00 prefix.
  const header = bytes.subarray(at, headerEnd);
  const roots: string[] = [];
  for (let i = 0; i < header.length - 3; i++) {
    if (header[i] === 0xd8 && header[i + 1] === 0x2a) roots.push(CID.decodeFirst(header.subarray(i + 5))[0].toString());
  }
  at = headerEnd;
  const blocks = new Map<string, Uint8Array>();
  const badHashes: string[] = [];
  while (at < bytes.length) {
    const end = varint() + at;
    const [cid, data] = CID.decodeFirst(bytes.subarray(at, end));
    const digest = await sha256.digest(data);
    if (digest.digest.join() !== cid.multihash.digest.join()) badHashes.push(cid.toString());
    blocks.set(cid.toString(), data);
    at = end;
  }
  return { roots, blocks, badHashes };
}

const text = (s: string) => new Blob([s]);

describe('Folder upload as one asset (TitanClient.uploadFolder)', () => {
  describe('when packing a folder', () => {
    const run = situation(async () => {
      const big = randomFile(700 * 1024 + 3); // three leaves under a dag-pb node
      const entries: FolderEntry[] = [
        { path: 'readme.txt', data: text('hello') },
        { path: 'docs/big.bin', data: big },
        { path: 'docs/copy.bin', data: big }, // the same bytes: its blocks are written once
        { path: 'docs/deeper/ünï cödé.txt', data: text('names are UTF-8') },
        { path: 'B.txt', data: text('upper case sorts first') },
        { path: 'empty.txt', data: new Blob([]) },
      ];
      const packed = await packFolder(entries, { dag: (blob, o) => fileDag(blob, o), sha256: pageSha256 });
      return { entries, packed, expected: await reference(entries), car: await readCar(packed.car) };
    });

    it('computes the root CID IPFS’s own importer computes for the same files', () => {
      expect(run().packed.cid).to.equal(run().expected);
    });

    it('writes a CARv1 whose header names that root', () => {
      expect(run().car.roots).to.deep.equal([run().expected]);
    });

    it('writes blocks whose bytes hash to their CIDs (leaves are slices of the files)', () => {
      expect(run().car.badHashes).to.deep.equal([]);
    });

    it('writes a repeated block once (two copies of one file add no blocks)', () => {
      // root dir, docs, deeper, readme, big's 3 leaves + its node, ünï, B, empty: 11 distinct blocks.
      expect(run().car.blocks.size).to.equal(11);
    });

    it('counts the files and their bytes', () => {
      expect(run().packed.files).to.equal(6);
      expect(run().packed.bytes).to.equal(5 + 2 * (700 * 1024 + 3) + 15 + 22);
    });
  });

  describe('when a folder cannot be one asset', () => {
    const cases: [string, FolderEntry[]][] = [
      ['no files', []],
      [
        'a path twice',
        [
          { path: 'a.txt', data: text('1') },
          { path: 'a.txt', data: text('2') },
        ],
      ],
      ['an empty segment', [{ path: 'a//b.txt', data: text('1') }]],
      ['a ".." segment', [{ path: '../b.txt', data: text('1') }]],
      [
        'a file that is a folder too',
        [
          { path: 'a', data: text('1') },
          { path: 'a/b.txt', data: text('2') },
        ],
      ],
    ];
    for (const [what, entries] of cases) {
      it(`refuses ${what} with bad-folder, before any request`, async () => {
        await resetSandbox();
        const err = await caught((await makeClient()).uploadFolder(entries, { name: 'x' }));
        expect(err.code).to.equal('bad-folder');
        expect((await requestLog('titan')).filter(is.createAsset)).to.have.length(0);
      });
    }
  });

  describe('when uploading a folder', () => {
    const run = situation(async () => {
      const entries: FolderEntry[] = [
        { path: 'a.txt', data: text(`alpha ${Math.random()}`) },
        { path: 'photos/b.bin', data: randomFile(300 * 1024) },
      ];
      const phases: string[] = [];
      let progress = [0, 0];
      const result = await (
        await makeClient()
      ).uploadFolder(entries, {
        name: 'holiday',
        extraId: 'f-1',
        onPhase: (p) => phases.push(p),
        onProgress: (sent, total) => (progress = [sent, total]),
      });
      const log = await requestLog('titan');
      await waitUntil(async () => (await knob('titan', 'callbacks')).length > 0, 'no callback', { timeout: 5000 }).catch(() => undefined);
      return {
        entries,
        result,
        phases,
        progress,
        log,
        expected: await reference(entries),
        assets: await knob('titan', 'assets'),
        callbacks: await knob('titan', 'callbacks'),
      };
    });
    const createBody = () => run().log.find(is.createAsset)!.body as Record<string, unknown>;
    const carPost = () => run().log.find((e: LogEntry) => e.method === 'POST' && /^\/titan-node\/[^/]+\/upload$/.test(e.path));

    it('resolves the importer’s root CID, verified, not deduplicated, with the extra_id', () => {
      expect(run().result).to.include({
        cid: run().expected,
        name: 'holiday',
        verified: true,
        deduplicated: false,
        extraId: 'f-1',
        files: 2,
      });
    });

    it('announces it with create_asset: asset_type folder, asset_size the CAR’s size, no node, no md5', () => {
      expect(createBody()).to.include({
        asset_name: 'holiday',
        asset_type: 'folder',
        asset_cid: run().expected,
        asset_size: run().result.size,
        node_id: '',
        md5: '',
        extra_id: 'f-1',
      });
    });

    it('posts the CAR to the node create_asset named (/upload), with that node’s token', () => {
      const post = carPost();
      expect(post, 'a POST to a node’s /upload').to.exist;
      expect(post!.headers['authorization']).to.match(/^Bearer ey/);
    });

    it('goes through md5 (reading), create-asset, node-upload, report, done', () => {
      expect(run().phases).to.deep.equal(['md5', 'create-asset', 'node-upload', 'report', 'done']);
    });

    it('ends its progress at the CAR’s size', () => {
      expect(run().progress).to.deep.equal([run().result.size, run().result.size]);
    });

    it('is the user’s asset of type folder, and its report queued the app’s callback', () => {
      const asset = run().assets.find((a) => a.cid === run().expected);
      expect(asset).to.include({ type: 'folder', name: 'holiday', size: run().result.size, extraId: 'f-1' });
      expect(run().result.report).to.deep.equal({ status: 'sent', tries: 1 });
      expect(run().callbacks.some((c) => JSON.stringify(c).includes(run().expected))).to.equal(true);
    });

    it('answers deduplicated the second time (create_asset 1017), sending nothing', async () => {
      const again = await (await makeClient()).uploadFolder(run().entries, { name: 'holiday' });
      expect(again).to.include({ cid: run().expected, deduplicated: true, verified: false });
      const posts = (await requestLog('titan')).filter((e) => e.path.endsWith('/upload'));
      expect(posts).to.have.length(1);
    });
  });

  describe('when no node takes the CAR', () => {
    const run = situation(async () => {
      const entries: FolderEntry[] = [{ path: 'x.txt', data: text(`x ${Math.random()}`) }];
      for (const nodeId of ['node1', 'node2']) await knob('titan', 'node', { nodeId, mode: 'error', failCount: 1 });
      const err = await caught((await makeClient()).uploadFolder(entries, { name: 'failing' }));
      const afterFailure = await requestLog('titan');
      const retried = await (await makeClient()).uploadFolder(entries, { name: 'failing' });
      return { err, afterFailure, retried };
    });

    it('fails with the node’s error', () => {
      expect(run().err.message).to.match(/no space left on device/);
    });

    it('deletes the asset create_asset recorded, so a retry is not answered 1017', () => {
      expect(run().afterFailure.some((e) => e.path.endsWith('/delete_asset'))).to.equal(true);
    });

    it('uploads on the retry', () => {
      expect(run().retried).to.include({ deduplicated: false, verified: true });
    });
  });

  describe('when the upload is cancelled while the CAR is on its way', () => {
    const run = situation(async () => {
      // Large enough that the CAR is still on its way (the slow node reads nothing) when cancelled.
      const entries: FolderEntry[] = [{ path: 'x.bin', data: randomFile(24 * 1024 * 1024) }];
      for (const nodeId of ['node1', 'node2']) await knob('titan', 'node', { nodeId, mode: 'slow', delayMs: 5000, failCount: 1 });
      const controller = new AbortController();
      const upload = (await makeClient()).uploadFolder(entries, {
        name: 'cancelled',
        signal: controller.signal,
        onPhase: (p) => void (p === 'node-upload' && setTimeout(() => controller.abort(), 200)),
      });
      const err = await caught(upload);
      const log = await requestLog('titan');
      // A node forgets the announced upload once it sees the cancelled request's connection end
      // (node/asset manager.go SaveUserAsset); until then create_asset finds it "already
      // uploading" there and offers no node (10008). Tried again, boundedly, as a user would.
      let retried: UploadFolderResult | undefined;
      for (let i = 0; i < 20 && !retried; i++) {
        retried = await (await makeClient()).uploadFolder(entries, { name: 'cancelled' }).catch(async (e: TitanError) => {
          if (e.code !== 10008) throw e;
          await new Promise((r) => setTimeout(r, 250));
          return undefined;
        });
      }
      return { err, log, retried };
    });

    it('rejects with aborted', () => {
      expect(run().err.code).to.equal('aborted');
    });

    it('deletes the asset create_asset had recorded', () => {
      expect(run().log.filter((e) => e.path.endsWith('/delete_asset'))).to.have.length(1);
    });

    it('stores the folder when tried again', () => {
      expect(run().retried).to.include({ deduplicated: false, verified: true });
    });
  });

  describe('when a folder of 1,000 small files is uploaded', () => {
    const run = situation(async () => {
      const entries: FolderEntry[] = Array.from({ length: 1000 }, (_, i) => ({
        path: `d${i % 10}/file-${i}.txt`,
        data: text(`file ${i} ${Math.random()}`),
      }));
      const result = await (await makeClient()).uploadFolder(entries, { name: 'thousand' });
      return { result, expected: await reference(entries) };
    });

    it('stores it under the importer’s root CID', () => {
      expect(run().result).to.include({ cid: run().expected, verified: true, files: 1000 });
    });
  });

  // ipfs-unixfs-importer dir-sharded.js / flat-to-shard.js (shardSplitThresholdBytes 256 KiB,
  // links-bytes), go-unixfs hamt: murmur3-x64-64 of each name picks its slot, 8 bits a level.
  describe('when a directory is too wide for one block (1,200 long names: a HAMT-sharded directory)', () => {
    const run = situation(async () => {
      const entries: FolderEntry[] = [
        // 1,200 links of a 200-byte name and a 36-byte CID: 283 KB of links, past 256 KiB.
        ...Array.from({ length: 1200 }, (_, i) => ({
          path: `wide/${String(i).padStart(5, '0')}-${'long name '.repeat(19)}.txt`,
          data: text(`entry ${i} ${Math.random()}`),
        })),
        { path: 'wide/sub/inside.txt', data: text(`a folder among the entries ${Math.random()}`) },
        { path: 'readme.txt', data: text('beside the wide folder') },
      ];
      const packed = await packFolder(entries, { dag: (blob, o) => fileDag(blob, o), sha256: pageSha256 });
      const car = await readCar(packed.car);
      // UnixFS Data of a dag-pb block (its last field, 0x0a): Type 5 is HAMTShard.
      const shards = [...car.blocks.values()].filter((b) => {
        const at = b.lastIndexOf(0x0a, b.length - 2);
        return at >= 0 && b[at + 2] === 0x08 && b[at + 3] === 5;
      }).length;
      const result = await (await makeClient()).uploadFolder(entries, { name: 'wide' });
      return { packed, car, shards, result, expected: await reference(entries) };
    });

    it('computes the root CID the importer computes, shards and all', () => {
      expect(run().packed.cid).to.equal(run().expected);
    });

    it('writes the shard and its sub-shards as blocks that hash to their CIDs', () => {
      expect(run().shards).to.be.greaterThan(1);
      expect(run().car.badHashes).to.deep.equal([]);
    });

    it('is stored: the node finds every block under the root', () => {
      expect(run().result).to.include({ cid: run().expected, verified: true, files: 1202 });
    });
  });
});

describe('<titan-uploader folder-upload="asset">', () => {
  /** Adds files as the Dashboard does for a dropped folder (Uppy's `meta.relativePath`). */
  const drop = (el: TitanUploader, files: [string, Blob][]) =>
    el.uppy.addFiles(files.map(([path, data]) => ({ name: path.split('/').pop()!, data, source: 'test', meta: { relativePath: path } })));

  const mount = async (mode?: string) =>
    fixture<TitanUploader>(
      html`<titan-uploader api-url=${await titanApi()} token-url="/app/titan/token" extra-id-url="/app/titan/extra-id" folder-upload=${mode ?? ''} locale="en"></titan-uploader>`,
    );

  describe('when a folder is dropped with a loose file', () => {
    const run = situation(async () => {
      const el = await mount('asset');
      const successes: TitanUploadResult[] = [];
      el.addEventListener('titan-upload-success', (e) => successes.push(e.detail));
      const folderFiles: [string, Blob][] = [
        ['trip/a.txt', text(`a ${Math.random()}`)],
        ['trip/photos/b.bin', randomFile(200_000)],
        // The same name in a subfolder: Titan's JS SDK packs File.name (ipfs-car
        // createDirectoryEncoderStream), so it flattens the folder and keeps one of the two.
        ['trip/photos/a.txt', text(`another a ${Math.random()}`)],
      ];
      drop(el, [...folderFiles, ['loose.txt', text(`loose ${Math.random()}`)]]);
      const report = await el.upload();
      await el.updateComplete;
      const rows = [...el.shadowRoot!.querySelectorAll('li.result')].map((li) => li.textContent!.replace(/\s+/g, ' ').trim());
      const expected = await reference(folderFiles.map(([path, data]) => ({ path: path.slice('trip/'.length), data })));
      const extraIds = (await requestLog('app-titan')).filter(is.extraId).map((e) => e.body);
      return {
        successes,
        report,
        rows,
        expected,
        extraIds,
        creates: (await requestLog('titan')).filter(is.createAsset).map((e) => e.body as Record<string, unknown>),
      };
    });

    it('stores the folder as one asset under the importer’s root CID, told once', () => {
      const folders = run().successes.filter((s) => s.folder);
      expect(folders).to.have.length(1);
      expect(folders[0]).to.include({ name: 'trip', cid: run().expected, verified: true, md5: '' });
      expect(folders[0]!.folder!.files.map((f) => f.path)).to.have.members(['a.txt', 'photos/b.bin', 'photos/a.txt']);
    });

    it('stores the loose file on its own', () => {
      expect(
        run()
          .successes.filter((s) => !s.folder)
          .map((s) => s.name),
      ).to.deep.equal(['loose.txt']);
    });

    it('announces one folder and one file to create_asset', () => {
      expect(
        run()
          .creates.map((c) => c.asset_type)
          .sort(),
      ).to.deep.equal(['file', 'folder']);
    });

    it('lists the folder once in the report and in the shadow DOM, with its file count', () => {
      expect(run().report.successful).to.have.length(2);
      expect(run().rows.some((r) => r.startsWith('trip/') && r.includes('folder, files: 3') && r.includes(run().expected))).to.equal(true);
    });

    it('asks the app for one extra_id for the folder, typed inode/directory', () => {
      expect(run().extraIds).to.deep.include({ name: 'trip', size: run().successes.find((s) => s.folder)!.size, type: 'inode/directory' });
    });
  });

  describe('without the attribute', () => {
    const run = situation(async () => {
      const el = await mount();
      drop(el, [
        ['trip/a.txt', text(`a ${Math.random()}`)],
        ['trip/b.txt', text(`b ${Math.random()}`)],
      ]);
      await el.upload();
      return { creates: (await requestLog('titan')).filter(is.createAsset).map((e) => e.body as Record<string, unknown>) };
    });

    it('stores each file of a dropped folder as an asset, as before', () => {
      expect(run().creates.map((c) => c.asset_type)).to.deep.equal(['file', 'file']);
    });
  });
});
