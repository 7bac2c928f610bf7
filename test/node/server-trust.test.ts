// The server helpers face the open internet: bodies are bounded while they stream, errors say
// nothing of the server's secrets, and replays are caught across instances (issue 12).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { createClient } from 'redis';
import {
  createDigiMeHandlers,
  createExtraIdHandler,
  createRedisNonceStore,
  createTitanTokenHandler,
  createTitanUploadCallbackHandler,
  signTitanCallback,
  toNodeHandler,
  type DigiMeBackend,
  type WebHandler,
} from '../../src/server/index.js';
import type { UploadNotification } from '../../src/titan/protocol.js';
import { NOTE, SECRET } from './titan-callback-fixture.js';

const PATH = '/hooks/titan/upload';

/** A genuine callback as Titan sends it to `PATH`. */
function callback(body = JSON.stringify(NOTE), base = 'http://app.example'): Request {
  const headers = signTitanCallback({ secret: SECRET, method: 'POST', path: PATH, rawBody: body });
  return new Request(base + PATH, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
}

/** A body of `size` bytes in 64 KiB chunks, counting what the handler pulled; no Content-Length. */
function streamed(size: number) {
  const counter = { pulled: 0 };
  const chunk = new Uint8Array(64 * 1024).fill(0x7b);
  // highWaterMark 0: nothing is pulled until someone reads.
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (counter.pulled >= size) return controller.close();
        counter.pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  return { body, counter };
}

const post = (url: string, init: RequestInit & { duplex?: 'half' }) =>
  new Request(url, { method: 'POST', duplex: 'half', ...init } as RequestInit);

const SECRET_MESSAGE = 'connect ECONNREFUSED postgres://app:hunter2@db.internal:5432/app';

describe('request bodies', () => {
  describe('when a callback body streams past the 1 MiB default', () => {
    it('answers 413 body-too-large and stops reading soon after the limit', async () => {
      const handler = createTitanUploadCallbackHandler({ secret: SECRET, onUpload: () => assert.fail('not a callback') });
      const { body, counter } = streamed(100 * 1024 * 1024);
      const response = await handler(post(`http://app.example${PATH}`, { body }));
      assert.equal(response.status, 413);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'body-too-large');
      assert.ok(counter.pulled <= 1024 * 1024 + 3 * 64 * 1024, `read ${counter.pulled} bytes of 100 MiB`);
    });
  });

  describe('when Content-Length announces more than the limit', () => {
    it('answers 413 before reading a byte', async () => {
      const handler = createExtraIdHandler();
      const { body, counter } = streamed(4 * 1024 * 1024);
      const response = await handler(post('http://app.example/extra-id', { body, headers: { 'content-length': String(4 * 1024 * 1024) } }));
      assert.equal(response.status, 413);
      assert.equal(counter.pulled, 0);
    });
  });

  describe('when a handler is given its own limit', () => {
    it('the token handler refuses a body over maxBodyBytes', async () => {
      const handler = createTitanTokenHandler({
        tenant: { ssoLogin: async () => ({ token: 't', exp: 0 }), refreshToken: async () => ({ token: 't', exp: 0 }) },
        user: async () => ({ entryUuid: 'e', username: 'u' }),
        maxBodyBytes: 100,
      });
      const response = await handler(post('http://app.example/token', { body: JSON.stringify({ token: 'x'.repeat(200) }) }));
      assert.equal(response.status, 413);
    });

    it('the digi.me write takes a body up to maxWriteBytes and refuses a larger one', async () => {
      const written: number[] = [];
      const backend = {
        writeFor: async (_session: unknown, write: { file: Blob }) => (written.push(write.file.size), { status: 'delivered' }),
      } as unknown as DigiMeBackend;
      const handlers = createDigiMeHandlers(backend, { session: () => ({}) as never, maxWriteBytes: 4096 });
      const form = (size: number) => {
        const f = new FormData();
        f.set('file', new Blob([new Uint8Array(size)]), 'a.bin');
        return f;
      };
      assert.equal((await handlers.write(post('http://app.example/write', { body: form(1000) }))).status, 200);
      const big = await handlers.write(post('http://app.example/write', { body: form(8000) }));
      assert.equal(big.status, 413);
      assert.deepEqual(written, [1000]);
    });
  });

  describe('when the body is not JSON where JSON is expected', () => {
    it('the extra-id handler answers 400 bad-json', async () => {
      const response = await createExtraIdHandler()(post('http://app.example/extra-id', { body: '{"name":' }));
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'bad-json');
    });
  });
});

