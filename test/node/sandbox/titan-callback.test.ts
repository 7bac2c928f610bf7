// Callbacks from the Titan replica to an app backend, against gnasnik/titan-explorer
// api/events.go AssetTransferReport (what queues the upload callback) and DeleteAssetHandler,
// job/handler_upload_notify.go assetUploadNotify + setAuthorization, job/handler_delete_nofify.go
// assetDeleteNotify (same in the qnfnypen fork), job/retry.go retry and core/opasynq/client.go.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { CALLBACK_RETRY_DELAYS_MS, type SandboxTitanDelivery } from '../../../src/sandbox/titan/index.js';
import type { ReceivedNotification } from '../../../src/sandbox/app-titan.js';
import { PATHS } from '../../../src/titan/protocol.js';
import { call, login, report, store, waitFor } from './titan-helpers.js';

const deliveries = async (sb: Sandbox) => (await sb.control('titan', 'callbacks')) as SandboxTitanDelivery[];
const received = async (sb: Sandbox) => (await (await fetch(`${sb.url}/app/titan/received`)).json()) as ReceivedNotification[];
const UPLOAD_KEYS = [
  'ExtraID',
  'TenantID',
  'UserID',
  'AssetName',
  'AssetCID',
  'AssetType',
  'AssetSize',
  'GroupID',
  'CreatedTime',
  'AssetDirectUrl',
];

/** Stores `bytes` with `extraId` and reports the upload, as a client does. */
async function uploadAndReport(sb: Sandbox, token: string, extraId: string, fields: Record<string, unknown> = {}): Promise<string> {
  const { cid, traceId } = await store(sb, token, randomBytes(300), { extra_id: extraId, asset_name: 'report.pdf', group_id: 7 });
  assert.equal((await report(sb, token, cid, { trace_id: traceId, ...fields })).text, '{"msg":"success"}');
  return cid;
}

describe('what queues the upload callback (api/events.go AssetTransferReport)', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ timeScale: 0.001 });
  });
  after(() => sb.close());
  beforeEach(() => sb.reset());

  describe('when a state 1 report of an asset with an extra_id comes', () => {
    let cid: string;
    let got: ReceivedNotification;
    before(async () => {
      sb.reset();
      cid = await uploadAndReport(sb, await login(sb, 'demo'), 'order-17');
      got = await waitFor('the callback', async () => (await received(sb))[0]);
    });

    it('calls the demo app back with the upload', () => {
      assert.deepEqual([got.kind, got.extraId, got.cid, got.name], ['upload', 'order-17', cid, 'report.pdf']);
    });

    it('signs it so that the app verifies it', () => {
      assert.equal(got.signatureOk, true);
    });
  });

  describe('when there is nothing to report yet, or nothing to call back', () => {
    it('create_asset alone queues nothing', async () => {
      await store(sb, await login(sb), randomBytes(100), { extra_id: 'not-yet' });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await deliveries(sb), []);
    });

    it('a state 2 (failed) report queues nothing', async () => {
      await uploadAndReport(sb, await login(sb), 'failed', { state: 2 });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await deliveries(sb), []);
    });

    it('an asset without extra_id queues nothing', async () => {
      await uploadAndReport(sb, await login(sb), '');
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await deliveries(sb), []);
    });
  });

  describe('when the same asset is reported twice', () => {
    it('queues one callback per accepted state 1 report', async () => {
      const token = await login(sb);
      const cid = await uploadAndReport(sb, token, 'twice');
      await report(sb, token, cid);
      await waitFor('two callbacks', async () => ((await received(sb)).length === 2 ? true : undefined));
    });
  });

  describe('when the report has no JwtAuthorization header', () => {
    it("takes the user from the body's user_id", async () => {
      const token = await login(sb, 'zoe');
      const { cid } = await store(sb, token, randomBytes(50), { extra_id: 'by-body' });
      await report(sb, undefined, cid, { user_id: `${sb.options.tenant.id}/zoe` });
      const got = await waitFor('the callback', async () => (await received(sb))[0]);
      assert.equal(got.extraId, 'by-body');
    });
  });

  describe('when the app fails twice', () => {
    let log: SandboxTitanDelivery[];
    before(async () => {
      sb.reset();
      await sb.control('app-titan', 'fail-callback', { count: 2 });
      await uploadAndReport(sb, await login(sb), 'retry-me');
      log = await waitFor('the third attempt', async () => {
        const d = await deliveries(sb);
        return d.length >= 3 ? [...d] : undefined;
      });
    });

    it('tries again until the app answers', () => {
      assert.deepEqual(
        log.map((d) => [d.attempt, d.status, d.ok]),
        [
          [1, 500, false],
          [2, 500, false],
          [3, 200, true],
        ],
      );
    });

    it('makes attempt 2 after 10 s (scaled)', () => {
      assert.ok(log[1]!.at - log[0]!.at >= 10_000 * 0.001 - 2);
    });

    it('makes attempt 3 after 30 s more (scaled)', () => {
      assert.ok(log[2]!.at - log[1]!.at >= 30_000 * 0.001 - 2);
    });
  });
});

