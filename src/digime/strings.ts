import type { StringTable } from '../internal/i18n.js';

export type DigiMeWriterStringKey =
  | 'connect'
  | 'connecting'
  | 'connected'
  | 'disconnect'
  | 'missingBackend'
  | 'authorizeFailed'
  | 'connectFailed'
  | 'notConnected'
  | 'note'
  | 'results'
  | 'writing'
  | 'delivered'
  | 'pending'
  | 'failed';

export type DigiMeWriterStrings = StringTable<DigiMeWriterStringKey>;

/**
 * Every user-visible string of `<digime-writer>` outside the Dashboard (Uppy's own language packs,
 * `uppyLocales`); `{name}` placeholders are filled in. English is built in, other languages arrive
 * through `digimeWriterLocales` the first time an element shows them. A page may add its own
 * (`digimeWriterStrings.fr = {…}`).
 */
export const digimeWriterStrings: Record<string, DigiMeWriterStrings> & { en: DigiMeWriterStrings } = {
  en: {
    connect: 'Connect digi.me',
    connecting: 'Connecting to digi.me…',
    connected: 'Connected to digi.me',
    disconnect: 'Disconnect',
    missingBackend: 'This uploader is not configured: the backend-url attribute is missing.',
    authorizeFailed: 'digi.me did not connect (error {errorCode}).',
    connectFailed: 'Could not connect digi.me: {message}',
    notConnected: 'Connect digi.me before writing files.',
    note: 'Files are encrypted in your browser before they are sent.',
    results: 'Written to digi.me',
    writing: 'Writing…',
    delivered: 'Delivered',
    pending: 'Pending',
    failed: 'Failed: {message}',
  },
};

/**
 * Languages fetched on first use, with Uppy's pack for the Dashboard (`uppyLocales`), so a page
 * pays only for the one it shows. A page may add its own loader
 * (`digimeWriterLocales.fr = () => import(…)`).
 */
export const digimeWriterLocales: Record<string, () => Promise<{ default: DigiMeWriterStrings }>> = {
  de: () => import('./strings.de.js'),
  ru: () => import('./strings.ru.js'),
  zh: () => import('./strings.zh.js'),
  'zh-hant': () => import('./strings.zh-hant.js'),
};
