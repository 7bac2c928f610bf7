import { expect } from '@open-wc/testing';

describe('test setup', () => {
  it('reaches the sandbox mounted on the test server and its own listener', async () => {
    const info = (await (await fetch('/_sandbox/info')).json()) as { url: string };
    expect(info.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Reachable cross-origin, but a page may not read its control routes (no CORS there).
    const direct = await fetch(`${info.url}/_sandbox/info`, { mode: 'no-cors' });
    expect(direct.type).to.equal('opaque');
  });

  it("a page on another origin cannot read the sandbox's request log", async () => {
    const { url } = (await (await fetch('/_sandbox/info')).json()) as { url: string };
    let read = true;
    await fetch(`${url}/_sandbox/log`).then(
      () => undefined,
      () => (read = false),
    );
    expect(read).to.equal(false);
  });
});
