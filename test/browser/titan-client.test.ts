import { expect, waitUntil } from '@open-wc/testing';
// An md5 independent of hash-wasm (typed by bench/spark-md5.d.ts).
import SparkMD5 from 'spark-md5';
import { createStore, keys as idbKeys } from 'idb-keyval';
import { PARALLEL_HASH_BYTES, TitanClient, md5 } from '../../src/titan/index.js';
import { demoToken, expectedCid, is, knob, randomFile, requestLog, resetSandbox, sleep, titanApi, type LogEntry } from './titan-helpers.js';
import { caught } from './titan-helpers.js';
import { recordOnce } from './situation.js';

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

/** A situation run once, from a fresh sandbox, for the its of the describe it is called in. */
const situation = <T>(run: () => Promise<T>) => recordOnce(run, resetSandbox);

const bodiesOf = (entries: LogEntry[]) => entries.map((e) => e.body as Record<string, unknown>);

describe('TitanClient (against the sandbox)', () => {
  describe('when hashing a file with md5', () => {
    const run = situation(async () => {
      const file = randomFile(9 * 1024 * 1024 + 123);
      const expected = spark.ArrayBuffer.hash(await file.arrayBuffer());
      const seen: number[] = [];
      // 'require': a worker that cannot start fails here instead of silently hashing on the page.
      const inWorker = await md5(file, { worker: 'require', onProgress: (done) => seen.push(done) });
      return { file, expected, seen, inWorker };
    });

    it('hashes in slices in a worker, matching an independent md5', () => {
      expect(run().inWorker).to.equal(run().expected);
    });

    it('reports progress along the way', () => {
      expect(run().seen.length).to.be.greaterThan(2);
    });

    it('ends its progress at the file size', () => {
      expect(run().seen.at(-1)).to.equal(run().file.size);
    });

    it('hashes on the main thread too, matching the same md5', async () => {
      expect(await md5(run().file, { worker: false })).to.equal(run().expected);
    });

    it('gives the md5 of no bytes for an empty Blob', async () => {
      expect(await md5(new Blob([]))).to.equal('d41d8cd98f00b204e9800998ecf8427e');
    });
  });

  describe('when a file is uploaded', () => {
    const run = situation(async () => {
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
      const log = await requestLog('titan');
      const download = await fetch(result.url!);
      const downloaded = new Uint8Array(await download.arrayBuffer());
      const assets = await knob('titan', 'assets');
      const rows = await knob('titan', 'reports');
      // The report is what queues the upload callback; the demo app backend verifies and acknowledges it.
      // (Waited for here; the its on the callback fail if none came.)
      await waitUntil(async () => (await knob('titan', 'callbacks')).length > 0, 'no callback', { timeout: 5000 }).catch(() => undefined);
      const callbacks = await knob('titan', 'callbacks');
      return { client, file, phases, lastProgress, result, cid, fileMd5, log, download, downloaded, assets, rows, callbacks };
    });
    const reportBody = () => run().log.find(is.report)!.body as Record<string, unknown>;

    it('resolves the node-computed CID, the md5, the node and the extra_id, verified and not deduplicated', () => {
      const { result, cid, fileMd5 } = run();
      expect(result).to.include({ cid, md5: fileMd5, deduplicated: false, verified: true, nodeId: 'c_node1', extraId: 'x-1' });
    });

    it('resolves the transfer report as sent on the first try', () => {
      expect(run().result.report).to.deep.equal({ status: 'sent', tries: 1 });
    });

    it('goes through the phases md5, upload-info, node-upload, create-asset, report, done', () => {
      expect(run().phases).to.deep.equal(['md5', 'upload-info', 'node-upload', 'create-asset', 'report', 'done']);
    });

    it('ends its progress at the file size', () => {
      expect(run().lastProgress).to.deep.equal([run().file.size, run().file.size]);
    });

    // titan-explorer api/events.go GetUploadInfoHandler: md5 and area_id from the query, the user from JwtAuthorization.
    it('asks get_upload_info (GET) for the md5 and area, with a trace', () => {
      const info = run().log.find(is.uploadInfo)!;
      expect(info.method).to.equal('GET');
      expect(info.query).to.include({ md5: run().fileMd5, need_trace: 'true', area_id: 'China' });
    });

    it('stamps get_upload_info with a ms timestamp t', () => {
      expect(run().log.find(is.uploadInfo)!.query['t']).to.match(/^\d{13}$/);
    });

    it("sends get_upload_info the user's token as JwtAuthorization", () => {
      expect(run().log.find(is.uploadInfo)!.headers['jwtauthorization']).to.equal(`Bearer ${run().client.token}`);
    });

    it('sends get_upload_info Lang: en', () => {
      expect(run().log.find(is.uploadInfo)!.headers['lang']).to.equal('en');
    });

    // titan-node handler_uploadv2.go: the node checks its own token and nothing else.
    it("uploads to the node with the node's token, never the user's", () => {
      const node = run().log.find(is.nodeUpload('node1'))!;
      expect(node.status).to.equal(200);
      expect(node.headers['authorization']).to.match(/^Bearer \S+$/);
      expect(node.headers).to.not.have.property('jwtauthorization');
    });

    it('uploads to the node as multipart/form-data', () => {
      expect(run().log.find(is.nodeUpload('node1'))!.headers['content-type']).to.match(/^multipart\/form-data; boundary=/);
    });

    // titan-explorer api/events.go CreateAssetPostHandler binds createAssetRequest; the scheduler finds the node by its exact NodeID.
    it('registers the asset with create_asset as the server binds it, on the exact node', () => {
      const { log, file, cid, fileMd5 } = run();
      expect(log.find(is.createAsset)!.body).to.deep.equal({
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
    });

    // api/events.go AssetTransferReport binds one model.AssetTransferLog.
    it('reports the successful upload transfer (state 1) of the CID on the node', () => {
      const { log, file, cid } = run();
      expect(log.find(is.report)!.status).to.equal(200);
      expect(reportBody()).to.include({ cid, node_id: 'c_node1', total_size: file.size, state: 1, transfer_type: 'upload' });
    });

    it('reports it under the trace id get_upload_info gave', () => {
      expect(reportBody()['trace_id']).to.be.a('string').and.not.equal('');
    });

    it('reports the rate, cost and time to first byte as numbers', () => {
      const body = reportBody();
      for (const key of ['rate', 'cost_ms', 'first_byte_time']) expect(body[key], key).to.be.a('number');
    });

    it('reports a log', () => {
      expect(reportBody()['log']).to.be.a('string');
    });

    it('calls get_upload_info, the node, create_asset, report and share_asset in that order', () => {
      const order = run().log.map((e) => e.path.split('/').pop());
      expect(order.indexOf('get_upload_info')).to.be.lessThan(order.indexOf('uploadv2'));
      expect(order.indexOf('uploadv2')).to.be.lessThan(order.indexOf('create_asset'));
      expect(order.indexOf('create_asset')).to.be.lessThan(order.indexOf('report'));
      expect(order.indexOf('report')).to.be.lessThan(order.indexOf('share_asset'));
    });

    it("resolves the direct link: share_asset's first URL", () => {
      const { log, cid, result } = run();
      expect(log.find(is.shareAsset)!.query).to.include({ asset_cid: cid });
      expect(result.url).to.be.a('string').and.include(cid);
    });

    it('the direct link downloads these bytes', async () => {
      const { download, downloaded, file } = run();
      expect(download.status).to.equal(200);
      expect(downloaded).to.deep.equal(new Uint8Array(await file.arrayBuffer()));
    });

    it('stores one asset with its CID and extra_id', () => {
      const { assets, cid } = run();
      expect(assets).to.have.length(1);
      expect(assets[0]).to.include({ cid, extraId: 'x-1' });
    });

    // asset_transfer_log: get_upload_info opened the upload's row and the report filled it in.
    it('fills in the transfer log row get_upload_info opened', () => {
      const { rows, cid } = run();
      expect(rows.find((r) => r['trace_id'] === reportBody()['trace_id'])).to.include({
        cid,
        node_id: 'c_node1',
        state: 1,
        transfer_type: 'upload',
      });
    });

    it('gets the upload callback acknowledged by the app backend', () => {
      const [delivery] = run().callbacks;
      expect(delivery).to.include({ kind: 'upload', ok: true });
    });

    it('sends the upload callback with the CID, extra_id and size', () => {
      const [delivery] = run().callbacks;
      expect(delivery!.body).to.include({ AssetCID: run().cid, ExtraID: 'x-1', AssetSize: run().file.size });
    });
  });

  describe('when the file is empty', () => {
    const run = situation(async () => {
      const { client, calls } = await makeClient();
      const err = await caught(client.uploadAsset(new File([], 'empty.txt')));
      return { err, calls, log: await requestLog('titan') };
    });

    it('fails with empty-file', () => {
      expect(run().err.code).to.equal('empty-file');
    });

    it('names the file in the message', () => {
      expect(run().err.message).to.include('empty.txt');
    });

    it('asks for no token', () => {
      expect(run().calls.provider).to.equal(0);
    });

    it('sends Titan no request', () => {
      expect(run().log).to.have.length(0);
    });
  });

  describe("when the client's lang is cn", () => {
    const run = situation(async () => {
      const client = new TitanClient({ apiUrl: await titanApi(), token: await demoToken(), lang: 'cn', retry: FAST_RETRY });
      const err = await caught(client.shareAsset('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'));
      return { err, log: await requestLog('titan') };
    });

    it('sends Lang: cn', () => {
      expect(run().log.find(is.shareAsset)!.headers['lang']).to.equal('cn');
    });

    it("fails with the server's error in Chinese", () => {
      expect(run().err.code).to.be.a('number');
      expect(run().err.message).to.match(/[\u4e00-\u9fff]/);
    });
  });

  describe("when a node answers a CID that is not the file's", () => {
    const run = situation(async () => {
      await knob('titan', 'node', { nodeId: 'node1', mode: 'wrong-cid' });
      const { client } = await makeClient();
      const file = randomFile(70_000);
      const err = await caught(client.uploadAsset(file));
      const cid = await expectedCid(file);
      const log = await requestLog('titan');
      const rows = await knob('titan', 'reports');
      // The same file, once the node is honest again.
      await knob('titan', 'node', { nodeId: 'node1', mode: 'ok' });
      const again = await client.uploadAsset(file);
      return { err, cid, log, rows, again };
    });

    it('fails with cid-mismatch', () => {
      expect(run().err.code).to.equal('cid-mismatch');
    });

    it("names the file's CID in the message", () => {
      expect(run().err.message).to.include(run().cid);
    });

    it('registers nothing (no create_asset)', () => {
      expect(run().log.filter(is.createAsset)).to.have.length(0);
    });

    it('does not try the other node', () => {
      expect(run().log.filter(is.nodeUpload('node2'))).to.have.length(0);
    });

    // The failed transfer is reported (state 2), so the server's log is complete.
    it('reports the failed transfer (state 2) for that node, with no CID', () => {
      const { rows } = run();
      expect(rows.map((r) => r['state'])).to.deep.equal([2]);
      expect(rows[0]).to.include({ node_id: 'c_node1', cid: '' });
    });

    it('lets the same file through once the node is honest again', () => {
      expect(run().again.verified).to.equal(true);
    });
  });

  describe('when a node refuses its token', () => {
    const run = situation(async () => {
      await knob('titan', 'node', { nodeId: 'node1', mode: 'bad-token', failCount: 1 });
      const { client } = await makeClient();
      const file = randomFile(12_000);
      const result = await client.uploadAsset(file);
      return { result, cid: await expectedCid(file), log: await requestLog('titan') };
    });

    it('uploads the file to that node all the same', () => {
      expect(run().result).to.include({ cid: run().cid, nodeId: 'c_node1', verified: true });
    });

    it('asks get_upload_info again, without the md5, for fresh node tokens', () => {
      const infos = run().log.filter(is.uploadInfo);
      expect(infos).to.have.length(2);
      expect(infos[1]!.query).to.not.have.property('md5');
    });

    it('retries the node with the fresh token', () => {
      const tokens = run()
        .log.filter(is.nodeUpload('node1'))
        .map((e) => e.headers['authorization']);
      expect(tokens).to.have.length(2);
      expect(tokens[0]).to.not.equal(tokens[1]);
    });
  });

  describe('when Titan refuses the transfer report', () => {
    const run = situation(async () => {
      const client = new TitanClient({ apiUrl: await titanApi(), token: await demoToken(), retry: FAST_RETRY, report: { delaysMs: [10] } });
      await knob('titan', 'report', { refuse: 'server-busy', failCount: 1 });
      const busy = await client.uploadAsset(randomFile(3000));
      await knob('titan', 'report', { refuse: 'invalid-params' });
      const refused = await client.uploadAsset(randomFile(3001));
      const assets = await knob('titan', 'assets');
      await knob('titan', 'report', { refuse: null });
      await knob('titan', 'storage', { call: 'transfer/report', failCount: 5 });
      const down = await client.uploadAsset(randomFile(3002));
      return { busy, refused, assets, down, reports: (await requestLog('titan')).filter(is.report) };
    });

    it('retries a server-busy refusal and resolves the report sent on the second try', () => {
      expect(run().busy.report).to.deep.equal({ status: 'sent', tries: 2 });
    });

    // err 1001 is the server saying the body is wrong: trying the same body again cannot help.
    it('gives up on invalid-params (err 1001) at once', () => {
      expect(run().refused.report.status).to.equal('failed');
      expect(run().refused.report.tries).to.equal(1);
    });

    it('resolves the refused report with the 1001 error', () => {
      expect(run().refused.report.error?.code).to.equal(1001);
    });

    it('never fails the stored upload over its report', () => {
      expect(run().refused.verified).to.equal(true);
      expect(run().assets).to.have.length(2);
    });

    it('tries a failing transfer/report 3 times, then resolves the report failed', () => {
      expect(run().down.report).to.include({ status: 'failed', tries: 3 });
    });

    it('sends Titan each try (2 + 1 + 3)', () => {
      expect(run().reports).to.have.length(2 + 1 + 3);
    });
  });

  describe('when started without a token', () => {
    const run = situation(async () => {
      const { client, calls } = await makeClient();
      const tokenAtStart = client.token;
      await client.uploadAsset(randomFile(1000));
      return { tokenAtStart, calls, tokens: await tokenCount() };
    });

    it('has no token until it needs one', () => {
      expect(run().tokenAtStart).to.equal(undefined);
    });

    it('asks the token provider first', () => {
      expect(run().calls.provider).to.equal(1);
    });

    it('gets one token from the app backend', () => {
      expect(run().tokens).to.equal(1);
    });
  });

  describe('when the token has expired under 20 concurrent uploads', () => {
    const run = situation(async () => {
      const stale = await demoToken();
      await knob('titan', 'expire-tokens');
      const { client, calls } = await makeClient({ token: stale });
      let renewedEvents = 0;
      client.addEventListener('tokenrenewed', () => renewedEvents++);
      const files = Array.from({ length: 20 }, (_, i) => randomFile(2000 + i, `f${i}.bin`));
      const results = await Promise.all(files.map((f) => client.uploadAsset(f)));
      return {
        stale,
        client,
        calls,
        renewedEvents,
        results,
        cids: await Promise.all(files.map(expectedCid)),
        tokens: await tokenCount(),
        log: await requestLog('titan'),
      };
    });

    it('uploads all 20 files', () => {
      expect(run().results.map((r) => r.cid)).to.deep.equal(run().cids);
    });

    it('asks the token provider once (single flight)', () => {
      expect(run().calls.provider).to.equal(1);
    });

    it('gets one new token from the app backend', () => {
      expect(run().tokens).to.equal(2); // the stale token's own request + the one renewal
    });

    it('fires tokenrenewed once', () => {
      expect(run().renewedEvents).to.equal(1);
    });

    it('holds the new token', () => {
      expect(run().client.token).to.not.equal(run().stale);
    });

    // api/jwt.go AuthRequired lets an expired token through to a handler that panics: an empty HTTP 500.
    it('reads the empty HTTP 500 Titan answers an expired token as the token refused', () => {
      expect(run().log.filter((e) => is.uploadInfo(e) && e.status === 500)).to.have.length.within(1, 20);
    });

    it('registers all 20 assets', () => {
      expect(run().log.filter((e) => is.createAsset(e) && e.status === 200)).to.have.length(20);
    });
  });

  for (const [mode, status] of [
    ['envelope', 200],
    ['http', 401],
  ] as const) {
    describe(`when the expired token is refused with a ${mode} 401 (HTTP ${status} {code: 401})`, () => {
      const run = situation(async () => {
        await knob('titan', 'unauthorized', { mode });
        const stale = await demoToken();
        await knob('titan', 'expire-tokens');
        const { client, calls } = await makeClient({ token: stale });
        const renewed = new Promise<void>((resolve) => (client.ontokenrenewed = () => resolve()));
        const file = randomFile(5000);
        const result = await client.uploadAsset(file);
        await renewed;
        return { result, cid: await expectedCid(file), calls, infos: (await requestLog('titan')).filter(is.uploadInfo) };
      });

      it('uploads the file', () => {
        expect(run().result.cid).to.equal(run().cid);
      });

      it('renews the token once', () => {
        expect(run().calls.provider).to.equal(1);
      });

      it('asks get_upload_info again with the new token', () => {
        expect(run().infos.map((e) => e.status)).to.deep.equal([status, 200]);
      });
    });
  }

  describe('when the token it was given has passed its exp', () => {
    const run = situation(async () => {
      const expired = `${btoa(JSON.stringify({ alg: 'HS256' }))}.${btoa(JSON.stringify({ exp: Math.floor(Date.now() / 1000) - 60 }))}.x`;
      const { client, calls } = await makeClient({ token: expired });
      await client.uploadAsset(randomFile(700));
      return { client, calls, infos: (await requestLog('titan')).filter(is.uploadInfo) };
    });

    it('renews it before sending anything', () => {
      expect(run().calls.provider).to.equal(1);
    });

    it('sends Titan only the new token', () => {
      expect(run().infos.map((e) => e.headers['jwtauthorization'])).to.deep.equal([`Bearer ${run().client.token}`]);
    });
  });

  describe('when the renewed token is refused too', () => {
    const run = situation(async () => {
      const stale = await demoToken();
      await knob('titan', 'expire-tokens');
      const client = new TitanClient({ apiUrl: await titanApi(), token: stale, tokenProvider: async () => stale });
      const asServerAnswers = await caught(client.uploadAsset(randomFile(100)));
      await knob('titan', 'unauthorized', { mode: 'envelope' });
      const asEnvelope = await caught(client.uploadAsset(randomFile(100)));
      return { asServerAnswers, asEnvelope, infos: (await requestLog('titan')).filter(is.uploadInfo) };
    });

    // As the server answers (an empty 500), a second refusal reads as the server failing …
    it('fails with 500 when the refusal is an empty HTTP 500', () => {
      expect(run().asServerAnswers.code).to.equal(500);
    });

    // … and as gin-jwt's envelope, as the token refused.
    it("fails with 401 when the refusal is gin-jwt's envelope", () => {
      expect(run().asEnvelope.code).to.equal(401);
    });

    it('gives up after one renewal (no loop)', () => {
      expect(run().infos).to.have.length(4);
    });
  });

  describe('when the token cannot be renewed', () => {
    const run = situation(async () => {
      const stale = await demoToken();
      await knob('titan', 'expire-tokens');
      const { client } = await makeClient({ token: stale, provider: false });
      const noSource = await caught(client.uploadAsset(randomFile(100)));
      const failing = new TitanClient({
        apiUrl: await titanApi(),
        tokenProvider: () => Promise.reject(new Error('backend says no')),
      });
      const sourceFails = await caught(failing.uploadAsset(randomFile(100)));
      return { noSource, sourceFails, infos: (await requestLog('titan')).filter(is.uploadInfo) };
    });

    it('fails with token-renewal when there is no token source', () => {
      expect(run().noSource.code).to.equal('token-renewal');
    });

    it('says there is no token source', () => {
      expect(run().noSource.message).to.match(/no token source/);
    });

    it('fails with token-renewal when the token source fails', () => {
      expect(run().sourceFails.code).to.equal('token-renewal');
    });

    it("passes on the token source's error", () => {
      expect(run().sourceFails.message).to.include('backend says no');
    });

    it('sends Titan only the try with the stale token', () => {
      expect(run().infos).to.have.length(1);
    });
  });

  describe('when the first node is down', () => {
    const run = situation(async () => {
      await knob('titan', 'node', { nodeId: 'node1', mode: 'down' });
      const { client } = await makeClient();
      const file = randomFile(20_000);
      const result = await client.uploadAsset(file);
      return { result, cid: await expectedCid(file), log: await requestLog('titan') };
    });

    it('falls over to the second node', () => {
      expect(run().result.nodeId).to.equal('c_node2');
    });

    it("resolves the file's CID", () => {
      expect(run().result.cid).to.equal(run().cid);
    });

    it('tries the first node as often as the retry policy says', () => {
      expect(run().log.filter(is.nodeUpload('node1'))).to.have.length(FAST_RETRY.perNode);
    });

    it('sends the file to the second node once', () => {
      expect(run().log.filter(is.nodeUpload('node2'))).to.have.length(1);
    });

    it('registers the asset on the second node', () => {
      expect((run().log.find(is.createAsset)!.body as { node_id: string }).node_id).to.equal('c_node2');
    });

    // One report, for the node that took the file; the failed node's errors go in its log.
    it('reports once, for the node that took the file', () => {
      const reports = bodiesOf(run().log.filter(is.report));
      expect(reports).to.have.length(1);
      expect(reports[0]).to.include({ node_id: 'c_node2', state: 1 });
    });

    it("puts the first node's errors in the report's log", () => {
      const [report] = bodiesOf(run().log.filter(is.report));
      expect(JSON.parse(report!['log'] as string))
        .to.have.property('c_node1')
        .that.includes('503');
    });
  });

  describe('when a try on a node fails', () => {
    const run = situation(async () => {
      await knob('titan', 'node', { nodeId: 'node1', mode: 'error', failCount: 1 });
      const { client } = await makeClient();
      const result = await client.uploadAsset(randomFile(3000));
      return { result, log: await requestLog('titan') };
    });

    it('stores the file on the same node', () => {
      expect(run().result.nodeId).to.equal('c_node1');
    });

    it('retries that node', () => {
      expect(run().log.filter(is.nodeUpload('node1'))).to.have.length(2);
    });
  });

  describe('when every node fails', () => {
    const run = situation(async () => {
      await knob('titan', 'node', { nodeId: 'node1', mode: 'error' });
      await knob('titan', 'node', { nodeId: 'node2', mode: 'down' });
      const { client } = await makeClient();
      const err = await caught(client.uploadAsset(randomFile(3000)));
      return { err, log: await requestLog('titan') };
    });

    it("fails with the nodes' 503", () => {
      expect(run().err.code).to.equal(503);
    });

    it('names the nodes it tried in a readable message', () => {
      expect(run().err.message).to.include('c_node1, c_node2');
    });

    it('never creates the asset', () => {
      expect(run().log.filter(is.createAsset)).to.have.length(0);
    });

    it('reports one failed transfer (state 2, no CID, rate 0)', () => {
      const reports = bodiesOf(run().log.filter(is.report));
      expect(reports).to.have.length(1);
      expect(reports[0]).to.include({ state: 2, cid: '', node_id: 'c_node2', rate: 0 });
    });
  });

  describe('when a second user stores the same bytes', () => {
    const run = situation(async () => {
      const file = randomFile(40_000, 'shared.bin');
      const alice = (await makeClient({ user: 'alice' })).client;
      const bob = (await makeClient({ user: 'bob' })).client;
      const first = await alice.uploadAsset(file);
      const nodeUploadsBefore = (await requestLog('titan')).filter(is.nodeUpload()).length;
      const second = await bob.uploadAsset(file);
      return { first, nodeUploadsBefore, second, log: await requestLog('titan'), assets: await knob('titan', 'assets') };
    });

    it("uploads the first user's file to a node", () => {
      expect(run().first.deduplicated).to.equal(false);
    });

    it("resolves the second user's upload as deduplicated", () => {
      expect(run().second.deduplicated).to.equal(true);
    });

    it('with the same CID', () => {
      expect(run().second.cid).to.equal(run().first.cid);
    });

    it('and no node', () => {
      expect(run().second.nodeId).to.equal(undefined);
    });

    it('sends nothing to a node for the second user', () => {
      expect(run().log.filter(is.nodeUpload()).length).to.equal(run().nodeUploadsBefore);
    });

    it('registers the CID for the second user with no node', () => {
      const creates = run().log.filter(is.createAsset);
      expect(creates).to.have.length(2);
      expect(creates[1]!.body).to.include({ asset_cid: run().first.cid, node_id: '' });
    });

    it('stores an asset for each user', () => {
      const { assets } = run();
      expect(assets).to.have.length(2);
      expect(new Set(assets.map((a) => a.userId)).size).to.equal(2);
    });

    // The deduplicated upload is reported too: the report is what queues its callback.
    it('reports the deduplicated upload too', () => {
      const reports = bodiesOf(run().log.filter(is.report));
      expect(reports).to.have.length(2);
      expect(reports[1]).to.include({ cid: run().first.cid, node_id: '', state: 1 });
    });
  });

  describe('when the same user stores the same file again (err 1017)', () => {
    const run = situation(async () => {
      const { client } = await makeClient();
      const file = randomFile(10_000);
      const first = await client.uploadAsset(file);
      const second = await client.uploadAsset(file);
      return { first, second, log: await requestLog('titan'), assets: await knob('titan', 'assets') };
    });

    it('resolves the same CID', () => {
      expect(run().second.cid).to.equal(run().first.cid);
    });

    it('resolves it as deduplicated: success', () => {
      expect(run().second.deduplicated).to.equal(true);
    });

    it('asks create_asset again, with no node', () => {
      const { log } = run();
      expect(log.filter(is.createAsset)).to.have.length(2);
      expect(log.find((e) => is.createAsset(e) && (e.body as { node_id: string }).node_id === '')).to.not.equal(undefined);
    });

    it('keeps one asset', () => {
      expect(run().assets).to.have.length(1);
    });

    // The 1017 answer carries the direct link (CreateAssetPostHandler `assetDirectUrl`): no share_asset.
    it('takes the direct link from the 1017 answer, without share_asset', () => {
      expect(run().second.url).to.be.a('string').and.include(run().first.cid);
      expect(run().log.filter(is.shareAsset)).to.have.length(1);
    });
  });

  describe('when a slow node upload is aborted', () => {
    const run = situation(async () => {
      await knob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 600 });
      const { client } = await makeClient();
      const controller = new AbortController();
      const upload = client.uploadAsset(randomFile(200_000), { signal: controller.signal });
      await waitUntil(async () => (await requestLog('titan')).some(is.nodeUpload('node1')), 'node never reached', { timeout: 5000 });
      controller.abort();
      const err = await caught(upload);
      await sleep(1000); // past the node's delay: an upload that was not really aborted would finish now
      return { err, log: await requestLog('titan') };
    });

    it('fails with TitanError aborted', () => {
      expect(run().err.code).to.equal('aborted');
    });

    it('never creates the asset', () => {
      expect(run().log.filter(is.createAsset)).to.have.length(0);
    });

    it('does not try another node', () => {
      expect(run().log.filter(is.nodeUpload('node2'))).to.have.length(0);
    });
  });

  describe('when aborted while hashing', () => {
    const run = situation(async () => {
      const { client } = await makeClient();
      const controller = new AbortController();
      const upload = client.uploadAsset(randomFile(8 * 1024 * 1024), {
        signal: controller.signal,
        onMd5Progress: () => controller.abort(),
      });
      const err = await caught(upload);
      return { err, log: await requestLog('titan') };
    });

    it('fails with aborted', () => {
      expect(run().err.code).to.equal('aborted');
    });

    // Under PARALLEL_HASH_BYTES a file hashes before anything is sent.
    it('sends nothing to Titan', () => {
      expect(8 * 1024 * 1024).to.be.below(PARALLEL_HASH_BYTES);
      expect(run().log.filter(is.uploadInfo)).to.have.length(0);
    });
  });

  // Titan's get_upload_info takes md5 as optional (GetUploadInfoHandler; the sandbox's
  // storage.ts follows it): a large file need not wait for its hash to start uploading.
  describe('when a large file uploads while it hashes', () => {
    const run = situation(async () => {
      const { client } = await makeClient();
      const file = randomFile(2 * 1024 * 1024);
      const result = await client.uploadAsset(file, { parallelHashBytes: 1024 * 1024 });
      return { result, expected: await expectedCid(file), log: await requestLog('titan') };
    });

    it('asks for nodes without an md5 first, uploads, and asks with the md5 once it is known, without a trace of its own', () => {
      const calls = run().log.filter((e) => is.uploadInfo(e) || is.nodeUpload()(e));
      expect(is.uploadInfo(calls[0]!) && !calls[0]!.query.md5).to.equal(true);
      expect(calls[0]!.query.need_trace).to.equal('true');
      const check = calls.find((e) => is.uploadInfo(e) && e.query.md5);
      expect(check?.query.need_trace).to.equal('false');
      expect(calls.filter(is.nodeUpload())).to.have.length(1);
    });

    it('stores the file verified: the node CID matches the one computed while it uploaded', () => {
      expect(run().result).to.include({ cid: run().expected, verified: true, deduplicated: false });
    });
  });

  describe('when a large file uploads while it hashes and Titan turns out to have it', () => {
    const run = situation(async () => {
      const file = randomFile(2 * 1024 * 1024);
      await (await makeClient({ user: 'first' })).client.uploadAsset(file);
      await knob('titan', 'node', { nodeId: 'node1', mode: 'slow', delayMs: 4000 });
      await knob('titan', 'node', { nodeId: 'node2', mode: 'slow', delayMs: 4000 });
      const { client } = await makeClient({ user: 'second' });
      const started = performance.now();
      const result = await client.uploadAsset(file, { parallelHashBytes: 1024 * 1024 });
      return { result, ms: performance.now() - started, expected: await expectedCid(file) };
    });

    it('stops the transfer and registers the file Titan has, verified by its CID', () => {
      expect(run().result).to.include({ cid: run().expected, verified: true, deduplicated: true });
      expect(run().result.nodeId).to.equal(undefined);
    });

    it('does not wait for the slow node', () => {
      expect(run().ms).to.be.below(3500);
    });
  });

  describe('when a file is picked again (the hash cache)', () => {
    const run = situation(async () => {
      const { client } = await makeClient();
      const bytes = new Uint8Array(300_000).map((_, i) => (i * 7919) >>> 3);
      const picked = () => new File([bytes], 'again.bin', { lastModified: 1_700_000_000_000 });
      let firstProgress = 0;
      let secondProgress = 0;
      const first = await client.hash(picked(), { onProgress: () => firstProgress++ });
      const second = await client.hash(picked(), { onProgress: () => secondProgress++ });
      // The same name, size and time with other bytes in the middle: the edges match, the
      // cached hashes are wrong, and the node's CID refuses them.
      const changed = bytes.slice();
      changed[150_000] ^= 0xff;
      const edited = new File([changed], 'again.bin', { lastModified: 1_700_000_000_000 });
      const mismatch = await caught(client.uploadAsset(edited));
      const retried = await client.uploadAsset(edited);
      // Under 256 KiB reading costs less than the lookup: read each time, never stored.
      const small = () => new File([bytes.subarray(0, 200_000)], 'small.bin', { lastModified: 1_700_000_000_000 });
      let smallReads = 0;
      const smallHashes = [await client.hash(small(), { onProgress: () => smallReads++ })];
      const readsOnce = smallReads;
      smallHashes.push(await client.hash(small(), { onProgress: () => smallReads++ }));
      const keys = (await idbKeys(createStore('upload-elements-titan', 'hashes'))).map(String);
      return {
        first,
        second,
        firstProgress,
        secondProgress,
        mismatch,
        retried,
        expected: await expectedCid(edited),
        smallHashes,
        readsOnce,
        smallReads,
        keys,
      };
    });

    it('answers the same md5 and CID without reading the file again', () => {
      expect(run().second).to.deep.equal(run().first);
      expect(run().firstProgress).to.be.above(0);
      expect(run().secondProgress).to.equal(0);
    });

    it('refuses a file whose bytes changed under the same name, size and time (cid-mismatch), and forgets the entry', () => {
      expect(run().mismatch.code).to.equal('cid-mismatch');
      expect(run().retried).to.include({ cid: run().expected, verified: true });
    });

    it('reads a file under 256 KiB again each time, and keeps nothing of it', () => {
      expect(run().readsOnce).to.be.above(0);
      expect(run().smallReads).to.equal(2 * run().readsOnce);
      expect(run().smallHashes[1]).to.deep.equal(run().smallHashes[0]);
      expect(run().keys.some((k) => k.startsWith('again.bin\n'))).to.equal(true);
      expect(run().keys.filter((k) => k.startsWith('small.bin\n'))).to.deep.equal([]);
    });
  });

  describe('when an asset is shared, the areas listed and the asset deleted', () => {
    const run = situation(async () => {
      const { client } = await makeClient();
      const { cid } = await client.uploadAsset(randomFile(1234));
      const areas = await client.getAreaIds();
      const urls = await client.shareAsset(cid);
      await client.deleteAsset(cid);
      const assets = await knob('titan', 'assets');
      const shareDeleted = await caught(client.shareAsset(cid));
      return { cid, areas, urls, assets, shareDeleted };
    });

    it('lists the areas', () => {
      expect(run().areas).to.deep.equal(['China', 'UnitedStates']);
    });

    it('shares a link to the CID', () => {
      expect(run().urls[0]).to.include(run().cid);
    });

    it('deletes the asset', () => {
      expect(run().assets).to.have.length(0);
    });

    it("fails to share a deleted asset, with the server's error", () => {
      expect(run().shareDeleted.code).to.be.a('number');
      expect(run().shareDeleted.message).to.include('share_asset');
    });
  });

  // Folders: the API server's group handlers (gnasnik/titan-explorer api/events.go
  // CreateGroupHandler … DeleteGroupHandler), replicated in src/sandbox/titan/groups.ts.
  describe('when files go to a folder path, and folders are made, listed, renamed, moved and deleted', () => {
    const run = situation(async () => {
      const { client } = await makeClient();
      // Two files at once to a path that does not exist yet: the folders are made once.
      const [one, two] = await Promise.all([
        client.uploadAsset(randomFile(3000, 'a.txt'), { folder: 'invoices/2026' }),
        client.uploadAsset(randomFile(3000, 'b.txt'), { folder: 'invoices/2026' }),
      ]);
      const afterUpload = await knob('titan', 'groups');
      const assets = await knob('titan', 'assets');
      const root = await client.listFolders();
      const inside = await client.listFolders(root[0]!.id);
      // Another client (another page) finds the same folders rather than making new ones.
      const { client: other } = await makeClient();
      const again = await other.folderId('invoices/2026');
      const spare = await client.createFolder('spare');
      await client.renameFolder(spare.id, 'archive');
      await client.moveFolder(inside[0]!.id, spare.id);
      const moved = await client.listFolders(spare.id);
      const loop = await caught(client.moveFolder(spare.id, inside[0]!.id));
      await client.deleteFolder(spare.id);
      const left = await client.listFolders();
      const creates = (await requestLog('titan')).filter((e) => e.path.endsWith('/create_group')).length;
      // `2026` was moved away (and deleted with `archive`): the path is looked up afresh, not taken from before.
      const recreated = await client.folderId('invoices/2026');
      return { one, two, afterUpload, assets, root, inside, again, moved, loop, left, creates, recreated };
    });

    it('makes each folder of the path once, even for files uploaded at the same time', () => {
      expect(run().afterUpload.map((g) => [g.name, g.parent])).to.deep.equal([
        ['invoices', 0],
        ['2026', run().afterUpload[0]!.id],
      ]);
    });

    it('stores both files in the innermost folder', () => {
      const id = run().afterUpload[1]!.id;
      expect(run().assets.map((a) => a.groupId)).to.deep.equal([id, id]);
    });

    it('lists folders with their files', () => {
      expect(run().root.map((f) => f.name)).to.deep.equal(['invoices']);
      expect(run().inside[0]).to.include({ name: '2026', assetCount: 2, parent: run().root[0]!.id, shared: false });
    });

    it('finds an existing path without making folders (another client)', () => {
      expect(run().again).to.equal(run().inside[0]!.id);
      expect(run().creates).to.equal(3);
    });

    it('renames and moves a folder, refuses a move into its own subfolder (err 10020), deletes with what is inside', () => {
      expect(run().moved.map((f) => f.name)).to.deep.equal(['2026']);
      expect(run().loop.code).to.equal(10020);
      expect(run().left.map((f) => f.name)).to.deep.equal(['invoices']);
    });

    it('looks a path up afresh after a folder was renamed, moved or deleted', () => {
      expect(run().recreated).to.not.equal(run().inside[0]!.id);
    });
  });
});
