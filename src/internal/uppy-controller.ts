// The Uppy side of an element with a Dashboard, one way for <titan-uploader> and
// <digime-writer>: an Uppy (adding large batches in slices) made when first needed, the inline
// Dashboard mounted into the element's shadow root with the role fix, theme and Uppy's locale
// passed on, and all of it torn down when the element leaves the page for good.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Body, Meta, Uppy } from '@uppy/core';
import type { Locale } from '@uppy/core/utils';
import Dashboard, { type DashboardOptions } from '@uppy/dashboard';
import { SlicedUppy } from './sliced-uppy.js';
import { fixDashboardRoles } from './uppy-a11y.js';

export type DashboardTheme = 'light' | 'dark' | 'auto';

export interface UppyControllerOptions<M extends Meta, B extends Body> {
  /** Uppy's `id` prefix; a counter makes each instance unique. */
  id: string;
  /** The element the Dashboard is mounted in (in the host's shadow root, once rendered). */
  target: () => HTMLElement | null | undefined;
  /** Called for every new Uppy: plugins and listeners. */
  setup: (uppy: Uppy<M, B>) => void;
  /** Dashboard options besides the fixed ones (theme, locale, note, …), read at mount. */
  dashboard: () => Partial<DashboardOptions<M, B>>;
  /**
   * A stable Uppy id when picked files should survive a reload (Uppy's Golden Retriever keeps
   * them under it, loaded on demand); undefined for none. Read when an Uppy is made.
   */
  restoreId?: () => string | undefined;
}

let instances = 0;

/** Uppy's English (its default strings), as a locale that replaces the one shown before. */
const english: Locale = { strings: {}, pluralize: (n) => (n === 1 ? 0 : 1) };

export class UppyController<M extends Meta, B extends Body> implements ReactiveController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  readonly #options: UppyControllerOptions<M, B>;
  #uppy: SlicedUppy<M, B> | undefined;
  #dashboard: Dashboard<M, B> | undefined;
  #roles: MutationObserver | undefined;
  #locale = english;

  constructor(host: ReactiveControllerHost & HTMLElement, options: UppyControllerOptions<M, B>) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  /** The Uppy instance; a new one after the element was removed from the page and came back. */
  get uppy(): Uppy<M, B> {
    if (!this.#uppy) {
      const restoreId = this.#options.restoreId?.();
      const uppy = new SlicedUppy<M, B>({
        id: restoreId ?? `${this.#options.id}-${++instances}`,
        autoProceed: false,
        locale: this.#locale,
      });
      this.#uppy = uppy;
      this.#options.setup(uppy);
      if (restoreId) {
        // Files picked before a reload come back (small ones from IndexedDB, large ones as entries to pick again).
        void import('@uppy/golden-retriever').then(
          ({ default: GoldenRetriever }) => this.#uppy === uppy && uppy.use(GoldenRetriever, { serviceWorker: false }),
          () => undefined,
        );
      }
    }
    return this.#uppy;
  }

  /** The Uppy instance if there is one now; unlike `uppy`, never makes one (for updates of a removed element). */
  get current(): Uppy<M, B> | undefined {
    return this.#uppy;
  }

  /**
   * Uppy's language (a pack from `@uppy/locales`; English without one): Uppy's own messages and,
   * through Uppy, every plugin's, the Dashboard's included. Also for the next Uppy made.
   */
  setLocale(locale: Locale | undefined): void {
    this.#locale = locale ?? english;
    this.#uppy?.setOptions({ locale: this.#locale });
  }

  /** Passes changed Dashboard options on (theme, note). */
  setDashboardOptions(options: Partial<DashboardOptions<M, B>>): void {
    this.#dashboard?.setOptions(options);
  }

  /** Back on the page after a removal: a new Uppy, and its Dashboard where the old one was. */
  hostConnected(): void {
    void this.uppy;
    this.#mount();
  }

  /** The first render made the target: the Dashboard goes in. */
  hostUpdated(): void {
    this.#mount();
  }

  #mount(): void {
    // An update of a removed element (a property set on it) must not bring a new Uppy to life.
    if (this.#dashboard || !this.#host.isConnected) return;
    const target = this.#options.target();
    if (!target) return;
    target.replaceChildren();
    this.uppy.use(Dashboard<M, B>, {
      inline: true,
      target,
      width: '100%',
      height: 320,
      proudlyDisplayPoweredByUppy: false,
      ...this.#options.dashboard(),
    } as DashboardOptions<M, B>);
    this.#dashboard = this.uppy.getPlugin<Dashboard<M, B>>('Dashboard');
    this.#roles = fixDashboardRoles(target);
  }

  /**
   * An element moved within the page reconnects in the same task and keeps everything; one that
   * stays removed cancels its uploads and frees Uppy, its Dashboard and the role observer.
   */
  hostDisconnected(): void {
    queueMicrotask(() => {
      if (this.#host.isConnected) return;
      this.#roles?.disconnect();
      this.#uppy?.destroy();
      this.#uppy = undefined;
      this.#dashboard = undefined;
      this.#roles = undefined;
    });
  }
}
