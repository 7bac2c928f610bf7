// Runs inside Chromium, driven by bench/run.ts. Every figure is measured here, in one run,
// against the sandbox on loopback; run.ts turns them into ratios.
import SparkMD5 from 'spark-md5';
import { createMD5 } from 'hash-wasm';
import Uppy, { type Meta } from '@uppy/core';
import { TitanClient } from '../src/titan/client.js';
import { TitanUploadPlugin, type TitanBody } from '../src/titan/plugin.js';
import { PATHS, type Envelope, type UploadInfo } from '../src/titan/protocol.js';
import '../src/titan/index.js';
import { hashFile } from '../src/titan/md5.js';
import { median } from './stats.js';
import type { SlicedUppy } from '../src/internal/sliced-uppy.js';
import { readCheckAnswer } from '../src/universa/summary-client.js';
import { answerSummaryJob } from '../src/universa/summary-job.js';

const MiB = 1024 * 1024;
const sandbox = new URL(location.href).searchParams.get('sandbox')!;
const apiUrl = `${sandbox}/titan`;

async function token(): Promise<string> {
  const res = await fetch(`${sandbox}/app/titan/token`, { method: 'POST' });
  return ((await res.json()) as { token: string }).token;
}

/**
 * The files run.ts put into the page's file input: written to disk, unique content, so they
 * are disk-backed like a user's files (a GiB of in-memory Blobs exceeds Chromium's blob
 * storage) and Titan never deduplicates them.
 */
function pickedFiles(count: number, sizeMiB: number): File[] {
  const files = Array.from((document.getElementById('files') as HTMLInputElement).files ?? []);
  if (files.length < count || files.some((f) => f.size < sizeMiB * MiB)) throw new Error(`bench needs ${count} files of ${sizeMiB} MiB`);
  return files.slice(0, count);
}

async function rawUpload(blob: Blob, userToken: string, md5: string): Promise<number> {
  const info = (await (
    await fetch(`${apiUrl}${PATHS.getUploadInfo}?t=${Date.now()}&need_trace=true&md5=${md5}`, {
      headers: { JwtAuthorization: `Bearer ${userToken}` },
    })
  ).json()) as Envelope<UploadInfo>;
  const node = info.data?.List?.[0];
  if (!node) throw new Error(`raw upload: no node offered: ${JSON.stringify(info)}`);
  const form = new FormData();
  form.append('file', blob, 'raw.bin');
  const t0 = performance.now();
  const res = await fetch(node.UploadURL, {
    method: 'POST',
    body: form,
    headers: { Authorization: `Bearer ${node.Token}` },
  });
  const body = (await res.json()) as { code: number };
  if (body.code !== 0) throw new Error(`raw upload failed: ${JSON.stringify(body)}`);
  return performance.now() - t0;
}

async function clientUploadPhase(client: TitanClient, blob: Blob, md5: string): Promise<number> {
  let start = 0;
  let end = 0;
  await client.uploadAsset(blob, {
    name: 'client.bin',
    md5,
    onPhase: (p) => {
      if (p === 'node-upload') start = performance.now();
      if (p === 'create-asset') end = performance.now();
    },
  });
  return end - start;
}

/**
 * JS heap growth while `work` runs. Peak: as the page grew, garbage included, sampled every
 * 50 ms. Live: what survives a collection, every half second, i.e. what the work holds on to.
 */
async function heapGrowth<T>(
  work: () => Promise<T>,
): Promise<{ heapGrowthMiB: number; peakGrowthMiB: number; run: { ms: number; value: T } }> {
  const perf = performance as Performance & { memory?: { usedJSHeapSize: number } };
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!perf.memory || !gc) throw new Error('the heap bench needs --enable-precise-memory-info and --js-flags=--expose-gc');
  gc();
  const base = perf.memory.usedJSHeapSize;
  let peak = base;
  let live = base;
  let ticks = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, perf.memory!.usedJSHeapSize);
    if (++ticks % 10 === 0) {
      gc();
      live = Math.max(live, perf.memory!.usedJSHeapSize);
    }
  }, 50);
  try {
    const run = await timed(work);
    peak = Math.max(peak, perf.memory.usedJSHeapSize);
    return { heapGrowthMiB: (live - base) / MiB, peakGrowthMiB: (peak - base) / MiB, run };
  } finally {
    clearInterval(timer);
  }
}

async function hashWasmStream(blob: Blob): Promise<string> {
  const h = await createMD5();
  const reader = blob.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    h.update(value);
  }
  return h.digest('hex');
}

async function sparkMd5(blob: Blob): Promise<string> {
  const spark = new SparkMD5.ArrayBuffer();
  for (let at = 0; at < blob.size; at += 4 * MiB) spark.append(await blob.slice(at, at + 4 * MiB).arrayBuffer());
  return spark.end();
}

