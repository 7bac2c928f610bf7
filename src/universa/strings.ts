import type { StringTable } from '../internal/i18n.js';

/** Keys named after the protocol's states and the error codes, so lookups need no mapping. */
export type UniversaStringKey =
  | 'choose'
  | 'enter'
  | 'ok'
  | 'cancel'
  | 'retry'
  | 'confirming'
  | 'polling'
  | 'in_progress'
  | 'received'
  | 'download'
  | 'cancelled'
  | 'retrying'
  | 'invalid'
  | 'crc'
  | 'network'
  | 'server'
  | 'insecure-url'
  | 'bad-version'
  | 'bad-offer'
  | 'bad-contract';

export type UniversaStrings = StringTable<UniversaStringKey>;

export const universaStrings: Record<string, UniversaStrings> & { en: UniversaStrings } = {
  en: {
    choose: 'Receive at',
    enter: 'Universa address',
    ok: 'OK',
    cancel: 'Cancel',
    retry: 'Try again',
    confirming: 'Sending the address…',
    polling: 'Waiting for the issuer…',
    in_progress: 'The issuer is generating the contract…',
    received: 'Contract received.',
    download: 'Download (.unicon)',
    cancelled: 'Cancelled.',
    retrying: 'Retrying…',
    invalid: 'Not a Universa address.',
    crc: 'Checksum mismatch: a typo?',
    network: 'The issuer is unreachable (network or CORS).',
    server: 'Issuer error (HTTP {code}).',
    'insecure-url': 'Insecure link: https is required.',
    'bad-version': 'Unsupported link version (iv must be 1).',
    'bad-offer': 'Unusable issuer answer: {message}',
    'bad-contract': 'The contract is damaged.',
  },
  de: {
    choose: 'Empfangen an',
    enter: 'Universa-Adresse',
    ok: 'OK',
    cancel: 'Abbrechen',
    retry: 'Erneut versuchen',
    confirming: 'Adresse wird gesendet…',
    polling: 'Warten auf den Aussteller…',
    in_progress: 'Der Aussteller erzeugt den Vertrag…',
    received: 'Vertrag empfangen.',
    download: 'Herunterladen (.unicon)',
    cancelled: 'Abgebrochen.',
    retrying: 'Neuer Versuch…',
    invalid: 'Keine Universa-Adresse.',
    crc: 'Prüfsumme falsch: ein Tippfehler?',
    network: 'Aussteller nicht erreichbar (Netzwerk oder CORS).',
    server: 'Fehler beim Aussteller (HTTP {code}).',
    'insecure-url': 'Unsicherer Link: https ist erforderlich.',
    'bad-version': 'Nicht unterstützte Link-Version (iv muss 1 sein).',
    'bad-offer': 'Unbrauchbare Antwort des Ausstellers: {message}',
    'bad-contract': 'Der Vertrag ist beschädigt.',
  },
};
