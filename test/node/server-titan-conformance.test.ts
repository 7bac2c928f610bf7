import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMemoryNonceStore,
  createTitanDeleteCallbackHandler,
  createTitanUploadCallbackHandler,
  toNodeHandler,
  verifyTitanCallback,
} from '../../src/server/index.js';
import type { DeleteNotification, UploadNotification } from '../../src/titan/protocol.js';

/*
 * Callbacks exactly as Titan's API server sends them (gnasnik/titan-explorer, fork
 * qnfnypen/titan-explorer agrees):
 * - job/handler_upload_notify.go `assetUploadNotify`: body = json.Marshal(AssetUploadNotifyReq),
 *   signed by `setAuthorization` → `genCallbackSignature`: hex HMAC-SHA256(apiSecret,
 *   "POST" + url.Parse(notifyUrl).Path + body + timestamp + nonce), where timestamp is
 *   time.Now().Format(time.RFC3339) in the server's zone (+08:00) and nonce is
 *   fmt.Sprintf("%d", rand.Int(rand.Reader, big.NewInt(1e16))).
 * - job/handler_delete_nofify.go `assetDeleteNotify`: the same signing; body =
 *   json.Marshal(opasynq.AssetUploadNotifyPayload) read back from an AssetDeleteNotifyPayload,
 *   so every upload key is there, zeroed, plus Area, NotifyUrl and RetryCount.
 * The two bodies and both signatures below were produced by Go's encoding/json and crypto/hmac
 * (go1.19) from those struct declarations; note json.Marshal's \u003c \u003e \u0026 escapes.
 */
const SECRET = 's3cret-api';
const TIMESTAMP = '2024-12-11T11:22:48+08:00';
const NOW = Date.parse('2024-12-11T03:22:50Z');
const CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';

const UPLOAD_URL = 'https://app.example.com/hooks/titan%20upload?tenant=1';
const UPLOAD_BODY =
  '{"ExtraID":"order-17","TenantID":"tenant-7f3a","UserID":"acme/alice","AssetName":"季度报告 \\u003cfinal\\u003e.pdf","AssetCID":"' +
  CID +
  '","AssetType":"file","AssetSize":1048576,"GroupID":0,"CreatedTime":"2024-12-11T11:22:47+08:00","AssetDirectUrl":"https://c1.titannet.io:2345/ipfs/' +
  CID +
  '?token=abc\\u0026filename=report.pdf"}';
const UPLOAD_NONCE = '4820935718263301';
const UPLOAD_SIGNATURE = 'eaf10386f322f87a3ee7c04a4c42697d00e293be971d025fabc19959a830fa6c';

const DELETE_URL = 'https://app.example.com/hooks/titan/delete';
const DELETE_BODY =
  '{"ExtraID":"order-17","TenantID":"tenant-7f3a","UserID":"acme/alice","AssetName":"","AssetCID":"' +
  CID +
  '","AssetType":"","AssetSize":0,"GroupID":0,"CreatedTime":"0001-01-01T00:00:00Z","AssetDirectUrl":"","Area":"","NotifyUrl":"","RetryCount":0}';
const DELETE_NONCE = '731946025';
const DELETE_SIGNATURE = '29039dcd169e81883604b9b8b87bacdeafad4eae52a9cf7edadfd361b8442f4c';

/** `genCallbackSignature`, restated. `path` is url.Parse(notifyUrl).Path: decoded. */
function goSignature(path: string, body: string, timestamp: string, nonce: string): string {
  return createHmac('sha256', SECRET).update(`POST${path}${body}${timestamp}${nonce}`).digest('hex');
}

/** `time.Now().Format(time.RFC3339)` on a server in UTC+8. */
function goTimestamp(at: number): string {
  return new Date(at + 8 * 3600e3).toISOString().replace(/\.\d{3}Z$/, '+08:00');
}

/** `fmt.Sprintf("%d", rand.Int(rand.Reader, big.NewInt(1e16)))`. */
function goNonce(): string {
  return String(BigInt(randomInt(1e8)) * 100_000_000n + BigInt(randomInt(1e8)));
}

