// The storage API of the Titan replica, against gnasnik/titan-explorer api/events.go
// (GetUploadInfoHandler, CreateAssetPostHandler, AssetTransferReport, ShareAssetsHandler,
// DeleteAssetHandler, GetSchedulerAreaIDs, GetStorageSizeHandler), api/response.go
// (respJSON, respErrorCode), core/errors/errors.go, and the scheduler it calls
// (Titannet-dao/titan-node node/scheduler/asset_impl.go CreateAsset, getUploadInfo, ShareAssetV2).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { HEADERS, PATHS } from '../../../src/titan/protocol.js';
import { call, login, md5, nodePost, rawLeafCid, report, store, uploadInfo } from './titan-helpers.js';

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

describe('get_upload_info (api/events.go GetUploadInfoHandler, asset_impl.go getUploadInfo)', () => {
  test("data is {AlreadyExists, AreaID, CID, List, Log, TraceID}; AreaID is the area key's country", async () => {
    const r = await call(sb, 'GET', PATHS.getUploadInfo, {
      token: await login(sb),
      query: { md5: md5(Buffer.from('x')), need_trace: 'true' },
    });
    assert.deepEqual(Object.keys(r.json), ['code', 'data']);
    assert.deepEqual(Object.keys(r.json.data), ['AlreadyExists', 'AreaID', 'CID', 'List', 'Log', 'TraceID']);
    assert.deepEqual([r.json.data.AlreadyExists, r.json.data.AreaID, r.json.data.CID, r.json.data.Log], [false, 'China', '', SHENZHEN]);
    assert.match(r.json.data.TraceID, UUID);
  });

  test('List holds every candidate as NodeUploadInfo {UploadURL, Token, NodeID}: c_-prefixed ids, /uploadv2 URLs', async () => {
    const info = await uploadInfo(sb, await login(sb));
    assert.deepEqual(
      info.List!.map((n) => Object.keys(n)),
      [
        ['UploadURL', 'Token', 'NodeID'],
        ['UploadURL', 'Token', 'NodeID'],
      ],
    );
    assert.deepEqual(
      info.List!.map((n) => n.NodeID),
      ['c_node1', 'c_node2'],
    );
    assert.deepEqual(
      info.List!.map((n) => n.UploadURL),
      [`${sb.url}/titan-node/node1/uploadv2`, `${sb.url}/titan-node/node2/uploadv2`],
    );
  });

  test("the node token is the node's AuthNew of types.JWTPayload: no expiry, the user in ID", async () => {
    const token = await login(sb);
    const info = await uploadInfo(sb, token);
    const payload = JSON.parse(Buffer.from(info.List![0]!.Token.split('.')[1]!, 'base64url').toString());
    assert.deepEqual(payload, {
      Allow: ['user'],
      ID: `${sb.options.tenant.id}/alice`,
      NodeID: '',
      Extend: '',
      AccessControlList: null,
      FilePassNonce: '',
      TraceID: info.TraceID,
    });
  });

  test('without need_trace=true TraceID is ""', async () => {
    const r = await call(sb, 'GET', PATHS.getUploadInfo, { token: await login(sb), query: { md5: md5(Buffer.from('x')) } });
    assert.equal(r.json.data.TraceID, '');
  });

  test('md5 is optional', async () => {
    const r = await call(sb, 'GET', PATHS.getUploadInfo, { token: await login(sb) });
    assert.deepEqual([r.json.code, r.json.data.AlreadyExists], [0, false]);
  });

  test('an md5 another user stored (dao.CheckAssetByMd5AndAreaExists): {AlreadyExists: true, CID, Log} only', async () => {
    const bytes = randomBytes(5000);
    const { cid } = await store(sb, await login(sb, 'alice'), bytes);
    const r = await call(sb, 'GET', PATHS.getUploadInfo, { token: await login(sb, 'bob'), query: { md5: md5(bytes), need_trace: 'true' } });
    assert.deepEqual(r.json, { code: 0, data: { AlreadyExists: true, CID: cid, Log: SHENZHEN } });
  });

  test('dedup keys on the md5 create_asset was given, not on the bytes', async () => {
    const bytes = randomBytes(5000);
    await store(sb, await login(sb, 'alice'), bytes, { md5: '' });
    const info = await uploadInfo(sb, await login(sb, 'bob'), { md5: md5(bytes) });
    assert.equal(info.AlreadyExists, false);
  });
});

