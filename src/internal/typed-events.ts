// The interface and the class of the same name merge on purpose: it is how an EventTarget
// subclass gets typed overloads without re-implementing addEventListener.
/* oxlint-disable typescript/no-unsafe-declaration-merging */
/**
 * An `EventTarget` whose events are typed by a map of name → `detail`, like the elements'
 * (`CustomEvent<detail>`), for the headless classes: `addEventListener('state', (e) => e.detail)`
 * is checked by TypeScript, and any other name still goes through as on every EventTarget.
 * A listener that throws is reported like any uncaught error and does not stop the others.
 */
export interface TypedEventTarget<Events> {
  addEventListener<K extends keyof Events & string>(
    type: K,
    listener: (event: CustomEvent<Events[K]>) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof Events & string>(
    type: K,
    listener: (event: CustomEvent<Events[K]>) => void,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

// The interface above merges into this class: the typed overloads sit next to EventTarget's own.
export class TypedEventTarget<Events> extends EventTarget {
  /** Dispatches `CustomEvent(type, {detail})`; returns false when a listener called preventDefault(). */
  protected fire<K extends keyof Events & string>(type: K, detail: Events[K]): boolean {
    return this.dispatchEvent(new CustomEvent(type, { detail, cancelable: true }));
  }
}
