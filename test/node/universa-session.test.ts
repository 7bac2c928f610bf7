import { describe, it, test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startSandbox, type KnobArgs, type KnobBody, type Sandbox, type SandboxKnobs } from '../../src/sandbox/index.js';
import { summarizeContract } from '../../src/universa/summary.js';
import { clampPollSeconds } from '../../src/universa/protocol.js';
import { ImportSession, isRetryable, TRANSITIONS, type ImportSessionEvents, type ImportState } from '../../src/universa/session.js';
import { UploadElementsError } from '../../src/internal/errors.js';
import { resumePendingImports } from '../../src/universa/resume.js';
import type { PendingImport, PendingStore } from '../../src/universa/store.js';

const SHORT = '2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ';
let sb: Sandbox;

before(async () => {
  sb = await startSandbox({ timeScale: 0.001, issuer: { generationSeconds: 1, pollSeconds: 1 } });
});
after(() => sb.close());
beforeEach(() => sb.reset());

// Every session gets this signal: a failing test must not leave a poller keeping Node alive.
let life = new AbortController();
beforeEach(() => (life = new AbortController()));
afterEach(() => life.abort());

/** A Map-backed PendingStore: Node has no IndexedDB, the contract of the store is the same. */
function memoryStore(): PendingStore & { map: Map<string, PendingImport> } {
  const map = new Map<string, PendingImport>();
  return {
    map,
    get: async (cb) => structuredClone(map.get(cb)),
    put: async (r) => void map.set(r.cb, structuredClone(r)),
    remove: async (cb) => void map.delete(cb),
    list: async () => [...map.values()].map((r) => structuredClone(r)),
  };
}

/** The record left once a delivery was acknowledged: the contract gone, its hash and time kept. */
function assertTombstone(record: PendingImport | undefined): void {
  assert.equal(record?.phase, 'delivered');
  assert.equal(record?.base64Contract, undefined);
  assert.match(record?.contractHash ?? '', /^[0-9a-f]{64}$/);
  assert.equal(typeof record?.deliveredAt, 'number');
}
const delivered = (store: { map: Map<string, PendingImport> }, cb: string) => store.map.get(cb)?.phase === 'delivered';

const knob = <A extends keyof SandboxKnobs['universa'] & string>(action: A, ...body: KnobArgs<'universa', A>) =>
  sb.control('universa', action, ...body);
const issue = (...body: KnobArgs<'universa', 'issue'>) => knob('issue', ...body);
const requests = () => sb.log.filter((e) => e.service === 'universa').map((e) => `${e.path.split('/')[2]}`);

/**
 * Records every event of a session and lets a test wait for a condition on them. Acknowledges
 * each contract, as an app that has it safe does, unless told not to. Every state change must
 * be one the session's transition table allows.
 */
function watch(session: ImportSession, { acknowledge = true } = {}) {
  const states: ImportState[] = [];
  const errors: ImportSessionEvents['error'][] = [];
  const contracts: ImportSessionEvents['contract'][] = [];
  const illegal: string[] = [];
  const waiters = new Set<() => void>();
  const poke = () => waiters.forEach((w) => w());
  let last: ImportState = session.state;
  session.addEventListener('state', ({ detail }) => {
    if (detail.state !== last && !TRANSITIONS[last].includes(detail.state)) illegal.push(`${last} → ${detail.state}`);
    states.push((last = detail.state));
    poke();
  });
  session.addEventListener('error', ({ detail }) => (errors.push(detail), poke()));
  session.addEventListener('contract', ({ detail }) => {
    contracts.push(detail);
    if (acknowledge) void detail.acknowledge();
    poke();
  });
  // Checked on every event and every 20 ms (store and log changes raise no event).
  const until = (ok: () => boolean, what: string, ms = 6000) =>
    new Promise<void>((resolve, reject) => {
      const stop = () => (waiters.delete(check), clearInterval(tick), clearTimeout(timer));
      const check = () => {
        if (illegal.length) return (stop(), reject(new Error(`state changes the table does not allow: ${illegal.join(', ')}`)));
        if (ok()) (stop(), resolve());
      };
      const tick = setInterval(check, 20);
      const timer = setTimeout(() => (stop(), reject(new Error(`timed out waiting for ${what}; states ${states.join(',')}`))), ms);
      waiters.add(check);
      check();
    });
  return { states, errors, contracts, until };
}

