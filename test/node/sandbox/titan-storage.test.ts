// The storage API of the Titan replica, against gnasnik/titan-explorer api/events.go
// (GetUploadInfoHandler, CreateAssetPostHandler, AssetTransferReport, ShareAssetsHandler,
// DeleteAssetHandler, GetSchedulerAreaIDs, GetStorageSizeHandler), api/response.go
// (respJSON, respErrorCode), core/errors/errors.go, and the scheduler it calls
// (Titannet-dao/titan-node node/scheduler/asset_impl.go CreateAsset, getUploadInfo, ShareAssetV2).
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { HEADERS, PATHS } from '../../../src/titan/protocol.js';
import { call, login, md5, nodePost, rawLeafCid, report, store, uploadInfo } from './titan-helpers.js';
import { recordOnce as recordOnceAfterReset } from '../record-once.js';

let sb: Sandbox;
before(async () => {
  sb = await startSandbox({ timeScale: 0.001 });
});
after(() => sb.close());
beforeEach(() => sb.reset());

const SHENZHEN = 'Asia-China-Guangdong-Shenzhen';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const createAsset = (token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  call(sb, 'POST', PATHS.createAsset, {
    token,
    headers,
    body: { asset_name: 'a.bin', asset_type: 'file', group_id: 0, extra_id: '', md5: '', area_id: [], ...body },
  });

/** A flow run once from a fresh sandbox, for the its of the describe it is called in. */
const recordOnce = <T>(run: () => Promise<T>) => recordOnceAfterReset(run, () => sb.reset());

describe('get_upload_info (api/events.go GetUploadInfoHandler, asset_impl.go getUploadInfo)', () => {
  describe('when asked with an md5 nobody stored and need_trace=true', () => {
    const r = recordOnce(async () =>
      call(sb, 'GET', PATHS.getUploadInfo, {
        token: await login(sb),
        query: { md5: md5(Buffer.from('x')), need_trace: 'true' },
      }),
    );

    it('answers {code, data}', () => {
      assert.deepEqual(Object.keys(r().json), ['code', 'data']);
    });

    it('answers data {AlreadyExists, AreaID, CID, List, Log, TraceID}', () => {
      assert.deepEqual(Object.keys(r().json.data), ['AlreadyExists', 'AreaID', 'CID', 'List', 'Log', 'TraceID']);
    });

    it("says the file is new, with the area key's country as AreaID and the area as Log", () => {
      const { data } = r().json;
      assert.deepEqual([data.AlreadyExists, data.AreaID, data.CID, data.Log], [false, 'China', '', SHENZHEN]);
    });

    it('gives a UUID TraceID', () => {
      assert.match(r().json.data.TraceID, UUID);
    });
  });

  describe('when it lists the candidates', () => {
    const info = recordOnce(async () => {
      const token = await login(sb);
      return uploadInfo(sb, token);
    });

    it('gives each as NodeUploadInfo {UploadURL, Token, NodeID}', () => {
      assert.deepEqual(
        info().List!.map((n) => Object.keys(n)),
        [
          ['UploadURL', 'Token', 'NodeID'],
          ['UploadURL', 'Token', 'NodeID'],
        ],
      );
    });

    it('gives c_-prefixed node ids', () => {
      assert.deepEqual(
        info().List!.map((n) => n.NodeID),
        ['c_node1', 'c_node2'],
      );
    });

    it("gives each node's /uploadv2 URL", () => {
      assert.deepEqual(
        info().List!.map((n) => n.UploadURL),
        [`${sb.url}/titan-node/node1/uploadv2`, `${sb.url}/titan-node/node2/uploadv2`],
      );
    });

    it("makes the node token the node's AuthNew of types.JWTPayload: no expiry, the user in ID", () => {
      const payload = JSON.parse(Buffer.from(info().List![0]!.Token.split('.')[1]!, 'base64url').toString());
      assert.deepEqual(payload, {
        Allow: ['user'],
        ID: `${sb.options.tenant.id}/alice`,
        NodeID: '',
        Extend: '',
        AccessControlList: null,
        FilePassNonce: '',
        TraceID: info().TraceID,
      });
    });
  });

  describe('when asked without need_trace or without md5', () => {
    it('gives TraceID "" without need_trace=true', async () => {
      const r = await call(sb, 'GET', PATHS.getUploadInfo, { token: await login(sb), query: { md5: md5(Buffer.from('x')) } });
      assert.equal(r.json.data.TraceID, '');
    });

    it('takes md5 as optional', async () => {
      const r = await call(sb, 'GET', PATHS.getUploadInfo, { token: await login(sb) });
      assert.deepEqual([r.json.code, r.json.data.AlreadyExists], [0, false]);
    });
  });

  describe('when another user stored the same file', () => {
    it('answers an md5 it was given (dao.CheckAssetByMd5AndAreaExists): {AlreadyExists: true, CID, Log} only', async () => {
      const bytes = randomBytes(5000);
      const { cid } = await store(sb, await login(sb, 'alice'), bytes);
      const r = await call(sb, 'GET', PATHS.getUploadInfo, {
        token: await login(sb, 'bob'),
        query: { md5: md5(bytes), need_trace: 'true' },
      });
      assert.deepEqual(r.json, { code: 0, data: { AlreadyExists: true, CID: cid, Log: SHENZHEN } });
    });

    it('keys dedup on the md5 create_asset was given, not on the bytes', async () => {
      const bytes = randomBytes(5000);
      await store(sb, await login(sb, 'alice'), bytes, { md5: '' });
      const info = await uploadInfo(sb, await login(sb, 'bob'), { md5: md5(bytes) });
      assert.equal(info.AlreadyExists, false);
    });
  });
});

describe('create_asset (api/events.go CreateAssetPostHandler, asset_impl.go CreateAsset)', () => {
  describe('when a file is created', () => {
    const recorded = recordOnce(async () => store(sb, await login(sb), randomBytes(3000)));
    const json = () => recorded().created.json;

    it('answers {Log, code: 0, data}', () => {
      assert.deepEqual(Object.keys(json()), ['Log', 'code', 'data']);
      assert.deepEqual([json().Log, json().code], [SHENZHEN, 0]);
    });

    it('answers one entry {CandidateAddr, Token, TraceID}', () => {
      assert.equal(json().data.length, 1);
      assert.deepEqual(Object.keys(json().data[0]), ['CandidateAddr', 'Token', 'TraceID']);
    });

    it("names the chosen node's /upload", () => {
      assert.equal(json().data[0].CandidateAddr, recorded().node.UploadURL.replace(/uploadv2$/, 'upload'));
    });

    it('gives a UUID TraceID', () => {
      assert.match(json().data[0].TraceID, UUID);
    });
  });

  describe('when the request is refused', () => {
    it('node_id without its c_ prefix is an unknown candidate: {Log, code: -1, err: 10008, msg}', async () => {
      const token = await login(sb);
      const cid = await rawLeafCid(Buffer.from('abc'));
      const r = await createAsset(token, { asset_cid: cid, asset_size: 3, node_id: 'node1' });
      assert.deepEqual(r.json, { Log: SHENZHEN, code: -1, err: 10008, msg: "storage's node node1 not found" });
    });

    it('asset_size 0 fails binding:"required": HTTP 200 respErrorCode 1001 with extra null', async () => {
      const r = await createAsset(await login(sb), { asset_cid: await rawLeafCid(Buffer.from('abc')), asset_size: 0, node_id: 'c_node1' });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { code: -1, err: 1001, extra: null, msg: 'invalid params' });
      assert.equal(r.text, '{"code":-1,"err":1001,"extra":null,"msg":"invalid params"}');
    });

    it('a fractional asset_size does not bind into int64: 1001', async () => {
      const r = await createAsset(await login(sb), {
        asset_cid: await rawLeafCid(Buffer.from('abc')),
        asset_size: 2.5,
        node_id: 'c_node1',
      });
      assert.equal(r.json.err, 1001);
    });

    it('Lang: cn gives the Chinese half of the ErrMap text', async () => {
      const r = await createAsset(await login(sb), { asset_size: 0 }, { [HEADERS.lang]: 'cn' });
      assert.deepEqual(r.json, { code: -1, err: 1001, extra: null, msg: '参数有误' });
    });

    it("the empty file's CID is refused by the scheduler: err 10030", async () => {
      const r = await createAsset(await login(sb), { asset_cid: await rawLeafCid(new Uint8Array(0)), asset_size: 1, node_id: 'c_node1' });
      assert.deepEqual(r.json, { Log: SHENZHEN, code: -1, err: 10030, msg: 'Uploading empty files is not allowed' });
    });

    it('a CID that does not decode: respErrorCode 1004', async () => {
      const r = await createAsset(await login(sb), { asset_cid: 'not-a-cid', asset_size: 3, node_id: 'c_node1' });
      assert.deepEqual(r.json, { code: -1, err: 1004, extra: null, msg: 'Server Busy' });
    });
  });

  describe('when the same user creates the same file again', () => {
    const recorded = recordOnce(async () => {
      const token = await login(sb);
      const bytes = randomBytes(2000);
      const { cid } = await store(sb, token, bytes);
      const again = await createAsset(token, { asset_cid: cid, asset_size: bytes.length, node_id: 'c_node1' });
      return { cid, json: again.json };
    });

    it('answers with keys as gin.H sorts them', () => {
      assert.deepEqual(Object.keys(recorded().json), ['code', 'data', 'err', 'extra', 'msg']);
    });

    it('answers err 1017 "file already exists"', () => {
      const { json } = recorded();
      assert.deepEqual([json.code, json.err, json.extra, json.msg], [-1, 1017, null, 'file already exists no need to upload']);
    });

    it('gives data.assetDirectUrl on the holding node', () => {
      const { json, cid } = recorded();
      assert.deepEqual(Object.keys(json.data), ['assetDirectUrl']);
      assert.ok(json.data.assetDirectUrl.startsWith(`${sb.url}/titan-node/node1/ipfs/${cid}?token=`));
    });
  });

  describe('when another user creates a CID already synced in the area', () => {
    it('answers data [] and calls no scheduler', async () => {
      const bytes = randomBytes(2000);
      const { cid } = await store(sb, await login(sb, 'alice'), bytes);
      const r = await createAsset(await login(sb, 'bob'), { asset_cid: cid, asset_size: bytes.length, node_id: '' });
      assert.deepEqual(r.json, { Log: SHENZHEN, code: 0, data: [] });
    });
  });

  describe('when a folder is created without node_id', () => {
    it('answers one /upload entry per candidate (the CAR flow)', async () => {
      const r = await createAsset(await login(sb), {
        asset_name: 'dir',
        asset_type: 'folder',
        asset_cid: await rawLeafCid(Buffer.from('car')),
        asset_size: 99,
        need_trace: true,
      });
      assert.deepEqual(
        r.json.data.map((e: { CandidateAddr: string }) => e.CandidateAddr),
        [`${sb.url}/titan-node/node1/upload`, `${sb.url}/titan-node/node2/upload`],
      );
    });
  });

  describe('when a file is stored with an extra_id and a group', () => {
    it('records the asset as given (md5, extra_id, group) with the chosen area synced', async () => {
      const bytes = randomBytes(700);
      const { cid } = await store(sb, await login(sb), bytes, { extra_id: 'order-1', group_id: 7 });
      const [asset] = await sb.control('titan', 'assets');
      assert.deepEqual(
        [asset!.cid, asset!.size, asset!.md5, asset!.extraId, asset!.groupId, asset!.areas],
        [cid, 700, md5(bytes), 'order-1', 7, { [SHENZHEN]: true, 'NorthAmerica-UnitedStates-California-SanJose': false }],
      );
    });
  });
});

