import { expect, waitUntil } from '@open-wc/testing';
// An md5 independent of hash-wasm (typed by bench/spark-md5.d.ts).
import SparkMD5 from 'spark-md5';
import { TitanClient, TitanError, md5 } from '../../src/titan/index.js';
import { demoToken, expectedCid, is, knob, randomFile, requestLog, resetSandbox, sleep, titanApi } from './titan-helpers.js';

const spark = SparkMD5;
const FAST_RETRY = { perNode: 2, delaysMs: [20] };

async function tokenCount(): Promise<number> {
  return (await requestLog('app-titan')).filter(is.token).length;
}

/** A client whose token source is the demo app backend, counting how often it is asked. */
async function makeClient(options: { token?: string; user?: string; provider?: boolean } = {}) {
  const calls = { provider: 0 };
  const client = new TitanClient({
    apiUrl: await titanApi(),
    ...(options.token ? { token: options.token } : {}),
    ...(options.provider === false
      ? {}
      : {
          tokenProvider: async () => {
            calls.provider++;
            return demoToken(options.user);
          },
        }),
    retry: FAST_RETRY,
  });
  return { client, calls };
}

async function caught(promise: Promise<unknown>): Promise<TitanError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(TitanError);
    return err as TitanError;
  }
  throw new Error('expected a TitanError, got success');
}

