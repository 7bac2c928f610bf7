import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { createTitanTenant } from '../../src/server/titan.js';
import { HEADERS, PATHS, isUnauthorized, type Envelope, type UploadInfo } from '../../src/titan/protocol.js';

let sb: Sandbox;
before(async () => {
  sb = await startSandbox({ timeScale: 0.001, tokenTtlSeconds: 3600 });
});
after(() => sb.close());
beforeEach(() => sb.reset());

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
/** Computed here with multiformats alone, independently of the sandbox. */
const expectedCid = async (b: Uint8Array) => CID.create(1, raw.code, await sha256.digest(b)).toString();

async function login(username = 'alice'): Promise<string> {
  const tenant = createTitanTenant({ apiUrl: `${sb.url}/titan`, apiKey: sb.options.tenant.apiKey });
  return (await tenant.ssoLogin({ entryUuid: `e-${username}`, username })).token;
}

async function api<T = unknown>(token: string | undefined, path: string, init: { query?: Record<string, string | string[]>; body?: unknown } = {}) {
  const url = new URL(`${sb.url}/titan${path}`);
  for (const [k, v] of Object.entries(init.query ?? {})) for (const x of [v].flat()) url.searchParams.append(k, x);
  const res = await fetch(url, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: { ...(token ? { [HEADERS.jwt]: `Bearer ${token}` } : {}), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json()) as Envelope<T> };
}

async function uploadInfo(token: string, hash: string, areaIds: string[] = []): Promise<UploadInfo> {
  const r = await api<UploadInfo>(token, PATHS.getUploadInfo, { query: { t: String(Date.now()), need_trace: 'true', md5: hash, area_id: areaIds } });
  assert.equal(r.body.code, 0, JSON.stringify(r.body));
  return r.body.data!;
}

async function nodeUpload(url: string, nodeToken: string, userToken: string, bytes: Uint8Array, field = 'file') {
  const form = new FormData();
  form.append('note', 'ignored');
  form.append(field, new Blob([new Uint8Array(bytes)]), 'data.bin');
  const res = await fetch(url, { method: 'POST', headers: { [HEADERS.nodeAuth]: `Bearer ${nodeToken}`, [HEADERS.jwt]: `Bearer ${userToken}` }, body: form });
  return { status: res.status, body: (await res.json()) as { code: number; cid?: string; msg?: string } };
}

/** Full flow up to create_asset; returns the create_asset answer. */
async function store(token: string, bytes: Uint8Array, extra: Record<string, unknown> = {}) {
  const hash = md5(bytes);
  const info = await uploadInfo(token, hash);
  let cid = info.CID;
  if (!info.AlreadyExists) {
    const up = await nodeUpload(info.List[0]!.UploadURL, info.List[0]!.Token, token, bytes);
    assert.equal(up.body.code, 0, JSON.stringify(up.body));
    cid = up.body.cid;
  }
  const r = await api<unknown>(token, PATHS.createAsset, {
    body: { asset_name: 'data.bin', asset_type: 'file', asset_size: bytes.length, asset_cid: cid, group_id: 0, node_id: 'node1', extra_id: '', md5: hash, area_id: [], ...extra },
  });
  return { cid: cid!, ...r };
}

