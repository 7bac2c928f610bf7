// Shared by the titan-*.test.ts files: talk to the sandbox the way the tests' assertions need.
import { expect } from '@open-wc/testing';
import { unixfsCidOfStream } from '../../src/sandbox/unixfs-cid.js';
import { TitanError } from '../../src/titan/errors.js';
import { sandboxLog, sandboxUrl, type LogEntry } from './sandbox-client.js';

export { knob, resetSandbox, sandboxUrl, type LogEntry } from './sandbox-client.js';

export async function titanApi(): Promise<string> {
  return `${await sandboxUrl()}/titan`;
}

export const requestLog = (service: 'titan' | 'app-titan'): Promise<LogEntry[]> => sandboxLog(service);

export const is = {
  uploadInfo: (e: LogEntry) => e.path.endsWith('/api/v1/storage/get_upload_info'),
  createAsset: (e: LogEntry) => e.path.endsWith('/api/v1/storage/create_asset'),
  report: (e: LogEntry) => e.path.endsWith('/api/v1/storage/transfer/report'),
  shareAsset: (e: LogEntry) => e.path.endsWith('/api/v1/storage/share_asset'),
  /** A file upload to a node (handler_uploadv2.go), `node` without its `c_`. */
  nodeUpload: (node?: string) => (e: LogEntry) =>
    e.method === 'POST' && (node ? e.path === `/titan-node/${node}/uploadv2` : /^\/titan-node\/[^/]+\/uploadv2$/.test(e.path)),
  token: (e: LogEntry) => e.path === '/app/titan/token',
  extraId: (e: LogEntry) => e.path === '/app/titan/extra-id',
};

/** A token for a demo user straight from the demo app backend (counts as a token request). */
export async function demoToken(user = 'demo'): Promise<string> {
  const r = await fetch('/app/titan/token', { method: 'POST', headers: { 'x-demo-user': user } });
  if (!r.ok) throw new Error(`token failed: ${r.status}`);
  return ((await r.json()) as { token: string }).token;
}

/** Random bytes, so every test stores content Titan has not seen. */
export function randomFile(size: number, name = 'file.bin', type = 'application/octet-stream'): File {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  return new File([bytes], name, { type });
}

/**
 * The CID a Titan node gives these bytes (a go-unixfsnode UnixFS DAG), from an implementation
 * independent of the client's: ipfs-unixfs-importer, as the sandbox node uses it.
 */
export async function expectedCid(file: Blob): Promise<string> {
  const reader = file.stream().getReader();
  return unixfsCidOfStream({
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    },
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The TitanError `promise` rejects with (a success fails the test). */
export async function caught(promise: Promise<unknown>): Promise<TitanError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(TitanError);
    return err as TitanError;
  }
  throw new Error('expected a TitanError, got success');
}

/**
 * A `Worker` class (of the `Worker` there is when called) whose replies reach the page through
 * `filter`: it hands each on with `deliver`, later, or never. For tests of a Worker that is slow
 * or goes silent; install it as `globalThis.Worker` and put the real one back after.
 */
export function workerWithReplyFilter(
  filter: (worker: Worker, event: MessageEvent<{ type: string }>, deliver: () => unknown) => void,
): typeof Worker {
  return class extends Worker {
    override set onmessage(handler: ((this: Worker, ev: MessageEvent) => unknown) | null) {
      super.onmessage = handler ? (event: MessageEvent<{ type: string }>) => filter(this, event, () => handler.call(this, event)) : null;
    }
    override get onmessage() {
      return super.onmessage;
    }
  };
}