describe('transfer/report (api/events.go AssetTransferReport)', () => {
  describe('when a stored upload is reported', () => {
    it('answers exactly {"msg":"success"}, no code', async () => {
      const token = await login(sb);
      const { cid } = await store(sb, token, randomBytes(100));
      const r = await report(sb, token, cid);
      assert.deepEqual([r.status, r.text], [200, '{"msg":"success"}']);
    });

    it("stores one AssetTransferLog: user from the JWT, node_id given the c_ prefix, the node's area", async () => {
      const token = await login(sb);
      const { cid, traceId } = await store(sb, token, randomBytes(100));
      await report(sb, token, cid, { trace_id: traceId });
      const logs = await sb.control('titan', 'reports');
      const row = logs.find((l) => l.trace_id === traceId)!;
      assert.deepEqual(
        [row.user_id, row.node_id, row.area, row.state, row.transfer_type],
        [`${sb.options.tenant.id}/alice`, 'c_node1', SHENZHEN, 1, 'upload'],
      );
    });
  });

  describe('when the report is refused', () => {
    it('an array body does not bind: {code: -1, err: 1001, extra: null, msg}', async () => {
      const r = await call(sb, 'POST', PATHS.transferReport, { token: await login(sb), body: [{ state: 1 }] });
      assert.deepEqual([r.status, r.json], [200, { code: -1, err: 1001, extra: null, msg: 'invalid params' }]);
    });

    it('a JwtAuthorization header that does not verify: HTTP 401 with err 1028', async () => {
      const r = await report(sb, 'garbage', 'x');
      assert.deepEqual([r.status, r.json], [401, { code: -1, err: 1028, extra: null, msg: 'permission not allowed' }]);
    });
  });

  describe('when the report knob refuses as the server can (here server-busy, once)', () => {
    const recorded = recordOnce(async () => {
      const token = await login(sb);
      await sb.control('titan', 'report', { refuse: 'server-busy', failCount: 1 });
      const refused = (await report(sb, token, 'x')).json;
      const next = (await report(sb, token, 'x')).text;
      return { refused, next };
    });

    it('refuses with the server answer', () => {
      assert.deepEqual(recorded().refused, { code: -1, err: 1004, extra: null, msg: 'Server Busy' });
    });

    it('accepts the next report', () => {
      assert.equal(recorded().next, '{"msg":"success"}');
    });
  });
});