describe('storage API authorization', () => {
  test('missing, garbage and expired tokens get HTTP 401 {code: 401} by default', async () => {
    const token = await login();
    for (const t of [undefined, 'garbage']) {
      const r = await api(t, PATHS.getAreaId);
      assert.equal(r.status, 401);
      assert.equal(r.body.code, 401);
      assert.ok(r.body.msg);
      assert.ok(isUnauthorized(r.status, r.body));
    }
    assert.equal((await api(token, PATHS.getAreaId)).body.code, 0);
    await sb.control('titan', 'expire-tokens');
    const r = await api(token, PATHS.getAreaId);
    assert.deepEqual([r.status, r.body.code, r.body.msg], [401, 401, 'token is expired']);
  });

  test('unauthorized-as envelope answers HTTP 200 {code: 401}, on the API and at the node', async () => {
    await sb.control('titan', 'unauthorized-as', { shape: 'envelope' });
    const token = await login();
    const info = await uploadInfo(token, md5(Buffer.from('x')));
    await sb.control('titan', 'expire-tokens');
    const r = await api(token, PATHS.getUploadInfo, { query: { md5: md5(Buffer.from('x')) } });
    assert.deepEqual([r.status, r.body.code], [200, 401]);
    assert.ok(isUnauthorized(r.status, r.body));
    const up = await nodeUpload(info.List[0]!.UploadURL, info.List[0]!.Token, token, Buffer.from('x'));
    assert.deepEqual([up.status, up.body.code], [200, 401]);
    // A renewed user token works with the node token issued before the renewal.
    const fresh = await login();
    const ok = await nodeUpload(info.List[0]!.UploadURL, info.List[0]!.Token, fresh, Buffer.from('x'));
    assert.equal(ok.body.code, 0);
    await sb.control('titan', 'unauthorized-as', { shape: 'http' });
    assert.equal((await api(token, PATHS.getAreaId)).status, 401);
  });
});

describe('get_upload_info and upload nodes', () => {
  test('two nodes, node1 first, with signed node tokens; md5 required', async () => {
    const token = await login();
    const info = await uploadInfo(token, md5(Buffer.from('abc')), ['area-1', 'area-2']);
    assert.ok(info.List.length >= 2);
    assert.deepEqual(info.List.slice(0, 2).map((n) => n.NodeID), ['c_node1', 'c_node2']);
    assert.equal(info.List[0]!.UploadURL, `${sb.url}/titan-node/node1/upload`);
    assert.equal(info.List[0]!.Token.split('.').length, 3);
    assert.ok(info.TraceID);
    assert.equal(info.AlreadyExists, false);
    const entry = sb.log.findLast((e) => e.path === `/titan${PATHS.getUploadInfo}`);
    assert.equal(entry?.headers.jwtauthorization, `Bearer ${token}`);
    const bad = await api(token, PATHS.getUploadInfo, { query: { md5: 'nope' } });
    assert.notEqual(bad.body.code, 0);
  });

  test('a multi-MB upload streams to disk and answers the raw sha2-256 CIDv1', async () => {
    const token = await login();
    const bytes = randomBytes(6 * 1024 * 1024 + 123);
    const info = await uploadInfo(token, md5(bytes));
    const up = await nodeUpload(info.List[1]!.UploadURL, info.List[1]!.Token, token, bytes);
    assert.equal(up.status, 200);
    assert.deepEqual(up.body, { code: 0, cid: await expectedCid(bytes) });
    assert.ok(up.body.cid!.startsWith('bafkrei'));
  });

  test('a hand-chunked body with odd chunk sizes gives the same CID', async () => {
    const token = await login();
    const bytes = randomBytes(300_000);
    const info = await uploadInfo(token, md5(bytes));
    const boundary = '----sandbox-test-boundary';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const url = new URL(info.List[0]!.UploadURL);
    const answer = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(url, {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          authorization: `Bearer ${info.List[0]!.Token}`,
          jwtauthorization: `Bearer ${token}`,
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(text));
      });
      req.on('error', reject);
      // Chunk sizes that put delimiter bytes across chunk edges.
      let pos = 0;
      for (let i = 0; pos < body.length; i++) {
        const n = [1, 7, 13, 4093, 65_537][i % 5]!;
        req.write(body.subarray(pos, pos + n));
        pos += n;
      }
      req.end();
    });
    assert.deepEqual(JSON.parse(answer), { code: 0, cid: await expectedCid(bytes) });
  });

  test('bytes whose md5 differs from the token are rejected, as is a body without a file part', async () => {
    const token = await login();
    const bytes = randomBytes(1000);
    const info = await uploadInfo(token, md5(bytes));
    const truncated = await nodeUpload(info.List[0]!.UploadURL, info.List[0]!.Token, token, bytes.subarray(0, 999));
    assert.notEqual(truncated.body.code, 0);
    assert.match(truncated.body.msg ?? '', /999 bytes/);
    const noFile = await nodeUpload(info.List[0]!.UploadURL, info.List[0]!.Token, token, bytes, 'other');
    assert.notEqual(noFile.body.code, 0);
    assert.match(noFile.body.msg ?? '', /"file"/);
    // Nothing was stored, so create_asset does not know the CID.
    const created = await api(token, PATHS.createAsset, { body: { asset_name: 'a', asset_type: 'file', asset_size: 999, asset_cid: await expectedCid(bytes.subarray(0, 999)) } });
    assert.notEqual(created.body.code, 0);
  });

  test('a node token only works at its node and for its user', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const bytes = randomBytes(100);
    const info = await uploadInfo(alice, md5(bytes));
    const wrongNode = await nodeUpload(info.List[1]!.UploadURL, info.List[0]!.Token, alice, bytes);
    assert.equal(wrongNode.status, 403);
    const wrongUser = await nodeUpload(info.List[0]!.UploadURL, info.List[0]!.Token, bob, bytes);
    assert.equal(wrongUser.status, 403);
    const noToken = await nodeUpload(info.List[0]!.UploadURL, '', alice, bytes);
    assert.equal(noToken.status, 403);
  });

  test('node knobs: down (503), error (200 {code: 500}), slow, and failCount', async () => {
    const token = await login();
    const bytes = randomBytes(2000);
    const info = await uploadInfo(token, md5(bytes));
    const [n1, n2] = info.List as [UploadInfo['List'][0], UploadInfo['List'][0]];

    await sb.control('titan', 'node', { nodeId: 'node1', mode: 'down' });
    for (let i = 0; i < 2; i++) assert.equal((await nodeUpload(n1.UploadURL, n1.Token, token, bytes)).status, 503);
    assert.equal((await nodeUpload(n2.UploadURL, n2.Token, token, bytes)).body.code, 0, 'the other node is unaffected');

    await sb.control('titan', 'node', { nodeId: 'node1', mode: 'error', failCount: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await nodeUpload(n1.UploadURL, n1.Token, token, bytes);
      assert.deepEqual([r.status, r.body.code], [200, 500]);
    }
    assert.equal((await nodeUpload(n1.UploadURL, n1.Token, token, bytes)).body.code, 0, 'ok again after failCount');

    await sb.control('titan', 'node', { nodeId: 'c_node2', mode: 'slow', delayMs: 300, failCount: 1 });
    let t = Date.now();
    assert.equal((await nodeUpload(n2.UploadURL, n2.Token, token, bytes)).body.code, 0);
    assert.ok(Date.now() - t >= 290, `slow took ${Date.now() - t} ms`);
    t = Date.now();
    await nodeUpload(n2.UploadURL, n2.Token, token, bytes);
    assert.ok(Date.now() - t < 290);

    await sb.control('titan', 'node', { nodeId: 'node1', mode: 'down' });
    await sb.control('titan', 'node', { nodeId: 'node1', mode: 'ok' });
    assert.equal((await nodeUpload(n1.UploadURL, n1.Token, token, bytes)).body.code, 0);
    await assert.rejects(sb.control('titan', 'node', { nodeId: 'node9', mode: 'down' }));
  });
});

