import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { unpackBoss } from '../../../src/sandbox/boss.js';
import { decodeBase64 } from '../../../src/universa/protocol.js';
import { parseUniversaAddress } from '../../../src/universa/address.js';

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

test('issue gives a unique cb whose offer is complete, absolute and stable except for state', async () => {
  const a = await issue();
  const b = await issue();
  assert.notEqual(a.cb, b.cb);
  assert.ok(a.cb.startsWith(`${sb.url}/universa/cb/`));
  const first = (await post(a.cb)).json!;
  assert.equal(first.action, 'select_address');
  assert.equal(first.state, 'new');
  assert.equal(typeof first.caption, 'string');
  assert.equal(typeof first.text, 'string');
  for (const key of ['ok_url', 'check_url', 'cancel_url']) assert.ok(String(first[key]).startsWith(`${sb.url}/universa/`), key);
  const ok = await post(String(first.ok_url), { address: SHORT });
  assert.deepEqual(ok.json, { poll_seconds: 2 });
  const again = (await post(a.cb)).json!;
  assert.notEqual(again.state, 'new');
  assert.deepEqual({ ...again, state: 'new' }, first, 'same data except state');
});

test('a chosen address yields real BOSS contract bytes owned by that address', async () => {
  const { cb } = await issue();
  const offer = (await post(cb)).json!;
  assert.equal((await post(String(offer.ok_url), { address: SHORT })).status, 200);
  await tick();
  const check = (await post(String(offer.check_url))).json!;
  assert.equal(check.state, 'ready');
  assert.equal(check.poll_seconds, undefined, 'poll_seconds and base64_contract exclude each other');
  // A sealed capsule as Universa writes one (Contract.java): {type: "unicapsule", version: 3, data, signatures}.
  const capsule = unpackBoss(decodeBase64(String(check.base64_contract))) as { type: string; version: number; data: Uint8Array };
  assert.deepEqual([capsule.type, capsule.version], ['unicapsule', 3]);
  type Role = { __type: string; addresses: Array<{ __type: string; uaddress: Uint8Array }> };
  const { contract } = unpackBoss(capsule.data) as { contract: { __type: string; state: { owner: Role } } };
  assert.equal(contract.__type, 'UniversaContract');
  const [owner] = contract.state.owner.addresses;
  assert.equal(owner?.__type, 'KeyAddress');
  assert.deepEqual([...owner!.uaddress], [...parseUniversaAddress(SHORT).bytes]);
  const again = (await post(String(offer.check_url))).json!;
  assert.equal(again.base64_contract, check.base64_contract, 'the same contract on every check');
});

test('ok_url validates the address and is idempotent for the same one', async () => {
  const { cb } = await issue();
  const offer = (await post(cb)).json!;
  const bad = await post(String(offer.ok_url), { address: SHORT.slice(0, -1) + 'a' });
  assert.equal(bad.status, 400);
  assert.equal((await post(cb)).json!.state, 'new', 'a refused address changes nothing');
  assert.equal((await post(String(offer.ok_url), { address: SHORT })).status, 200);
  assert.equal((await post(String(offer.ok_url), { address: SHORT })).status, 200);
  const LONG = 'sriuQrCVN3FNyH6VJEUhMD6t82duanKvBJp2ccyPGYD5gKQdofZNH7aTrQZ8aiCKuAjBRUv6';
  assert.equal((await post(String(offer.ok_url), { address: LONG })).status, 409, 'a second, different address');
});

test('cancel_url ends the issue: check says cancelled, ok is refused', async () => {
  const { cb } = await issue();
  const offer = (await post(cb)).json!;
  assert.deepEqual((await post(String(offer.cancel_url))).json, { state: 'cancelled' });
  assert.deepEqual((await post(String(offer.check_url))).json, { state: 'cancelled' });
  assert.equal((await post(String(offer.ok_url), { address: SHORT })).status, 409);
  assert.equal((await post(cb)).json!.state, 'cancelled');
});

test('cancelUrl: false issues an offer without cancel_url', async () => {
  const { cb } = await issue({ cancelUrl: false });
  const offer = (await post(cb)).json!;
  assert.equal('cancel_url' in offer, false);
});

test('2-phase issues stay in_progress until the e-mail link confirms', async () => {
  const { cb, confirm_url } = await issue({ twoPhase: true });
  const offer = (await post(cb)).json!;
  assert.match(String(offer.text), /e-mail/);
  await post(String(offer.ok_url), { address: SHORT });
  await tick(20);
  assert.deepEqual((await post(String(offer.check_url))).json, { state: 'in_progress', poll_seconds: 2 });
  const confirm = await fetch(confirm_url);
  assert.equal(confirm.status, 200);
  assert.match(await confirm.text(), new RegExp(SHORT));
  await tick();
  assert.equal((await post(String(offer.check_url))).json!.state, 'ready');
});

test('generation time follows generationSeconds × timeScale and can be reconfigured', async () => {
  await knob('configure', { generationSeconds: 200 }); // 200 ms at timeScale 0.001
  const { cb } = await issue({ pollSeconds: 7 });
  const offer = (await post(cb)).json!;
  assert.deepEqual((await post(String(offer.ok_url), { address: SHORT })).json, { poll_seconds: 7 });
  assert.equal((await post(String(offer.check_url))).json!.state, 'in_progress');
  await tick(250);
  assert.equal((await post(String(offer.check_url))).json!.state, 'ready');
});

