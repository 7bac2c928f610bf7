// Every language table has every key of the English one, with the same placeholders, and Uppy's
// packs (with our overrides) have every string our Dashboards can show. A page of its own: it
// loads every language, which i18n.test.ts checks an English page does not.
import { expect } from '@open-wc/testing';
import Uppy from '@uppy/core';
import Dashboard from '@uppy/dashboard';
import type { Locale } from '@uppy/core/utils';
import { digimeWriterLocales, digimeWriterStrings } from '../../src/digime/index.js';
import { titanLocales, titanStrings, uppyLocales } from '../../src/titan/index.js';
import { universaLocales, universaStrings } from '../../src/universa/index.js';

type Table = Record<string, string>;

const elements: Array<[string, Table, Record<string, () => Promise<{ default: Table }>>]> = [
  ['titan-uploader', titanStrings.en, titanLocales],
  ['digime-writer', digimeWriterStrings.en, digimeWriterLocales],
  ['universa-select-address', universaStrings.en, universaLocales],
];

/** `{name}` placeholders of ours, `%{name}` of Uppy's. */
const placeholders = (text: string | Record<string, string>) =>
  [...new Set(Object.values(typeof text === 'string' ? { text } : text).flatMap((t) => t.match(/%?\{\w+\}/g) ?? []))].sort();

/** Characters only Simplified Chinese writes so (Traditional: 這為個過們時發對說開關…). */
const SIMPLIFIED_ONLY =
  /[这为个过们时发对说开关无连传载设储页网络错误确认复数类见长间问题写读选择应权码计验证户号节点删门东头买卖业两书产亲仅从价众优会伤录败试断处属线达态务启资签约钥]/u;

/** Strings a translation may keep as in English: names and what reads the same. */
const SAME_IN_ALL = new Set(['OK', 'TransactionPack']);

describe('language tables', () => {
  for (const [element, english, loaders] of elements) {
    describe(`of <${element}>`, () => {
      it('are German, Russian, Simplified and Traditional Chinese', () => {
        expect(Object.keys(loaders).sort()).to.deep.equal(['de', 'ru', 'zh', 'zh-hant']);
      });

      for (const lang of ['de', 'ru', 'zh', 'zh-hant']) {
        describe(lang, () => {
          let table: Table;
          before(async () => {
            table = (await loaders[lang]!()).default;
          });

          it('has every key of the English table, and no other (a missing one would show English)', () => {
            expect(Object.keys(table).sort()).to.deep.equal(Object.keys(english).sort());
          });

          it('keeps every placeholder', () => {
            for (const key of Object.keys(english)) expect(placeholders(table[key] ?? ''), key).to.deep.equal(placeholders(english[key]!));
          });

          it('translates every string', () => {
            const untranslated = Object.keys(english).filter(
              (k) => !table[k]?.trim() || (table[k] === english[k] && !SAME_IN_ALL.has(english[k]!)),
            );
            expect(untranslated).to.deep.equal([]);
          });

          if (lang.startsWith('zh')) {
            it('is Chinese (Han characters in every string but the names)', () => {
              const latin = Object.keys(english).filter((k) => !/[\u4e00-\u9fff]/.test(table[k]!) && !SAME_IN_ALL.has(table[k]!));
              expect(latin).to.deep.equal([]);
            });
          }
          if (lang === 'zh-hant') {
            it('is Traditional (no character only Simplified Chinese writes so)', () => {
              expect(Object.keys(english).filter((k) => SIMPLIFIED_ONLY.test(table[k]!))).to.deep.equal([]);
            });
          }
          if (lang === 'ru') {
            it('is Russian (Cyrillic in every string but the names)', () => {
              const latin = Object.keys(english).filter((k) => !/[\u0400-\u04ff]/.test(table[k]!) && !SAME_IN_ALL.has(table[k]!));
              expect(latin).to.deep.equal([]);
            });
          }
        });
      }
    });
  }
});

// Uppy's own strings a titan-uploader or digime-writer Dashboard can show: all of the Dashboard's
// but those of folders, import sources and the modal (ours pick files only, inline), and Uppy's
// messages about the files added and the upload (restrictions, errors, connectivity).
const NOT_SHOWN = ['dropPasteFolders', 'dropPasteBoth', 'dropPasteImportFiles', 'dropPasteImportFolders', 'dropPasteImportBoth'].concat([
  'importFiles',
  'importFrom',
  'browseFolders',
  'closeModal',
  'dashboardWindowTitle',
]);
const CORE_SHOWN = [
  'addBulkFilesFailed',
  'youCanOnlyUploadX',
  'youHaveToAtLeastSelectX',
  'exceedsSize',
  'missingRequiredMetaField',
  'missingRequiredMetaFieldOnFile',
  'inferiorSize',
  'youCanOnlyUploadFileTypes',
  'noMoreFilesAllowed',
  'noDuplicates',
  'failedToUpload',
  'noInternetConnection',
  'connectedToInternet',
  'additionalRestrictionsFailed',
];

describe("Uppy's language packs", () => {
  let english: Locale['strings'];
  before(() => {
    const uppy = new Uppy();
    uppy.use(Dashboard, { inline: true, target: document.createElement('div') });
    const dashboard = uppy.getPlugin('Dashboard')!.defaultLocale!.strings as Locale['strings'];
    const core = uppy.defaultLocale!.strings as Locale['strings'];
    english = Object.fromEntries([
      ...Object.entries(dashboard).filter(([k]) => !NOT_SHOWN.includes(k)),
      ...CORE_SHOWN.map((k) => [k, core[k]!] as const),
    ]);
    uppy.destroy();
  });

  it('come for German, Russian, Simplified and Traditional Chinese', () => {
    expect(Object.keys(uppyLocales).sort()).to.deep.equal(['de', 'ru', 'zh', 'zh-hant']);
  });

  for (const lang of ['de', 'ru', 'zh', 'zh-hant']) {
    describe(lang, () => {
      let locale: Locale;
      before(async () => {
        locale = (await uppyLocales[lang]!()).default;
      });

      it('has every string our Dashboards show (a missing one would show English)', () => {
        expect(Object.keys(english).filter((k) => locale.strings[k] === undefined)).to.deep.equal([]);
      });

      it("keeps Uppy's placeholders (the drop area's %{browse} is the Dashboard's other name for %{browseFiles})", () => {
        for (const [key, text] of Object.entries(english)) {
          const ours = placeholders(locale.strings[key] ?? '').map((p) =>
            p === '%{browse}' && key === 'dropPasteFiles' ? '%{browseFiles}' : p,
          );
          expect(ours, key).to.deep.equal(placeholders(text));
        }
      });

      if (lang === 'zh-hant') {
        it('says how many files of how many are uploaded in that order (zh_TW swaps them)', () => {
          const text = locale.strings.filesUploadedOfTotal as string;
          expect(text.replace('%{complete}', '1').replace('%{smart_count}', '3')).to.equal('已上傳 3 個檔案中的 1 個');
        });
      }

      it('has plural forms only where Uppy passes a count to pick them by, and then all of them', () => {
        for (const [key, text] of Object.entries(english)) {
          const translated = locale.strings[key]!;
          if (typeof text === 'string') expect(translated, key).to.be.a('string');
          else if (typeof translated !== 'string') {
            for (let n = 0; n <= 100; n++) expect(translated[locale.pluralize(n)], `${key} for ${n}`).to.be.a('string');
          }
        }
      });
    });
  }
});
