// Waiting and cancelling, one way for every client: an abort rejects with the caller's own
// "aborted" error (a TitanError for the Titan client), at once if the signal already aborted.
import { UploadElementsError } from './errors.js';

export type AbortedError = () => Error;

const aborted: AbortedError = () => new UploadElementsError('aborted', 'The operation was cancelled.');

export function throwIfAborted(signal: AbortSignal | undefined, error: AbortedError = aborted): void {
  if (signal?.aborted) throw error();
}

/** Waits `ms`; rejects with `error()` as soon as `signal` aborts (and drops the timer). */
export function sleep(ms: number, signal?: AbortSignal, error: AbortedError = aborted): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(error());
    const onAbort = () => {
      clearTimeout(timer);
      reject(error());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `promise`'s outcome, or `error()` as soon as `signal` aborts (the promise itself runs on). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, error: AbortedError = aborted): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(error());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(error());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