describe('error answers', () => {
  const thrown = () => {
    throw new Error(SECRET_MESSAGE);
  };

  describe("when the app's own code throws", () => {
    for (const [name, make] of [
      ['extra-id create()', (onError: (e: unknown) => void) => createExtraIdHandler({ create: async () => thrown(), onError })],
      [
        'token user()',
        (onError: (e: unknown) => void) =>
          createTitanTokenHandler({
            tenant: { ssoLogin: async () => ({ token: 't', exp: 0 }), refreshToken: async () => ({ token: 't', exp: 0 }) },
            user: async () => thrown(),
            onError,
          }),
      ],
      [
        'digi.me session()',
        (onError: (e: unknown) => void) => createDigiMeHandlers({} as DigiMeBackend, { session: () => thrown(), onError }).authorize,
      ],
    ] as Array<[string, (onError: (e: unknown) => void) => WebHandler]>) {
      it(`${name}: answers 500 internal with a generic message and hands the error to onError`, async () => {
        const seen: unknown[] = [];
        const response = await make((e) => seen.push(e))(post('http://app.example/x', { body: '{}' }));
        assert.equal(response.status, 500);
        const text = await response.text();
        assert.doesNotMatch(text, /hunter2|postgres|ECONNREFUSED/);
        assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, 'internal');
        assert.equal((seen[0] as Error).message, SECRET_MESSAGE);
      });
    }
  });

  describe('when Titan refuses the tenant login', () => {
    it("the token handler answers 502 titan-unavailable without Titan's text, which goes to onError", async () => {
      const seen: unknown[] = [];
      const handler = createTitanTokenHandler({
        tenant: { ssoLogin: async () => thrown(), refreshToken: async () => thrown() },
        user: async () => ({ entryUuid: 'e', username: 'u' }),
        onError: (e) => seen.push(e),
      });
      const response = await handler(post('http://app.example/token', { body: '{}' }));
      assert.equal(response.status, 502);
      assert.doesNotMatch(await response.text(), /hunter2/);
      assert.equal(seen.length, 1);
    });
  });

  describe('when a handler mounted with toNodeHandler throws', () => {
    it('the Node server answers 500 with a generic body and onError gets the error', async () => {
      const seen: unknown[] = [];
      const server = createServer(toNodeHandler(async () => thrown(), { onError: (e) => seen.push(e) }));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, { method: 'POST', body: '{}' });
        assert.equal(response.status, 500);
        assert.doesNotMatch(await response.text(), /hunter2/);
        assert.equal((seen[0] as Error).message, SECRET_MESSAGE);
      } finally {
        server.close();
      }
    });
  });
});

describe('toNodeHandler on a Node server', () => {
  let server: Server;
  let base: string;
  const accepted: string[] = [];
  before(async () => {
    server = createServer(
      toNodeHandler(createTitanUploadCallbackHandler({ secret: SECRET, onUpload: (n) => void accepted.push(n.ExtraID) })),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  describe('when a genuine callback arrives', () => {
    it('streams it to the handler, which verifies it', async () => {
      const request = callback(undefined, base);
      const response = await fetch(request);
      assert.equal(response.status, 200);
      assert.deepEqual(accepted, ['x-1']);
    });
  });

  describe('when a client streams 64 MiB without Content-Length', () => {
    it('answers 413 without reading it all', async () => {
      let sent = 0;
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${base}${PATH}`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', (err) => (sent > 0 ? undefined : reject(err)));
        const chunk = Buffer.alloc(64 * 1024, 0x7b);
        const write = () => {
          while (sent < 64 * 1024 * 1024 && !req.destroyed) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', write);
          }
          if (!req.destroyed) req.end();
        };
        write();
      });
      assert.equal(status, 413);
      assert.ok(sent < 64 * 1024 * 1024, `the client got to send all ${sent} bytes`);
    });
  });
});

/** A real redis-server on a free loopback port, for as long as the suite runs. */
async function startRedis(): Promise<{ url: string; stop: () => void }> {
  const port = await new Promise<number>((resolve) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const failed = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new Error(`redis-server did not start: ${err.message}`))),
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    const probe = createClient({ url, socket: { reconnectStrategy: false } });
    probe.on('error', () => undefined);
    const ok = await Promise.race([
      probe.connect().then(
        () => true,
        () => false,
      ),
      failed,
    ]);
    if (ok) {
      await probe.close();
      return { url, stop: () => child.kill() };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('redis-server did not accept connections within 5 s');
}

describe('createRedisNonceStore, against a real redis-server', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const clients: Array<{ close(): Promise<unknown> }> = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const c of clients) await c.close();
    redis.stop();
  });
  const instance = async (onUpload: (n: UploadNotification) => void) => {
    const client = createClient({ url: redis.url });
    clients.push(client);
    await client.connect();
    return createTitanUploadCallbackHandler({ secret: SECRET, nonceStore: createRedisNonceStore(client), onUpload });
  };

  describe('when two backend instances share the store', () => {
    it('a callback accepted by one is refused as a replay by the other', async () => {
      const seen: string[] = [];
      const [a, b] = [await instance((n) => void seen.push(`a:${n.ExtraID}`)), await instance((n) => void seen.push(`b:${n.ExtraID}`))];
      const genuine = callback();
      const replay = genuine.clone();
      assert.equal((await a(genuine)).status, 200);
      const second = await b(replay);
      assert.equal(second.status, 401);
      assert.equal(await second.text(), 'replayed-nonce');
      assert.deepEqual(seen, ['a:x-1']);
    });
  });

  describe('when a key is stored', () => {
    it('expires in Redis at the time the store was given', async () => {
      const client = createClient({ url: redis.url });
      clients.push(client);
      await client.connect();
      const store = createRedisNonceStore(client, { prefix: 't:' });
      const at = Date.now() + 60_000;
      assert.equal(await store.remember('k', at), true);
      assert.equal(await store.remember('k', at), false);
      const pexpireTime = Number(await client.sendCommand(['PEXPIRETIME', 't:k']));
      assert.equal(pexpireTime, at);
    });
  });
});
