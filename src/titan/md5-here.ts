// The main thread's read of a file to hash it, for pages where no hashing Worker starts (fetched
// on first use): watched for silence as md5.ts watches a Worker.
import { abortedError, TitanError } from './errors.js';
import type { Md5Options } from './md5.js';

/** The main thread's read: told when to stop, and where its progress goes. */
export type Here<T> = (isAborted: () => boolean, onProgress: Md5Options['onProgress']) => Promise<T | undefined>;

/**
 * `here` on the main thread, watched as a Worker is: silent for `stallMs`, it is abandoned
 * (`'stalled'`; it stops at its next chunk, if one ever comes), and an abort ends it at once.
 */
export function readHere<T>(here: Here<T>, signal: AbortSignal | undefined, onProgress: Md5Options['onProgress'], stallMs: number) {
  return new Promise<T | 'stalled'>((resolve, reject) => {
    let stopped = false;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const end = () => {
      stopped = true;
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
    here(
      () => stopped || signal?.aborted === true,
      (done, total) => {
        if (stopped) return;
        watch();
        onProgress?.(done, total);
      },
    ).then(
      (result) => {
        if (stopped) return;
        end();
        if (result === undefined) reject(abortedError());
        else resolve(result);
      },
      (err: unknown) => {
        if (stopped) return;
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
