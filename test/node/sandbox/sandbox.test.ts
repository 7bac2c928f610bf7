import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox } from '../../../src/sandbox/index.js';

test('sandbox listens on loopback, logs requests and resets', async () => {
  const sb = await startSandbox();
  try {
    assert.match(sb.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const info = await (await fetch(`${sb.url}/_sandbox/info`)).json();
    assert.equal(info.url, sb.url);
    const pre = await fetch(`${sb.url}/universa/anything`, {
      method: 'OPTIONS',
      headers: { origin: 'http://example.test', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'http://example.test');
    await fetch(`${sb.url}/universa/anything`, { method: 'POST' });
    assert.equal(sb.log.length, 1);
    await fetch(`${sb.url}/_sandbox/reset`, { method: 'POST', body: '{}' });
    assert.equal(sb.log.length, 0);
    assert.equal((await fetch(`${sb.url}/nowhere`)).status, 404);
  } finally {
    await sb.close();
  }
});