describe('create_asset (api/events.go CreateAssetPostHandler, asset_impl.go CreateAsset)', () => {
  test("a file: {Log, code: 0, data: [{CandidateAddr, Token, TraceID}]} naming the chosen node's /upload", async () => {
    const { created, node } = await store(sb, await login(sb), randomBytes(3000));
    assert.deepEqual(Object.keys(created.json), ['Log', 'code', 'data']);
    assert.deepEqual([created.json.Log, created.json.code], [SHENZHEN, 0]);
    assert.equal(created.json.data.length, 1);
    assert.deepEqual(Object.keys(created.json.data[0]), ['CandidateAddr', 'Token', 'TraceID']);
    assert.equal(created.json.data[0].CandidateAddr, node.UploadURL.replace(/uploadv2$/, 'upload'));
    assert.match(created.json.data[0].TraceID, UUID);
  });

  test('node_id without its c_ prefix is an unknown candidate: {Log, code: -1, err: 10008, msg}', async () => {
    const token = await login(sb);
    const cid = await rawLeafCid(Buffer.from('abc'));
    const r = await createAsset(token, { asset_cid: cid, asset_size: 3, node_id: 'node1' });
    assert.deepEqual(r.json, { Log: SHENZHEN, code: -1, err: 10008, msg: "storage's node node1 not found" });
  });

  test('asset_size 0 fails binding:"required": respErrorCode 1001 with extra null', async () => {
    const r = await createAsset(await login(sb), { asset_cid: await rawLeafCid(Buffer.from('abc')), asset_size: 0, node_id: 'c_node1' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { code: -1, err: 1001, extra: null, msg: 'invalid params' });
    assert.equal(r.text, '{"code":-1,"err":1001,"extra":null,"msg":"invalid params"}');
  });

  test('a fractional asset_size does not bind into int64: 1001', async () => {
    const r = await createAsset(await login(sb), { asset_cid: await rawLeafCid(Buffer.from('abc')), asset_size: 2.5, node_id: 'c_node1' });
    assert.equal(r.json.err, 1001);
  });

  test('Lang: cn gives the Chinese half of the ErrMap text', async () => {
    const r = await createAsset(await login(sb), { asset_size: 0 }, { [HEADERS.lang]: 'cn' });
    assert.deepEqual(r.json, { code: -1, err: 1001, extra: null, msg: '参数有误' });
  });

  test("the empty file's CID is refused by the scheduler: err 10030", async () => {
    const r = await createAsset(await login(sb), { asset_cid: await rawLeafCid(new Uint8Array(0)), asset_size: 1, node_id: 'c_node1' });
    assert.deepEqual(r.json, { Log: SHENZHEN, code: -1, err: 10030, msg: 'Uploading empty files is not allowed' });
  });

  test('a CID that does not decode: respErrorCode 1004', async () => {
    const r = await createAsset(await login(sb), { asset_cid: 'not-a-cid', asset_size: 3, node_id: 'c_node1' });
    assert.deepEqual(r.json, { code: -1, err: 1004, extra: null, msg: 'Server Busy' });
  });

  test('the same user again: err 1017 with data.assetDirectUrl, keys as gin.H sorts them', async () => {
    const token = await login(sb);
    const bytes = randomBytes(2000);
    const { cid } = await store(sb, token, bytes);
    const again = await createAsset(token, { asset_cid: cid, asset_size: bytes.length, node_id: 'c_node1' });
    assert.deepEqual(Object.keys(again.json), ['code', 'data', 'err', 'extra', 'msg']);
    assert.deepEqual(
      [again.json.code, again.json.err, again.json.extra, again.json.msg],
      [-1, 1017, null, 'file already exists no need to upload'],
    );
    assert.deepEqual(Object.keys(again.json.data), ['assetDirectUrl']);
    assert.ok(again.json.data.assetDirectUrl.startsWith(`${sb.url}/titan-node/node1/ipfs/${cid}?token=`));
  });

  test('another user with a CID already synced in the area: data [] and no scheduler call', async () => {
    const bytes = randomBytes(2000);
    const { cid } = await store(sb, await login(sb, 'alice'), bytes);
    const r = await createAsset(await login(sb, 'bob'), { asset_cid: cid, asset_size: bytes.length, node_id: '' });
    assert.deepEqual(r.json, { Log: SHENZHEN, code: 0, data: [] });
  });

  test('a folder without node_id: one /upload entry per candidate (the CAR flow)', async () => {
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

  test('the asset is recorded as given (md5, extra_id, group) with the chosen area synced', async () => {
    const bytes = randomBytes(700);
    const { cid } = await store(sb, await login(sb), bytes, { extra_id: 'order-1', group_id: 7 });
    const [asset] = await sb.control('titan', 'assets');
    assert.deepEqual(
      [asset!.cid, asset!.size, asset!.md5, asset!.extraId, asset!.groupId, asset!.areas],
      [cid, 700, md5(bytes), 'order-1', 7, { [SHENZHEN]: true, 'NorthAmerica-UnitedStates-California-SanJose': false }],
    );
  });
});

describe('transfer/report (api/events.go AssetTransferReport)', () => {
  test('accepted: exactly {"msg":"success"}, no code', async () => {
    const token = await login(sb);
    const { cid } = await store(sb, token, randomBytes(100));
    const r = await report(sb, token, cid);
    assert.deepEqual([r.status, r.text], [200, '{"msg":"success"}']);
  });

  test("stored as one AssetTransferLog: user from the JWT, node_id given the c_ prefix, the node's area", async () => {
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

  test('an array body does not bind: {code: -1, err: 1001, extra: null, msg}', async () => {
    const r = await call(sb, 'POST', PATHS.transferReport, { token: await login(sb), body: [{ state: 1 }] });
    assert.deepEqual([r.status, r.json], [200, { code: -1, err: 1001, extra: null, msg: 'invalid params' }]);
  });

  test('a JwtAuthorization header that does not verify: HTTP 401 with err 1028', async () => {
    const r = await report(sb, 'garbage', 'x');
    assert.deepEqual([r.status, r.json], [401, { code: -1, err: 1028, extra: null, msg: 'permission not allowed' }]);
  });

  test('the report knob refuses as the server can (invalid-params, permission-not-allowed, server-busy)', async () => {
    const token = await login(sb);
    await sb.control('titan', 'report', { refuse: 'server-busy', failCount: 1 });
    assert.deepEqual((await report(sb, token, 'x')).json, { code: -1, err: 1004, extra: null, msg: 'Server Busy' });
    assert.equal((await report(sb, token, 'x')).text, '{"msg":"success"}');
  });
});

describe('share_asset (api/events.go ShareAssetsHandler, asset_impl.go ShareAssetV2)', () => {
  test('data is {asset_cid, available_nodes, redirect, size, trace_id, url}', async () => {
    const token = await login(sb);
    const { cid } = await store(sb, token, randomBytes(1234));
    const r = await call(sb, 'GET', PATHS.shareAsset, { token, query: { asset_cid: cid } });
    assert.deepEqual(Object.keys(r.json.data), ['asset_cid', 'available_nodes', 'redirect', 'size', 'trace_id', 'url']);
    assert.deepEqual(
      [r.json.data.asset_cid, r.json.data.available_nodes, r.json.data.redirect, r.json.data.size, r.json.data.trace_id],
      [cid, 1, false, 1234, ''],
    );
  });

  test("each url is the node's /ipfs/<cid>?token=… plus &filename=<QueryEscape(name)>, and serves the bytes", async () => {
    const token = await login(sb);
    const bytes = randomBytes(1234);
    const { cid } = await store(sb, token, bytes, { asset_name: 'my file (1).bin' });
    const r = await call(sb, 'GET', PATHS.shareAsset, { token, query: { asset_cid: cid } });
    const [url] = r.json.data.url as string[];
    assert.match(url!, new RegExp(`^${sb.url}/titan-node/node1/ipfs/${cid}\\?token=[^&]+&filename=my\\+file\\+%281%29\\.bin$`));
    const got = await fetch(url!);
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(bytes));
  });

  test('no node holds the CID: err 10008 with the area in extra', async () => {
    const token = await login(sb);
    const cid = await rawLeafCid(Buffer.from('never uploaded'));
    await createAsset(token, { asset_cid: cid, asset_size: 14, node_id: 'c_node1' });
    const r = await call(sb, 'GET', PATHS.shareAsset, { token, query: { asset_cid: cid } });
    assert.deepEqual(r.json, { code: -1, err: 10008, extra: [SHENZHEN], msg: "Can't find the node" });
  });

  test('an asset the user does not have: err 1000', async () => {
    const r = await call(sb, 'GET', PATHS.shareAsset, { token: await login(sb), query: { asset_cid: await rawLeafCid(Buffer.from('x')) } });
    assert.deepEqual(r.json, { code: -1, err: 1000, extra: null, msg: 'not found' });
  });
});

describe('delete_asset, get_area_id, get_storage_size', () => {
  test('delete_asset (DeleteAssetHandler): {code: 0, data: {msg: "delete success"}}, then err 10000', async () => {
    const token = await login(sb);
    const { cid } = await store(sb, token, randomBytes(100));
    assert.deepEqual((await call(sb, 'GET', PATHS.deleteAsset, { token, query: { asset_cid: cid } })).json, {
      code: 0,
      data: { msg: 'delete success' },
    });
    assert.deepEqual((await call(sb, 'GET', PATHS.deleteAsset, { token, query: { asset_cid: cid } })).json, {
      code: -1,
      err: 10000,
      extra: null,
      msg: 'not found',
    });
  });

  test('get_area_id (GetSchedulerAreaIDs) needs no token: {area_maps: [{key, value}], list} of countries', async () => {
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

  test('get_area_id with Lang: cn names the countries in Chinese in area_maps keys', async () => {
    const r = await call(sb, 'GET', PATHS.getAreaId, { headers: { [HEADERS.lang]: 'cn' } });
    assert.deepEqual(r.json.data.area_maps, [
      { key: '中国', value: 'China' },
      { key: '美国', value: 'UnitedStates' },
    ]);
  });

  test('get_storage_size (GetStorageSizeHandler): {PeakBandwidth, TotalSize, TotalTraffic, UsedSize, UsedTraffic}', async () => {
    const token = await login(sb);
    await store(sb, token, randomBytes(4000));
    const r = await call(sb, 'GET', PATHS.getStorageSize, { token });
    assert.deepEqual(r.json.data, { PeakBandwidth: 0, TotalSize: 0, TotalTraffic: 1024 ** 3, UsedSize: 4000, UsedTraffic: 0 });
  });
});

describe('storage knob and reset', () => {
  test('failCount: the call answers HTTP 500 with an empty body (gin.Recovery), then works', async () => {
    const token = await login(sb);
    await sb.control('titan', 'storage', { call: 'get_upload_info', failCount: 1 });
    const failed = await call(sb, 'GET', PATHS.getUploadInfo, { token });
    assert.deepEqual([failed.status, failed.text], [500, '']);
    assert.equal((await call(sb, 'GET', PATHS.getUploadInfo, { token })).json.code, 0);
  });

  test('delayMs: create_asset answers late and still records the asset', async () => {
    const token = await login(sb);
    await sb.control('titan', 'storage', { call: 'create_asset', delayMs: 300 });
    const t0 = Date.now();
    const { created } = await store(sb, token, randomBytes(10));
    assert.ok(Date.now() - t0 >= 290);
    assert.equal(created.json.code, 0);
  });

  test('reset clears assets and knobs; accounts and their tokens survive', async () => {
    const token = await login(sb);
    await store(sb, token, randomBytes(10));
    await sb.control('titan', 'unauthorized', { mode: 'http' });
    await fetch(`${sb.url}/_sandbox/reset`, { method: 'POST', body: '{}' });
    assert.deepEqual(await sb.control('titan', 'assets'), []);
    assert.equal((await call(sb, 'GET', PATHS.getStorageSize, { token })).json.code, 0);
    assert.equal((await call(sb, 'GET', PATHS.getStorageSize)).status, 200, 'back to the source shape (1001 for get_storage_size)');
  });

  test("a node token can be used without the user's JwtAuthorization (the node checks only its own token)", async () => {
    const info = await uploadInfo(sb, await login(sb));
    const up = await nodePost(info.List![1]!.UploadURL, info.List![1]!.Token, Buffer.from('hello'));
    assert.equal(up.json.code, 0);
  });
});