test('CORS: preflight and answers reflect the origin; the no-cors fault withholds both', async () => {
  const { cb } = await issue();
  const origin = 'http://localhost:9999';
  const preflight = () =>
    fetch(cb, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
  const ok = await preflight();
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('access-control-allow-origin'), origin);
  assert.match(ok.headers.get('access-control-allow-headers') ?? '', /content-type/);
  assert.equal((await post(cb, {}, { origin })).headers.get('access-control-allow-origin'), origin);

  await knob('fault', { endpoint: 'cb', kind: 'no-cors', times: 2 });
  assert.equal((await preflight()).headers.get('access-control-allow-origin'), null);
  assert.equal((await post(cb, {}, { origin })).headers.get('access-control-allow-origin'), null);
  assert.equal((await preflight()).headers.get('access-control-allow-origin'), origin, 'used up after 2');
});

test('fault knobs: status, slow, malformed, omit, set, corrupt-contract', async () => {
  const { cb } = await issue();
  await knob('fault', { endpoint: 'cb', kind: 'status', status: 503, times: 2 });
  assert.equal((await post(cb)).status, 503);
  assert.equal((await post(cb)).status, 503);
  assert.equal((await post(cb)).status, 200);

  await knob('fault', { endpoint: 'cb', kind: 'slow', ms: 150 });
  const t0 = Date.now();
  assert.equal((await post(cb)).status, 200);
  assert.ok(Date.now() - t0 >= 140, 'slow');

  await knob('fault', { endpoint: 'cb', kind: 'malformed' });
  const malformed = await post(cb);
  assert.equal(malformed.status, 200);
  assert.equal(malformed.json, undefined, 'not JSON');

  await knob('fault', { endpoint: 'cb', kind: 'omit', field: 'check_url' });
  assert.equal('check_url' in (await post(cb)).json!, false);

  await knob('fault', { endpoint: 'cb', kind: 'set', field: 'action', value: 'send_money' });
  assert.equal((await post(cb)).json!.action, 'send_money');
  assert.equal((await post(cb)).json!.action, 'select_address', 'times defaults to 1');

  const offer = (await post(cb)).json!;
  await knob('fault', { endpoint: 'ok', kind: 'set', field: 'poll_seconds', value: 1e9 });
  assert.deepEqual((await post(String(offer.ok_url), { address: SHORT })).json, { poll_seconds: 1e9 });
  await tick();
  await knob('fault', { endpoint: 'check', kind: 'corrupt-contract' });
  assert.equal((await post(String(offer.check_url))).json!.base64_contract, '%%not*base64%%');
  assert.throws(() => decodeBase64('%%not*base64%%'));
  const intact = String((await post(String(offer.check_url))).json!.base64_contract);
  assert.doesNotThrow(() => decodeBase64(intact), 'used up after one');
});

test('a fault with times 0 lasts until clear-faults; bad knobs are refused', async () => {
  const { cb } = await issue();
  await knob('fault', { endpoint: '*', kind: 'status', status: 500, times: 0 });
  for (let i = 0; i < 3; i++) assert.equal((await post(cb)).status, 500);
  await knob('clear-faults');
  assert.equal((await post(cb)).status, 200);
  assert.equal((await knob('fault', { endpoint: 'nowhere', kind: 'status' })).status, 400);
  assert.equal((await knob('fault', { endpoint: 'cb', kind: 'explode' })).status, 400);
  assert.equal((await knob('nope')).status, 404);
});

test('the request log shows each callback with its body; reset forgets issues', async () => {
  const { cb, id } = await issue();
  const offer = (await post(cb)).json!;
  await post(String(offer.ok_url), { address: SHORT });
  const log = (await (await fetch(`${sb.url}/_sandbox/log?service=universa`)).json()) as Array<{
    method: string;
    path: string;
    body?: unknown;
    status: number;
  }>;
  assert.deepEqual(
    log.map((e) => [e.method, e.path, e.status]),
    [
      ['POST', `/universa/cb/${id}`, 200],
      ['POST', `/universa/ok/${id}`, 200],
    ],
  );
  assert.deepEqual(log[1]!.body, { address: SHORT });
  const inspect = (await knob('inspect', { cb })).json!;
  assert.equal(inspect.address, SHORT);
  assert.deepEqual(inspect.counts, { cb: 1, ok: 1, check: 0, cancel: 0 });
  await post(`${sb.url}/_sandbox/reset`);
  assert.equal((await post(cb)).status, 404);
});

test('GET /universa/issue?client=… redirects to the client with iv=1 and the cb', async () => {
  const res = await fetch(`${sb.url}/universa/issue?client=${encodeURIComponent('https://wallet.example/import?x=1')}&caption=Hi`, {
    redirect: 'manual',
  });
  assert.equal(res.status, 302);
  const link = new URL(res.headers.get('location')!);
  assert.equal(link.origin + link.pathname, 'https://wallet.example/import');
  assert.equal(link.searchParams.get('x'), '1');
  assert.equal(link.searchParams.get('iv'), '1');
  const offer = (await post(link.searchParams.get('cb')!)).json!;
  assert.equal(offer.caption, 'Hi');
});