/** Longest main-thread task while `work` runs (PerformanceObserver 'longtask', ≥ 50 ms). */
async function withLongTasks<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; longestTaskMs: number }> {
  let longest = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longest = Math.max(longest, e.duration);
  });
  obs.observe({ type: 'longtask', buffered: false });
  const t0 = performance.now();
  const value = await work();
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return { value, ms, longestTaskMs: longest };
}

const timed = async <T>(work: () => Promise<T>) => {
  const t0 = performance.now();
  const value = await work();
  return { value, ms: performance.now() - t0 };
};

/** The machine's busy CPU time in ms, all cores and processes (run.ts exposes it; NaN elsewhere). */
const busyCpuMs = async () => (await (globalThis as { busyCpuMs?: () => Promise<number> }).busyCpuMs?.()) ?? NaN;

/** `timed`, and the CPU time the whole machine spent meanwhile (the sandbox and Chromium too). */
const timedCpu = async <T>(work: () => Promise<T>) => {
  const cpu0 = await busyCpuMs();
  const run = await timed(work);
  return { ...run, cpuMs: (await busyCpuMs()) - cpu0 };
};

const benches = {
  /** Node-upload phase through TitanClient vs a raw fetch POST of the same Blob. */
  async upload(sizeMiB = 256) {
    const userToken = await token();
    const client = new TitanClient({ apiUrl, token: userToken });
    const raw: number[] = [];
    const ours: number[] = [];
    // Interleaved, median of 4 each, who goes first alternating: single runs on this 2-core VM
    // scatter by ±20 % either way, and the second upload of a pair may find the machine busier.
    const files = pickedFiles(8, sizeMiB);
    for (let i = 0; i < 4; i++) {
      const a = files[2 * i]!;
      const b = files[2 * i + 1]!;
      const [ha, hb] = [await hashWasmStream(a), await hashWasmStream(b)];
      if (i % 2 === 0) {
        raw.push(await rawUpload(a, userToken, ha));
        ours.push(await clientUploadPhase(client, b, hb));
      } else {
        ours.push(await clientUploadPhase(client, b, hb));
        raw.push(await rawUpload(a, userToken, ha));
      }
    }
    const bytes = files[0]!.size;
    return { rawMBps: bytes / 1e6 / (median(raw) / 1000), clientMBps: bytes / 1e6 / (median(ours) / 1000) };
  },

  /** md5 of one Blob four ways; the worker run also records the longest main-thread task. */
  async md5(sizeMiB = 256) {
    const [blob] = pickedFiles(1, sizeMiB) as [File];
    const client = new TitanClient({ apiUrl, token: 'unused' });
    await client.md5(blob.slice(0, MiB)); // starts the worker and its hasher: throughput, not start-up
    const spark = await timed(() => sparkMd5(blob));
    const stream = await timed(() => hashWasmStream(blob));
    const worker = await withLongTasks(() => client.md5(blob));
    if (spark.value !== stream.value || worker.value !== stream.value) throw new Error('md5 implementations disagree');
    const mb = blob.size / 1e6;
    return {
      sparkMBps: mb / (spark.ms / 1000),
      hashWasmStreamMBps: mb / (stream.ms / 1000),
      workerMBps: mb / (worker.ms / 1000),
      workerLongestTaskMs: worker.longestTaskMs,
    };
  },

  /**
   * 8 files end to end through the Uppy plugin vs the sums of their hashing (md5 + CID, what an
   * upload computes) and raw upload times.
   */
  async batch(count = 8, sizeMiB = 32) {
    const userToken = await token();
    const client = new TitanClient({ apiUrl, token: userToken });
    let md5Sum = 0;
    let uploadSum = 0;
    // The first half for the sums, the other half (same sizes, other bytes) end to end.
    const files = pickedFiles(2 * count, sizeMiB);
    for (let i = 0; i < count; i++) {
      const blob = files[i]!;
      const h = await timed(() => client.hash(blob));
      md5Sum += h.ms;
      uploadSum += await rawUpload(blob, userToken, h.value.md5);
    }
    const uppy = new Uppy<Meta, TitanBody>({ autoProceed: false }).use(TitanUploadPlugin, { client });
    for (let i = 0; i < count; i++) uppy.addFile({ name: `batch-${i}.bin`, type: 'application/octet-stream', data: files[count + i]! });
    const e2e = await timed(() => uppy.upload());
    const failed = e2e.value?.failed?.length ?? 0;
    uppy.destroy();
    if (failed) throw new Error(`${failed} batch uploads failed`);
    return { md5SumMs: md5Sum, rawUploadSumMs: uploadSum, endToEndMs: e2e.ms };
  },

  /**
   * One large file end to end: uploading while hashing (get_upload_info without md5, the node
   * upload next to md5 + CID) vs hashing first, against max(hash time, raw upload time) measured
   * on a third file of the same size (each file its own bytes: Titan would deduplicate). With
   * `flip`, the two uploads end to end go before the bound's measures: rounds alternate, so that
   * a machine that slows down (or speeds up) within a round weighs on both sides.
   */
  async parallel(sizeMiB = 1024, flip = 0) {
    const userToken = await token();
    const client = new TitanClient({ apiUrl, token: userToken });
    const [a, b, c] = pickedFiles(3, sizeMiB) as [File, File, File];
    const bound = async () => {
      const h = await timedCpu(() => client.hash(a));
      const raw = await timedCpu(() => rawUpload(a, userToken, h.value.md5));
      return { hashMs: h.ms, rawUploadMs: raw.value, hashCpuMs: h.cpuMs, rawUploadCpuMs: raw.cpuMs };
    };
    const endToEnd = async () => {
      const first = await timed(() => client.uploadAsset(b, { name: 'hash-first.bin', parallelHashBytes: Infinity }));
      const both = await timedCpu(() => client.uploadAsset(c, { name: 'while-hashing.bin', parallelHashBytes: 0 }));
      if (!first.value.verified || !both.value.verified) throw new Error('an upload was not verified');
      return { hashFirstMs: first.ms, whileHashingMs: both.ms, whileHashingCpuMs: both.cpuMs };
    };
    if (flip) {
      const ends = await endToEnd();
      return { ...(await bound()), ...ends };
    }
    const limits = await bound();
    return { ...limits, ...(await endToEnd()) };
  },

  /**
   * Where uploading while hashing starts to pay: per size, slices of one file (each run its own
   * bytes) uploaded both ways, alternating, median of 3.
   */
  async threshold(...sizesMiB: number[]) {
    const client = new TitanClient({ apiUrl, token: await token() });
    const [file] = pickedFiles(1, 6 * sizesMiB.reduce((x, y) => x + y, 0)) as [File];
    let offset = 0;
    const rows: { sizeMiB: number; hashFirstMs: number; whileHashingMs: number }[] = [];
    for (const size of sizesMiB) {
      const first: number[] = [];
      const both: number[] = [];
      for (let i = 0; i < 3; i++) {
        const next = () => file.slice(offset, (offset += size * MiB));
        const runFirst = async () =>
          first.push((await timed(() => client.uploadAsset(next(), { name: 'f.bin', parallelHashBytes: Infinity }))).ms);
        const runBoth = async () => both.push((await timed(() => client.uploadAsset(next(), { name: 'b.bin', parallelHashBytes: 0 }))).ms);
        if (i % 2 === 0) await runFirst().then(runBoth);
        else await runBoth().then(runFirst);
      }
      rows.push({ sizeMiB: size, hashFirstMs: median(first), whileHashingMs: median(both) });
    }
    return rows;
  },

  /**
   * A folder as one asset (a CAR of its UnixFS directory): the picked files (`count` > 0) or
   * `-count` small files made here, uploaded by uploadFolder. run.ts samples the page's memory.
   */
  async folder(count: number) {
    const client = new TitanClient({ apiUrl, token: await token() });
    const files =
      count > 0
        ? pickedFiles(count, 0).map((data, i) => ({ path: `big/part-${i}.bin`, data }))
        : Array.from({ length: -count }, (_, i) => ({
            path: `d${i % 20}/small-${i}.txt`,
            data: new Blob([`${i} ${Math.random()} `.repeat(40)]),
          }));
    const bytes = files.reduce((sum, f) => sum + f.data.size, 0);
    (globalThis as { gc?: () => void }).gc?.();
    let hashedAt = 0;
    const run = await timed(() =>
      client.uploadFolder(files, { name: 'bench', onPhase: (p) => void (p === 'create-asset' && (hashedAt = performance.now())) }),
    );
    if (!run.value.verified) throw new Error('the folder was not verified');
    const hashMs = hashedAt - (performance.now() - run.ms);
    return { ms: run.ms, hashMs, files: files.length, MiB: bytes / MiB, carMiB: run.value.size / MiB };
  },

  /** JS heap (precise memory info) sampled every 50 ms during one large upload (md5 included). */
  async heap(sizeMiB = 1024, inWorker = 1) {
    // A Worker's heap is not in the page's performance.memory: hashing on the main thread shows it.
    const client = new TitanClient({ apiUrl, token: await token(), md5Worker: inWorker === 1 });
    const [blob] = pickedFiles(1, sizeMiB) as [File];
    const { run, ...growth } = await heapGrowth(() => client.uploadAsset(blob, { name: 'heap.bin' }));
    return { ...growth, endToEndMBps: blob.size / 1e6 / (run.ms / 1000) };
  },

  /**
   * md5 + UnixFS CID in one Worker pass vs md5 alone, on the same file: interleaved, who goes first
   * alternating, median of 3 each (the warm worker is reused by both).
   */
  async cid(sizeMiB = 256) {
    const [blob] = pickedFiles(1, sizeMiB) as [File];
    await hashFile(blob.slice(0, MiB), { cid: true }); // starts the worker, loads both hashers
    const md5Only: number[] = [];
    const both: number[] = [];
    let hashes: { md5: string; cid?: string } = { md5: '' };
    for (let i = 0; i < 3; i++) {
      const runMd5 = async () => md5Only.push((await timed(() => hashFile(blob))).ms);
      const runBoth = async () => {
        const r = await timed(() => hashFile(blob, { cid: true }));
        both.push(r.ms);
        hashes = r.value;
      };
      if (i % 2 === 0) await runMd5().then(runBoth);
      else await runBoth().then(runMd5);
    }
    const mb = blob.size / 1e6;
    return { md5MBps: mb / (median(md5Only) / 1000), bothMBps: mb / (median(both) / 1000), ...hashes };
  },

  /** JS heap while hashing md5 + CID on the main thread (where a Worker's heap would not show). */
  async cidHeap(sizeMiB = 1024) {
    const [blob] = pickedFiles(1, sizeMiB) as [File];
    const { run, ...growth } = await heapGrowth(() => hashFile(blob, { worker: false, cid: true }));
    return { ...growth, MBps: blob.size / 1e6 / (run.ms / 1000), ...run.value };
  },

  /** Adding 1,000 small files to <titan-uploader> (auto-proceed off). */
  async addFiles(count = 1000) {
    const el = document.createElement('titan-uploader') as unknown as HTMLElement & {
      updateComplete: Promise<unknown>;
      addFiles(f: File[]): void;
      uppy: SlicedUppy<Meta, TitanBody>;
    };
    el.setAttribute('token', 'unused');
    el.setAttribute('api-url', apiUrl);
    document.body.append(el);
    await el.updateComplete;
    const files = Array.from({ length: count }, (_, i) => new File([`file ${i}`], `f-${i}.txt`, { type: 'text/plain' }));
    // The files arrive in a task of their own (a drop or a file input): making them is not ours to time.
    await new Promise((r) => setTimeout(r, 50));
    const r = await withLongTasks(async () => {
      el.addFiles(files);
      await el.uppy.filesAdded();
      if (el.uppy.getFiles().length !== count) throw new Error(`${el.uppy.getFiles().length} of ${count} files added`);
      // Two frames: the Dashboard has rendered the list.
      await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
    });
    el.remove();
    return { addMs: r.ms, longestTaskMs: r.longestTaskMs };
  },

  /**
   * A check_url answer carrying a contract of `sizeMiB` (random bytes, as base64 in JSON): the
   * longest main-thread task while the session reads it (in the summary Worker) vs the same job
   * run on the page (what the session did before, and does where no Worker starts).
   */
  async contract(sizeMiB = 16) {
    const bytes = new Uint8Array(sizeMiB * MiB).map((_, i) => (i * 7919) >>> 5);
    const dataUrl = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result as string);
      reader.readAsDataURL(new Blob([bytes]));
    });
    const check = new TextEncoder().encode(`{"state":"ready","base64_contract":"${dataUrl.slice(dataUrl.indexOf(',') + 1)}"}`);
    const max = sizeMiB * MiB;
    // The page's first Worker costs the main thread once (reported apart): a page has started
    // one by the time a contract comes (the summary of an earlier contract, Titan's hasher).
    const first = await withLongTasks(() => readCheckAnswer(new TextEncoder().encode('{"state":"new"}'), 'check_url', max));
    const inWorker = await withLongTasks(() => readCheckAnswer(check, 'check_url', max));
    await new Promise((r) => setTimeout(r, 100));
    const onPage = await withLongTasks(async () => answerSummaryJob({ check, url: 'check_url', maxBytes: max }));
    const got = (inWorker.value.contract?.bytes.byteLength ?? 0) + ('value' in onPage.value ? 0 : -1);
    if (got !== max) throw new Error('the check answer was not read whole');
    return {
      firstStartLongestMs: first.longestTaskMs,
      workerLongestMs: inWorker.longestTaskMs,
      workerMs: inWorker.ms,
      pageLongestMs: onPage.longestTaskMs,
      pageMs: onPage.ms,
    };
  },
};

(globalThis as unknown as { benches: typeof benches }).benches = benches;
document.getElementById('status')!.textContent = 'ready';
