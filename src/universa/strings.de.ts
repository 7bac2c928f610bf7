import type { UniversaStrings } from './strings.js';

const de: UniversaStrings = {
  choose: 'Empfangen an',
  enter: 'Universa-Adresse',
  ok: 'OK',
  cancel: 'Abbrechen',
  retry: 'Erneut versuchen',
  confirming: 'Adresse wird gesendet…',
  polling: 'Warten auf den Aussteller…',
  in_progress: 'Der Aussteller erzeugt den Vertrag…',
  received: 'Vertrag empfangen.',
  already: 'Bereits empfangen.',
  download: 'Herunterladen (.unicon)',
  cancelled: 'Abgebrochen.',
  retrying: 'Neuer Versuch…',
  invalid: 'Keine Universa-Adresse.',
  crc: 'Prüfsumme falsch: ein Tippfehler?',
  network: 'Aussteller nicht erreichbar (Netzwerk oder CORS).',
  server: 'Fehler beim Aussteller (HTTP {code}).',
  'insecure-url': 'Unsicherer Link: https ist erforderlich.',
  'same-origin': 'Diese Seite nimmt keine Aussteller-Links auf ihre eigene Website an.',
  'too-large': 'Der Aussteller hat mehr gesendet, als diese Seite annimmt.',
  'bad-version': 'Nicht unterstützte Link-Version (iv muss 1 sein).',
  'bad-offer': 'Unbrauchbare Antwort des Ausstellers: {message}',
  'bad-contract': 'Der Vertrag ist beschädigt.',
};

export default de;
