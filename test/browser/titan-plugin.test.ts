import { expect, waitUntil } from '@open-wc/testing';
import { Uppy, type Meta } from '@uppy/core';
import { TitanClient, TitanUploadPlugin, type TitanBody } from '../../src/titan/index.js';
import { demoToken, expectedCid, is, knob, randomFile, requestLog, resetSandbox, titanApi } from './titan-helpers.js';

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

describe('TitanUploadPlugin (Uppy uploader, against the sandbox)', () => {
  beforeEach(resetSandbox);

  it('hashes the next file while the current one uploads, and reports Uppy progress and success', async () => {
    await knob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 500 });
    const { uppy, timeline } = await setup({ limit: 1 });
    const a = randomFile(100_000, 'a.bin');
    const b = randomFile(100_000, 'b.bin');
    const idA = uppy.addFile({ name: 'a.bin', type: a.type, data: a });
    uppy.addFile({ name: 'b.bin', type: b.type, data: b });
    const progress: Array<[string, number, number | null]> = [];
    uppy.on('upload-progress', (file, p) => progress.push([file?.name ?? '?', p.bytesUploaded, p.bytesTotal]));

    const result = await uppy.upload();

    expect(result?.successful?.map((f) => f.name)).to.deep.equal(['a.bin', 'b.bin']);
    // b was hashed while a was still on the (slow) node, not after it.
    expect(timeline.indexOf('hashed b.bin')).to.be.lessThan(timeline.indexOf('success a.bin'));
    // limit 1: b reaches Titan only once a is done.
    const log = await requestLog('titan');
    const firstCreate = log.findIndex(is.createAsset);
    const nodeUploads = log.map((e, i) => (is.nodeUpload()(e) ? i : -1)).filter((i) => i >= 0);
    expect(nodeUploads).to.have.length(2);
    expect(nodeUploads[1]).to.be.greaterThan(firstCreate);

    const fileA = uppy.getFile(idA);
    expect(fileA.response?.status).to.equal(200);
    expect(fileA.response?.body?.cid).to.equal(await expectedCid(a));
    expect(fileA.response?.uploadURL).to.equal(fileA.response?.body?.url);
    expect(fileA.progress.uploadComplete).to.equal(true);
    expect(progress.filter(([n]) => n === 'a.bin').at(-1)).to.deep.equal(['a.bin', a.size, a.size]);
    uppy.destroy();
  });

  it('removing one file aborts only that upload, before create_asset', async () => {
    await knob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 700 });
    const { uppy, timeline } = await setup({ limit: 2 });
    const idA = uppy.addFile({ name: 'a.bin', type: 'application/octet-stream', data: randomFile(150_000) });
    uppy.addFile({ name: 'b.bin', type: 'application/octet-stream', data: randomFile(150_000) });
    const running = uppy.upload();
    await waitUntil(
      async () => (await requestLog('titan')).filter(is.nodeUpload('node1')).length === 2,
      'both uploads never reached the node',
      {
        timeout: 5000,
      },
    );
    uppy.removeFile(idA);
    const result = await running;

    expect(result?.successful?.map((f) => f.name)).to.deep.equal(['b.bin']);
    expect(timeline).to.not.include('error a.bin');
    const creates = (await requestLog('titan')).filter(is.createAsset);
    expect(creates.map((e) => (e.body as { asset_name: string }).asset_name)).to.deep.equal(['b.bin']);
    uppy.destroy();
  });

  describe('when files wait for an upload slot', () => {
    it('a file removed while it waits leaves the queue: it never reaches Titan, and the next one takes the slot', async () => {
      await knob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 600 });
      const { uppy, timeline } = await setup({ limit: 1 });
      const files = ['a.bin', 'b.bin', 'c.bin'].map((name) =>
        uppy.addFile({ name, type: 'application/octet-stream', data: randomFile(60_000) }),
      );
      const running = uppy.upload();
      await waitUntil(async () => (await requestLog('titan')).filter(is.nodeUpload('node1')).length === 1, 'a never reached the node', {
        timeout: 5000,
      });
      uppy.removeFile(files[1]!); // b: hashed, waiting behind a
      const result = await running;

      expect(result?.successful?.map((f) => f.name)).to.deep.equal(['a.bin', 'c.bin']);
      expect(timeline).to.not.include('error b.bin');
      const infos = (await requestLog('titan')).filter(is.uploadInfo);
      expect(infos).to.have.length(2, 'b asked Titan for nothing');
      uppy.destroy();
    });

    it('a higher limit set while files wait lets them start at once', async () => {
      await knob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 600 });
      const { uppy } = await setup({ limit: 1 });
      for (const name of ['a.bin', 'b.bin', 'c.bin']) uppy.addFile({ name, type: 'application/octet-stream', data: randomFile(60_000) });
      const running = uppy.upload();
      await waitUntil(async () => (await requestLog('titan')).filter(is.nodeUpload('node1')).length === 1, 'a never reached the node', {
        timeout: 5000,
      });
      uppy.getPlugin<TitanUploadPlugin<Meta, TitanBody>>('TitanUpload')!.setOptions({ limit: 3 });
      // b and c join a on the node before a (600 ms on the node) is done.
      await waitUntil(async () => (await requestLog('titan')).filter(is.nodeUpload('node1')).length === 3, 'b and c never started', {
        timeout: 5000,
      });
      expect((await requestLog('titan')).filter(is.createAsset)).to.have.length(0);
      expect((await running)?.successful).to.have.length(3);
      uppy.destroy();
    });
  });

  it('fails a file with a readable extra-id error when the provider throws, and can retry it', async () => {
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
    expect(first?.failed?.map((f) => f.id)).to.deep.equal([id]);
    expect(errors[0]).to.include({ code: 'extra-id' });
    expect(errors[0]!.message).to.include('c.bin').and.include('database is down');
    expect((await requestLog('titan')).filter(is.createAsset)).to.have.length(0);

    const retried = await uppy.retryUpload(id);
    expect(retried?.successful?.map((f) => f.id)).to.deep.equal([id]);
    expect(uppy.getFile(id).response?.body?.extraId).to.equal('row-42');
    const create = (await requestLog('titan')).find(is.createAsset)!;
    expect(create.body).to.include({ extra_id: 'row-42', asset_name: 'c.bin' });
    uppy.destroy();
  });
});
