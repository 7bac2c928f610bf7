// The upload nodes of the Titan replica, against Titannet-dao/titan-node node/httpserver:
// handler_uploadv2.go (uploadv2Handler, verifyToken, handleUploadFileV2), handler_upload.go
// (uploadHandler, verifyUserToken, uploadResult, getContentType), handler.go
// (setAccessControlAllowForHeader) and node/asset/storage/asset.go (saveUserAsset, verifyAsset).
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { importer } from 'ipfs-unixfs-importer';
import type { CID } from 'multiformats/cid';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { UnixFsFileHasher, webCryptoSha256 } from '../../../src/titan/unixfs.js';
import { PATHS } from '../../../src/titan/protocol.js';
import { call, login, nodePost, rawLeafCid, uploadInfo } from './titan-helpers.js';

let sb: Sandbox;
before(async () => {
  sb = await startSandbox({ timeScale: 0.001 });
});
after(() => sb.close());
beforeEach(() => sb.reset());

const nodes = async () => (await uploadInfo(sb, await login(sb))).List!;

describe('/uploadv2 (handler_uploadv2.go uploadv2Handler)', () => {
  describe('when a file of one chunk is uploaded with a good token', () => {
    let r: Awaited<ReturnType<typeof nodePost>>;
    let cid: string;
    before(async () => {
      sb.reset();
      const [n1] = await nodes();
      const bytes = randomBytes(1000);
      r = await nodePost(n1!.UploadURL, n1!.Token, bytes);
      cid = await rawLeafCid(bytes);
    });

    it('answers HTTP 200', () => {
      assert.equal(r.status, 200);
    });

    it('answers as Go sniffs it: text/plain', () => {
      assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
    });

    it('answers {code: 0, err: 0, msg: "", cid} with its raw-leaf CID', () => {
      assert.equal(r.text, JSON.stringify({ code: 0, err: 0, msg: '', cid }));
    });
  });

  describe('when a file of several 256 KiB chunks is uploaded', () => {
    it('answers the UnixFS dag-pb root (carutil.CreateCar), as the client computes it', async () => {
      const [n1] = await nodes();
      // Over 2 MiB: the node writes what it receives in batches of about 1 MiB, and the CID is
      // computed from the file it wrote, so a lost or repeated batch changes it.
      const bytes = randomBytes(9 * 256 * 1024 + 17);
      const hasher = new UnixFsFileHasher(webCryptoSha256);
      await hasher.update(bytes);
      const expected = await hasher.digest();
      assert.ok(expected.startsWith('bafybei'));
      assert.equal((await nodePost(n1!.UploadURL, n1!.Token, bytes)).json.cid, expected);
    });
  });

  describe('when the token is not good', () => {
    it('another node\'s token fails its HMAC: {code: -1, err: 0, msg: "jwt: HMAC verification failed, http status code 401"}', async () => {
      const [n1, n2] = await nodes();
      const r = await nodePost(n2!.UploadURL, n1!.Token, Buffer.from('x'));
      assert.deepEqual([r.status, r.json], [200, { code: -1, err: 0, msg: 'jwt: HMAC verification failed, http status code 401' }]);
    });

    it('no token anywhere: "jwt: malformed token, http status code 401"', async () => {
      const [n1] = await nodes();
      const r = await nodePost(n1!.UploadURL, undefined, Buffer.from('x'));
      assert.equal(r.json.msg, 'jwt: malformed token, http status code 401');
    });

    it('an Authorization header without "Bearer ": "missing Bearer prefix in auth header, http status code 401"', async () => {
      const [n1] = await nodes();
      const r = await nodePost(n1!.UploadURL, undefined, Buffer.from('x'), { headers: { Authorization: `Token ${n1!.Token}` } });
      assert.equal(r.json.msg, 'missing Bearer prefix in auth header, http status code 401');
    });
  });

  describe('when the token comes elsewhere than the Authorization header', () => {
    it('the token may come as a form field, even after the file part', async () => {
      const [n1] = await nodes();
      const form = new FormData();
      form.append('file', new Blob([Buffer.from('field')]), 'f.txt');
      form.append('token', n1!.Token);
      const r = await (await fetch(n1!.UploadURL, { method: 'POST', body: form })).json();
      assert.equal(r.code, 0);
    });

    it('the token may come in the query (r.FormValue reads the URL too)', async () => {
      const [n1] = await nodes();
      const r = await nodePost(`${n1!.UploadURL}?token=${n1!.Token}`, undefined, Buffer.from('query'));
      assert.equal(r.json.code, 0);
    });
  });

  describe('when the request is not a multipart POST with a file', () => {
    it('GET: "only allow post method, http status code 405"', async () => {
      const [n1] = await nodes();
      assert.equal(
        await (await fetch(n1!.UploadURL)).text(),
        JSON.stringify({ code: -1, err: 0, msg: 'only allow post method, http status code 405' }),
      );
    });

    it('no part named "file": "http: no such file, http status code 400"', async () => {
      const [n1] = await nodes();
      const r = await nodePost(n1!.UploadURL, n1!.Token, Buffer.from('x'), { field: 'other' });
      assert.equal(r.json.msg, 'http: no such file, http status code 400');
    });

    it('a "file" part without a filename is a form value, not a file', async () => {
      const [n1] = await nodes();
      const form = new FormData();
      form.append('file', 'just text');
      const r = await (
        await fetch(n1!.UploadURL, { method: 'POST', headers: { Authorization: `Bearer ${n1!.Token}` }, body: form })
      ).json();
      assert.equal(r.msg, 'http: no such file, http status code 400');
    });

    it('a body that is not multipart: "unsupported Content-type application/octet-stream, http status code 400"', async () => {
      const [n1] = await nodes();
      const res = await fetch(n1!.UploadURL, {
        method: 'POST',
        headers: { Authorization: `Bearer ${n1!.Token}`, 'content-type': 'application/octet-stream' },
        body: 'raw',
      });
      assert.equal((await res.json()).msg, 'unsupported Content-type application/octet-stream, http status code 400');
    });
  });

  describe('when a page on another origin uploads, with any header (setAccessControlAllowForHeader)', () => {
    let r: Awaited<ReturnType<typeof nodePost>>;
    before(async () => {
      sb.reset();
      const [n1] = await nodes();
      r = await nodePost(n1!.UploadURL, n1!.Token, Buffer.from('x'), {
        headers: { origin: 'http://localhost:5173', jwtauthorization: 'Bearer whatever' },
      });
    });

    it('accepts the upload', () => {
      assert.equal(r.json.code, 0);
    });

    it('exposes Authorization', () => {
      assert.equal(r.headers.get('access-control-expose-headers'), 'Authorization');
    });

    it("allows the page's origin", () => {
      assert.equal(r.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    });
  });
});

describe('node knob', () => {
  describe('when a node is down', () => {
    let down: number;
    let other: number;
    before(async () => {
      sb.reset();
      const [n1, n2] = await nodes();
      await sb.control('titan', 'node', { nodeId: 'node1', mode: 'down' });
      down = (await fetch(n1!.UploadURL, { method: 'POST', body: 'x' })).status;
      other = (await nodePost(n2!.UploadURL, n2!.Token, Buffer.from('x'))).json.code;
    });

    it('answers HTTP 503', () => {
      assert.equal(down, 503);
    });

    it('leaves the other node working', () => {
      assert.equal(other, 0);
    });
  });

  describe('when a node is set to error for failCount requests', () => {
    let r: Awaited<ReturnType<typeof nodePost>>;
    let next: number;
    before(async () => {
      sb.reset();
      const [n1] = await nodes();
      await sb.control('titan', 'node', { nodeId: 'c_node1', mode: 'error', failCount: 1 });
      r = await nodePost(n1!.UploadURL, n1!.Token, Buffer.from('x'));
      next = (await nodePost(n1!.UploadURL, n1!.Token, Buffer.from('x'))).json.code;
    });

    it('fails in the node\'s own shape, with "http status code 500"', () => {
      assert.equal(r.status, 200);
      assert.equal(r.json.code, -1);
      assert.match(r.json.msg, /, http status code 500$/);
    });

    it('works again after failCount requests', () => {
      assert.equal(next, 0);
    });
  });

  describe('when a node is set to bad-token, hang-up, or an unknown node is named', () => {
    it('bad-token: the answer to a token that does not verify', async () => {
      const [n1] = await nodes();
      await sb.control('titan', 'node', { nodeId: 'node1', mode: 'bad-token' });
      assert.deepEqual((await nodePost(n1!.UploadURL, n1!.Token, Buffer.from('x'))).json, {
        code: -1,
        err: 0,
        msg: 'jwt: HMAC verification failed, http status code 401',
      });
    });

    it('hang-up: the connection drops without an answer', async () => {
      const [n1] = await nodes();
      await sb.control('titan', 'node', { nodeId: 'node1', mode: 'hang-up' });
      await assert.rejects(nodePost(n1!.UploadURL, n1!.Token, Buffer.from('x')));
    });

    it('an unknown node id is refused', async () => {
      await assert.rejects(sb.control('titan', 'node', { nodeId: 'node9', mode: 'down' }));
    });
  });

  describe('when a node is slow', () => {
    let code: number;
    let took: number;
    before(async () => {
      sb.reset();
      const [, n2] = await nodes();
      await sb.control('titan', 'node', { nodeId: 'node2', mode: 'slow', delayMs: 300, failCount: 1 });
      const t0 = Date.now();
      code = (await nodePost(n2!.UploadURL, n2!.Token, Buffer.from('x'))).json.code;
      took = Date.now() - t0;
    });

    it('still answers', () => {
      assert.equal(code, 0);
    });

    it('answers delayMs late', () => {
      assert.ok(took >= 290);
    });
  });

  describe('when the link to the nodes is slower (the `link` knob, a stand-in for the network)', () => {
    const bytes = randomBytes(2 * 1024 * 1024);
    const upload = async () => {
      const [n1] = await nodes();
      const t0 = performance.now();
      const { json } = await nodePost(n1!.UploadURL, n1!.Token, bytes);
      return { cid: json.cid, ms: performance.now() - t0 };
    };
    let paced: { cid: unknown; ms: number };
    let cleared: { cid: unknown; ms: number };
    let answer: unknown;
    before(async () => {
      sb.reset();
      answer = await sb.control('titan', 'link', { bytesPerSecond: 4e6 });
      paced = await upload();
      sb.reset(); // clears it, as every knob
      cleared = await upload();
    });

    it('answers the rate it set', () => {
      assert.deepEqual(answer, { ok: true, bytesPerSecond: 4e6 });
    });

    it('reads the body no faster: 2 MiB at 4 MB/s take at least half a second', () => {
      assert.ok(paced.ms >= 480, `${paced.ms} ms`);
    });

    it('stores the same bytes under the same CID either way', () => {
      assert.equal(paced.cid, cleared.cid);
      assert.ok(String(paced.cid).startsWith('bafybei'));
    });

    it('is cleared by a reset', () => {
      assert.ok(cleared.ms < paced.ms / 2, `${cleared.ms} vs ${paced.ms} ms`);
    });

    it('refuses a rate that is not a positive number', async () => {
      await assert.rejects(sb.control('titan', 'link', { bytesPerSecond: 0 }), /bytesPerSecond must be a positive number or null/);
    });
  });
});

/**
 * A directory DAG from ipfs-unixfs-importer (IPFS's own importer) and a CARv1 of it, encoded here;
 * `drop` leaves blocks out, `noRoots` writes the header with an empty roots list.
 */
async function folderCar(
  files: Record<string, Uint8Array>,
  { drop, noRoots = false }: { drop?: (cid: CID) => boolean; noRoots?: boolean } = {},
): Promise<{ root: CID; car: Buffer }> {
  const blocks: Array<[CID, Uint8Array]> = [];
  let root: CID | undefined;
  const source = Object.entries(files).map(([path, content]) => ({ path: `dir/${path}`, content }));
  for await (const entry of importer(
    source,
    { put: (cid, bytes) => (blocks.push([cid, bytes as Uint8Array]), cid) },
    { cidVersion: 1, rawLeaves: true },
  )) {
    if (entry.path === 'dir') root = entry.cid;
  }
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
    return [...out, n];
  };
  const rootBytes = [0, ...root!.bytes]; // tag 42 payload: the identity multibase prefix, then the CID
  const header = Buffer.from([
    0xa2,
    0x65,
    ...Buffer.from('roots'),
    ...(noRoots ? [0x80] : [0x81, 0xd8, 0x2a, 0x58, rootBytes.length, ...rootBytes]),
    0x67,
    ...Buffer.from('version'),
    0x01,
  ]);
  const sections = blocks
    .filter(([cid]) => !drop?.(cid))
    .map(([cid, data]) => Buffer.concat([Buffer.from(varint(cid.bytes.length + data.length)), cid.bytes, data]));
  return { root: root!, car: Buffer.concat([Buffer.from(varint(header.length)), header, ...sections]) };
}

