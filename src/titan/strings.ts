import type { StringTable } from '../internal/i18n.js';

/** Every user-visible string of `<titan-uploader>`. `%{…}` placeholders are Uppy's, `{…}` ours. */
export type TitanStringKey =
  | 'resultsLabel'
  | 'copy'
  | 'copyLabel'
  | 'copied'
  | 'copyFailed'
  | 'open'
  | 'share'
  | 'shareLabel'
  | 'shareFailed'
  | 'deduplicated'
  | 'verified'
  | 'verifiedLabel'
  | 'errorEmpty'
  | 'errorCid'
  | 'failed'
  | 'cancelled'
  | 'hashing'
  | 'errorToken'
  | 'errorNetwork'
  | 'errorUnauthorized'
  | 'errorNode'
  | 'errorExtraId'
  | 'errorOther'
  | 'dropPasteFiles'
  | 'browseFiles'
  | 'uploadOne'
  | 'uploadMany'
  | 'uploading'
  | 'complete'
  | 'uploadFailed'
  | 'retry'
  | 'cancel'
  | 'done'
  | 'addMore';

export type TitanStrings = StringTable<TitanStringKey>;

const en: TitanStrings = {
  resultsLabel: 'Stored in Titan',
  copy: 'Copy',
  copyLabel: 'Copy the CID of {name}',
  copied: 'Copied',
  copyFailed: 'Select and copy',
  open: 'Open',
  share: 'Share',
  shareLabel: 'Make a share link for {name}',
  shareFailed: 'Share failed: retry',
  deduplicated: 'already stored',
  verified: 'verified',
  verifiedLabel: 'The CID was computed from the file on this device and matches the one Titan stored.',
  errorEmpty: 'The file is empty; Titan does not store empty files.',
  errorCid: 'Titan stored different bytes than this file holds; the file was not registered.',
  failed: 'Failed',
  cancelled: 'Cancelled',
  hashing: 'Computing checksum…',
  errorToken: 'Could not sign in to Titan Storage.',
  errorNetwork: 'Titan Storage could not be reached.',
  errorUnauthorized: 'Titan Storage refused the sign-in.',
  errorNode: 'No storage node accepted the file.',
  errorExtraId: 'The app could not register the file.',
  errorOther: 'The upload failed.',
  dropPasteFiles: 'Drop files here or %{browseFiles}',
  browseFiles: 'browse files',
  uploadOne: 'Upload %{smart_count} file',
  uploadMany: 'Upload %{smart_count} files',
  uploading: 'Uploading',
  complete: 'Complete',
  uploadFailed: 'Upload failed',
  retry: 'Retry',
  cancel: 'Cancel',
  done: 'Done',
  addMore: 'Add more',
};

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
  dropPasteFiles: 'Dateien hierher ziehen oder %{browseFiles}',
  browseFiles: 'Dateien auswählen',
  uploadOne: '%{smart_count} Datei hochladen',
  uploadMany: '%{smart_count} Dateien hochladen',
  uploading: 'Wird hochgeladen',
  complete: 'Fertig',
  uploadFailed: 'Upload fehlgeschlagen',
  retry: 'Erneut versuchen',
  cancel: 'Abbrechen',
  done: 'Fertig',
  addMore: 'Weitere hinzufügen',
};

export const titanStrings = { en, de };

/** The subset of Uppy Dashboard strings we translate, built from our table. */
export function dashboardLocale(s: TitanStrings) {
  return {
    strings: {
      dropPasteFiles: s.dropPasteFiles,
      browseFiles: s.browseFiles,
      uploadXFiles: { 0: s.uploadOne, 1: s.uploadMany },
      uploadXNewFiles: { 0: s.uploadOne, 1: s.uploadMany },
      uploading: s.uploading,
      complete: s.complete,
      uploadFailed: s.uploadFailed,
      retry: s.retry,
      cancel: s.cancel,
      done: s.done,
      addMore: s.addMore,
    },
    pluralize: (n: number) => (n === 1 ? 0 : 1),
  };
}
