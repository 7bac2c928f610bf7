import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * One table of user-visible strings per element and language. Values may contain `{name}`
 * placeholders. English is built in; other languages are modules fetched on first use.
 */
export type StringTable<K extends string> = Record<K, string>;

/** Fetches one language's table (or Uppy's locale): a module whose default export it is. */
export type LocaleLoader<T> = () => Promise<{ default: T }>;

/**
 * The language an element speaks: its `locale`, else the nearest `lang` attribute around it
 * (the page's `<html lang>` included). One rule for every element.
 */
export function elementLocale(el: Element & { locale?: string | null }): string {
  return el.locale || el.closest('[lang]')?.getAttribute('lang') || '';
}

export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, key: string) => (key in values ? String(values[key]) : m));
}

const failed = {};
/** What each loader gave once settled (`failed` when it rejected): one fetch per loader and page. */
const loaded = new Map<LocaleLoader<unknown>, unknown>();
const loading = new Map<LocaleLoader<unknown>, Promise<unknown>>();
function fetchOnce(load: LocaleLoader<unknown>): Promise<unknown> {
  let fetching = loading.get(load);
  if (!fetching) {
    const value = load().then(
      (m) => m.default,
      () => failed,
    );
    loading.set(load, (fetching = value.then((v) => loaded.set(load, v))));
  }
  return fetching;
}

/** Elements without a `locale` follow the `lang` attributes around them: one observer for the page. */
const following = new Set<ReactiveControllerHost>();
let observer: MutationObserver | undefined;

type LocaleHost = ReactiveControllerHost & HTMLElement & { locale?: string | null };

/**
 * The language an element shows. `update()`, called before each render, finds the wanted one
 * (`locale`, else the nearest `lang`; `zh-Hans-CN` is `zh` unless a table for the whole tag
 * exists; `zh-TW`, `zh-HK`, `zh-MO` and `zh-Hant-*` are `zh-hant`, else `zh`; an unknown one is
 * English). A language not in yet is fetched: its table and, for
 * elements with a Dashboard, Uppy's locale (`alongside`); meanwhile the element keeps the
 * language it showed, and it updates again once all of it is in, so everything switches at
 * once. A failed fetch shows English.
 */
export class Language<T extends object, U = never> implements ReactiveController {
  /** The language shown. */
  shown = 'en';
  /** What `alongside` gave for the shown language (Uppy's locale); undefined when it has none. */
  extra: U | undefined;
  /** Settles once the wanted language is in, or failed; undefined when it was in already. */
  ready: Promise<unknown> | undefined;
  #wanted = 'en';
  readonly #host: LocaleHost;
  readonly #tables: Record<string, T> & { en: T };
  readonly #loaders: Record<string, LocaleLoader<T>>;
  readonly #alongside: Record<string, LocaleLoader<U>>;

  constructor(
    host: LocaleHost,
    tables: Record<string, T> & { en: T },
    loaders: Record<string, LocaleLoader<T>>,
    alongside: Record<string, LocaleLoader<U>> = {},
  ) {
    (this.#host = host).addController(this);
    this.#tables = tables;
    this.#loaders = loaders;
    this.#alongside = alongside;
  }

  hostConnected(): void {
    following.add(this.#host);
    // A `lang` changed around elements: each finds its language again (an element with a
    // `locale` keeps it).
    (observer ??= new MutationObserver(() => following.forEach((host) => host.requestUpdate()))).observe(document.documentElement, {
      attributeFilter: ['lang'],
      subtree: true,
    });
  }

  hostDisconnected(): void {
    following.delete(this.#host);
  }

  /** The shown language's table with `overrides` over it (English under both). */
  strings(overrides?: Partial<T>): T {
    return { ...this.#tables.en, ...this.#tables[this.shown], ...overrides };
  }

  /** Call before each render; true when the shown language changed. */
  update(): boolean {
    const lang = this.#want();
    const tables = this.#tables;
    const table = lang in tables ? undefined : this.#loaders[lang];
    const parts = [table, this.#alongside[lang]].filter((p) => p !== undefined);
    const missing = parts.filter((p) => !loaded.has(p));
    if (lang !== this.#wanted) {
      this.#wanted = lang;
      this.ready = missing.length ? Promise.all(missing.map(fetchOnce)) : undefined;
      void this.ready?.then(() => this.#wanted === lang && this.#host.requestUpdate());
    }
    if (missing.length) return false;
    const shown = parts.every((p) => loaded.get(p) !== failed) ? lang : 'en';
    if (table && shown === lang) tables[lang] = loaded.get(table) as T;
    this.extra = loaded.get(this.#alongside[shown]!) as U | undefined;
    const changed = shown !== this.shown;
    this.shown = shown;
    return changed;
  }

  #want(): string {
    let tag = elementLocale(this.#host).toLowerCase();
    // Traditional Chinese by its script, or by the regions that write it.
    if (/^zh-(hant|tw|hk|mo)\b/.test(tag)) tag = 'zh-hant';
    return [tag, tag.split('-')[0]!].find((l) => l in this.#tables || l in this.#loaders) ?? 'en';
  }
}
