import type { TitanStrings } from './strings.js';

const de: TitanStrings = {
  resultsLabel: 'In Titan gespeichert',
  copy: 'Kopieren',
  copyLabel: 'CID von {name} kopieren',
  copied: 'Kopiert',
  copyFailed: 'Markieren und kopieren',
  open: 'Öffnen',
  share: 'Teilen',
  shareLabel: 'Freigabelink für {name} erstellen',
  shareFailed: 'Teilen fehlgeschlagen: erneut',
  deduplicated: 'bereits gespeichert',
  verified: 'geprüft',
  verifiedLabel: 'Die CID wurde auf diesem Gerät aus der Datei berechnet und stimmt mit der von Titan gespeicherten überein.',
  errorEmpty: 'Die Datei ist leer; Titan speichert keine leeren Dateien.',
  errorCid: 'Titan hat andere Bytes gespeichert, als die Datei enthält; die Datei wurde nicht registriert.',
  failed: 'Fehlgeschlagen',
  cancelled: 'Abgebrochen',
  hashing: 'Prüfsumme wird berechnet…',
  errorToken: 'Anmeldung bei Titan Storage fehlgeschlagen.',
  errorNetwork: 'Titan Storage ist nicht erreichbar.',
  errorUnauthorized: 'Titan Storage hat die Anmeldung abgelehnt.',
  errorNode: 'Kein Speicherknoten hat die Datei angenommen.',
  errorExtraId: 'Die Anwendung konnte die Datei nicht registrieren.',
  errorOther: 'Der Upload ist fehlgeschlagen.',
  folder: 'Ordner, Dateien: {count}',
  errorFolder: 'Dieser Ordner kann nicht als ein Asset gespeichert werden.',
};

export default de;
