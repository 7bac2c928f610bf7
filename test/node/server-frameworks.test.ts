// The handlers mounted as the README shows, in the real frameworks (Express 5, Fastify 5, Hono
// on @hono/node-server): a genuine Titan callback verifies, a JSON endpoint gets its body, an
// oversized body is 413, and a body parser that ate the request is named, not read as a bad
// signature (issue 12).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server } from 'node:http';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { createExtraIdHandler, createTitanUploadCallbackHandler, signTitanCallback, toNodeHandler } from '../../src/server/index.js';
import { NOTE, oversized, postStreamedOversized, SECRET } from './titan-callback-fixture.js';

/** POSTs a freshly signed callback to `base + path`, as Titan does. */
async function sendCallback(base: string, path: string): Promise<{ status: number; body: string }> {
  const rawBody = JSON.stringify(NOTE);
  const headers = signTitanCallback({ secret: SECRET, method: 'POST', path, rawBody });
  const response = await fetch(base + path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: rawBody });
  return { status: response.status, body: await response.text() };
}

/** What the handlers of one app saw. */
function recorder() {
  const uploads: string[] = [];
  const errors: string[] = [];
  const onError = (e: unknown) => void errors.push((e as Error).message);
  const callbackHandler = createTitanUploadCallbackHandler({ secret: SECRET, onUpload: (n) => void uploads.push(n.ExtraID), onError });
  return { uploads, errors, callbackHandler, onError };
}

/** The two its every README mounting must pass: a genuine callback verifies, an oversized body is 413. */
function mountedAsShown(base: () => string, seen: ReturnType<typeof recorder>): void {
  it('verifies a genuine callback and calls onUpload', async () => {
    assert.deepEqual(await sendCallback(base(), '/hooks/titan/upload'), { status: 200, body: 'success' });
    assert.deepEqual(seen.uploads, ['x-1']);
  });

  it('answers an oversized body 413', async () => {
    const response = await fetch(`${base()}/hooks/titan/upload`, { method: 'POST', body: oversized() });
    assert.equal(response.status, 413);
  });

  it('closes the connection after refusing a streamed oversized body (its rest is never read)', async () => {
    const answer = await postStreamedOversized(`${base()}/hooks/titan/upload`);
    if (answer !== 'reset') assert.deepEqual(answer, { status: 413, connection: 'close' });
    // The next request gets a connection of its own and an answer (unsigned: 401).
    const next = await fetch(`${base()}/hooks/titan/upload`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(10_000) });
    assert.equal(next.status, 401);
  });
}

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

describe('Express 5', () => {
  const seen = recorder();
  const files: string[] = [];
  let server: Server;
  let base: string;
  before(async () => {
    const app = express();
    const node = (h: Parameters<typeof toNodeHandler>[0]) => toNodeHandler(h, { onError: seen.onError });
    // Mounted before express.json(), as the README shows: the handler reads the body itself.
    app.post('/hooks/titan/upload', node(seen.callbackHandler));
    app.use('/kept', express.json({ verify: (req, _res, buf) => void ((req as IncomingMessage & { rawBody?: Buffer }).rawBody = buf) }));
    app.post('/kept/hooks/titan/upload', node(seen.callbackHandler));
    app.use(express.json());
    // The mistake the README warns about: after a parser that consumed the request.
    app.post('/late/hooks/titan/upload', node(seen.callbackHandler));
    app.post('/extra-id', node(createExtraIdHandler({ create: async (file) => (files.push(file.name), 'id-1') })));
    server = app.listen(0, '127.0.0.1') as Server;
    await new Promise((resolve) => server.once('listening', resolve));
    base = urlOf(server);
  });
  after(() => server.close());

  describe('when the callback route is mounted before express.json()', () => {
    it('verifies a genuine callback and calls onUpload', async () => {
      assert.deepEqual(await sendCallback(base, '/hooks/titan/upload'), { status: 200, body: 'success' });
      assert.ok(seen.uploads.includes('x-1'));
    });

    it('answers an oversized body 413', async () => {
      const response = await fetch(`${base}/hooks/titan/upload`, { method: 'POST', body: oversized() });
      assert.equal(response.status, 413);
    });
  });

  describe('when express.json() keeps the raw bytes (its verify option sets req.rawBody)', () => {
    it('verifies a genuine callback', async () => {
      assert.equal((await sendCallback(base, '/kept/hooks/titan/upload')).status, 200);
    });
  });

  describe('when express.json() consumed the callback before the handler', () => {
    it('answers 500 body-consumed naming the cause, not 401 bad-signature, and calls no onUpload', async () => {
      const before = seen.uploads.length;
      const { status, body } = await sendCallback(base, '/late/hooks/titan/upload');
      assert.equal(status, 500);
      const { error } = JSON.parse(body) as { error: { code: string; message: string } };
      assert.equal(error.code, 'body-consumed');
      assert.match(error.message, /express\.json\(\)/);
      assert.equal(seen.uploads.length, before);
    });
  });

  describe('when a JSON endpoint is mounted after express.json()', () => {
    it('gets the parsed body', async () => {
      const response = await fetch(`${base}/extra-id`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'report.pdf', size: 3, type: 'application/pdf' }),
      });
      assert.deepEqual(await response.json(), { extra_id: 'id-1' });
      assert.deepEqual(files, ['report.pdf']);
    });
  });
});

describe('Fastify 5', () => {
  const seen = recorder();
  let app: FastifyInstance;
  let base: string;
  before(async () => {
    app = Fastify();
    // As the README shows: in its own scope, no parser reads the body; the handler does.
    await app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
      scope.post('/hooks/titan/upload', (request, reply) => {
        reply.hijack();
        return toNodeHandler(seen.callbackHandler, { onError: seen.onError })(request.raw, reply.raw);
      });
    });
    // The mistake: Fastify's own JSON parser read it first.
    app.post('/late/hooks/titan/upload', (request, reply) => {
      reply.hijack();
      return toNodeHandler(seen.callbackHandler, { onError: seen.onError })(request.raw, reply.raw);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = urlOf(app.server);
  });
  after(() => app.close());

  describe('when the callback route is mounted as the README shows', () => {
    mountedAsShown(() => base, seen);
  });

  describe("when Fastify's JSON parser consumed the callback", () => {
    it('answers 500 body-consumed', async () => {
      const { status, body } = await sendCallback(base, '/late/hooks/titan/upload');
      assert.equal(status, 500);
      assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'body-consumed');
      assert.deepEqual(seen.uploads, ['x-1']);
    });
  });
});

describe('Hono on @hono/node-server', () => {
  const seen = recorder();
  let server: Server;
  let base: string;
  before(async () => {
    const app = new Hono();
    app.post('/hooks/titan/upload', (c) => seen.callbackHandler(c.req.raw));
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
    base = urlOf(server);
  });
  after(() => server.close());

  describe('when the handler gets c.req.raw', () => {
    mountedAsShown(() => base, seen);
  });
});
