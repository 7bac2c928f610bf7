// The sandbox's own address answers a page, not a 404 (issue 14, item 7).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';

describe("the sandbox's root page", () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox();
  });
  after(() => sb.close());

  describe('when nobody told it where the demo is', () => {
    it('answers 200 with a page naming its services and how to find the demo', async () => {
      const res = await fetch(`${sb.url}/`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      const page = await res.text();
      assert.match(page, /Titan Storage/);
      assert.match(page, /npm start/);
    });
  });

  describe('when npm start set the demo URL', () => {
    it('links to the demo', async () => {
      sb.demoUrl = 'http://127.0.0.1:5173/';
      const page = await (await fetch(`${sb.url}/`)).text();
      assert.match(page, /<a href="http:\/\/127\.0\.0\.1:5173\/">/);
    });
  });

  describe('when another unknown path is asked', () => {
    it('is still a 404', async () => {
      assert.equal((await fetch(`${sb.url}/nowhere`)).status, 404);
    });
  });
});
