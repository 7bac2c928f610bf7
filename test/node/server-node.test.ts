import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createExtraIdHandler, toNodeHandler } from '../../src/server/index.js';

describe('toNodeHandler', () => {
  describe('when a web-standard handler is mounted on node:http', () => {
    const seen: Array<{ name: string; size: number }> = [];
    const paths: string[] = [];
    let server: Server;
    let url: string;
    before(async () => {
      const handler = createExtraIdHandler({
        create: async (file, request) => {
          seen.push({ name: file.name, size: file.size });
          paths.push(new URL(request.url).pathname);
          return `row-${seen.length}`;
        },
      });
      server = createServer(toNodeHandler(handler));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/app/titan/extra-id`;
    });
    after(() => server.close());

    describe('when a file is announced with POST', () => {
      let res: Response;
      before(async () => {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'ü.txt', size: 3, type: 'text/plain' }),
        });
      });

      it('answers 200 with the extra id the handler made', async () => {
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { extra_id: 'row-1' });
      });

      it('hands the handler the request URL intact', () => {
        assert.deepEqual(paths, ['/app/titan/extra-id']);
      });

      it('hands the handler the body intact', () => {
        assert.deepEqual(seen, [{ name: 'ü.txt', size: 3 }]);
      });
    });

    describe('when the wrong method is used', () => {
      it('passes the handler status 405 through', async () => {
        const wrong = await fetch(url);
        assert.equal(wrong.status, 405);
      });
    });
  });
});
