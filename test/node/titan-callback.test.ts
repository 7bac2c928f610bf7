import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { SandboxTitanDelivery } from '../../src/sandbox/titan.js';
import type { ReceivedNotification } from '../../src/sandbox/app-titan.js';
import { CALLBACK_RETRY_DELAYS_MS, HEADERS, PATHS, callbackSigningInput, type UploadInfo } from '../../src/titan/protocol.js';

const TIME_SCALE = 0.001;

async function waitFor<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Logs in through the demo app backend (as a page would) and stores `bytes` with `extraId`. */
async function upload(sb: Sandbox, bytes: Buffer, extraId: string, user = 'demo'): Promise<string> {
  const { token } = (await (await fetch(`${sb.url}/app/titan/token`, { method: 'POST', headers: { 'x-demo-user': user } })).json()) as { token: string };
  const jwt = { [HEADERS.jwt]: `Bearer ${token}` };
  const md5 = createHash('md5').update(bytes).digest('hex');
  const info = (await (await fetch(`${sb.url}/titan${PATHS.getUploadInfo}?md5=${md5}`, { headers: jwt })).json()) as { data: UploadInfo };
  let cid = info.data.CID;
  if (!info.data.AlreadyExists) {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), 'report.pdf');
    const node = info.data.List[0]!;
    const up = (await (await fetch(node.UploadURL, { method: 'POST', headers: { ...jwt, [HEADERS.nodeAuth]: `Bearer ${node.Token}` }, body: form })).json()) as { cid: string };
    cid = up.cid;
  }
  const created = (await (
    await fetch(`${sb.url}/titan${PATHS.createAsset}`, {
      method: 'POST',
      headers: { ...jwt, 'content-type': 'application/json' },
      body: JSON.stringify({ asset_name: 'report.pdf', asset_type: 'file', asset_size: bytes.length, asset_cid: cid, group_id: 7, node_id: 'node1', extra_id: extraId, md5, area_id: [] }),
    })
  ).json()) as { code: number };
  assert.equal(created.code, 0);
  return cid!;
}

const deliveries = async (sb: Sandbox) => (await sb.control('titan', 'callbacks')) as SandboxTitanDelivery[];
const received = async (sb: Sandbox) => (await (await fetch(`${sb.url}/app/titan/received`)).json()) as ReceivedNotification[];

describe('upload callbacks from the Titan sandbox to the demo app backend', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ timeScale: TIME_SCALE });
  });
  after(() => sb.close());
  beforeEach(() => sb.reset());

  test('a signed callback with the extra_id reaches the app, which verifies it', async () => {
    const cid = await upload(sb, randomBytes(3000), 'order-17');
    const got = await waitFor('the callback', async () => (await received(sb))[0]);
    assert.deepEqual([got.kind, got.extraId, got.cid, got.name, got.signatureOk], ['upload', 'order-17', cid, 'report.pdf', true]);
    const n = got.notification as unknown as Record<string, unknown>;
    assert.equal(n.TenantID, sb.options.tenant.id);
    assert.equal(n.UserID, `${sb.options.tenant.id}/demo`);
    assert.equal(n.AssetSize, 3000);
    assert.equal(n.GroupID, 7);
    assert.equal(n.AssetDirectUrl, `${sb.url}/titan-node/node1/ipfs/${cid}`);
    assert.match(String(n.CreatedTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const log = await deliveries(sb);
    assert.deepEqual(log.map((d) => [d.kind, d.attempt, d.status, d.ok, d.response]), [['upload', 1, 200, true, 'success']]);
    assert.equal(log[0]!.url, `${sb.url}/app/titan/callback`);
  });

  test('retried on the scaled schedule after the app failed twice', async () => {
    await sb.control('app-titan', 'fail-callback', { count: 2 });
    await upload(sb, randomBytes(500), 'retry-me');
    await waitFor('the third attempt', async () => ((await deliveries(sb)).length >= 3 ? true : undefined));
    await new Promise((r) => setTimeout(r, 50)); // no fourth attempt after a success
    const log = await deliveries(sb);
    assert.deepEqual(log.map((d) => [d.attempt, d.status, d.ok]), [[1, 500, false], [2, 500, false], [3, 200, true]]);
    // Retry i waits CALLBACK_RETRY_DELAYS_MS[i-1] * timeScale: 0 ms, then 10 s scaled to 10 ms.
    const gap = log[2]!.at - log[1]!.at;
    assert.ok(gap >= CALLBACK_RETRY_DELAYS_MS[1] * TIME_SCALE - 2, `second retry after ${gap} ms`);
    const got = await received(sb);
    assert.deepEqual(got.map((r) => r.extraId), ['retry-me']);
  });

  test('no callback without an extra_id', async () => {
    await upload(sb, randomBytes(200), '');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await deliveries(sb), []);
    assert.deepEqual(await received(sb), []);
  });

  test('a fast upload (another user had the bytes) is notified too', async () => {
    const bytes = randomBytes(700);
    const cid = await upload(sb, bytes, 'first', 'alice');
    await upload(sb, bytes, 'second', 'bob');
    const got = await waitFor('two callbacks', async () => {
      const r = await received(sb);
      return r.length === 2 ? r : undefined;
    });
    assert.deepEqual(got.map((r) => [r.extraId, r.cid]).sort(), [['first', cid], ['second', cid]]);
  });
});

