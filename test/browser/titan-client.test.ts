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

  it('uploads as the server expects: get_upload_info, the node, create_asset, one report, share_asset', async () => {
    const { client } = await makeClient();
    const file = randomFile(300_000, 'photo.jpg', 'image/jpeg');
    const phases: string[] = [];
    let lastProgress = [0, 0];
    const result = await client.uploadAsset(file, {
      extraId: 'x-1',
      areaId: ['China'], // a country from get_area_id (api/common.go getAreaIDsByAreaID maps it to its areas)
      onPhase: (p) => phases.push(p),
      onProgress: (sent, total) => (lastProgress = [sent, total]),
    });

    const cid = await expectedCid(file);
    const fileMd5 = spark.ArrayBuffer.hash(await file.arrayBuffer());
    expect(result).to.include({ cid, md5: fileMd5, deduplicated: false, verified: true, nodeId: 'c_node1', extraId: 'x-1' });
    expect(result.report).to.deep.equal({ status: 'sent', tries: 1 });
    expect(phases).to.deep.equal(['md5', 'upload-info', 'node-upload', 'create-asset', 'report', 'done']);
    expect(lastProgress).to.deep.equal([file.size, file.size]);

    const log = await requestLog('titan');
    // titan-explorer api/events.go GetUploadInfoHandler: md5 and area_id from the query, the user from JwtAuthorization.
    const info = log.find(is.uploadInfo)!;
    expect(info.method).to.equal('GET');
    expect(info.query).to.include({ md5: fileMd5, need_trace: 'true', area_id: 'China' });
    expect(info.query['t']).to.match(/^\d{13}$/);
    expect(info.headers['jwtauthorization']).to.equal(`Bearer ${client.token}`);
    expect(info.headers['lang']).to.equal('en');

    // titan-node handler_uploadv2.go: the node checks its own token and nothing else.
    const node = log.find(is.nodeUpload('node1'))!;
    expect(node.status).to.equal(200);
    expect(node.headers['authorization']).to.match(/^Bearer \S+$/);
    expect(node.headers).to.not.have.property('jwtauthorization');
    expect(node.headers['content-type']).to.match(/^multipart\/form-data; boundary=/);

    // titan-explorer api/events.go CreateAssetPostHandler binds createAssetRequest; the scheduler finds the node by its exact NodeID.
    const create = log.find(is.createAsset)!;
    expect(create.body).to.deep.equal({
      asset_name: 'photo.jpg',
      asset_type: 'file',
      asset_size: file.size,
      asset_cid: cid,
      group_id: 0,
      node_id: 'c_node1',
      extra_id: 'x-1',
      md5: fileMd5,
      area_id: ['China'],
      need_trace: true,
    });

    // api/events.go AssetTransferReport binds one model.AssetTransferLog.
    const report = log.find(is.report)!;
    expect(report.status).to.equal(200);
    const body = report.body as Record<string, unknown>;
    expect(body).to.include({ cid, node_id: 'c_node1', total_size: file.size, state: 1, transfer_type: 'upload' });
    expect(body['trace_id']).to.be.a('string').and.not.equal('');
    for (const key of ['rate', 'cost_ms', 'first_byte_time']) expect(body[key], key).to.be.a('number');
    expect(body['log']).to.be.a('string');

    const order = log.map((e) => e.path.split('/').pop());
    expect(order.indexOf('get_upload_info')).to.be.lessThan(order.indexOf('uploadv2'));
    expect(order.indexOf('uploadv2')).to.be.lessThan(order.indexOf('create_asset'));
    expect(order.indexOf('create_asset')).to.be.lessThan(order.indexOf('report'));
    expect(order.indexOf('report')).to.be.lessThan(order.indexOf('share_asset'));

    // The direct link is share_asset's first URL, and it downloads these bytes.
    const share = log.find(is.shareAsset)!;
    expect(share.query).to.include({ asset_cid: cid });
    expect(result.url).to.be.a('string').and.include(cid);
    const download = await fetch(result.url!);
    expect(download.status).to.equal(200);
    expect(new Uint8Array(await download.arrayBuffer())).to.deep.equal(new Uint8Array(await file.arrayBuffer()));

    const assets = await knob('titan', 'assets');
    expect(assets).to.have.length(1);
    expect(assets[0]).to.include({ cid, extraId: 'x-1' });
    // asset_transfer_log: get_upload_info opened the upload's row and the report filled it in.
    const rows = await knob('titan', 'reports');
    expect(rows.find((r) => r['trace_id'] === body['trace_id'])).to.include({ cid, node_id: 'c_node1', state: 1, transfer_type: 'upload' });

    // The report is what queues the upload callback; the demo app backend verifies and acknowledges it.
    await waitUntil(async () => (await knob('titan', 'callbacks')).length > 0, 'no callback', { timeout: 5000 });
    const [delivery] = await knob('titan', 'callbacks');
    expect(delivery).to.include({ kind: 'upload', ok: true });
    expect(delivery!.body).to.include({ AssetCID: cid, ExtraID: 'x-1', AssetSize: file.size });
  });

  it('refuses an empty file before any request', async () => {
    const { client, calls } = await makeClient();
    const err = await caught(client.uploadAsset(new File([], 'empty.txt')));
    expect(err.code).to.equal('empty-file');
    expect(err.message).to.include('empty.txt');
    expect(calls.provider).to.equal(0);
    expect(await requestLog('titan')).to.have.length(0);
  });

  it("sends Lang: cn and shows the server's Chinese message", async () => {
    const client = new TitanClient({ apiUrl: await titanApi(), token: await demoToken(), lang: 'cn', retry: FAST_RETRY });
    const err = await caught(client.shareAsset('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'));
    expect((await requestLog('titan')).find(is.shareAsset)!.headers['lang']).to.equal('cn');
    expect(err.code).to.be.a('number');
    expect(err.message).to.match(/[\u4e00-\u9fff]/);
  });

  it("refuses a node whose CID is not the file's: cid-mismatch, nothing registered", async () => {
    await knob('titan', 'node', { nodeId: 'node1', mode: 'wrong-cid' });
    const { client } = await makeClient();
    const file = randomFile(70_000);
    const err = await caught(client.uploadAsset(file));
    expect(err.code).to.equal('cid-mismatch');
    expect(err.message).to.include(await expectedCid(file));
    const log = await requestLog('titan');
    expect(log.filter(is.createAsset)).to.have.length(0);
    expect(log.filter(is.nodeUpload('node2'))).to.have.length(0);
    // The failed transfer is reported (state 2), so the server's log is complete.
    const rows = await knob('titan', 'reports');
    expect(rows.map((r) => r['state'])).to.deep.equal([2]);
    expect(rows[0]).to.include({ node_id: 'c_node1', cid: '' });
    // The same file goes through once the node is honest again.
    await knob('titan', 'node', { nodeId: 'node1', mode: 'ok' });
    expect((await client.uploadAsset(file)).verified).to.equal(true);
  });

  it('a node refusing its token: fresh node tokens from get_upload_info, then the upload goes through', async () => {
    await knob('titan', 'node', { nodeId: 'node1', mode: 'bad-token', failCount: 1 });
    const { client } = await makeClient();
    const file = randomFile(12_000);
    const result = await client.uploadAsset(file);
    expect(result).to.include({ cid: await expectedCid(file), nodeId: 'c_node1', verified: true });
    const log = await requestLog('titan');
    const infos = log.filter(is.uploadInfo);
    expect(infos).to.have.length(2);
    expect(infos[1]!.query).to.not.have.property('md5');
    const tokens = log.filter(is.nodeUpload('node1')).map((e) => e.headers['authorization']);
    expect(tokens).to.have.length(2);
    expect(tokens[0]).to.not.equal(tokens[1]);
  });

  it('a transfer/report refused by Titan is retried, and its failure never fails the stored upload', async () => {
    await knob('titan', 'report', { refuse: 'server-busy', failCount: 1 });
    const retried = new TitanClient({ apiUrl: await titanApi(), token: await demoToken(), retry: FAST_RETRY, report: { delaysMs: [10] } });
    const ok = await retried.uploadAsset(randomFile(3000));
    expect(ok.report).to.deep.equal({ status: 'sent', tries: 2 });

    await knob('titan', 'report', { refuse: 'invalid-params' });
    const refused = await retried.uploadAsset(randomFile(3001));
    // err 1001 is the server saying the body is wrong: trying the same body again cannot help.
    expect(refused.report.status).to.equal('failed');
    expect(refused.report.tries).to.equal(1);
    expect(refused.report.error?.code).to.equal(1001);
    expect(refused.verified).to.equal(true);
    expect(await knob('titan', 'assets')).to.have.length(2);

    await knob('titan', 'report', { refuse: null });
    await knob('titan', 'storage', { call: 'transfer/report', failCount: 5 });
    const down = await retried.uploadAsset(randomFile(3002));
    expect(down.report).to.include({ status: 'failed', tries: 3 });
    expect((await requestLog('titan')).filter(is.report)).to.have.length(2 + 1 + 3);
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
    // api/jwt.go AuthRequired lets an expired token through to a handler that panics: an empty HTTP 500.
    expect(log.filter((e) => is.uploadInfo(e) && e.status === 500)).to.have.length.within(1, 20);
    expect(log.filter((e) => is.createAsset(e) && e.status === 200)).to.have.length(20);
  });

  for (const [mode, status] of [
    ['envelope', 200],
    ['http', 401],
  ] as const) {
    it(`renews on a ${mode} 401 (HTTP ${status} {code: 401}) as well`, async () => {
      await knob('titan', 'unauthorized', { mode });
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
      expect(infos.map((e) => e.status)).to.deep.equal([status, 200]);
    });
  }

  it('renews a token whose exp has passed before sending it', async () => {
    const expired = `${btoa(JSON.stringify({ alg: 'HS256' }))}.${btoa(JSON.stringify({ exp: Math.floor(Date.now() / 1000) - 60 }))}.x`;
    const { client, calls } = await makeClient({ token: expired });
    await client.uploadAsset(randomFile(700));
    expect(calls.provider).to.equal(1);
    const infos = (await requestLog('titan')).filter(is.uploadInfo);
    expect(infos.map((e) => e.headers['jwtauthorization'])).to.deep.equal([`Bearer ${client.token}`]);
  });

  it('gives up after one renewal when the new token is refused too (no loop)', async () => {
    const stale = await demoToken();
    await knob('titan', 'expire-tokens');
    const client = new TitanClient({ apiUrl: await titanApi(), token: stale, tokenProvider: async () => stale });
    // As the server answers (an empty 500), a second refusal reads as the server failing …
    expect((await caught(client.uploadAsset(randomFile(100)))).code).to.equal(500);
    // … and as gin-jwt's envelope, as the token refused.
    await knob('titan', 'unauthorized', { mode: 'envelope' });
    expect((await caught(client.uploadAsset(randomFile(100)))).code).to.equal(401);
    expect((await requestLog('titan')).filter(is.uploadInfo)).to.have.length(4);
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
    expect(result.nodeId).to.equal('c_node2');
    expect(result.cid).to.equal(await expectedCid(file));
    const log = await requestLog('titan');
    expect(log.filter(is.nodeUpload('node1'))).to.have.length(FAST_RETRY.perNode);
    expect(log.filter(is.nodeUpload('node2'))).to.have.length(1);
    expect((log.find(is.createAsset)!.body as { node_id: string }).node_id).to.equal('c_node2');
    // One report, for the node that took the file; the failed node's errors go in its log.
    const reports = log.filter(is.report).map((e) => e.body as Record<string, unknown>);
    expect(reports).to.have.length(1);
    expect(reports[0]).to.include({ node_id: 'c_node2', state: 1 });
    expect(JSON.parse(reports[0]!['log'] as string))
      .to.have.property('c_node1')
      .that.includes('503');
  });

  it('retries the same node after a failed try', async () => {
    await knob('titan', 'node', { nodeId: 'node1', mode: 'error', failCount: 1 });
    const { client } = await makeClient();
    const result = await client.uploadAsset(randomFile(3000));
    expect(result.nodeId).to.equal('c_node1');
    expect((await requestLog('titan')).filter(is.nodeUpload('node1'))).to.have.length(2);
  });

  it('reports a readable error when every node fails, and never creates the asset', async () => {
    await knob('titan', 'node', { nodeId: 'node1', mode: 'error' });
    await knob('titan', 'node', { nodeId: 'node2', mode: 'down' });
    const { client } = await makeClient();
    const err = await caught(client.uploadAsset(randomFile(3000)));
    expect(err.code).to.equal(503);
    expect(err.message).to.include('c_node1, c_node2');
    const log = await requestLog('titan');
    expect(log.filter(is.createAsset)).to.have.length(0);
    const reports = log.filter(is.report).map((e) => e.body as Record<string, unknown>);
    expect(reports).to.have.length(1);
    expect(reports[0]).to.include({ state: 2, cid: '', node_id: 'c_node2', rate: 0 });
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
    const assets = await knob('titan', 'assets');
    expect(assets).to.have.length(2);
    expect(new Set(assets.map((a) => a.userId)).size).to.equal(2);
    // The deduplicated upload is reported too: the report is what queues its callback.
    const reports = log.filter(is.report).map((e) => e.body as Record<string, unknown>);
    expect(reports).to.have.length(2);
    expect(reports[1]).to.include({ cid: first.cid, node_id: '', state: 1 });
  });

  it('treats err 1017 (same user, same file again) as success', async () => {
    const { client } = await makeClient();
    const file = randomFile(10_000);
    const first = await client.uploadAsset(file);
    const second = await client.uploadAsset(file);
    expect(second.cid).to.equal(first.cid);
    expect(second.deduplicated).to.equal(true);
    const log = await requestLog('titan');
    expect(log.filter(is.createAsset)).to.have.length(2);
    expect(log.find((e) => is.createAsset(e) && (e.body as { node_id: string }).node_id === '')).to.not.equal(undefined);
    expect(await knob('titan', 'assets')).to.have.length(1);
    // The 1017 answer carries the direct link (CreateAssetPostHandler `assetDirectUrl`): no share_asset.
    expect(second.url).to.be.a('string').and.include(first.cid);
    expect(log.filter(is.shareAsset)).to.have.length(1);
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
    expect(await client.getAreaIds()).to.deep.equal(['China', 'UnitedStates']);
    const urls = await client.shareAsset(cid);
    expect(urls[0]).to.include(cid);
    await client.deleteAsset(cid);
    expect(await knob('titan', 'assets')).to.have.length(0);
    const err = await caught(client.shareAsset(cid));
    expect(err.code).to.be.a('number');
    expect(err.message).to.include('share_asset');
  });
});