test('clampPollSeconds: missing, 0, negative, non-numeric and huge values land in 1…300 s', () => {
  assert.equal(clampPollSeconds(undefined), 5);
  assert.equal(clampPollSeconds('soon'), 5);
  assert.equal(clampPollSeconds(NaN), 5);
  assert.equal(clampPollSeconds(null), 5);
  assert.equal(clampPollSeconds(0), 1);
  assert.equal(clampPollSeconds(-30), 1);
  assert.equal(clampPollSeconds(1e9), 300);
  assert.equal(clampPollSeconds(Infinity), 5);
  assert.equal(clampPollSeconds('7'), 7);
  assert.equal(clampPollSeconds(2.5), 2.5);
});

test('happy path: offer, confirm, poll, contract; the record is gone afterwards', async () => {
  const { cb, id } = await issue();
  const store = memoryStore();
  const session = new ImportSession(cb, { store, signal: life.signal });
  const w = watch(session);
  await session.start();
  assert.equal(session.state, 'offered');
  assert.equal(session.offer?.caption, 'She-Token generation');
  assert.equal(store.map.get(cb)?.phase, 'offered');
  await session.confirm(SHORT);
  await w.until(() => w.contracts.length === 1, 'the contract');
  assert.deepEqual(w.states, ['offered', 'confirming', 'polling', 'received']);
  const { bytes, base64Contract, address } = w.contracts[0]!;
  assert.equal(address, SHORT);
  assert.equal(Buffer.from(bytes).toString('base64'), base64Contract);
  // The contract names the chosen address as its owner, and the event says what arrived.
  assert.deepEqual(summarizeContract(bytes).owner, [SHORT]);
  assert.deepEqual(w.contracts[0]!.summary, summarizeContract(bytes));
  assert.deepEqual(
    [w.contracts[0]!.summary.kind, w.contracts[0]!.summary.amount, w.contracts[0]!.summary.unit, w.contracts[0]!.summary.issuer.length],
    ['contract', '120', 'SHT', 1],
  );
  await w.until(() => delivered(store, cb), 'the tombstone');
  assertTombstone(store.map.get(cb));
  assert.deepEqual(requests(), ['cb', 'ok', 'check']);
  const ok = sb.log.find((e) => e.path === `/universa/ok/${id}`)!;
  assert.deepEqual(ok.body, { address: SHORT });
  assert.equal(ok.headers['content-type'], 'application/json');
  assert.deepEqual(sb.log.find((e) => e.path.startsWith('/universa/check/'))!.body, {});
});

test('an http cb on a non-loopback host is refused before any request', async () => {
  let calls = 0;
  const counting: typeof fetch = (...args) => (calls++, fetch(...args));
  for (const cb of ['http://192.0.2.1/universa/cb/x', 'http://issuer.example/cb', 'ftp://127.0.0.1/cb', 'not a url']) {
    const session = new ImportSession(cb, { store: null, fetch: counting, signal: life.signal });
    const w = watch(session);
    await session.start();
    assert.equal(session.state, 'failed', cb);
    assert.equal(w.errors[0]?.error.code, 'insecure-url');
    assert.equal(w.errors[0]?.retryable, false);
  }
  assert.equal(calls, 0);
});

