import type { Locale } from '@uppy/core/utils';
import de_DE from '@uppy/locales/lib/de_DE.js';

/** Uppy's German with our wording for the drop area and the Done button, and the strings our Dashboards show that the pack lacks. */
const de: Locale = {
  pluralize: de_DE.pluralize,
  strings: {
    ...de_DE.strings,
    // The pack: "Dateien hier ablegen/einfügen oder Dateien durchsuchen".
    dropPasteFiles: 'Dateien hierher ziehen oder %{browseFiles}',
    browseFiles: 'Dateien auswählen',
    // The pack's "Abgeschlossen" is a state, not what a button does.
    done: 'Fertig',
    // Not in the pack (Uppy 6 strings); they would show in English.
    error: 'Fehler',
    showErrorDetails: 'Fehlerdetails anzeigen',
    dataUploadedOfUnknown: '%{complete} von unbekannt',
    additionalRestrictionsFailed: 'Weitere nicht erfüllte Einschränkungen: %{count}',
  },
};

export default de;
