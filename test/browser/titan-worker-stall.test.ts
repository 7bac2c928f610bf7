// A hashing Worker that took its job and then reads nothing more (a read hung in the browser)
// must not hang the upload: after `stallTimeoutMs` of silence it is terminated and the read starts
// again in a new Worker; a second hang fails with a typed error, and a later try works. Its own
// file: the Worker constructor is replaced for the test.
import { expect } from '@open-wc/testing';
import SparkMD5 from 'spark-md5';
import { hashFile, TitanError } from '../../src/titan/index.js';
import { randomFile, workerWithReplyFilter } from './titan-helpers.js';

const STALL_MS = 1500;

/** Workers made and terminated, and how many of the next jobs posted hang. */
const count = { made: 0, terminated: 0, hangNext: 0 };

/**
 * A Worker whose job, when `count.hangNext` says so, hangs: it says `started` and then nothing
 * (its progress and answer never reach the page). Decided per job, so the idle Worker that
 * md5.ts keeps warm for the next file behaves as a new one would.
 */
class Hanging extends workerWithReplyFilter((worker, event, deliver) => {
  if (!(worker as Hanging).hangs || event.data.type === 'started') deliver();
}) {
  hangs = false;
  constructor(...args: ConstructorParameters<typeof Worker>) {
    super(...args);
    count.made++;
  }
  override postMessage(message: unknown, options?: StructuredSerializeOptions | Transferable[]) {
    this.hangs = count.hangNext > 0 && count.hangNext-- > 0;
    super.postMessage(message, options as StructuredSerializeOptions);
  }
  override terminate() {
    count.terminated++;
    super.terminate();
  }
}

async function withHangingJobs<T>(hanging: number, run: () => Promise<T>) {
  Object.assign(count, { made: 0, terminated: 0, hangNext: hanging });
  const outcome = await run().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  return { made: { ...count }, outcome };
}

describe('hashFile when the Worker stalls after taking its job', () => {
  const file = randomFile(3 * 1024 * 1024 + 5);
  let expected: string;
  const RealWorker = globalThis.Worker;
  before(async () => {
    expected = SparkMD5.ArrayBuffer.hash(await file.arrayBuffer());
    globalThis.Worker = Hanging;
  });
  after(() => {
    globalThis.Worker = RealWorker;
  });

  it('once: a new Worker reads the file again and the hash comes', async function () {
    this.timeout(20_000);
    const progress: number[] = [];
    const { made, outcome } = await withHangingJobs(1, () =>
      hashFile(file, { cid: true, stallTimeoutMs: STALL_MS, onProgress: (done) => progress.push(done) }),
    );
    expect(outcome).to.have.property('value');
    expect((outcome as { value: { md5: string } }).value.md5).to.equal(expected);
    expect(made.made, 'a new Worker for the second read').to.be.greaterThanOrEqual(1);
    expect(made.terminated, 'the silent one terminated').to.equal(1);
    expect(progress.at(-1)).to.equal(file.size);
  });

  it('twice: fails with a typed md5 error that names the stall, and a later try works', async function () {
    this.timeout(20_000);
    const started = performance.now();
    const { made, outcome } = await withHangingJobs(2, () => hashFile(file, { stallTimeoutMs: STALL_MS }));
    const error = (outcome as { error: unknown }).error;
    expect(error).to.be.instanceOf(TitanError);
    expect((error as TitanError).code).to.equal('md5');
    expect((error as TitanError).message).to.contain('stalled');
    expect(made.terminated, 'both silent ones terminated').to.equal(2);
    expect(performance.now() - started, 'about two stall timeouts, not a hang').to.be.lessThan(4 * STALL_MS + 3000);
    expect((await hashFile(file, { stallTimeoutMs: STALL_MS })).md5).to.equal(expected);
  });
});

describe('hashFile on the main thread (no Worker) when the read stalls', () => {
  /** A Blob-like whose stream gives 10 bytes and then nothing, ever (counts the reads started and cancelled). */
  const reads = { started: 0, cancelled: 0 };
  const hanging = {
    size: 1000,
    stream: () => {
      reads.started++;
      return new ReadableStream<Uint8Array>({
        start: (controller) => controller.enqueue(new Uint8Array(10)),
        pull: () => new Promise<void>(() => undefined),
        cancel: () => void reads.cancelled++,
      });
    },
  } as unknown as Blob;

  it('reads again once, then fails with the typed stall error', async function () {
    this.timeout(10_000);
    Object.assign(reads, { started: 0, cancelled: 0 });
    const error = await hashFile(hanging, { worker: false, stallTimeoutMs: 500 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(TitanError);
    expect((error as TitanError).code).to.equal('md5');
    expect((error as TitanError).message).to.contain('stalled');
    expect(reads.started, 'the read started twice').to.equal(2);
    expect(reads.cancelled, 'each abandoned read cancelled').to.equal(2);
  });

  it('is ended at once by an abort, though its read never returns, and the read is cancelled', async () => {
    Object.assign(reads, { started: 0, cancelled: 0 });
    const controller = new AbortController();
    const hashing = hashFile(hanging, { worker: false, stallTimeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const error = await hashing.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((error as TitanError).code).to.equal('aborted');
    expect(performance.now() - started).to.be.lessThan(2000);
    expect(reads.cancelled).to.equal(1);
  });
});