describe('share_asset (api/events.go ShareAssetsHandler, asset_impl.go ShareAssetV2)', () => {
  describe('when a stored file is shared', () => {
    const recorded = recordOnce(async () => {
      const token = await login(sb);
      const bytes = randomBytes(1234);
      const { cid } = await store(sb, token, bytes, { asset_name: 'my file (1).bin' });
      const r = await call(sb, 'GET', PATHS.shareAsset, { token, query: { asset_cid: cid } });
      const [url] = r.json.data.url as string[];
      const served = Buffer.from(await (await fetch(url!)).arrayBuffer());
      return { bytes, cid, data: r.json.data, url: url!, served };
    });

    it('answers data {asset_cid, available_nodes, redirect, size, trace_id, url}', () => {
      assert.deepEqual(Object.keys(recorded().data), ['asset_cid', 'available_nodes', 'redirect', 'size', 'trace_id', 'url']);
    });

    it('fills it from the asset', () => {
      const { data, cid } = recorded();
      assert.deepEqual([data.asset_cid, data.available_nodes, data.redirect, data.size, data.trace_id], [cid, 1, false, 1234, '']);
    });

    it("makes each url the node's /ipfs/<cid>?token=… plus &filename=<QueryEscape(name)>", () => {
      const { url, cid } = recorded();
      assert.match(url, new RegExp(`^${sb.url}/titan-node/node1/ipfs/${cid}\\?token=[^&]+&filename=my\\+file\\+%281%29\\.bin$`));
    });

    it('serves the bytes at the url', () => {
      assert.ok(recorded().served.equals(recorded().bytes));
    });
  });

  describe('when the file cannot be shared', () => {
    it('no node holds the CID: err 10008 with the area in extra', async () => {
      const token = await login(sb);
      const cid = await rawLeafCid(Buffer.from('never uploaded'));
      await createAsset(token, { asset_cid: cid, asset_size: 14, node_id: 'c_node1' });
      const r = await call(sb, 'GET', PATHS.shareAsset, { token, query: { asset_cid: cid } });
      assert.deepEqual(r.json, { code: -1, err: 10008, extra: [SHENZHEN], msg: "Can't find the node" });
    });

    it('an asset the user does not have: err 1000', async () => {
      const r = await call(sb, 'GET', PATHS.shareAsset, {
        token: await login(sb),
        query: { asset_cid: await rawLeafCid(Buffer.from('x')) },
      });
      assert.deepEqual(r.json, { code: -1, err: 1000, extra: null, msg: 'not found' });
    });
  });
});