test('unusable offers fail clearly and store nothing', async () => {
  const cases: Array<[Omit<KnobBody<'universa', 'fault'>, 'endpoint'>, string, RegExp]> = [
    [{ kind: 'set', field: 'action', value: 'send_money' }, 'bad-offer', /action/],
    [{ kind: 'omit', field: 'check_url' }, 'bad-offer', /check_url/],
    [{ kind: 'omit', field: 'caption' }, 'bad-offer', /caption/],
    [{ kind: 'set', field: 'state', value: 'done' }, 'bad-offer', /state/],
    [{ kind: 'set', field: 'cancel_url', value: true }, 'bad-offer', /cancel_url/],
    [{ kind: 'set', field: 'ok_url', value: 'http://issuer.example/ok' }, 'insecure-url', /ok_url/],
    [{ kind: 'malformed' }, 'bad-response', /JSON/],
    [{ kind: 'status', status: 502 }, '502', /502/],
  ];
  for (const [fault, code, message] of cases) {
    const { cb } = await issue();
    await knob('fault', { endpoint: 'cb', ...fault });
    const store = memoryStore();
    const session = new ImportSession(cb, { store, signal: life.signal });
    const w = watch(session);
    await session.start();
    assert.equal(session.state, 'failed', JSON.stringify(fault));
    assert.equal(String(w.errors[0]?.error.code), code);
    assert.match(w.errors[0]!.error.message, message);
    assert.equal(store.map.size, 0);
    // The issuer's trouble may pass; the user's retry works once it has.
    await session.start();
    assert.equal(session.state, 'offered', `retry after ${JSON.stringify(fault)}`);
  }
});

test('5xx and network errors during polling back off and recover; nothing is lost', async () => {
  const { cb } = await issue();
  const store = memoryStore();
  const session = new ImportSession(cb, { store, retryMs: 30, signal: life.signal });
  const w = watch(session);
  await session.start();
  await knob('fault', { endpoint: 'ok', kind: 'status', status: 503 });
  await knob('fault', { endpoint: 'check', kind: 'status', status: 500, times: 3 });
  await session.confirm(SHORT);
  await w.until(() => w.contracts.length === 1, 'the contract');
  const codes = w.errors.map((e) => [e.error.code, e.retryable]);
  assert.deepEqual(codes, [
    [503, true],
    [500, true],
    [500, true],
    [500, true],
  ]);
  assert.equal(session.error, undefined, 'cleared by success');
  const checks = sb.log.filter((e) => e.path.startsWith('/universa/check/')).map((e) => e.time);
  assert.equal(checks.length, 4);
  // 30, 60, 120 ms: each gap at least the backoff.
  assert.ok(checks[2]! - checks[1]! >= 55 && checks[3]! - checks[2]! >= 110, `backoff ${checks.map((t) => t - checks[0]!)}`);
});

test('an invalid base64 contract is reported and the record kept until a good one comes', async () => {
  const { cb } = await issue();
  const store = memoryStore();
  const session = new ImportSession(cb, { store, retryMs: 20, signal: life.signal });
  const w = watch(session);
  await session.start();
  await knob('fault', { endpoint: 'check', kind: 'corrupt-contract' });
  const seen: Array<string | undefined> = [];
  session.on('error', () => seen.push(store.map.get(cb)?.phase));
  await session.confirm(SHORT);
  await w.until(() => w.contracts.length === 1, 'the contract');
  assert.equal(w.errors[0]?.error.code, 'bad-contract');
  assert.deepEqual(seen, ['polling'], 'record still there when the error was reported');
});

test('huge poll_seconds from the issuer is clamped to 300 s', async () => {
  const { cb } = await issue();
  const store = memoryStore();
  const session = new ImportSession(cb, { store, signal: life.signal });
  const w = watch(session);
  await session.start();
  await knob('fault', { endpoint: 'ok', kind: 'set', field: 'poll_seconds', value: 1e9 });
  const t0 = Date.now();
  await session.confirm(SHORT);
  await w.until(() => store.map.get(cb)?.phase === 'polling', 'polling');
  const next = store.map.get(cb)!.nextPollAt! - t0;
  assert.ok(next >= 299_000 && next <= 301_000, `next poll in ${next} ms`);
  session.dispose();
});

for (const [what, fault, oks] of [
  ['a request without an answer', { endpoint: 'check', kind: 'slow' }, 1],
  // The headers came, the body did not: still a timeout, never "the issuer refused the address".
  ['an answer cut off mid-body', { endpoint: 'ok', kind: 'stall' }, 2],
] as const) {
  test(`${what} times out and is retried`, async () => {
    const { cb } = await issue();
    const session = new ImportSession(cb, { store: memoryStore(), retryMs: 10, requestTimeoutMs: 200, signal: life.signal });
    const w = watch(session);
    await session.start();
    await knob('fault', { ...fault, ms: 1000 });
    await session.confirm(SHORT);
    await w.until(() => w.contracts.length === 1, 'the contract');
    assert.equal(w.errors[0]?.error.code, 'timeout');
    assert.equal(w.errors[0]?.retryable, true);
    assert.equal(w.states.lastIndexOf('offered'), 0, `never back to the offer: ${w.states.join(',')}`);
    assert.equal(requests().filter((r) => r === 'ok').length, oks);
  });
}

