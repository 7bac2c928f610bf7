import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
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

/**
 * Runs `run` once, in a `before` of the describe it is called in, on a fresh sandbox and with a
 * signal of its own (aborted after that describe), and hands the describe's its what it recorded.
 * The flow is done once however many behaviours the its check.
 */
function recordOnce<T>(run: (signal: AbortSignal) => Promise<T>): () => T {
  let recorded: T | undefined;
  const own = new AbortController();
  before(async () => {
    sb.reset();
    recorded = await run(own.signal);
  });
  after(() => own.abort());
  return () => recorded as T;
}

/** Waits for `promise` to settle (its rejection handled), so an `it` can assert on it later. */
async function settled(promise: Promise<unknown>): Promise<void> {
  await promise.catch(() => undefined);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('clampPollSeconds', () => {
  describe('when poll_seconds is missing or not a finite number', () => {
    it('falls back to 5 s', () => {
      assert.equal(clampPollSeconds(undefined), 5);
      assert.equal(clampPollSeconds('soon'), 5);
      assert.equal(clampPollSeconds(NaN), 5);
      assert.equal(clampPollSeconds(null), 5);
      assert.equal(clampPollSeconds(Infinity), 5);
    });
  });

  describe('when poll_seconds is 0 or negative', () => {
    it('lands on 1 s', () => {
      assert.equal(clampPollSeconds(0), 1);
      assert.equal(clampPollSeconds(-30), 1);
    });
  });

  describe('when poll_seconds is huge', () => {
    it('lands on 300 s', () => {
      assert.equal(clampPollSeconds(1e9), 300);
    });
  });

  describe('when poll_seconds is a usable number, even as a string or a fraction', () => {
    it('keeps it', () => {
      assert.equal(clampPollSeconds('7'), 7);
      assert.equal(clampPollSeconds(2.5), 2.5);
    });
  });
});

describe('isRetryable', () => {
  describe('when a browser exception was thrown', () => {
    it('is worth another try', () => {
      assert.equal(isRetryable(new DOMException('Connection to Indexed Database server lost', 'UnknownError')), true);
      assert.equal(isRetryable(new DOMException('signal timed out', 'TimeoutError')), true);
    });
  });

  describe('when one of our errors carries an HTTP status', () => {
    it('retries a 5xx', () => {
      assert.equal(isRetryable(new UploadElementsError(503, 'HTTP 503')), true);
    });

    it('does not retry a 4xx', () => {
      assert.equal(isRetryable(new UploadElementsError(404, 'HTTP 404')), false);
    });
  });

  describe('when one of our errors carries no HTTP status', () => {
    it('does not retry it', () => {
      assert.equal(isRetryable(new UploadElementsError('bad-offer', 'missing caption')), false);
    });
  });
});

describe('ImportSession', () => {
  describe('when the user confirms an offer and the contract comes (happy path)', () => {
    const recorded = recordOnce(async (signal) => {
      const { cb, id } = await issue();
      const store = memoryStore();
      const session = new ImportSession(cb, { store, signal });
      const w = watch(session);
      await session.start();
      const startedState = session.state;
      const caption = session.offer?.caption;
      const startedPhase = store.map.get(cb)?.phase;
      await session.confirm(SHORT);
      await w.until(() => w.contracts.length === 1, 'the contract');
      const states = [...w.states];
      await w.until(() => delivered(store, cb), 'the tombstone');
      return {
        startedState,
        caption,
        startedPhase,
        states,
        contract: w.contracts[0]!,
        record: store.map.get(cb),
        requests: requests(),
        ok: sb.log.find((e) => e.path === `/universa/ok/${id}`)!,
        check: sb.log.find((e) => e.path.startsWith('/universa/check/'))!,
      };
    });

    it('stands at the offer once started', () => {
      assert.equal(recorded().startedState, 'offered');
    });

    it("shows the offer's caption", () => {
      assert.equal(recorded().caption, 'She-Token generation');
    });

    it('stores the record as offered', () => {
      assert.equal(recorded().startedPhase, 'offered');
    });

    it('goes offered → confirming → polling → received', () => {
      assert.deepEqual(recorded().states, ['offered', 'confirming', 'polling', 'received']);
    });

    it('hands over the contract for the chosen address', () => {
      assert.equal(recorded().contract.address, SHORT);
    });

    it('hands over the bytes and their base64 alike', () => {
      const { bytes, base64Contract } = recorded().contract;
      assert.equal(Buffer.from(bytes).toString('base64'), base64Contract);
    });

    it('receives a contract that names the chosen address as its owner', () => {
      assert.deepEqual(summarizeContract(recorded().contract.bytes).owner, [SHORT]);
    });

    it('says in the event what arrived', () => {
      const { summary, bytes } = recorded().contract;
      assert.deepEqual(summary, summarizeContract(bytes));
      assert.deepEqual([summary.kind, summary.amount, summary.unit, summary.issuer.length], ['contract', '120', 'SHT', 1]);
    });

    it('leaves only a tombstone once the app acknowledged it', () => {
      assertTombstone(recorded().record);
    });

    it('calls cb, ok_url and check_url, in that order', () => {
      assert.deepEqual(recorded().requests, ['cb', 'ok', 'check']);
    });

    it('POSTs the chosen address to ok_url as JSON', () => {
      const { ok } = recorded();
      assert.deepEqual(ok.body, { address: SHORT });
      assert.equal(ok.headers['content-type'], 'application/json');
    });

    it('POSTs an empty object to check_url', () => {
      assert.deepEqual(recorded().check.body, {});
    });
  });

  describe('when cb is http on a non-loopback host, or not http(s), or not a URL', () => {
    const cbs = ['http://192.0.2.1/universa/cb/x', 'http://issuer.example/cb', 'ftp://127.0.0.1/cb', 'not a url'];
    const recorded = recordOnce(async (signal) => {
      let calls = 0;
      const counting: typeof fetch = (...args) => (calls++, fetch(...args));
      const results = [];
      for (const cb of cbs) {
        const session = new ImportSession(cb, { store: null, fetch: counting, signal });
        const w = watch(session);
        await session.start();
        results.push({ cb, state: session.state, error: w.errors[0] });
      }
      return { results, calls };
    });

    it('fails', () => {
      for (const { cb, state } of recorded().results) assert.equal(state, 'failed', cb);
    });

    it('reports an insecure URL', () => {
      for (const { error } of recorded().results) assert.equal(error?.error.code, 'insecure-url');
    });

    it('does not offer a retry', () => {
      for (const { error } of recorded().results) assert.equal(error?.retryable, false);
    });

    it('sends no request at all', () => {
      assert.equal(recorded().calls, 0);
    });
  });

  describe('when the offer is unusable (a wrong or missing field, a foreign ok_url, junk, a 502)', () => {
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
    const recorded = recordOnce(async (signal) => {
      const results = [];
      for (const [fault, code, message] of cases) {
        const { cb } = await issue();
        await knob('fault', { endpoint: 'cb', ...fault });
        const store = memoryStore();
        const session = new ImportSession(cb, { store, signal });
        const w = watch(session);
        await session.start();
        const state = session.state;
        const stored = store.map.size;
        // The issuer's trouble may pass; the user's retry works once it has.
        await session.start();
        results.push({ fault: JSON.stringify(fault), code, message, state, error: w.errors[0]!, stored, retried: session.state });
      }
      return results;
    });

    it('fails', () => {
      for (const { fault, state } of recorded()) assert.equal(state, 'failed', fault);
    });

    it('reports what kind of trouble it was', () => {
      for (const { code, error } of recorded()) assert.equal(String(error.error.code), code);
    });

    it('says what is wrong with it', () => {
      for (const { message, error } of recorded()) assert.match(error.error.message, message);
    });

    it('stores nothing', () => {
      for (const { stored } of recorded()) assert.equal(stored, 0);
    });

    it("lets the user retry, which works once the issuer's trouble passed", () => {
      for (const { fault, retried } of recorded()) assert.equal(retried, 'offered', `retry after ${fault}`);
    });
  });

  describe('when ok_url answers a 5xx and check_url three more while polling', () => {
    const recorded = recordOnce(async (signal) => {
      const { cb } = await issue();
      const store = memoryStore();
      const session = new ImportSession(cb, { store, retryMs: 30, signal });
      const w = watch(session);
      await session.start();
      await knob('fault', { endpoint: 'ok', kind: 'status', status: 503 });
      await knob('fault', { endpoint: 'check', kind: 'status', status: 500, times: 3 });
      await session.confirm(SHORT);
      await w.until(() => w.contracts.length === 1, 'the contract');
      return {
        codes: w.errors.map((e) => [e.error.code, e.retryable]),
        error: session.error,
        contracts: w.contracts.length,
        checks: sb.log.filter((e) => e.path.startsWith('/universa/check/')).map((e) => e.time),
      };
    });

    it('reports each failure as one worth retrying', () => {
      assert.deepEqual(recorded().codes, [
        [503, true],
        [500, true],
        [500, true],
        [500, true],
      ]);
    });

    it('still receives the contract (nothing is lost)', () => {
      assert.equal(recorded().contracts, 1);
    });

    it('clears the error once it succeeds', () => {
      assert.equal(recorded().error, undefined, 'cleared by success');
    });

    it('checks again until the issuer answers', () => {
      assert.equal(recorded().checks.length, 4);
    });

    it('backs off 30, 60, 120 ms between checks', () => {
      const { checks } = recorded();
      // Each gap at least the backoff.
      assert.ok(checks[2]! - checks[1]! >= 55 && checks[3]! - checks[2]! >= 110, `backoff ${checks.map((t) => t - checks[0]!)}`);
    });
  });

  describe('when check_url answers an invalid base64 contract, then a good one', () => {
    const recorded = recordOnce(async (signal) => {
      const { cb } = await issue();
      const store = memoryStore();
      const session = new ImportSession(cb, { store, retryMs: 20, signal });
      const w = watch(session);
      await session.start();
      await knob('fault', { endpoint: 'check', kind: 'corrupt-contract' });
      const seen: Array<string | undefined> = [];
      session.on('error', () => seen.push(store.map.get(cb)?.phase));
      await session.confirm(SHORT);
      await w.until(() => w.contracts.length === 1, 'the contract');
      return { error: w.errors[0], seen };
    });

    it('reports a bad contract', () => {
      assert.equal(recorded().error?.error.code, 'bad-contract');
    });

    it('keeps the record until a good one comes', () => {
      assert.deepEqual(recorded().seen, ['polling'], 'record still there when the error was reported');
    });
  });

  describe('when the issuer asks for a huge poll_seconds', () => {
    it('waits 300 s for the next check', async () => {
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
  });

  for (const [what, fault, oks] of [
    ['a request gets no answer', { endpoint: 'check', kind: 'slow' }, 1],
    // The headers came, the body did not: still a timeout, never "the issuer refused the address".
    ['an answer is cut off mid-body', { endpoint: 'ok', kind: 'stall' }, 2],
  ] as const) {
    describe(`when ${what}`, () => {
      const recorded = recordOnce(async (signal) => {
        const { cb } = await issue();
        const session = new ImportSession(cb, { store: memoryStore(), retryMs: 10, requestTimeoutMs: 200, signal });
        const w = watch(session);
        await session.start();
        await knob('fault', { ...fault, ms: 1000 });
        await session.confirm(SHORT);
        await w.until(() => w.contracts.length === 1, 'the contract');
        return { error: w.errors[0], states: w.states, oks: requests().filter((r) => r === 'ok').length };
      });

      it('reports a timeout', () => {
        assert.equal(recorded().error?.error.code, 'timeout');
      });

      it('retries it', () => {
        assert.equal(recorded().error?.retryable, true);
      });

      it('never goes back to the offer', () => {
        const { states } = recorded();
        assert.equal(states.lastIndexOf('offered'), 0, `never back to the offer: ${states.join(',')}`);
      });

      it(oks === 1 ? 'sends ok_url once' : 'sends ok_url again', () => {
        assert.equal(recorded().oks, oks);
      });
    });
  }

  describe('when the issuer refuses the address', () => {
    const recorded = recordOnce(async (signal) => {
      const { cb } = await issue();
      const store = memoryStore();
      const session = new ImportSession(cb, { store, signal });
      const w = watch(session);
      await session.start();
      await knob('fault', { endpoint: 'ok', kind: 'status', status: 409 });
      await session.confirm(SHORT);
      await w.until(() => session.state === 'offered' && w.errors.length === 1, 'back to offered');
      const refused = { state: session.state, error: w.errors[0]!, phase: store.map.get(cb)?.phase };
      await session.confirm(SHORT);
      await w.until(() => w.contracts.length === 1, 'the contract after a second try');
      return { ...refused, contracts: w.contracts.length };
    });

    it('returns to the offer', () => {
      assert.equal(recorded().state, 'offered');
    });

    it("reports the issuer's 409, not to be retried as is", () => {
      const { error } = recorded();
      assert.deepEqual([error.error.code, error.retryable], [409, false]);
    });

    it('keeps the record as offered', () => {
      assert.equal(recorded().phase, 'offered');
    });

    it('lets the user confirm again, and the contract comes', () => {
      assert.equal(recorded().contracts, 1);
    });
  });

  describe('when the user cancels the offer', () => {
    const recorded = recordOnce(async (signal) => {
      const { cb, id } = await issue();
      const store = memoryStore();
      const session = new ImportSession(cb, { store, signal });
      const w = watch(session);
      await session.start();
      await session.cancel();
      return {
        state: session.state,
        stored: store.map.size,
        requests: requests(),
        issuerState: (await knob('inspect', { id })).state,
        states: w.states,
      };
    });

    it('is cancelled', () => {
      assert.equal(recorded().state, 'cancelled');
    });

    it('goes offered → cancelled', () => {
      assert.deepEqual(recorded().states, ['offered', 'cancelled']);
    });

    it('forgets the record', () => {
      assert.equal(recorded().stored, 0);
    });

    it('POSTs cancel_url', () => {
      assert.deepEqual(recorded().requests, ['cb', 'cancel']);
    });

    it('leaves the offer cancelled at the issuer', () => {
      assert.equal(recorded().issuerState, 'cancelled');
    });
  });

  describe('when the issuer cancels on its side while the session polls (e.g. declined in the confirmation e-mail)', () => {
    const recorded = recordOnce(async (signal) => {
      const other = await issue({ twoPhase: true });
      const store = memoryStore();
      const polling = new ImportSession(other.cb, { store, signal });
      const pw = watch(polling);
      await polling.start();
      await polling.confirm(SHORT);
      await pw.until(() => store.map.get(other.cb)?.phase === 'polling', 'polling');
      await fetch(`${sb.url}/universa/cancel/${other.id}`, { method: 'POST', body: '{}' });
      await pw.until(() => polling.state === 'cancelled', 'cancelled by the issuer');
      return { state: polling.state, stored: store.map.size };
    });

    it('is cancelled', () => {
      assert.equal(recorded().state, 'cancelled');
    });

    it('forgets the record', () => {
      assert.equal(recorded().stored, 0);
    });
  });

  describe('when a polling record is resumed on the next load', () => {
    const recorded = recordOnce(async (signal) => {
      const { cb, id } = await issue({ twoPhase: true });
      const store = memoryStore();
      const first = new ImportSession(cb, { store, signal });
      const fw = watch(first);
      await first.start();
      await first.confirm(SHORT);
      await fw.until(() => store.map.get(cb)?.issuerState === 'in_progress' && requests().includes('check'), 'first check');
      first.dispose(); // the page closes
      await knob('confirm', { id });
      const t0 = Date.now();
      const [second] = await resumePendingImports({ store, signal, onSession: (s) => void watch(s) });
      const sw = watch(second!);
      await sw.until(() => sw.contracts.length === 1, 'the contract');
      const checks = sb.log.filter((e) => e.path === `/universa/check/${id}` && e.time >= t0);
      const oks = requests().filter((r) => r === 'ok').length;
      await sw.until(() => delivered(store, cb), 'the tombstone');
      return { t0, checks, oks, address: second!.address, delivered: delivered(store, cb) };
    });

    it('checks at once', () => {
      const { checks, t0 } = recorded();
      assert.ok(checks[0]!.time - t0 < 500, 'first check right away');
    });

    it('never re-sends ok_url', () => {
      assert.equal(recorded().oks, 1);
    });

    it('goes on for the chosen address', () => {
      assert.equal(recorded().address, SHORT);
    });

    it('delivers the contract', () => {
      assert.equal(recorded().delivered, true);
    });
  });

  describe('when a received contract is not acknowledged by the app', () => {
    const recorded = recordOnce(async (signal) => {
      const { cb } = await issue();
      const store = memoryStore();
      const session = new ImportSession(cb, { store, signal });
      const w = watch(session, { acknowledge: false });
      await session.start();
      await session.confirm(SHORT);
      await w.until(() => w.contracts.length === 1, 'the contract');
      const receivedPhase = store.map.get(cb)?.phase;

      // The next load: resumed from the record, announced again, still not acknowledged.
      const again: ImportSessionEvents['contract'][] = [];
      const onSession = (s: ImportSession) => s.addEventListener('contract', ({ detail }) => again.push(detail));
      const [resumed] = await resumePendingImports({ store, signal, onSession });
      await pause(50);
      const nextLoad = {
        announced: again.map((c) => c.base64Contract),
        state: resumed!.state,
        phase: store.map.get(cb)?.phase,
        checks: requests().filter((r) => r === 'check').length,
      };

      await again[0]!.acknowledge();
      const record = store.map.get(cb);
      const resumedAfter = await resumePendingImports({ store, signal });
      return { receivedPhase, first: w.contracts[0]!.base64Contract, nextLoad, record, resumedAfter };
    });

    it('keeps it stored', () => {
      assert.equal(recorded().receivedPhase, 'received');
    });

    it('announces it again on the next load', () => {
      const { nextLoad, first } = recorded();
      assert.deepEqual(nextLoad.announced, [first]);
    });

    it('resumes it as received on the next load', () => {
      assert.equal(recorded().nextLoad.state, 'received');
    });

    it('still keeps it stored after the next load', () => {
      assert.equal(recorded().nextLoad.phase, 'received');
    });

    it('announces it from the record, not fetched again', () => {
      assert.equal(recorded().nextLoad.checks, 1, 'announced from the record, not fetched again');
    });

    it('leaves only a tombstone once acknowledged', () => {
      assertTombstone(recorded().record);
    });

    it('does not resume a tombstone', () => {
      assert.deepEqual(recorded().resumedAfter, [], 'a tombstone is not resumed');
    });
  });

  describe('when acknowledge() is called before the contract arrived', () => {
    const recorded = recordOnce(async (signal) => {
      const { cb } = await issue();
      const store = memoryStore();
      const session = new ImportSession(cb, { store, signal });
      await session.start();
      const refusal = session.acknowledge();
      await settled(refusal);
      return { refusal, phase: store.map.get(cb)?.phase };
    });

    it('is refused', async () => {
      await assert.rejects(recorded().refusal, (err: UploadElementsError) => err.code === 'bad-state');
    });

    it('keeps the record', () => {
      assert.equal(recorded().phase, 'offered');
    });
  });

  describe('when the app uses the deprecated on("contract")', () => {
    const recorded = recordOnce(async (signal) => {
      const { cb } = await issue();
      const store = memoryStore();
      const session = new ImportSession(cb, { store, signal });
      await session.start();
      await session.confirm(SHORT);
      const seen = { received: false };
      session.on('state', (d) => (seen.received = d.state === 'received'));
      for (let i = 0; i < 100 && !seen.received; i++) await pause(50);
      const phase = store.map.get(cb)?.phase;
      const resumed = await resumePendingImports({ store, signal, onSession: (s) => s.on('contract', () => undefined) });
      for (let i = 0; i < 50 && !delivered(store, cb); i++) await pause(10);
      return { phase, resumed: resumed.length, record: store.map.get(cb) };
    });

    it('stores a contract while nothing listens, for a page that listens', () => {
      assert.equal(recorded().phase, 'received');
    });

    it('resumes it on the next load', () => {
      assert.equal(recorded().resumed, 1);
    });

    it('acknowledges it by listening, as it always did', () => {
      assertTombstone(recorded().record);
    });
  });

  describe('when an app writes to state or contract', () => {
    it('cannot change the state', () => {
      const session = new ImportSession('https://issuer.example/cb', { store: null, signal: life.signal });
      assert.throws(() => ((session as { state: ImportState }).state = 'received'), TypeError);
      assert.equal(session.state, 'idle');
    });

    it('cannot set a contract', () => {
      const session = new ImportSession('https://issuer.example/cb', { store: null, signal: life.signal });
      assert.throws(() => ((session as { contract: unknown }).contract = { base64Contract: '', bytes: new Uint8Array() }), TypeError);
    });
  });

  describe('when the link is opened again after an address was chosen', () => {
    const recorded = recordOnce(async (signal) => {
      const { cb, id } = await issue();
      await fetch(`${sb.url}/universa/ok/${id}`, { method: 'POST', body: JSON.stringify({ address: SHORT }) });
      const session = new ImportSession(cb, { store: memoryStore(), signal });
      const w = watch(session);
      await session.start();
      await w.until(() => w.contracts.length === 1, 'the contract');
      return { states: w.states, requests: requests() };
    });

    it('does not ask again', () => {
      assert.ok(!recorded().states.includes('offered'));
    });

    it('fetches the contract', () => {
      assert.deepEqual(recorded().requests, ['ok', 'cb', 'check']);
    });
  });

  describe('when storage cannot be read', () => {
    const recorded = recordOnce(async (signal) => {
      const { cb } = await issue();
      const store = memoryStore();
      store.get = async () => {
        throw new DOMException('Connection to Indexed Database server lost', 'UnknownError');
      };
      const session = new ImportSession(cb, { store, signal });
      const w = watch(session);
      await session.start();
      const state = session.state;
      await session.confirm(SHORT);
      await w.until(() => w.contracts.length === 1, 'the contract');
      return { state, error: w.errors[0], requests: requests() };
    });

    it('still shows the offer', () => {
      assert.equal(recorded().state, 'offered');
    });

    it('says storage failed', () => {
      assert.equal(recorded().error?.error.code, 'storage');
    });

    it('says so as worth retrying', () => {
      assert.equal(recorded().error?.retryable, true);
    });

    it('goes on with its record in memory to the contract', () => {
      assert.deepEqual(recorded().requests, ['cb', 'ok', 'check']);
    });
  });

  describe('when storage cannot be written', () => {
    const recorded = recordOnce(async (signal) => {
      const { cb } = await issue();
      const store = memoryStore();
      const session = new ImportSession(cb, { store, signal });
      const w = watch(session);
      await session.start();
      store.put = async () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
      await session.confirm(SHORT);
      await w.until(() => w.contracts.length === 1, 'the contract');
      return { requests: requests(), states: w.states, errors: w.errors };
    });

    it('OK still sends the address and the contract comes', () => {
      assert.deepEqual(recorded().requests, ['cb', 'ok', 'check']);
    });

    it('never goes back to the offer', () => {
      const { states } = recorded();
      assert.equal(states.lastIndexOf('offered'), 0, `never back to the offer: ${states.join(',')}`);
    });

    it('says storage failed, as worth retrying', () => {
      assert.ok(recorded().errors.some((e) => e.error.code === 'storage' && e.retryable));
    });
  });

  describe('when the page closes while the contract is being stored', () => {
    const recorded = recordOnce(async (signal) => {
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
      await pause(50);
      const closed = { announced: w.contracts.length, phase: store.map.get(cb)?.phase };

      store.put = put;
      const heard: string[] = [];
      const onSession = (s: ImportSession) =>
        s.addEventListener('contract', ({ detail }) => (heard.push(detail.address ?? ''), void detail.acknowledge()));
      await resumePendingImports({ store, signal, onSession });
      for (let i = 0; i < 100 && !delivered(store, cb); i++) await pause(10);
      return { ...closed, heard, record: store.map.get(cb) };
    });

    it('announces nothing from the disposed session', () => {
      assert.equal(recorded().announced, 0, 'not announced by a disposed session');
    });

    it('keeps the contract stored as received', () => {
      assert.equal(recorded().phase, 'received');
    });

    it('announces it on the next page, for the chosen address', () => {
      assert.deepEqual(recorded().heard, [SHORT]);
    });

    it('delivers it there', () => {
      assertTombstone(recorded().record);
    });
  });

  describe('when ok_url answers 204 without a body', () => {
    const recorded = recordOnce(async (signal) => {
      const { cb } = await issue();
      const session = new ImportSession(cb, { store: memoryStore(), signal });
      const w = watch(session);
      await session.start();
      await knob('fault', { endpoint: 'ok', kind: 'empty', status: 204 });
      await session.confirm(SHORT);
      await w.until(() => w.contracts.length === 1, 'the contract', 9000);
      const [ok, check] = ['ok', 'check'].map((k) => sb.log.find((e) => e.path.startsWith(`/universa/${k}/`))!.time);
      return { requests: requests(), errors: w.errors, ok: ok!, check: check! };
    });

    it('takes it as an answer: ok_url is sent once', () => {
      assert.deepEqual(recorded().requests, ['cb', 'ok', 'check'], 'ok_url sent once');
    });

    it('reports no error', () => {
      assert.deepEqual(recorded().errors, []);
    });

    it('polls at the default pace: the first check after 5 s', () => {
      const { ok, check } = recorded();
      assert.ok(check - ok >= 4500, `no poll_seconds: the first check after 5 s (was ${check - ok} ms)`);
    });
  });
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
