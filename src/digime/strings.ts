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

/** Every user-visible string of `<digime-writer>`; `{name}` placeholders are filled in. */
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
  de: {
    connect: 'digi.me verbinden',
    connecting: 'Verbindung zu digi.me wird hergestellt…',
    connected: 'Mit digi.me verbunden',
    disconnect: 'Trennen',
    missingBackend: 'Dieser Uploader ist nicht eingerichtet: das Attribut backend-url fehlt.',
    authorizeFailed: 'digi.me hat die Verbindung nicht hergestellt (Fehler {errorCode}).',
    connectFailed: 'digi.me konnte nicht verbunden werden: {message}',
    notConnected: 'Verbinden Sie zuerst digi.me, bevor Sie Dateien schreiben.',
    note: 'Dateien werden in Ihrem Browser verschlüsselt, bevor sie gesendet werden.',
    results: 'In digi.me geschrieben',
    writing: 'Wird geschrieben…',
    delivered: 'Zugestellt',
    pending: 'Ausstehend',
    failed: 'Fehlgeschlagen: {message}',
  },
};