/** What the app's server receives: Go's client sends the URL's escaped path and query. */
function requestPath(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

describe('Titan callbacks exactly as titan-explorer job/handler_*_notify.go sends them', () => {
  describe('when assetUploadNotify sends (+08:00 timestamp, decimal nonce, Go-marshalled body, percent-encoded notify path)', () => {
    it('the fixture is what genCallbackSignature computes over the decoded notify path', () => {
      assert.equal(goSignature('/hooks/titan upload', UPLOAD_BODY, TIMESTAMP, UPLOAD_NONCE), UPLOAD_SIGNATURE);
    });

    it('verifies, and reads the upload notification with json.Marshal escapes undone', async () => {
      const result = await verifyTitanCallback({
        kind: 'upload',
        secret: SECRET,
        method: 'POST',
        path: new URL(UPLOAD_URL).pathname,
        rawBody: Buffer.from(UPLOAD_BODY, 'utf8'),
        headers: { 'content-type': 'application/json', 'x-timestamp': TIMESTAMP, 'x-nonce': UPLOAD_NONCE, 'x-signature': UPLOAD_SIGNATURE },
        nonceStore: createMemoryNonceStore(),
        now: NOW,
      });
      const expected: UploadNotification = {
        ExtraID: 'order-17',
        TenantID: 'tenant-7f3a',
        UserID: 'acme/alice',
        AssetName: '季度报告 <final>.pdf',
        AssetCID: CID,
        AssetType: 'file',
        AssetSize: 1048576,
        GroupID: 0,
        CreatedTime: '2024-12-11T11:22:47+08:00',
        AssetDirectUrl: `https://c1.titannet.io:2345/ipfs/${CID}?token=abc&filename=report.pdf`,
      };
      assert.deepEqual(result, { kind: 'upload', notification: expected });
    });
  });

  describe('when assetDeleteNotify sends its zeroed upload-shaped body', () => {
    it('the fixture is what genCallbackSignature computes', () => {
      assert.equal(goSignature('/hooks/titan/delete', DELETE_BODY, TIMESTAMP, DELETE_NONCE), DELETE_SIGNATURE);
    });

    it('verifies it as a delete at the delete endpoint', async () => {
      const result = await verifyTitanCallback({
        kind: 'delete',
        secret: SECRET,
        method: 'POST',
        path: new URL(DELETE_URL).pathname,
        rawBody: DELETE_BODY,
        headers: { 'X-Timestamp': TIMESTAMP, 'X-Nonce': DELETE_NONCE, 'X-Signature': DELETE_SIGNATURE },
        nonceStore: createMemoryNonceStore(),
        now: NOW,
      });
      const expected: DeleteNotification = { ExtraID: 'order-17', TenantID: 'tenant-7f3a', UserID: 'acme/alice', AssetCID: CID };
      assert.deepEqual(result, { kind: 'delete', notification: expected });
    });
  });

  describe('when both notify URLs are served over node:http and Titan calls each with a live signature', () => {
    const got: Array<[string, string]> = [];
    let server: Server;
    let uploadAnswer: unknown[];
    let deleteAnswer: unknown[];
    before(async () => {
      const store = createMemoryNonceStore();
      const upload = toNodeHandler(
        createTitanUploadCallbackHandler({ secret: SECRET, nonceStore: store, onUpload: (n) => void got.push(['upload', n.AssetName]) }),
      );
      const del = toNodeHandler(
        createTitanDeleteCallbackHandler({ secret: SECRET, nonceStore: store, onDelete: (n) => void got.push(['delete', n.AssetCID]) }),
      );
      server = createServer((req, res) => void (req.url?.startsWith('/hooks/titan/delete') ? del(req, res) : upload(req, res)));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // A live +08:00 timestamp and a fresh nonce, signed like setAuthorization, sent like Go's client.
      const send = async (notifyUrl: string, body: string) => {
        const timestamp = goTimestamp(Date.now());
        const nonce = goNonce();
        const res = await fetch(`${base}${requestPath(notifyUrl)}`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'X-Timestamp': timestamp,
            'X-Nonce': nonce,
            'X-Signature': goSignature(decodeURIComponent(new URL(notifyUrl).pathname), body, timestamp, nonce),
          },
          body,
        });
        return [res.status, await res.text()];
      };
      uploadAnswer = await send(UPLOAD_URL, UPLOAD_BODY);
      deleteAnswer = await send(DELETE_URL, DELETE_BODY);
    });
    after(() => server.close());

    it('the upload handler answers exactly "success"', () => {
      assert.deepEqual(uploadAnswer, [200, 'success']);
    });

    it('the delete handler answers exactly "success"', () => {
      assert.deepEqual(deleteAnswer, [200, 'success']);
    });

    it('each notify URL reaches its own handler', () => {
      assert.deepEqual(got, [
        ['upload', '季度报告 <final>.pdf'],
        ['delete', CID],
      ]);
    });
  });
});
