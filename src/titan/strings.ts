import type { StringTable } from '../internal/i18n.js';

/**
 * Every user-visible string of `<titan-uploader>` outside the Dashboard (whose strings are Uppy's
 * own language packs, `uppyLocales`); `{…}` placeholders are filled in.
 */
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
  | 'folder'
  | 'errorFolder';

export type TitanStrings = StringTable<TitanStringKey>;

/**
 * The loaded tables: English is built in, other languages arrive through `titanLocales` the first
 * time an element shows them. A page may add its own (`titanStrings.fr = {…}`).
 */
export const titanStrings: Record<string, TitanStrings> & { en: TitanStrings } = {
  en: {
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
    folder: 'folder, files: {count}',
    errorFolder: 'This folder cannot be stored as one asset.',
  },
};

/**
 * Languages fetched on first use, with Uppy's pack for the Dashboard (`uppyLocales`), so a page
 * pays only for the one it shows. A page may add its own loader (`titanLocales.fr = () => import(…)`).
 */
export const titanLocales: Record<string, () => Promise<{ default: TitanStrings }>> = {
  de: () => import('./strings.de.js'),
  ru: () => import('./strings.ru.js'),
  zh: () => import('./strings.zh.js'),
  'zh-hant': () => import('./strings.zh-hant.js'),
};