describe('callback wire format, retries and giving up', () => {
  let sb: Sandbox;
  let app: Server;
  let appUrl: string;
  let status = 200;
  let answer: string | undefined;
  const seen: Array<{ path: string; headers: IncomingHttpHeaders; raw: string; at: number }> = [];
  type Hit = (typeof seen)[number];

  before(async () => {
    // The whole 9-attempt schedule (≈ 50 h) scaled into ≈ 1.8 s.
    sb = await startSandbox({ timeScale: 0.00001 });
    app = createServer((req, res) => {
      let raw = '';
      req
        .setEncoding('utf8')
        .on('data', (d: string) => (raw += d))
        .on('end', () => {
          seen.push({ path: req.url!, headers: req.headers, raw, at: Date.now() });
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
  /** A fresh sandbox and an app answering HTTP 200 "success" that has seen nothing. */
  const fresh = () => {
    sb.reset();
    seen.length = 0;
    status = 200;
    answer = undefined;
  };
  beforeEach(fresh);

  describe('when an upload is called back', () => {
    let cid: string;
    let hit: Hit;
    let body: Record<string, unknown>;
    let receivedAt: number;
    before(async () => {
      fresh();
      await sb.control('titan', 'notify', { uploadUrl: `${appUrl}/cb` });
      cid = await uploadAndReport(sb, await login(sb), 'wire');
      hit = await waitFor('the callback', () => seen[0]);
      receivedAt = Date.now();
      body = JSON.parse(hit.raw) as Record<string, unknown>;
    });

    it('sends the AssetUploadNotifyReq keys in field order', () => {
      assert.deepEqual(Object.keys(body), UPLOAD_KEYS);
    });

    it('fills them from the asset, sizes as ints', () => {
      assert.deepEqual(
        [body.ExtraID, body.TenantID, body.UserID, body.AssetName, body.AssetCID, body.AssetType, body.AssetSize, body.GroupID],
        ['wire', sb.options.tenant.id, `${sb.options.tenant.id}/alice`, 'report.pdf', cid, 'file', 300, 7],
      );
    });

    it('writes CreatedTime in the server zone (+08:00)', () => {
      assert.match(String(body.CreatedTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    });

    it("gives a direct URL on the asset's node, with a token", () => {
      assert.ok(String(body.AssetDirectUrl).startsWith(`${sb.url}/titan-node/node1/ipfs/${cid}?token=`));
    });

    it('sends Content-Type application/json', () => {
      assert.equal(hit.headers['content-type'], 'application/json');
    });

    it('sends X-Timestamp in RFC 3339 with +08:00, the time of sending', () => {
      assert.match(String(hit.headers['x-timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
      assert.ok(Math.abs(Date.parse(String(hit.headers['x-timestamp'])) - receivedAt) < 5000);
    });

    it('sends X-Nonce as a decimal below 1e16', () => {
      assert.match(String(hit.headers['x-nonce']), /^(0|[1-9]\d{0,15})$/);
    });
  });

  describe('when the notify URL has an escaped path and a query', () => {
    it('signs X-Signature as HMAC-SHA256 over METHOD + url.Parse(notifyUrl).Path (decoded once, no query) + body + timestamp + nonce', async () => {
      await sb.control('titan', 'notify', { uploadUrl: `${appUrl}/hooks/100%2525?x=1` });
      await uploadAndReport(sb, await login(sb), 'signed');
      const hit = await waitFor('the callback', () => seen[0]);
      const input = `POST/hooks/100%25${hit.raw}${String(hit.headers['x-timestamp'])}${String(hit.headers['x-nonce'])}`;
      assert.equal(hit.headers['x-signature'], createHmac('sha256', sb.options.tenant.apiSecret).update(input).digest('hex'));
    });
  });

  describe('when an asset with an extra_id is deleted', () => {
    it('sends the upload payload type (handler_delete_nofify.go), every upload key zeroed, plus Area, NotifyUrl, RetryCount', async () => {
      await sb.control('titan', 'notify', { uploadUrl: '', deleteUrl: `${appUrl}/deleted` });
      const token = await login(sb);
      const { cid } = await store(sb, token, randomBytes(100), { extra_id: 'gone-soon' });
      assert.equal((await call(sb, 'GET', PATHS.deleteAsset, { token, query: { asset_cid: cid } })).json.code, 0);
      const hit = await waitFor('the delete callback', () => seen.find((s) => s.path === '/deleted'));
      assert.equal(
        hit.raw,
        JSON.stringify({
          ExtraID: 'gone-soon',
          TenantID: sb.options.tenant.id,
          UserID: `${sb.options.tenant.id}/alice`,
          AssetName: '',
          AssetCID: cid,
          AssetType: '',
          AssetSize: 0,
          GroupID: 0,
          CreatedTime: '0001-01-01T00:00:00Z',
          AssetDirectUrl: '',
          Area: '',
          NotifyUrl: '',
          RetryCount: 0,
        }),
      );
    });
  });

  describe('when the endpoint always fails', () => {
    let hits: Hit[];
    before(async () => {
      fresh();
      status = 500;
      await sb.control('titan', 'notify', { uploadUrl: `${appUrl}/cb` });
      await uploadAndReport(sb, await login(sb), 'doomed');
      await waitFor('every attempt', () => (seen.length === 9 ? true : undefined), 10_000);
      await new Promise((r) => setTimeout(r, 1000));
      hits = [...seen];
    });

    it('gets 9 attempts, then nothing', () => {
      assert.equal(hits.length, 9);
    });

    it('waits 10 s, 30 s, 1 min, 5 min, 20 min, 1 h, 24 h, 24 h between them (the schedule)', () => {
      assert.deepEqual([...CALLBACK_RETRY_DELAYS_MS], [10e3, 30e3, 60e3, 300e3, 1200e3, 3600e3, 86400e3, 86400e3]);
    });

    it('keeps to the schedule (scaled)', () => {
      for (let i = 1; i < hits.length; i++) {
        const gap = hits[i]!.at - hits[i - 1]!.at;
        assert.ok(gap >= CALLBACK_RETRY_DELAYS_MS[i - 1]! * 0.00001 - 2, `gap ${i}: ${gap} ms`);
      }
    });

    it('signs every attempt afresh', () => {
      assert.equal(new Set(hits.map((s) => s.headers['x-nonce'])).size, 9, 'every attempt is signed afresh');
    });
  });

  describe('when the app answers anything but HTTP 200 with exactly "success"', () => {
    for (const [what, code, body] of [
      ['HTTP 201', 201, 'success'],
      ['"success\\n"', 200, 'success\n'],
      ['{"result":"success"}', 200, '{"result":"success"}'],
      ['"Success"', 200, 'Success'],
    ] as const) {
      it(`retries ${what}`, async () => {
        status = code;
        answer = body;
        await sb.control('titan', 'notify', { uploadUrl: `${appUrl}/cb` });
        await uploadAndReport(sb, await login(sb), 'almost');
        await waitFor('a retry', async () => ((await deliveries(sb)).length >= 2 ? true : undefined));
        assert.equal((await deliveries(sb))[0]!.ok, false);
      });
    }
  });

  describe('when the sandbox is reset while retries are pending', () => {
    it('stops them', async () => {
      status = 500;
      await sb.control('titan', 'notify', { uploadUrl: `${appUrl}/cb` });
      await uploadAndReport(sb, await login(sb), 'cancelled');
      await waitFor('a failed attempt', () => seen[0]);
      sb.reset();
      await new Promise((r) => setTimeout(r, 30));
      const before = seen.length;
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal(seen.length, before);
    });
  });
});