describe('callback wire format and giving up', () => {
  let sb: Sandbox;
  let app: Server;
  let appUrl: string;
  let status = 200;
  let answer: string | undefined;
  const seen: Array<{ method: string; path: string; headers: Record<string, string | string[] | undefined>; raw: string; at: number }> = [];

  before(async () => {
    // The whole 8-step schedule (≈ 25 h) scaled into ≈ 0.9 s.
    sb = await startSandbox({ timeScale: 0.00001 });
    app = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8').on('data', (d: string) => (raw += d)).on('end', () => {
        seen.push({ method: req.method!, path: req.url!, headers: req.headers, raw, at: Date.now() });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(answer ?? (status === 200 ? 'success' : 'nope'));
      });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });
  after(async () => {
    await sb.close();
    app.closeAllConnections();
    await new Promise((r) => app.close(r));
  });
  beforeEach(() => {
    sb.reset();
    seen.length = 0;
    status = 200;
    answer = undefined;
  });

  test('headers and signature as Titan sends them, checked independently', async () => {
    await sb.control('titan', 'notify', { uploadUrl: `${appUrl}/hooks/titan?x=1` });
    const cid = await upload(sb, randomBytes(100), 'wire');
    const hit = await waitFor('the callback', async () => seen[0]);
    assert.equal(hit.method, 'POST');
    assert.equal(hit.headers['content-type'], 'application/json');
    const ts = String(hit.headers['x-timestamp']);
    const nonce = String(hit.headers['x-nonce']);
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Math.abs(Date.parse(ts) - Date.now()) < 5000);
    assert.ok(nonce.length >= 16);
    // The signed path is URL.path: the query string is not part of it.
    const expected = createHmac('sha256', sb.options.tenant.apiSecret).update(callbackSigningInput('POST', '/hooks/titan', hit.raw, ts, nonce)).digest('hex');
    assert.equal(hit.headers['x-signature'], expected);
    const body = JSON.parse(hit.raw) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['AssetCID', 'AssetDirectUrl', 'AssetName', 'AssetSize', 'AssetType', 'CreatedTime', 'ExtraID', 'GroupID', 'TenantID', 'UserID']);
    assert.equal(body.AssetCID, cid);
  });

  test('a failing endpoint gets the first try plus one retry per delay, then nothing', async () => {
    status = 500;
    await sb.control('titan', 'notify', { uploadUrl: `${appUrl}/cb` });
    await upload(sb, randomBytes(100), 'doomed');
    const total = CALLBACK_RETRY_DELAYS_MS.reduce<number>((a, b) => a + b, 0) * 0.00001;
    await waitFor('every attempt', async () => ((await deliveries(sb)).length === CALLBACK_RETRY_DELAYS_MS.length + 1 ? true : undefined), total + 5000);
    await new Promise((r) => setTimeout(r, 300));
    const log = await deliveries(sb);
    assert.equal(log.length, CALLBACK_RETRY_DELAYS_MS.length + 1);
    assert.ok(log.every((d) => !d.ok && d.status === 500));
    // Every attempt is signed afresh.
    assert.equal(new Set(seen.map((s) => s.headers['x-nonce'])).size, seen.length);
    // The last gap is the 24 h step (864 ms here), the longest one.
    assert.ok(seen.at(-1)!.at - seen.at(-2)!.at >= 864 - 5);
  });

  test('a success body other than "success" does not count', async () => {
    await sb.control('titan', 'notify', { uploadUrl: `${appUrl}/cb` });
    status = 201;
    await upload(sb, randomBytes(100), 'x');
    await waitFor('a retry', async () => ((await deliveries(sb)).length >= 2 ? true : undefined));
    assert.equal((await deliveries(sb))[0]!.ok, false);
  });

  for (const body of ['success\n', '{"result":"success"}', 'Success']) {
    test(`HTTP 200 with ${JSON.stringify(body)} is not exactly "success": retried`, async () => {
      await sb.control('titan', 'notify', { uploadUrl: `${appUrl}/cb` });
      answer = body;
      await upload(sb, randomBytes(100), 'almost');
      await waitFor('a retry', async () => ((await deliveries(sb)).length >= 2 ? true : undefined));
      const [first] = await deliveries(sb);
      assert.equal(first!.status, 200);
      assert.equal(first!.ok, false);
    });
  }

  test('delete_asset sends a signed delete notification; reset stops pending retries', async () => {
    await sb.control('titan', 'notify', { deleteUrl: `${appUrl}/deleted` });
    const cid = await upload(sb, randomBytes(100), 'gone-soon');
    const { token } = (await (await fetch(`${sb.url}/app/titan/token`, { method: 'POST' })).json()) as { token: string };
    const del = await fetch(`${sb.url}/titan${PATHS.deleteAsset}?asset_cid=${cid}`, { headers: { [HEADERS.jwt]: `Bearer ${token}` } });
    assert.equal(((await del.json()) as { code: number }).code, 0);
    const hit = await waitFor('the delete callback', async () => seen.find((s) => s.path === '/deleted'));
    assert.deepEqual(JSON.parse(hit.raw), { ExtraID: 'gone-soon', TenantID: sb.options.tenant.id, UserID: `${sb.options.tenant.id}/demo`, AssetCID: cid });

    status = 500;
    await sb.control('titan', 'notify', { uploadUrl: `${appUrl}/cb` });
    await upload(sb, randomBytes(100), 'cancelled');
    await waitFor('a failed attempt', async () => ((await deliveries(sb)).some((d) => d.body.ExtraID === 'cancelled') ? true : undefined));
    sb.reset();
    // Let an attempt already on the wire land, then nothing more may come (the last step is 864 ms).
    await new Promise((r) => setTimeout(r, 30));
    const before = seen.length;
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(seen.length, before);
  });
});