describe('create_asset, dedup and the other storage calls', () => {
  test('create_asset answers assetDirectUrl, which serves the stored bytes', async () => {
    const token = await login();
    const bytes = randomBytes(50_000);
    const r = await store(token, bytes);
    assert.equal(r.body.code, 0);
    const url = (r.body.data as { assetDirectUrl: string }).assetDirectUrl;
    assert.equal(url, `${sb.url}/titan-node/node1/ipfs/${r.cid}`);
    const got = Buffer.from(await (await fetch(url)).arrayBuffer());
    assert.ok(got.equals(bytes));
    const assets = (await sb.control('titan', 'assets')) as Array<{ cid: string; size: number; md5: string; userId: string }>;
    assert.deepEqual(assets.map((a) => [a.cid, a.size, a.md5]), [[r.cid, bytes.length, md5(bytes)]]);
  });

  test('repeat by the same user is err 1017; another user gets AlreadyExists and data []', async () => {
    const alice = await login('alice');
    const bytes = randomBytes(10_000);
    const first = await store(alice, bytes);
    assert.equal(first.body.code, 0);

    const again = await store(alice, bytes);
    assert.equal(again.status, 200);
    assert.notEqual(again.body.code, 0);
    assert.equal(again.body.err, 1017);
    assert.equal(again.body.msg, 'asset already exists');

    const bob = await login('bob');
    const info = await uploadInfo(bob, md5(bytes));
    assert.equal(info.AlreadyExists, true);
    assert.equal(info.CID, first.cid);
    const fast = await store(bob, bytes);
    assert.deepEqual(fast.body, { code: 0, data: [] });
    const owners = ((await sb.control('titan', 'assets')) as Array<{ userId: string }>).map((a) => a.userId.split('/')[1]);
    assert.deepEqual(owners, ['alice', 'bob']);
  });

  test('create_asset validates fields and refuses unknown CIDs and wrong sizes', async () => {
    const token = await login();
    const bytes = randomBytes(1000);
    const bad = await api(token, PATHS.createAsset, { body: { asset_type: 'file', asset_size: -1 } });
    assert.deepEqual([bad.body.code, bad.body.err], [-1, 1001]);
    assert.match(bad.body.msg!, /asset_name.*asset_size.*asset_cid/);
    const unknown = await api(token, PATHS.createAsset, { body: { asset_name: 'a', asset_type: 'file', asset_size: 1000, asset_cid: await expectedCid(bytes) } });
    assert.notEqual(unknown.body.code, 0);
    assert.match(unknown.body.msg!, /unknown asset_cid/);
    const wrongSize = await store(token, bytes, { asset_size: 999 });
    assert.notEqual(wrongSize.body.code, 0);
    assert.equal((await sb.control('titan', 'assets') as unknown[]).length, 0);
  });

  test('transfer/report is stored; share, area ids, storage size and delete answer envelopes', async () => {
    const token = await login();
    const bytes = randomBytes(4000);
    const { cid } = await store(token, bytes);
    const item = { status: 1, msg: '', elapsedTime: 12, transferRate: 1000, size: 4000, traceId: 't', nodeId: 'node1', cId: cid, log: '' };
    assert.equal((await api(token, PATHS.transferReport, { body: [item] })).body.code, 0);
    assert.notEqual((await api(token, PATHS.transferReport, { body: { not: 'an array' } })).body.code, 0);
    const reports = (await sb.control('titan', 'reports')) as Array<{ userId: string; items: unknown[] }>;
    assert.deepEqual(reports.map((r) => r.items), [[item]]);

    const share = await api<{ url: string[] }>(token, PATHS.shareAsset, { query: { asset_cid: cid } });
    assert.equal(share.body.code, 0);
    assert.ok(share.body.data!.url.includes(`${sb.url}/titan-node/node1/ipfs/${cid}`));
    const areas = await api<string[]>(token, PATHS.getAreaId);
    assert.ok(Array.isArray(areas.body.data) && areas.body.data.length > 0);
    const size = await api<{ UsedSize: number }>(token, PATHS.getStorageSize);
    assert.equal(size.body.data!.UsedSize, 4000);

    assert.equal((await api(token, PATHS.deleteAsset, { query: { asset_cid: cid } })).body.code, 0);
    assert.notEqual((await api(token, PATHS.deleteAsset, { query: { asset_cid: cid } })).body.code, 0);
    assert.equal((await api<{ UsedSize: number }>(token, PATHS.getStorageSize)).body.data!.UsedSize, 0);
    assert.equal((await uploadInfo(token, md5(bytes))).AlreadyExists, false);
  });

  test('reset clears assets and knobs; accounts and their valid tokens survive', async () => {
    const token = await login();
    await store(token, randomBytes(10));
    await sb.control('titan', 'unauthorized-as', { shape: 'envelope' });
    await fetch(`${sb.url}/_sandbox/reset`, { method: 'POST', body: '{}' });
    assert.deepEqual(await sb.control('titan', 'assets'), []);
    assert.equal((await sb.control('titan', 'users') as unknown[]).length > 0, true);
    assert.equal((await api(token, PATHS.getAreaId)).status, 200, 'a token issued before the reset still works');
    assert.equal((await api('garbage', PATHS.getAreaId)).status, 401, '401 back to the HTTP shape');
  });
});
