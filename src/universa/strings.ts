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
  | 'already'
  | 'kind'
  | 'sealed'
  | 'pack'
  | 'amount'
  | 'issuer'
  | 'owner'
  | 'created'
  | 'expires'
  | 'size'
  | 'unreadable'
  | 'download'
  | 'cancelled'
  | 'retrying'
  | 'invalid'
  | 'crc'
  | 'network'
  | 'server'
  | 'insecure-url'
  | 'same-origin'
  | 'too-large'
  | 'bad-version'
  | 'bad-offer'
  | 'bad-contract';

export type UniversaStrings = StringTable<UniversaStringKey>;

/**
 * The loaded tables: English is built in, other languages arrive through `universaLocales` the
 * first time an element shows them. A page may add its own (`universaStrings.fr = {…}`).
 */
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
    already: 'Already received.',
    kind: 'Kind',
    sealed: 'Sealed contract',
    pack: 'TransactionPack',
    amount: 'Amount',
    issuer: 'Issuer',
    owner: 'Owner',
    created: 'Created',
    expires: 'Expires',
    size: 'Size',
    unreadable: 'What it contains could not be read; the file is still yours to download.',
    download: 'Download (.unicon)',
    cancelled: 'Cancelled.',
    retrying: 'Retrying…',
    invalid: 'Not a Universa address.',
    crc: 'Checksum mismatch: a typo?',
    network: 'The issuer is unreachable (network or CORS).',
    server: 'Issuer error (HTTP {code}).',
    'insecure-url': 'Insecure link: https is required.',
    'same-origin': 'This page does not accept issuer links on its own site.',
    'too-large': 'The issuer sent more than this page accepts.',
    'bad-version': 'Unsupported link version (iv must be 1).',
    'bad-offer': 'Unusable issuer answer: {message}',
    'bad-contract': 'The contract is damaged.',
  },
};

/**
 * Languages fetched on first use, so a page pays only for the one it shows (the universa entry
 * has a 12 kB budget). A page may add its own loader (`universaLocales.fr = () => import(…)`).
 */
export const universaLocales: Record<string, () => Promise<{ default: UniversaStrings }>> = {
  de: () => import('./strings.de.js'),
  ru: () => import('./strings.ru.js'),
  zh: () => import('./strings.zh.js'),
  'zh-hant': () => import('./strings.zh-hant.js'),
};