describe('folders: create_asset with asset_type "folder", then the CAR to /upload (handler_upload.go uploadHandler)', () => {
  async function announce(token: string, root: CID, size: number) {
    const r = await call(sb, 'POST', PATHS.createAsset, {
      token,
      body: {
        asset_name: 'dir',
        asset_type: 'folder',
        asset_size: size,
        asset_cid: root.toString(),
        group_id: 0,
        extra_id: '',
        need_trace: true,
      },
    });
    assert.equal(r.json.code, 0, r.text);
    return r.json.data as Array<{ CandidateAddr: string; Token: string; TraceID: string }>;
  }
  const postCar = (entry: { CandidateAddr: string; Token: string }, car: Buffer) =>
    fetch(entry.CandidateAddr, {
      method: 'POST',
      headers: { Authorization: `Bearer ${entry.Token}`, 'content-type': 'application/car' },
      body: new Uint8Array(car),
    }).then((r) => r.json());

  describe('when the CAR is complete', () => {
    it('an application/car body whose root DAG is complete: {code: 0, err: 0, msg: "Upload succeeded"}', async () => {
      const { root, car } = await folderCar({ 'a.txt': Buffer.from('alpha'), 'b/c.bin': randomBytes(300_000) });
      const [entry] = await announce(await login(sb), root, car.length);
      assert.deepEqual(await postCar(entry!, car), { code: 0, err: 0, msg: 'Upload succeeded' });
    });

    it('the CAR in a multipart "file" part, as the JS SDK sends it, is accepted too', async () => {
      const { root, car } = await folderCar({ 'a.txt': Buffer.from('multipart') });
      const [entry] = await announce(await login(sb), root, car.length);
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(car)]), 'blob');
      const r = await (
        await fetch(entry!.CandidateAddr, { method: 'POST', headers: { Authorization: `Bearer ${entry!.Token}` }, body: form })
      ).json();
      assert.equal(r.msg, 'Upload succeeded');
    });

    // ipfs-car's CAREncoderStream, as the JS SDK's folderLoader.js streams a folder, writes no
    // roots (it knows the root only at the end). go-car v2 LoadIndex (WrapV1File) and NewReadOnly
    // read the header without checking its roots, and asset.go verifyAsset walks from the token's
    // AssetCID; only carv1 NewCarReader refuses "empty car, no roots", and the node does not use it.
    it('a CAR whose header names no roots, as ipfs-car streams it for the JS SDK, is accepted', async () => {
      const { root, car } = await folderCar({ 'a.txt': Buffer.from('no roots') }, { noRoots: true });
      const [entry] = await announce(await login(sb), root, car.length);
      assert.deepEqual(await postCar(entry!, car), { code: 0, err: 0, msg: 'Upload succeeded' });
    });

    it('a CAR of a 40 MiB file is checked from disk: the node holds far less than the CAR meanwhile', async () => {
      const { root, car } = await folderCar({ 'big.bin': randomBytes(40 * 1024 * 1024) });
      const [entry] = await announce(await login(sb), root, car.length);
      // The sandbox runs in this process, so its memory is ours to read. Garbage does not count: a
      // reading past the bound is taken again after a full collection, and a second gc() waits for
      // the first one's sweep of ArrayBuffers, which V8 finishes off the main thread.
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const usage = () => process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
      const live = () => (gc(), gc(), usage());
      const bound = car.length / 4;
      const start = live();
      let grown = 0;
      const sampler = setInterval(() => {
        if (usage() - start >= bound) grown = Math.max(grown, live() - start);
      }, 1);
      try {
        // Views of the CAR, streamed: fetch would copy a Uint8Array body first.
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let at = 0; at < car.length; at += 1 << 20) controller.enqueue(car.subarray(at, at + (1 << 20)));
            controller.close();
          },
        });
        const r = await fetch(entry!.CandidateAddr, {
          method: 'POST',
          headers: { Authorization: `Bearer ${entry!.Token}`, 'content-type': 'application/car' },
          body,
          duplex: 'half',
        } as RequestInit).then((res) => res.json());
        assert.equal(r.code, 0, r.msg);
      } finally {
        clearInterval(sampler);
      }
      // Reading the whole CAR would add all of it; the index and the dag-pb blocks are a few hundred KiB.
      assert.ok(grown < bound, `live memory grew by ${grown} bytes checking a CAR of ${car.length}`);
    });
  });

  // titan-node node/asset impl.go CreateAsset: a node that still expects an upload of this CID
  // refuses to be announced it again ("asset … already uploading"), and the scheduler leaves it
  // out (node/scheduler/assets/impl.go); manager.go SaveUserAsset forgets the upload when storing
  // it failed. With no node left, create_asset answers 10008.
  describe('when a CAR was announced and the folder deleted before it arrived', () => {
    const again = async (fail: boolean) => {
      const token = await login(sb);
      const { root, car } = await folderCar({ 'a.txt': randomBytes(64) });
      const entries = await announce(token, root, car.length);
      if (fail) {
        for (const nodeId of ['c_node1', 'c_node2']) await sb.control('titan', 'node', { nodeId, mode: 'error', failCount: 1 });
        for (const entry of entries) assert.equal((await postCar(entry, car)).code, -1);
      }
      const deleted = await call(sb, 'GET', PATHS.deleteAsset, { token, query: { asset_cid: root.toString() } });
      assert.equal(deleted.json.code, 0, deleted.text);
      return call(sb, 'POST', PATHS.createAsset, {
        token,
        body: {
          asset_name: 'dir',
          asset_type: 'folder',
          asset_size: car.length,
          asset_cid: root.toString(),
          group_id: 0,
          extra_id: '',
          need_trace: true,
        },
      });
    };

    it('a node whose storing failed has forgotten it: announced again', async () => {
      const r = await again(true);
      assert.equal(r.json.code, 0, r.text);
      assert.equal((r.json.data as unknown[]).length, 2);
    });

    it('a node still expecting it is left out: no node, err 10008', async () => {
      const r = await again(false);
      assert.equal(r.json.err, 10008, r.text);
    });
  });

  describe('when the CAR does not match what was announced', () => {
    it('a size other than the token\'s asset_size: "save user asset error require asset size is …"', async () => {
      const { root, car } = await folderCar({ 'a.txt': Buffer.from('size') });
      const [entry] = await announce(await login(sb), root, car.length + 1);
      assert.equal(
        (await postCar(entry!, car)).msg,
        `save user asset error require asset size is ${car.length + 1}, but upload asset size is ${car.length}, http status code 500`,
      );
    });

    it('a block missing under the root: "verify car error: get block … ipld: could not find …"', async () => {
      const leaf = randomBytes(100);
      const leafCid = await rawLeafCid(leaf);
      const { root, car } = await folderCar({ 'a.bin': leaf, 'b.txt': Buffer.from('kept') }, { drop: (cid) => cid.toString() === leafCid });
      const [entry] = await announce(await login(sb), root, car.length);
      assert.equal(
        (await postCar(entry!, car)).msg,
        `save user asset error verify car error: get block ${leafCid} error ipld: could not find ${leafCid}, http status code 500`,
      );
    });

    it('after a failure, or once done, the token\'s asset is no longer expected: "… not in update status"', async () => {
      const { root, car } = await folderCar({ 'a.txt': Buffer.from('once') });
      const [entry] = await announce(await login(sb), root, car.length);
      assert.equal((await postCar(entry!, car)).code, 0);
      assert.equal((await postCar(entry!, car)).msg, `asset ${root} not in update status, http status code 400`);
    });

    it('a /uploadv2 token is not an /upload token: it names no asset', async () => {
      const { root, car } = await folderCar({ 'a.txt': Buffer.from('wrong token') });
      await announce(await login(sb), root, car.length);
      const [n1] = await nodes();
      const r = await postCar({ CandidateAddr: n1!.UploadURL.replace(/v2$/, ''), Token: n1!.Token }, car);
      assert.equal(r.msg, 'token is expire, userID , cid:, http status code 401');
    });
  });

  describe('when a folder was uploaded and is shared', () => {
    let root: CID;
    let r: Awaited<ReturnType<typeof call>>;
    before(async () => {
      sb.reset();
      const token = await login(sb);
      let car: Buffer;
      ({ root, car } = await folderCar({ 'a.txt': Buffer.from('shared') }));
      const [entry] = await announce(token, root, car.length);
      await postCar(entry!, car);
      r = await call(sb, 'GET', PATHS.shareAsset, { token, query: { asset_cid: root.toString() } });
    });

    it('share_asset lists one node', () => {
      assert.equal(r.json.data.available_nodes, 1);
    });

    it('share_asset links the node that holds the folder', () => {
      assert.ok(r.json.data.url[0].startsWith(`${sb.url}/titan-node/node1/ipfs/${root}?token=`));
    });
  });
});
