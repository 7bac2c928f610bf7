import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox } from '../../../src/sandbox/index.js';

describe('startSandbox', () => {
  describe('when started with its defaults', () => {
    let sb: Awaited<ReturnType<typeof startSandbox>>;
    before(async () => {
      sb = await startSandbox();
    });
    after(() => sb.close());

    it('listens on loopback', () => {
      assert.match(sb.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    });

    it('tells its URL at /_sandbox/info', async () => {
      const info = await (await fetch(`${sb.url}/_sandbox/info`)).json();
      assert.equal(info.url, sb.url);
    });

    it("answers a local page's CORS preflight", async () => {
      const pre = await fetch(`${sb.url}/universa/anything`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:8000', 'access-control-request-headers': 'content-type' },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), 'http://localhost:8000');
    });

    it('logs service requests (not its own routes, not preflights), and forgets them on reset', async () => {
      sb.reset();
      await fetch(`${sb.url}/_sandbox/info`);
      await fetch(`${sb.url}/universa/anything`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8000' } });
      await fetch(`${sb.url}/universa/anything`, { method: 'POST' });
      assert.equal(sb.log.length, 1);
      await fetch(`${sb.url}/_sandbox/reset`, { method: 'POST', body: '{}' });
      assert.equal(sb.log.length, 0);
    });

    it('answers 404 where no service is', async () => {
      assert.equal((await fetch(`${sb.url}/nowhere`)).status, 404);
    });
  });
});

// The sandbox runs on developers' machines, next to every site they visit (issue 12).
describe('sandbox trust boundaries', () => {
  let sb: Awaited<ReturnType<typeof startSandbox>>;
  before(async () => {
    sb = await startSandbox({ allowedOrigins: ['https://demo.example'] });
  });
  after(() => sb.close());

  describe('when a page on another site calls a service', () => {
    it('gets no CORS answer, so it cannot read the response', async () => {
      const res = await fetch(`${sb.url}/universa/anything`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    });

    it('an allowed origin (the demo served elsewhere) gets one', async () => {
      const res = await fetch(`${sb.url}/universa/anything`, { method: 'OPTIONS', headers: { origin: 'https://demo.example' } });
      assert.equal(res.headers.get('access-control-allow-origin'), 'https://demo.example');
    });
  });

  describe('when any page calls a control route', () => {
    for (const origin of ['https://evil.example', 'http://localhost:8000']) {
      it(`${origin}: no CORS on the log or the knobs`, async () => {
        const log = await fetch(`${sb.url}/_sandbox/log`, { headers: { origin } });
        assert.equal(log.headers.get('access-control-allow-origin'), null);
        const knob = await fetch(`${sb.url}/_sandbox/reset`, { method: 'OPTIONS', headers: { origin } });
        assert.equal(knob.headers.get('access-control-allow-origin'), null);
      });
    }
  });

  describe('when the Host is not this machine (a DNS-rebinding page)', () => {
    it('is refused with 403 before any service or knob runs', async () => {
      const { request } = await import('node:http');
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${sb.url}/_sandbox/log`, { headers: { host: 'attacker.example:80' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 403);
      assert.equal(sb.log.length, 0);
    });
  });
});
