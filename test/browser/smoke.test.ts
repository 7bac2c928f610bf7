import { expect } from '@open-wc/testing';

describe('test setup', () => {
  it('reaches the sandbox mounted on the test server and its own listener', async () => {
    const info = (await (await fetch('/_sandbox/info')).json()) as { url: string };
    expect(info.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const direct = await fetch(`${info.url}/_sandbox/info`);
    expect(direct.ok).to.equal(true);
  });
});
