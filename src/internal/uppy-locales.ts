import type { Locale } from '@uppy/core/utils';

/**
 * Uppy's own language packs (`@uppy/locales`) for the Dashboard and Uppy's messages, fetched
 * with an element's table the first time a language is shown. English is Uppy's default. Our
 * few overrides (`uppy-locale.*.ts`) keep only wording we chose and fix what a pack gets wrong.
 * A page adding a language for an element may add Uppy's too
 * (`uppyLocales.fr = () => import('@uppy/locales/lib/fr_FR.js')`).
 */
export const uppyLocales: Record<string, () => Promise<{ default: Locale }>> = {
  de: () => import('./uppy-locale.de.js'),
  ru: () => import('./uppy-locale.ru.js'),
  zh: () => import('./uppy-locale.zh.js'),
  'zh-hant': () => import('./uppy-locale.zh-hant.js'),
};
