// The main thread's read of a file to hash it, for pages where no hashing Worker starts (fetched
// on first use): watched for silence as md5.ts watches a Worker.
import { abortedError, TitanError } from './errors.js';
import { dagOfBlob, digestBlob, type HashJob } from './md5-core.js';
import type { Md5Options } from './md5.js';

/**
 * `job` on `blob`, read on the main thread and watched as a Worker is: silent for `stallMs`, it
 * is abandoned (`'stalled'`) and its read cancelled, and an abort ends it at once. `T` is what
 * the job gives: `FileHashes`, or with `dag` a `FileDag`.
 */
export function readHere<T>(
  blob: Blob,
  job: HashJob,
  signal: AbortSignal | undefined,
  onProgress: Md5Options['onProgress'],
  stallMs: number,
) {
  return new Promise<T | 'stalled'>((resolve, reject) => {
    const stop = new AbortController();
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const end = () => {
      stop.abort();
      clearTimeout(watchdog);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      end();
      reject(abortedError());
    };
    const watch = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        end();
        resolve('stalled');
      }, stallMs);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    watch();
    const progress = (done: number, total: number) => {
      if (stop.signal.aborted) return;
      watch();
      onProgress?.(done, total);
    };
    const options = { onProgress: progress, signal: stop.signal };
    ((job.dag ? dagOfBlob(blob, options) : digestBlob(blob, { ...options, cid: job.cid })) as Promise<T | undefined>).then(
      (result) => {
        if (stop.signal.aborted) return;
        end();
        if (result === undefined) reject(abortedError());
        else resolve(result);
      },
      (err: unknown) => {
        if (stop.signal.aborted) return;
        end();
        reject(
          err instanceof TitanError
            ? err
            : new TitanError('md5', `Could not read the file to hash it: ${(err as Error).message}`, { cause: err }),
        );
      },
    );
  });
}
