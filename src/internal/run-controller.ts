import type { ReactiveControllerHost } from 'lit';

/**
 * One asynchronous job of an element at a time, the `@lit/task` way without its render
 * helpers: each run gets its own AbortSignal; starting another aborts the one before, whose
 * outcome is then dropped (`run` answers `undefined` for it, and swallows its failure).
 * `pending` is true while a run is on, and re-renders the host when it changes.
 */
export class RunController {
  readonly #host: ReactiveControllerHost;
  #current: AbortController | undefined;

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
  }

  get pending(): boolean {
    return this.#current !== undefined;
  }

  async run<T>(work: (signal: AbortSignal) => Promise<T>): Promise<{ value: T } | undefined> {
    this.#current?.abort();
    const mine = (this.#current = new AbortController());
    this.#host.requestUpdate();
    try {
      const value = await work(mine.signal);
      return mine.signal.aborted ? undefined : { value };
    } catch (err) {
      if (mine.signal.aborted) return undefined;
      throw err;
    } finally {
      if (this.#current === mine) {
        this.#current = undefined;
        this.#host.requestUpdate();
      }
    }
  }

  /** Ends the running job; its outcome is dropped. */
  abort(): void {
    this.#current?.abort();
    this.#current = undefined;
    this.#host.requestUpdate();
  }
}
