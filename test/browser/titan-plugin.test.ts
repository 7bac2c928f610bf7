import { expect, waitUntil } from '@open-wc/testing';
import { Uppy, type Meta } from '@uppy/core';
import { TitanClient, TitanUploadPlugin, type TitanBody } from '../../src/titan/index.js';
import { demoToken, expectedCid, is, knob, randomFile, requestLog, resetSandbox, titanApi } from './titan-helpers.js';
import { recordOnce } from './situation.js';

async function setup(options: { limit?: number; extraIdProvider?: () => Promise<string | undefined> } = {}) {
  const client = new TitanClient({ apiUrl: await titanApi(), tokenProvider: () => demoToken(), retry: { perNode: 1 } });
  const uppy = new Uppy<Meta, TitanBody>().use(TitanUploadPlugin<Meta, TitanBody>, {
    client,
    ...(options.limit ? { limit: options.limit } : {}),
    ...(options.extraIdProvider ? { extraIdProvider: options.extraIdProvider } : {}),
  });
  const timeline: string[] = [];
  const nameOf = (file: { name?: string } | undefined) => file?.name ?? '?';
  uppy.on('upload-start', (files) => timeline.push(...files.map((f) => `start ${nameOf(f)}`)));
  uppy.on('preprocess-complete', (file) => timeline.push(`hashed ${nameOf(file)}`));
  uppy.on('upload-success', (file) => timeline.push(`success ${nameOf(file)}`));
  uppy.on('upload-error', (file) => timeline.push(`error ${nameOf(file)}`));
  return { client, uppy, timeline };
}

/** A situation run once, from a fresh sandbox, for the its of the describe it is called in. */
const situation = <T>(run: () => Promise<T>) => recordOnce(run, resetSandbox);

/** Waits until `count` uploads have reached node1. */
async function onNode(count: number, message: string): Promise<void> {
  await waitUntil(async () => (await requestLog('titan')).filter(is.nodeUpload('node1')).length === count, message, { timeout: 5000 });
}

