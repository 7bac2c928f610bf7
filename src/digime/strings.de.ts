import type { DigiMeWriterStrings } from './strings.js';

const de: DigiMeWriterStrings = {
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
};

export default de;
