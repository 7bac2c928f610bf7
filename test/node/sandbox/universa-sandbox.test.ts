import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { unpackBoss } from '../../../src/sandbox/boss.js';
import { decodeBase64 } from '../../../src/universa/protocol.js';
import { parseUniversaAddress } from '../../../src/universa/address.js';
import { recordOnce as recordOnceAfterReset } from '../record-once.js';

const SHORT = '2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ';
let sb: Sandbox;

before(async () => {
  sb = await startSandbox({ timeScale: 0.001, issuer: { generationSeconds: 1, pollSeconds: 2 } });
});
after(() => sb.close());
beforeEach(() => sb.reset());

const post = async (url: string, body: unknown = {}, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
};
const knob = (action: string, body: Record<string, unknown> = {}) => post(`${sb.url}/_sandbox/universa/${action}`, body);
const issue = async (body: Record<string, unknown> = {}) =>
  (await knob('issue', body)).json as { id: string; cb: string; confirm_url: string };
const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

/** A flow run once from a fresh sandbox, for the its of the describe it is called in. */
const recordOnce = <T>(run: () => Promise<T>) => recordOnceAfterReset(run, () => sb.reset());

describe('Universa issuer sandbox', () => {
  describe('when two issues are made and the first offer is read, confirmed, and read again', () => {
    const recorded = recordOnce(async () => {
      const a = await issue();
      const b = await issue();
      const first = (await post(a.cb)).json!;
      const ok = await post(String(first.ok_url), { address: SHORT });
      const again = (await post(a.cb)).json!;
      return { a, b, first, ok: ok.json, again };
    });

    it('gives each issue its own cb', () => {
      assert.notEqual(recorded().a.cb, recorded().b.cb);
    });

    it('serves the cb from the sandbox', () => {
      assert.ok(recorded().a.cb.startsWith(`${sb.url}/universa/cb/`));
    });

    it('offers select_address, in state new, with a caption and a text', () => {
      const { first } = recorded();
      assert.equal(first.action, 'select_address');
      assert.equal(first.state, 'new');
      assert.equal(typeof first.caption, 'string');
      assert.equal(typeof first.text, 'string');
    });

    it('gives absolute ok, check and cancel URLs', () => {
      const { first } = recorded();
      for (const key of ['ok_url', 'check_url', 'cancel_url']) assert.ok(String(first[key]).startsWith(`${sb.url}/universa/`), key);
    });

    it('answers ok_url with poll_seconds', () => {
      assert.deepEqual(recorded().ok, { poll_seconds: 2 });
    });

    it('moves the offer on from state new once an address was chosen', () => {
      assert.notEqual(recorded().again.state, 'new');
    });

    it('keeps the same offer data except state', () => {
      const { again, first } = recorded();
      assert.deepEqual({ ...again, state: 'new' }, first, 'same data except state');
    });
  });

  describe('when an address was chosen and the contract is ready', () => {
    const recorded = recordOnce(async () => {
      const { cb } = await issue();
      const offer = (await post(cb)).json!;
      const okStatus = (await post(String(offer.ok_url), { address: SHORT })).status;
      await tick();
      const check = (await post(String(offer.check_url))).json!;
      const again = (await post(String(offer.check_url))).json!;
      return { okStatus, check, again };
    });
    type Role = { __type: string; addresses: Array<{ __type: string; uaddress: Uint8Array }> };
    // A sealed capsule as Universa writes one (Contract.java): {type: "unicapsule", version: 3, data, signatures}.
    const capsule = () =>
      unpackBoss(decodeBase64(String(recorded().check.base64_contract))) as { type: string; version: number; data: Uint8Array };
    const contract = () => (unpackBoss(capsule().data) as { contract: { __type: string; state: { owner: Role } } }).contract;

    it('accepts the address', () => {
      assert.equal(recorded().okStatus, 200);
    });

    it('says ready on check', () => {
      assert.equal(recorded().check.state, 'ready');
    });

    it('sends no poll_seconds with the contract', () => {
      assert.equal(recorded().check.poll_seconds, undefined, 'poll_seconds and base64_contract exclude each other');
    });

    it('sends a sealed capsule (unicapsule, version 3) in BOSS', () => {
      assert.deepEqual([capsule().type, capsule().version], ['unicapsule', 3]);
    });

    it('seals a UniversaContract in it', () => {
      assert.equal(contract().__type, 'UniversaContract');
    });

    it('makes the chosen address its owner, as a KeyAddress', () => {
      const [owner] = contract().state.owner.addresses;
      assert.equal(owner?.__type, 'KeyAddress');
      assert.deepEqual([...owner!.uaddress], [...parseUniversaAddress(SHORT).bytes]);
    });

    it('sends the same contract on every check', () => {
      assert.equal(recorded().again.base64_contract, recorded().check.base64_contract, 'the same contract on every check');
    });
  });

  describe('when addresses are sent to ok_url', () => {
    const LONG = 'sriuQrCVN3FNyH6VJEUhMD6t82duanKvBJp2ccyPGYD5gKQdofZNH7aTrQZ8aiCKuAjBRUv6';
    const recorded = recordOnce(async () => {
      const { cb } = await issue();
      const offer = (await post(cb)).json!;
      const bad = (await post(String(offer.ok_url), { address: SHORT.slice(0, -1) + 'a' })).status;
      const stateAfterBad = (await post(cb)).json!.state;
      const first = (await post(String(offer.ok_url), { address: SHORT })).status;
      const same = (await post(String(offer.ok_url), { address: SHORT })).status;
      const other = (await post(String(offer.ok_url), { address: LONG })).status;
      return { bad, stateAfterBad, first, same, other };
    });

    it('refuses an invalid address with 400', () => {
      assert.equal(recorded().bad, 400);
    });

    it('changes nothing for a refused address', () => {
      assert.equal(recorded().stateAfterBad, 'new', 'a refused address changes nothing');
    });

    it('accepts a valid one', () => {
      assert.equal(recorded().first, 200);
    });

    it('accepts the same one again (idempotent)', () => {
      assert.equal(recorded().same, 200);
    });

    it('refuses a second, different address with 409', () => {
      assert.equal(recorded().other, 409, 'a second, different address');
    });
  });

  describe('when cancel_url is called', () => {
    const recorded = recordOnce(async () => {
      const { cb } = await issue();
      const offer = (await post(cb)).json!;
      return {
        cancel: (await post(String(offer.cancel_url))).json,
        check: (await post(String(offer.check_url))).json,
        ok: (await post(String(offer.ok_url), { address: SHORT })).status,
        offerState: (await post(cb)).json!.state,
      };
    });

    it('answers cancelled', () => {
      assert.deepEqual(recorded().cancel, { state: 'cancelled' });
    });

    it('says cancelled on check', () => {
      assert.deepEqual(recorded().check, { state: 'cancelled' });
    });

    it('refuses ok_url with 409', () => {
      assert.equal(recorded().ok, 409);
    });

    it('shows the offer as cancelled', () => {
      assert.equal(recorded().offerState, 'cancelled');
    });
  });

  describe('when issued with cancelUrl: false', () => {
    it('offers no cancel_url', async () => {
      const { cb } = await issue({ cancelUrl: false });
      const offer = (await post(cb)).json!;
      assert.equal('cancel_url' in offer, false);
    });
  });

  describe('when issued 2-phase (confirmed by an e-mail link)', () => {
    const recorded = recordOnce(async () => {
      const { cb, confirm_url } = await issue({ twoPhase: true });
      const offer = (await post(cb)).json!;
      await post(String(offer.ok_url), { address: SHORT });
      await tick(20);
      const before = (await post(String(offer.check_url))).json;
      const confirm = await fetch(confirm_url);
      const page = { status: confirm.status, text: await confirm.text() };
      await tick();
      const after = (await post(String(offer.check_url))).json!.state;
      return { offer, before, page, after };
    });

    it('tells the user about the e-mail in the offer text', () => {
      assert.match(String(recorded().offer.text), /e-mail/);
    });

    it('stays in_progress until the link confirms', () => {
      assert.deepEqual(recorded().before, { state: 'in_progress', poll_seconds: 2 });
    });

    it('serves the e-mail link, naming the address', () => {
      const { page } = recorded();
      assert.equal(page.status, 200);
      assert.match(page.text, new RegExp(SHORT));
    });

    it('is ready once confirmed', () => {
      assert.equal(recorded().after, 'ready');
    });
  });

  describe('when generation is reconfigured to 200 s (200 ms at timeScale 0.001) and poll_seconds to 7', () => {
    const recorded = recordOnce(async () => {
      await knob('configure', { generationSeconds: 200 }); // 200 ms at timeScale 0.001
      const { cb } = await issue({ pollSeconds: 7 });
      const offer = (await post(cb)).json!;
      const ok = (await post(String(offer.ok_url), { address: SHORT })).json;
      const during = (await post(String(offer.check_url))).json!.state;
      await tick(250);
      const after = (await post(String(offer.check_url))).json!.state;
      return { ok, during, after };
    });

    it('answers ok_url with the configured poll_seconds', () => {
      assert.deepEqual(recorded().ok, { poll_seconds: 7 });
    });

    it('is in_progress during generationSeconds × timeScale', () => {
      assert.equal(recorded().during, 'in_progress');
    });

    it('is ready after it', () => {
      assert.equal(recorded().after, 'ready');
    });
  });

  describe('when a page on another origin calls the issuer (CORS)', () => {
    const origin = 'http://localhost:9999';
    const recorded = recordOnce(async () => {
      const { cb } = await issue();
      const preflight = () =>
        fetch(cb, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
        });
      const ok = await preflight();
      const answer = (await post(cb, {}, { origin })).headers.get('access-control-allow-origin');
      await knob('fault', { endpoint: 'cb', kind: 'no-cors', times: 2 });
      const faulty = {
        preflight: (await preflight()).headers.get('access-control-allow-origin'),
        answer: (await post(cb, {}, { origin })).headers.get('access-control-allow-origin'),
      };
      const usedUp = (await preflight()).headers.get('access-control-allow-origin');
      return { ok, answer, faulty, usedUp };
    });

    it('answers the preflight 204, reflecting the origin', () => {
      const { ok } = recorded();
      assert.equal(ok.status, 204);
      assert.equal(ok.headers.get('access-control-allow-origin'), origin);
    });

    it('allows the content-type header', () => {
      assert.match(recorded().ok.headers.get('access-control-allow-headers') ?? '', /content-type/);
    });

    it('reflects the origin on answers', () => {
      assert.equal(recorded().answer, origin);
    });

    it('withholds both under the no-cors fault', () => {
      assert.equal(recorded().faulty.preflight, null);
      assert.equal(recorded().faulty.answer, null);
    });

    it('answers again once the fault is used up', () => {
      assert.equal(recorded().usedUp, origin, 'used up after 2');
    });
  });

  describe('when fault knobs are set', () => {
    it('status: answers it as many times as asked, then recovers', async () => {
      const { cb } = await issue();
      await knob('fault', { endpoint: 'cb', kind: 'status', status: 503, times: 2 });
      assert.equal((await post(cb)).status, 503);
      assert.equal((await post(cb)).status, 503);
      assert.equal((await post(cb)).status, 200);
    });

    it('slow: answers after the delay', async () => {
      const { cb } = await issue();
      await knob('fault', { endpoint: 'cb', kind: 'slow', ms: 150 });
      const t0 = Date.now();
      assert.equal((await post(cb)).status, 200);
      assert.ok(Date.now() - t0 >= 140, 'slow');
    });

    it('malformed: answers 200 with a body that is not JSON', async () => {
      const { cb } = await issue();
      await knob('fault', { endpoint: 'cb', kind: 'malformed' });
      const malformed = await post(cb);
      assert.equal(malformed.status, 200);
      assert.equal(malformed.json, undefined, 'not JSON');
    });

    it('omit: leaves the field out', async () => {
      const { cb } = await issue();
      await knob('fault', { endpoint: 'cb', kind: 'omit', field: 'check_url' });
      assert.equal('check_url' in (await post(cb)).json!, false);
    });

    it('set: changes the field, once by default', async () => {
      const { cb } = await issue();
      await knob('fault', { endpoint: 'cb', kind: 'set', field: 'action', value: 'send_money' });
      assert.equal((await post(cb)).json!.action, 'send_money');
      assert.equal((await post(cb)).json!.action, 'select_address', 'times defaults to 1');
    });

    it('set on ok_url: answers the value given', async () => {
      const { cb } = await issue();
      const offer = (await post(cb)).json!;
      await knob('fault', { endpoint: 'ok', kind: 'set', field: 'poll_seconds', value: 1e9 });
      assert.deepEqual((await post(String(offer.ok_url), { address: SHORT })).json, { poll_seconds: 1e9 });
    });

    describe('when corrupt-contract is set on check_url', () => {
      const recorded = recordOnce(async () => {
        const { cb } = await issue();
        const offer = (await post(cb)).json!;
        await post(String(offer.ok_url), { address: SHORT });
        await tick();
        await knob('fault', { endpoint: 'check', kind: 'corrupt-contract' });
        const corrupt = (await post(String(offer.check_url))).json!.base64_contract;
        const intact = String((await post(String(offer.check_url))).json!.base64_contract);
        return { corrupt, intact };
      });

      it('sends a contract that is not base64', () => {
        assert.equal(recorded().corrupt, '%%not*base64%%');
        assert.throws(() => decodeBase64('%%not*base64%%'));
      });

      it('sends an intact one after that once', () => {
        assert.doesNotThrow(() => decodeBase64(recorded().intact), 'used up after one');
      });
    });

    it('times 0: lasts until clear-faults', async () => {
      const { cb } = await issue();
      await knob('fault', { endpoint: '*', kind: 'status', status: 500, times: 0 });
      for (let i = 0; i < 3; i++) assert.equal((await post(cb)).status, 500);
      await knob('clear-faults');
      assert.equal((await post(cb)).status, 200);
    });
  });

  describe('when a knob is wrong', () => {
    it('refuses an unknown endpoint with 400', async () => {
      assert.equal((await knob('fault', { endpoint: 'nowhere', kind: 'status' })).status, 400);
    });

    it('refuses an unknown fault kind with 400', async () => {
      assert.equal((await knob('fault', { endpoint: 'cb', kind: 'explode' })).status, 400);
    });

    it('answers 404 to an unknown knob', async () => {
      assert.equal((await knob('nope')).status, 404);
    });
  });

  describe('when an offer was read and an address chosen', () => {
    const recorded = recordOnce(async () => {
      const { cb, id } = await issue();
      const offer = (await post(cb)).json!;
      await post(String(offer.ok_url), { address: SHORT });
      const log = (await (await fetch(`${sb.url}/_sandbox/log?service=universa`)).json()) as Array<{
        method: string;
        path: string;
        body?: unknown;
        status: number;
      }>;
      const inspect = (await knob('inspect', { cb })).json!;
      await post(`${sb.url}/_sandbox/reset`);
      const afterReset = (await post(cb)).status;
      return { id, log, inspect, afterReset };
    });

    it('logs each callback', () => {
      const { log, id } = recorded();
      assert.deepEqual(
        log.map((e) => [e.method, e.path, e.status]),
        [
          ['POST', `/universa/cb/${id}`, 200],
          ['POST', `/universa/ok/${id}`, 200],
        ],
      );
    });

    it('logs the body', () => {
      assert.deepEqual(recorded().log[1]!.body, { address: SHORT });
    });

    it('shows the address chosen on inspect', () => {
      assert.equal(recorded().inspect.address, SHORT);
    });

    it('counts the calls per endpoint on inspect', () => {
      assert.deepEqual(recorded().inspect.counts, { cb: 1, ok: 1, check: 0, cancel: 0 });
    });

    it('forgets issues on reset', () => {
      assert.equal(recorded().afterReset, 404);
    });
  });

  describe('when GET /universa/issue?client=… is opened', () => {
    const recorded = recordOnce(async () => {
      const res = await fetch(`${sb.url}/universa/issue?client=${encodeURIComponent('https://wallet.example/import?x=1')}&caption=Hi`, {
        redirect: 'manual',
      });
      const link = new URL(res.headers.get('location')!);
      const offer = (await post(link.searchParams.get('cb')!)).json!;
      return { status: res.status, link, offer };
    });

    it('redirects', () => {
      assert.equal(recorded().status, 302);
    });

    it('to the client, keeping its query', () => {
      const { link } = recorded();
      assert.equal(link.origin + link.pathname, 'https://wallet.example/import');
      assert.equal(link.searchParams.get('x'), '1');
    });

    it('with iv=1', () => {
      assert.equal(recorded().link.searchParams.get('iv'), '1');
    });

    it('and a cb offering the caption given', () => {
      assert.equal(recorded().offer.caption, 'Hi');
    });
  });
});