test('the issuer refusing the address returns to the offer', async () => {
  const { cb } = await issue();
  const store = memoryStore();
  const session = new ImportSession(cb, { store, signal: life.signal });
  const w = watch(session);
  await session.start();
  await knob('fault', { endpoint: 'ok', kind: 'status', status: 409 });
  await session.confirm(SHORT);
  await w.until(() => session.state === 'offered' && w.errors.length === 1, 'back to offered');
  assert.deepEqual([w.errors[0]!.error.code, w.errors[0]!.retryable], [409, false]);
  assert.equal(store.map.get(cb)?.phase, 'offered');
  await session.confirm(SHORT);
  await w.until(() => w.contracts.length === 1, 'the contract after a second try');
});

test('cancel POSTs cancel_url and forgets the record; an issuer-side cancel does too', async () => {
  const { cb, id } = await issue();
  const store = memoryStore();
  const session = new ImportSession(cb, { store, signal: life.signal });
  const w = watch(session);
  await session.start();
  await session.cancel();
  assert.equal(session.state, 'cancelled');
  assert.equal(store.map.size, 0);
  assert.deepEqual(requests(), ['cb', 'cancel']);
  assert.equal((await knob('inspect', { id })).state, 'cancelled');
  assert.deepEqual(w.states, ['offered', 'cancelled']);

  const other = await issue({ twoPhase: true });
  const polling = new ImportSession(other.cb, { store, signal: life.signal });
  const pw = watch(polling);
  await polling.start();
  await polling.confirm(SHORT);
  await pw.until(() => store.map.get(other.cb)?.phase === 'polling', 'polling');
  // The issuer cancels on its side (e.g. the user declined in the confirmation e-mail).
  await fetch(`${sb.url}/universa/cancel/${other.id}`, { method: 'POST', body: '{}' });
  await pw.until(() => polling.state === 'cancelled', 'cancelled by the issuer');
  assert.equal(store.map.size, 0);
});

test('resuming a polling record checks at once and never re-sends ok_url', async () => {
  const { cb, id } = await issue({ twoPhase: true });
  const store = memoryStore();
  const first = new ImportSession(cb, { store, signal: life.signal });
  const fw = watch(first);
  await first.start();
  await first.confirm(SHORT);
  await fw.until(() => store.map.get(cb)?.issuerState === 'in_progress' && requests().includes('check'), 'first check');
  first.dispose(); // the page closes
  await knob('confirm', { id });
  const t0 = Date.now();
  const [second] = await resumePendingImports({ store, signal: life.signal, onSession: (s) => void watch(s) });
  const sw = watch(second!);
  await sw.until(() => sw.contracts.length === 1, 'the contract');
  const checks = sb.log.filter((e) => e.path === `/universa/check/${id}` && e.time >= t0);
  assert.ok(checks[0]!.time - t0 < 500, 'first check right away');
  assert.equal(requests().filter((r) => r === 'ok').length, 1);
  assert.equal(second!.address, SHORT);
  await sw.until(() => delivered(store, cb), 'the tombstone');
});

