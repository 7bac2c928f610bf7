import { LitElement } from 'lit';

/**
 * An element's event details as DOM event types, for the global event maps: listeners on the
 * element, an ancestor, `document` or `window` get `CustomEvent<detail>` (the events bubble and
 * are composed).
 */
export type CustomEventMap<Events> = { [K in keyof Events]: CustomEvent<Events[K]> };

/**
 * The small base all elements share: a guarded `define` and a typed `emit` whose events
 * bubble and cross shadow boundaries, as the public contract promises.
 */
export class UploadElement<Events extends object = Record<string, unknown>> extends LitElement {
  /** Registers `tag` unless something already did (two bundles on one page must not throw). */
  static define(tag: string): void {
    if (!customElements.get(tag)) customElements.define(tag, this);
  }

  emit<K extends keyof Events & string>(name: K, detail: Events[K]): boolean {
    return this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }
}

/**
 * What an element's `upload()` resolves with, and its `…-complete` event carries: each file's
 * success detail and each file's error detail, as in Uppy's own `upload()` result.
 */
export interface UploadReport<Success, Failure> {
  successful: Success[];
  failed: Failure[];
}

/**
 * The report, readable also as the array `upload()` resolved with before it had one shape for
 * all elements (`legacy`: the stored files for titan, every outcome for digime). The array use
 * is deprecated; read `successful` and `failed`.
 */
export const reportWithLegacyArray = <Success, Failure, Legacy>(
  report: UploadReport<Success, Failure>,
  legacy: Legacy[],
): Legacy[] & UploadReport<Success, Failure> => Object.assign(legacy, report);