describe('delete_asset (DeleteAssetHandler)', () => {
  describe('when a stored file is deleted twice', () => {
    const recorded = recordOnce(async () => {
      const token = await login(sb);
      const { cid } = await store(sb, token, randomBytes(100));
      const first = (await call(sb, 'GET', PATHS.deleteAsset, { token, query: { asset_cid: cid } })).json;
      const second = (await call(sb, 'GET', PATHS.deleteAsset, { token, query: { asset_cid: cid } })).json;
      return { first, second };
    });

    it('answers {code: 0, data: {msg: "delete success"}} the first time', () => {
      assert.deepEqual(recorded().first, { code: 0, data: { msg: 'delete success' } });
    });

    it('answers err 10000 the second time', () => {
      assert.deepEqual(recorded().second, { code: -1, err: 10000, extra: null, msg: 'not found' });
    });
  });
});

describe('get_area_id (GetSchedulerAreaIDs)', () => {
  describe('when asked without a token', () => {
    it('answers {area_maps: [{key, value}], list} of countries', async () => {
      const r = await call(sb, 'GET', PATHS.getAreaId);
      assert.deepEqual(r.json, {
        code: 0,
        data: {
          area_maps: [
            { key: 'China', value: 'China' },
            { key: 'UnitedStates', value: 'UnitedStates' },
          ],
          list: ['China', 'UnitedStates'],
        },
      });
    });
  });

  describe('when asked with Lang: cn', () => {
    it('names the countries in Chinese in area_maps keys', async () => {
      const r = await call(sb, 'GET', PATHS.getAreaId, { headers: { [HEADERS.lang]: 'cn' } });
      assert.deepEqual(r.json.data.area_maps, [
        { key: '中国', value: 'China' },
        { key: '美国', value: 'UnitedStates' },
      ]);
    });
  });
});

