import { LitElement } from 'lit';

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
    return this.dispatchEvent(
      new CustomEvent(name, { detail, bubbles: true, composed: true }),
    );
  }
}