describe('TitanClient (against the sandbox)', () => {
  beforeEach(resetSandbox);

  it('streams md5 in slices, in a worker and on the main thread, matching an independent md5', async () => {
    const file = randomFile(9 * 1024 * 1024 + 123);
    const expected = spark.ArrayBuffer.hash(await file.arrayBuffer());
    const seen: number[] = [];
    // 'require': a worker that cannot start fails here instead of silently hashing on the page.
    expect(await md5(file, { worker: 'require', onProgress: (done) => seen.push(done) })).to.equal(expected);
    expect(seen.length).to.be.greaterThan(2);
    expect(seen.at(-1)).to.equal(file.size);
    expect(await md5(file, { worker: false })).to.equal(expected);
    expect(await md5(new Blob([]))).to.equal('d41d8cd98f00b204e9800998ecf8427e');
  });

  it('uploads: get_upload_info, multipart POST to the first node, create_asset, report', async () => {
    const { client } = await makeClient();
    const file = randomFile(300_000, 'photo.jpg', 'image/jpeg');
    const phases: string[] = [];
    let lastProgress = [0, 0];
    const result = await client.uploadAsset(file, {
      extraId: 'x-1',
      areaId: ['Asia-China-Guangdong-Shenzhen'],
      onPhase: (p) => phases.push(p),
      onProgress: (sent, total) => (lastProgress = [sent, total]),
    });

    const cid = await expectedCid(file);
    const fileMd5 = spark.ArrayBuffer.hash(await file.arrayBuffer());
    expect(result).to.include({ cid, md5: fileMd5, deduplicated: false, nodeId: 'node1', extraId: 'x-1' });
    expect(result.url).to.be.a('string').and.include(cid);
    expect(phases).to.deep.equal(['md5', 'upload-info', 'node-upload', 'create-asset', 'done']);
    expect(lastProgress).to.deep.equal([file.size, file.size]);

    const log = await requestLog('titan');
    const info = log.find(is.uploadInfo)!;
    expect(info.method).to.equal('GET');
    expect(info.query).to.include({ md5: fileMd5, need_trace: 'true', area_id: 'Asia-China-Guangdong-Shenzhen' });
    expect(info.query['t']).to.match(/^\d{13}$/);
    expect(info.headers['jwtauthorization']).to.equal(`Bearer ${client.token}`);

    const node = log.find(is.nodeUpload('node1'))!;
    expect(node.status).to.equal(200);
    expect(node.headers['authorization']).to.match(/^Bearer \S+$/);
    expect(node.headers['jwtauthorization']).to.equal(`Bearer ${client.token}`);
    expect(node.headers['content-type']).to.match(/^multipart\/form-data; boundary=/);

    const create = log.find(is.createAsset)!;
    expect(create.body).to.deep.equal({
      asset_name: 'photo.jpg',
      asset_type: 'file',
      asset_size: file.size,
      asset_cid: cid,
      group_id: 0,
      node_id: 'node1',
      extra_id: 'x-1',
      md5: fileMd5,
      area_id: ['Asia-China-Guangdong-Shenzhen'],
    });
    const order = log.map((e) => e.path.split('/').pop());
    expect(order.indexOf('get_upload_info')).to.be.lessThan(order.indexOf('upload'));
    expect(order.indexOf('upload')).to.be.lessThan(order.indexOf('create_asset'));

    const assets = await knob<Array<{ cid: string; extraId: string }>>('titan', 'assets');
    expect(assets).to.have.length(1);
    expect(assets[0]).to.include({ cid, extraId: 'x-1' });

    // The report is best effort and not awaited by the upload, so it may land a moment later.
    await waitUntil(async () => (await knob<unknown[]>('titan', 'reports')).length === 1, 'no transfer report', { timeout: 3000 });
    const [report] = await knob<Array<{ items: Array<Record<string, unknown>> }>>('titan', 'reports');
    expect(report!.items).to.have.length(1);
    expect(report!.items[0]).to.include({ status: 1, nodeId: 'node1', cId: cid, size: file.size });
  });

  it('asks the token provider first when started without a token', async () => {
    const { client, calls } = await makeClient();
    expect(client.token).to.equal(undefined);
    await client.uploadAsset(randomFile(1000));
    expect(calls.provider).to.equal(1);
    expect(await tokenCount()).to.equal(1);
  });

  it('renews an expired token once for 20 concurrent uploads (single flight)', async () => {
    const stale = await demoToken();
    await knob('titan', 'expire-tokens');
    const { client, calls } = await makeClient({ token: stale });
    let renewedEvents = 0;
    client.addEventListener('tokenrenewed', () => renewedEvents++);
    const files = Array.from({ length: 20 }, (_, i) => randomFile(2000 + i, `f${i}.bin`));

    const results = await Promise.all(files.map((f) => client.uploadAsset(f)));

    expect(results.map((r) => r.cid)).to.deep.equal(await Promise.all(files.map(expectedCid)));
    expect(calls.provider).to.equal(1);
    expect(await tokenCount()).to.equal(2); // the stale token's own request + the one renewal
    expect(renewedEvents).to.equal(1);
    expect(client.token).to.not.equal(stale);
    const log = await requestLog('titan');
    expect(log.filter((e) => is.uploadInfo(e) && e.status === 401)).to.have.length.within(1, 20);
    expect(log.filter((e) => is.createAsset(e) && e.status === 200)).to.have.length(20);
  });

  it('renews on an HTTP 200 envelope {code: 401} as well', async () => {
    await knob('titan', 'unauthorized-as', { shape: 'envelope' });
    const stale = await demoToken();
    await knob('titan', 'expire-tokens');
    const { client, calls } = await makeClient({ token: stale });
    const renewed = new Promise<void>((resolve) => (client.ontokenrenewed = () => resolve()));
    const file = randomFile(5000);
    const result = await client.uploadAsset(file);
    await renewed;
    expect(result.cid).to.equal(await expectedCid(file));
    expect(calls.provider).to.equal(1);
    const infos = (await requestLog('titan')).filter(is.uploadInfo);
    expect(infos.map((e) => e.status)).to.deep.equal([200, 200]); // envelope 401, then success
  });

  it('gives up with code 401 when the renewed token is rejected too (no loop)', async () => {
    const stale = await demoToken();
    await knob('titan', 'expire-tokens');
    const client = new TitanClient({ apiUrl: await titanApi(), token: stale, tokenProvider: async () => stale });
    const err = await caught(client.uploadAsset(randomFile(100)));
    expect(err.code).to.equal(401);
    expect((await requestLog('titan')).filter(is.uploadInfo)).to.have.length(2);
  });

  it('fails with token-renewal when there is no token source, or it fails', async () => {
    const stale = await demoToken();
    await knob('titan', 'expire-tokens');
    const { client } = await makeClient({ token: stale, provider: false });
    const err = await caught(client.uploadAsset(randomFile(100)));
    expect(err.code).to.equal('token-renewal');
    expect(err.message).to.match(/no token source/);

    const failing = new TitanClient({
      apiUrl: await titanApi(),
      tokenProvider: () => Promise.reject(new Error('backend says no')),
    });
    const err2 = await caught(failing.uploadAsset(randomFile(100)));
    expect(err2.code).to.equal('token-renewal');
    expect(err2.message).to.include('backend says no');
    expect((await requestLog('titan')).filter(is.uploadInfo)).to.have.length(1); // only the stale-token try
  });

  it('falls over to the second node when the first is down', async () => {
    await knob('titan', 'node', { nodeId: 'node1', mode: 'down' });
    const { client } = await makeClient();
    const file = randomFile(20_000);
    const result = await client.uploadAsset(file);
    expect(result.nodeId).to.equal('node2');
    expect(result.cid).to.equal(await expectedCid(file));
    const log = await requestLog('titan');
    expect(log.filter(is.nodeUpload('node1'))).to.have.length(FAST_RETRY.perNode);
    expect(log.filter(is.nodeUpload('node2'))).to.have.length(1);
    expect((log.find(is.createAsset)!.body as { node_id: string }).node_id).to.equal('node2');
    await waitUntil(async () => (await knob<unknown[]>('titan', 'reports')).length === 1, 'no transfer report', { timeout: 3000 });
    const [report] = await knob<Array<{ items: Array<{ nodeId: string; status: number }> }>>('titan', 'reports');
    expect(report!.items.map((i) => [i.nodeId, i.status])).to.deep.equal([
      ['node1', 2],
      ['node2', 1],
    ]);
  });

  it('retries the same node after a failed try', async () => {
    await knob('titan', 'node', { nodeId: 'node1', mode: 'error', failCount: 1 });
    const { client } = await makeClient();
    const result = await client.uploadAsset(randomFile(3000));
    expect(result.nodeId).to.equal('node1');
    expect((await requestLog('titan')).filter(is.nodeUpload('node1'))).to.have.length(2);
  });

  it('reports a readable error when every node fails, and never creates the asset', async () => {
    await knob('titan', 'node', { nodeId: 'node1', mode: 'error' });
    await knob('titan', 'node', { nodeId: 'node2', mode: 'down' });
    const { client } = await makeClient();
    const err = await caught(client.uploadAsset(randomFile(3000)));
    expect(err.code).to.equal('node-upload');
    expect(err.message).to.include('node1, node2');
    expect((await requestLog('titan')).filter(is.createAsset)).to.have.length(0);
  });

  it('deduplicates: a second user storing the same bytes sends nothing to a node', async () => {
    const file = randomFile(40_000, 'shared.bin');
    const alice = (await makeClient({ user: 'alice' })).client;
    const bob = (await makeClient({ user: 'bob' })).client;
    const first = await alice.uploadAsset(file);
    expect(first.deduplicated).to.equal(false);
    const nodeUploadsBefore = (await requestLog('titan')).filter(is.nodeUpload()).length;

    const second = await bob.uploadAsset(file);
    expect(second.deduplicated).to.equal(true);
    expect(second.cid).to.equal(first.cid);
    expect(second.nodeId).to.equal(undefined);
    const log = await requestLog('titan');
    expect(log.filter(is.nodeUpload()).length).to.equal(nodeUploadsBefore);
    const creates = log.filter(is.createAsset);
    expect(creates).to.have.length(2);
    expect(creates[1]!.body).to.include({ asset_cid: first.cid, node_id: '' });
    const assets = await knob<Array<{ userId: string; cid: string }>>('titan', 'assets');
    expect(assets.map((a) => a.userId).sort()).to.deep.equal(['demo-tenant/alice', 'demo-tenant/bob']);
  });

  it('treats err 1017 (same user, same file again) as success', async () => {
    const { client } = await makeClient();
    const file = randomFile(10_000);
    const first = await client.uploadAsset(file);
    const second = await client.uploadAsset(file);
    expect(second.cid).to.equal(first.cid);
    expect(second.deduplicated).to.equal(true);
    expect((await requestLog('titan')).filter(is.createAsset)).to.have.length(2);
    expect(await knob<unknown[]>('titan', 'assets')).to.have.length(1);
  });

  it('aborts a slow node upload: TitanError aborted, no create_asset', async () => {
    await knob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 600 });
    const { client } = await makeClient();
    const controller = new AbortController();
    const upload = client.uploadAsset(randomFile(200_000), { signal: controller.signal });
    await waitUntil(async () => (await requestLog('titan')).some(is.nodeUpload('node1')), 'node never reached', { timeout: 5000 });
    controller.abort();
    const err = await caught(upload);
    expect(err.code).to.equal('aborted');
    await sleep(1000); // past the node's delay: an upload that was not really aborted would finish now
    const log = await requestLog('titan');
    expect(log.filter(is.createAsset)).to.have.length(0);
    expect(log.filter(is.nodeUpload('node2'))).to.have.length(0);
  });

  it('aborts while hashing before anything reaches Titan', async () => {
    const { client } = await makeClient();
    const controller = new AbortController();
    const upload = client.uploadAsset(randomFile(8 * 1024 * 1024), {
      signal: controller.signal,
      onMd5Progress: () => controller.abort(),
    });
    expect((await caught(upload)).code).to.equal('aborted');
    expect((await requestLog('titan')).filter(is.uploadInfo)).to.have.length(0);
  });

  it('shares, lists areas and deletes', async () => {
    const { client } = await makeClient();
    const { cid } = await client.uploadAsset(randomFile(1234));
    expect(await client.getAreaIds()).to.include('Asia-China-Guangdong-Shenzhen');
    const share = await client.shareAsset(cid);
    expect(share['asset_cid']).to.equal(cid);
    await client.deleteAsset(cid);
    expect(await knob<unknown[]>('titan', 'assets')).to.have.length(0);
    const err = await caught(client.shareAsset(cid));
    expect(err.code).to.be.a('number');
    expect(err.message).to.include('share_asset');
  });
});