describe('TitanUploadPlugin (Uppy uploader, against the sandbox)', () => {
  describe('when two files upload one at a time (limit 1) through a slow node', () => {
    const run = situation(async () => {
      await knob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 500 });
      const { uppy, timeline } = await setup({ limit: 1 });
      const a = randomFile(100_000, 'a.bin');
      const b = randomFile(100_000, 'b.bin');
      const idA = uppy.addFile({ name: 'a.bin', type: a.type, data: a });
      uppy.addFile({ name: 'b.bin', type: b.type, data: b });
      const progress: Array<[string, number, number | null]> = [];
      uppy.on('upload-progress', (file, p) => progress.push([file?.name ?? '?', p.bytesUploaded, p.bytesTotal]));
      const result = await uppy.upload();
      const fileA = uppy.getFile(idA);
      uppy.destroy();
      return { a, result, timeline, progress, fileA, cidA: await expectedCid(a), log: await requestLog('titan') };
    });

    it('uploads both', () => {
      expect(run().result?.successful?.map((f) => f.name)).to.deep.equal(['a.bin', 'b.bin']);
    });

    // b was hashed while a was still on the (slow) node, not after it.
    it('hashes the next file while the current one uploads', () => {
      const { timeline } = run();
      expect(timeline.indexOf('hashed b.bin')).to.be.lessThan(timeline.indexOf('success a.bin'));
    });

    // limit 1: b reaches Titan only once a is done.
    it('sends the next file to a node only once the current one is done', () => {
      const { log } = run();
      const firstCreate = log.findIndex(is.createAsset);
      const nodeUploads = log.map((e, i) => (is.nodeUpload()(e) ? i : -1)).filter((i) => i >= 0);
      expect(nodeUploads).to.have.length(2);
      expect(nodeUploads[1]).to.be.greaterThan(firstCreate);
    });

    it('answers the Uppy file with HTTP 200 and the node-computed CID', () => {
      const { fileA, cidA } = run();
      expect(fileA.response?.status).to.equal(200);
      expect(fileA.response?.body?.cid).to.equal(cidA);
    });

    it('gives the Uppy file the direct link as its uploadURL', () => {
      const { fileA } = run();
      expect(fileA.response?.uploadURL).to.equal(fileA.response?.body?.url);
    });

    it('marks the Uppy file upload-complete', () => {
      expect(run().fileA.progress.uploadComplete).to.equal(true);
    });

    it('reports Uppy progress up to the whole file', () => {
      const { progress, a } = run();
      expect(progress.filter(([n]) => n === 'a.bin').at(-1)).to.deep.equal(['a.bin', a.size, a.size]);
    });
  });

  describe('when one of two running uploads is removed', () => {
    const run = situation(async () => {
      await knob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 700 });
      const { uppy, timeline } = await setup({ limit: 2 });
      const idA = uppy.addFile({ name: 'a.bin', type: 'application/octet-stream', data: randomFile(150_000) });
      uppy.addFile({ name: 'b.bin', type: 'application/octet-stream', data: randomFile(150_000) });
      const running = uppy.upload();
      await onNode(2, 'both uploads never reached the node');
      uppy.removeFile(idA);
      const result = await running;
      uppy.destroy();
      return { result, timeline, creates: (await requestLog('titan')).filter(is.createAsset) };
    });

    it('uploads the other one', () => {
      expect(run().result?.successful?.map((f) => f.name)).to.deep.equal(['b.bin']);
    });

    it('reports no error for the removed one', () => {
      expect(run().timeline).to.not.include('error a.bin');
    });

    it('aborts the removed one before create_asset', () => {
      expect(run().creates.map((e) => (e.body as { asset_name: string }).asset_name)).to.deep.equal(['b.bin']);
    });
  });

  describe('when files wait for an upload slot', () => {
    describe('and one is removed while it waits', () => {
      const run = situation(async () => {
        await knob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 600 });
        const { uppy, timeline } = await setup({ limit: 1 });
        const files = ['a.bin', 'b.bin', 'c.bin'].map((name) =>
          uppy.addFile({ name, type: 'application/octet-stream', data: randomFile(60_000) }),
        );
        const running = uppy.upload();
        await onNode(1, 'a never reached the node');
        uppy.removeFile(files[1]!); // b: hashed, waiting behind a
        const result = await running;
        uppy.destroy();
        return { result, timeline, infos: (await requestLog('titan')).filter(is.uploadInfo) };
      });

      it('gives the slot to the next one', () => {
        expect(run().result?.successful?.map((f) => f.name)).to.deep.equal(['a.bin', 'c.bin']);
      });

      it('reports no error for the removed one', () => {
        expect(run().timeline).to.not.include('error b.bin');
      });

      it('never lets the removed one reach Titan', () => {
        expect(run().infos).to.have.length(2, 'b asked Titan for nothing');
      });
    });

    describe('and a higher limit is set', () => {
      const run = situation(async () => {
        await knob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 600 });
        const { uppy } = await setup({ limit: 1 });
        for (const name of ['a.bin', 'b.bin', 'c.bin']) uppy.addFile({ name, type: 'application/octet-stream', data: randomFile(60_000) });
        const running = uppy.upload();
        await onNode(1, 'a never reached the node');
        uppy.getPlugin<TitanUploadPlugin<Meta, TitanBody>>('TitanUpload')!.setOptions({ limit: 3 });
        // b and c join a on the node before a (600 ms on the node) is done.
        await onNode(3, 'b and c never started');
        const createsWhenAllStarted = (await requestLog('titan')).filter(is.createAsset);
        const result = await running;
        uppy.destroy();
        return { createsWhenAllStarted, result };
      });

      it('starts them at once, while the running one is still on the node', () => {
        expect(run().createsWhenAllStarted).to.have.length(0);
      });

      it('uploads them all', () => {
        expect(run().result?.successful).to.have.length(3);
      });
    });
  });

  describe('when the extra-id provider throws, then recovers', () => {
    const run = situation(async () => {
      let calls = 0;
      const { uppy } = await setup({
        extraIdProvider: async () => {
          if (++calls === 1) throw new Error('database is down');
          return 'row-42';
        },
      });
      const errors: Array<{ code?: unknown; message: string }> = [];
      uppy.on('upload-error', (_file, error) => errors.push(error as { code?: unknown; message: string }));
      const id = uppy.addFile({ name: 'c.bin', type: 'application/octet-stream', data: randomFile(3000) });
      const first = await uppy.upload();
      const createsAfterFailure = (await requestLog('titan')).filter(is.createAsset);
      const retried = await uppy.retryUpload(id);
      const response = uppy.getFile(id).response;
      uppy.destroy();
      return { id, first, errors, createsAfterFailure, retried, response, create: (await requestLog('titan')).find(is.createAsset)! };
    });

    it('fails the file', () => {
      expect(run().first?.failed?.map((f) => f.id)).to.deep.equal([run().id]);
    });

    it('with the extra-id error', () => {
      expect(run().errors[0]).to.include({ code: 'extra-id' });
    });

    it('naming the file and the cause', () => {
      expect(run().errors[0]!.message).to.include('c.bin').and.include('database is down');
    });

    it('registers nothing with Titan', () => {
      expect(run().createsAfterFailure).to.have.length(0);
    });

    it('uploads the file when it is retried', () => {
      expect(run().retried?.successful?.map((f) => f.id)).to.deep.equal([run().id]);
    });

    it("answers the Uppy file with the provider's extra_id", () => {
      expect(run().response?.body?.extraId).to.equal('row-42');
    });

    it('registers the file with that extra_id', () => {
      expect(run().create.body).to.include({ extra_id: 'row-42', asset_name: 'c.bin' });
    });
  });
});