describe('get_storage_size (GetStorageSizeHandler)', () => {
  describe('when the user stored a file', () => {
    it('answers {PeakBandwidth, TotalSize, TotalTraffic, UsedSize, UsedTraffic}', async () => {
      const token = await login(sb);
      await store(sb, token, randomBytes(4000));
      const r = await call(sb, 'GET', PATHS.getStorageSize, { token });
      assert.deepEqual(r.json.data, { PeakBandwidth: 0, TotalSize: 0, TotalTraffic: 1024 ** 3, UsedSize: 4000, UsedTraffic: 0 });
    });
  });
});

describe('storage knob and reset', () => {
  describe('when a call is set to fail once (failCount)', () => {
    const recorded = recordOnce(async () => {
      const token = await login(sb);
      await sb.control('titan', 'storage', { call: 'get_upload_info', failCount: 1 });
      const failed = await call(sb, 'GET', PATHS.getUploadInfo, { token });
      const next = (await call(sb, 'GET', PATHS.getUploadInfo, { token })).json.code;
      return { failed, next };
    });

    it('answers HTTP 500 with an empty body (gin.Recovery)', () => {
      assert.deepEqual([recorded().failed.status, recorded().failed.text], [500, '']);
    });

    it('then works', () => {
      assert.equal(recorded().next, 0);
    });
  });

  describe('when create_asset is delayed (delayMs)', () => {
    const recorded = recordOnce(async () => {
      const token = await login(sb);
      await sb.control('titan', 'storage', { call: 'create_asset', delayMs: 300 });
      const t0 = Date.now();
      const { created } = await store(sb, token, randomBytes(10));
      return { took: Date.now() - t0, code: created.json.code };
    });

    it('answers late', () => {
      assert.ok(recorded().took >= 290);
    });

    it('still records the asset', () => {
      assert.equal(recorded().code, 0);
    });
  });

  describe('when the sandbox is reset', () => {
    const recorded = recordOnce(async () => {
      const token = await login(sb);
      await store(sb, token, randomBytes(10));
      await sb.control('titan', 'unauthorized', { mode: 'http' });
      await fetch(`${sb.url}/_sandbox/reset`, { method: 'POST', body: '{}' });
      return {
        assets: await sb.control('titan', 'assets'),
        withToken: (await call(sb, 'GET', PATHS.getStorageSize, { token })).json.code,
        withoutToken: (await call(sb, 'GET', PATHS.getStorageSize)).status,
      };
    });

    it('clears assets', () => {
      assert.deepEqual(recorded().assets, []);
    });

    it('keeps accounts and their tokens', () => {
      assert.equal(recorded().withToken, 0);
    });

    it('clears knobs', () => {
      assert.equal(recorded().withoutToken, 200, 'back to the source shape (1001 for get_storage_size)');
    });
  });

  describe("when a node token is used without the user's JwtAuthorization", () => {
    it('uploads: the node checks only its own token', async () => {
      const info = await uploadInfo(sb, await login(sb));
      const up = await nodePost(info.List![1]!.UploadURL, info.List![1]!.Token, Buffer.from('hello'));
      assert.equal(up.json.code, 0);
    });
  });
});