test('a received contract stays stored, and is announced again on the next load, until the app acknowledges it', async () => {
  const { cb } = await issue();
  const store = memoryStore();
  const session = new ImportSession(cb, { store, signal: life.signal });
  const w = watch(session, { acknowledge: false });
  await session.start();
  await session.confirm(SHORT);
  await w.until(() => w.contracts.length === 1, 'the contract');
  assert.equal(store.map.get(cb)?.phase, 'received');

  // The next load: resumed from the record, announced again, still not acknowledged.
  const again: ImportSessionEvents['contract'][] = [];
  const onSession = (s: ImportSession) => s.addEventListener('contract', ({ detail }) => again.push(detail));
  const [resumed] = await resumePendingImports({ store, signal: life.signal, onSession });
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    again.map((c) => c.base64Contract),
    [w.contracts[0]!.base64Contract],
  );
  assert.equal(resumed!.state, 'received');
  assert.equal(store.map.get(cb)?.phase, 'received');
  assert.equal(requests().filter((r) => r === 'check').length, 1, 'announced from the record, not fetched again');

  await again[0]!.acknowledge();
  assertTombstone(store.map.get(cb));
  assert.deepEqual(await resumePendingImports({ store, signal: life.signal }), [], 'a tombstone is not resumed');
});

test('acknowledge() before the contract arrived is refused and keeps the record', async () => {
  const { cb } = await issue();
  const store = memoryStore();
  const session = new ImportSession(cb, { store, signal: life.signal });
  await session.start();
  await assert.rejects(session.acknowledge(), (err: UploadElementsError) => err.code === 'bad-state');
  assert.equal(store.map.get(cb)?.phase, 'offered');
});

test('the deprecated on("contract") acknowledges by listening, as it always did', async () => {
  const { cb } = await issue();
  const store = memoryStore();
  const session = new ImportSession(cb, { store, signal: life.signal });
  await session.start();
  await session.confirm(SHORT);
  const seen = { received: false };
  session.on('state', (d) => (seen.received = d.state === 'received'));
  for (let i = 0; i < 100 && !seen.received; i++) await new Promise((r) => setTimeout(r, 50));
  // No `contract` listener: stored for a page that listens.
  assert.equal(store.map.get(cb)?.phase, 'received');
  const resumed = await resumePendingImports({ store, signal: life.signal, onSession: (s) => s.on('contract', () => undefined) });
  assert.equal(resumed.length, 1);
  for (let i = 0; i < 50 && !delivered(store, cb); i++) await new Promise((r) => setTimeout(r, 10));
  assertTombstone(store.map.get(cb));
});

test('state and contract are read-only', () => {
  const session = new ImportSession('https://issuer.example/cb', { store: null, signal: life.signal });
  assert.throws(() => ((session as { state: ImportState }).state = 'received'), TypeError);
  assert.throws(() => ((session as { contract: unknown }).contract = { base64Contract: '', bytes: new Uint8Array() }), TypeError);
  assert.equal(session.state, 'idle');
});

test('opening the link again after an address was chosen fetches the contract without asking', async () => {
  const { cb, id } = await issue();
  await fetch(`${sb.url}/universa/ok/${id}`, { method: 'POST', body: JSON.stringify({ address: SHORT }) });
  const session = new ImportSession(cb, { store: memoryStore(), signal: life.signal });
  const w = watch(session);
  await session.start();
  await w.until(() => w.contracts.length === 1, 'the contract');
  assert.ok(!w.states.includes('offered'));
  assert.deepEqual(requests(), ['ok', 'cb', 'check']);
});

test('isRetryable: HTTP statuses only from our errors; a browser exception is worth another try', () => {
  assert.equal(isRetryable(new DOMException('Connection to Indexed Database server lost', 'UnknownError')), true);
  assert.equal(isRetryable(new DOMException('signal timed out', 'TimeoutError')), true);
  assert.equal(isRetryable(new UploadElementsError(503, 'HTTP 503')), true);
  assert.equal(isRetryable(new UploadElementsError(404, 'HTTP 404')), false);
  assert.equal(isRetryable(new UploadElementsError('bad-offer', 'missing caption')), false);
});

test('storage that cannot be read: the import goes on with its record in memory and says so', async () => {
  const { cb } = await issue();
  const store = memoryStore();
  store.get = async () => {
    throw new DOMException('Connection to Indexed Database server lost', 'UnknownError');
  };
  const session = new ImportSession(cb, { store, signal: life.signal });
  const w = watch(session);
  await session.start();
  assert.equal(session.state, 'offered');
  assert.equal(w.errors[0]?.error.code, 'storage');
  assert.equal(w.errors[0]?.retryable, true);
  await session.confirm(SHORT);
  await w.until(() => w.contracts.length === 1, 'the contract');
  assert.deepEqual(requests(), ['cb', 'ok', 'check']);
});

