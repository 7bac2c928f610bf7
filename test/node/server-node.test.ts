import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createExtraIdHandler, toNodeHandler } from '../../src/server/index.js';

test('toNodeHandler mounts a web-standard handler on node:http, body and status intact', async () => {
  const seen: Array<{ name: string; size: number }> = [];
  const handler = createExtraIdHandler({
    create: async (file, request) => {
      seen.push({ name: file.name, size: file.size });
      assert.equal(new URL(request.url).pathname, '/app/titan/extra-id');
      return `row-${seen.length}`;
    },
  });
  const server = createServer(toNodeHandler(handler));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/app/titan/extra-id`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ü.txt', size: 3, type: 'text/plain' }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { extra_id: 'row-1' });
    assert.deepEqual(seen, [{ name: 'ü.txt', size: 3 }]);
    const wrong = await fetch(`http://127.0.0.1:${port}/app/titan/extra-id`);
    assert.equal(wrong.status, 405);
  } finally {
    server.close();
  }
});