test('storage that cannot be written: OK still sends the address and the contract comes', async () => {
  const { cb } = await issue();
  const store = memoryStore();
  const session = new ImportSession(cb, { store, signal: life.signal });
  const w = watch(session);
  await session.start();
  store.put = async () => {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  };
  await session.confirm(SHORT);
  await w.until(() => w.contracts.length === 1, 'the contract');
  assert.deepEqual(requests(), ['cb', 'ok', 'check']);
  assert.equal(w.states.lastIndexOf('offered'), 0, `never back to the offer: ${w.states.join(',')}`);
  assert.ok(w.errors.some((e) => e.error.code === 'storage' && e.retryable));
});

test('disposed while the contract is being stored: nothing is announced, the next page delivers it', async () => {
  const { cb } = await issue();
  const store = memoryStore();
  const page = new AbortController();
  const session = new ImportSession(cb, { store, signal: page.signal });
  const w = watch(session);
  await session.start();
  const put = store.put;
  let release: (() => void) | undefined;
  store.put = async (r) => {
    if (r.phase === 'received') await new Promise<void>((resolve) => (release = resolve));
    return put(r);
  };
  await session.confirm(SHORT);
  await w.until(() => release !== undefined, 'the contract being stored');
  page.abort(); // the page closes while IndexedDB writes
  release!();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(w.contracts.length, 0, 'not announced by a disposed session');
  assert.equal(store.map.get(cb)?.phase, 'received');

  store.put = put;
  const heard: string[] = [];
  const onSession = (s: ImportSession) =>
    s.addEventListener('contract', ({ detail }) => (heard.push(detail.address ?? ''), void detail.acknowledge()));
  await resumePendingImports({ store, signal: life.signal, onSession });
  for (let i = 0; i < 100 && !delivered(store, cb); i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(heard, [SHORT]);
  assertTombstone(store.map.get(cb));
});

test('an ok_url answering 204 without a body is an answer: polling starts at the default pace', async () => {
  const { cb } = await issue();
  const session = new ImportSession(cb, { store: memoryStore(), signal: life.signal });
  const w = watch(session);
  await session.start();
  await knob('fault', { endpoint: 'ok', kind: 'empty', status: 204 });
  await session.confirm(SHORT);
  await w.until(() => w.contracts.length === 1, 'the contract', 9000);
  assert.deepEqual(requests(), ['cb', 'ok', 'check'], 'ok_url sent once');
  assert.deepEqual(w.errors, []);
  const [ok, check] = ['ok', 'check'].map((k) => sb.log.find((e) => e.path.startsWith(`/universa/${k}/`))!.time);
  assert.ok(check! - ok! >= 4500, `no poll_seconds: the first check after 5 s (was ${check! - ok!} ms)`);
});

describe('trust boundaries (the link comes from anyone)', () => {
  describe("when the offer's URLs leave cb's origin", () => {
    for (const field of ['ok_url', 'check_url', 'cancel_url'] as const) {
      it(`${field} on another origin is a bad offer, and nothing is stored or sent there`, async () => {
        const { cb } = await issue();
        // Loopback http is a secure URL, but another port is another origin.
        await knob('fault', { endpoint: 'cb', kind: 'set', field, value: 'http://127.0.0.1:9/collect' });
        const store = memoryStore();
        const session = new ImportSession(cb, { store, signal: life.signal });
        const w = watch(session);
        await session.start();
        assert.equal(session.state, 'failed');
        assert.equal(w.errors[0]?.error.code, 'bad-offer');
        assert.match(w.errors[0]!.error.message, new RegExp(`${field} is not on cb's origin`));
        assert.equal(store.map.size, 0);
      });
    }
  });

  describe('when a stored record was tampered with (another script on the origin, an old version)', () => {
    it('the record is checked again on resume: refused, dropped, and its URL never called', async () => {
      const { cb } = await issue();
      const store = memoryStore();
      const first = new ImportSession(cb, { store, signal: life.signal });
      await first.start();
      first.dispose();
      const record = store.map.get(cb)!;
      store.map.set(cb, { ...record, phase: 'polling', offer: { ...record.offer, check_url: 'http://127.0.0.1:9/collect' } });
      let calls = 0;
      const counting: typeof fetch = (...args) => (calls++, fetch(...args));
      const errors: string[] = [];
      await resumePendingImports({
        store,
        fetch: counting,
        signal: life.signal,
        onSession: (s) => s.addEventListener('error', ({ detail }) => errors.push(String(detail.error.code))),
      });
      for (let i = 0; i < 50 && !errors.length; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(errors, ['bad-offer']);
      assert.equal(store.map.size, 0);
      assert.equal(calls, 0);
    });
  });

  describe('when an answer is larger than the caps', () => {
    it('an offer over 64 KiB is refused while it streams, and not stored', async () => {
      const { cb } = await issue();
      await knob('fault', { endpoint: 'cb', kind: 'set', field: 'text', value: 'x'.repeat(100 * 1024) });
      const store = memoryStore();
      const session = new ImportSession(cb, { store, signal: life.signal });
      const w = watch(session);
      await session.start();
      assert.equal(session.state, 'failed');
      assert.equal(w.errors[0]?.error.code, 'too-large');
      assert.equal(store.map.size, 0);
    });

    it('a contract over maxContractBytes is refused and reported; the record stays for a later check', async () => {
      const { cb } = await issue();
      const store = memoryStore();
      const session = new ImportSession(cb, { store, signal: life.signal, maxContractBytes: 64 });
      const w = watch(session);
      await session.start();
      await session.confirm(SHORT);
      await w.until(() => w.errors.some((e) => e.error.code === 'too-large'), 'the too-large error');
      assert.equal(w.contracts.length, 0);
      assert.notEqual(store.map.get(cb), undefined);
      assert.equal(store.map.get(cb)?.base64Contract, undefined);
    });
  });
});

describe('delivered once per cb (tombstones)', () => {
  /** Runs an import for a fresh cb to its acknowledged delivery; answers the cb, store and first contract. */
  async function deliveredImport() {
    const { cb, id } = await issue();
    const store = memoryStore();
    const first = new ImportSession(cb, { store, signal: life.signal });
    const w = watch(first);
    await first.start();
    await first.confirm(SHORT);
    await w.until(() => delivered(store, cb), 'the acknowledged delivery');
    return { cb, id, store, contract: w.contracts[0]! };
  }

  describe('when the same cb is opened again after its delivery was acknowledged', () => {
    it('goes straight to received with no second contract event, and offers the same bytes again', async () => {
      const { cb, store, contract } = await deliveredImport();
      const again = new ImportSession(cb, { store, signal: life.signal });
      const w = watch(again);
      await again.start();
      await w.until(() => again.contract !== undefined, 'the contract fetched for the download');
      assert.equal(again.state, 'received');
      assert.deepEqual(w.contracts, []);
      assert.equal(again.contract!.base64Contract, contract.base64Contract);
      const sha = createHash('sha256').update(contract.bytes).digest('hex');
      assert.equal(again.delivered?.sha256, sha);
      assert.ok(Math.abs(again.delivered!.at - Date.now()) < 60_000);
    });

    it('never POSTs cb or ok_url again', async () => {
      const { cb, store } = await deliveredImport();
      const before = requests().length;
      const again = new ImportSession(cb, { store, signal: life.signal });
      await again.start();
      await watch(again).until(() => again.contract !== undefined, 'the contract');
      assert.deepEqual(requests().slice(before), ['check']);
    });
  });

  describe('when the issuer no longer answers the contract', () => {
    it('is still received (delivered is set), only without bytes to download', async () => {
      const { cb, store } = await deliveredImport();
      await knob('fault', { endpoint: 'check', kind: 'status', status: 503, times: 5 });
      const again = new ImportSession(cb, { store, signal: life.signal });
      const w = watch(again);
      await again.start();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(again.state, 'received');
      assert.notEqual(again.delivered, undefined);
      assert.equal(again.contract, undefined);
      assert.deepEqual(w.contracts, []);
    });
  });
});
