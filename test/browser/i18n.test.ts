// Languages (issue 15, item 5): each element switches its own strings and its Dashboard's (Uppy's
// language packs) at once, fetches a language the first time it is shown and only then, maps
// region and script tags to their language, and follows a `lang` around it changed at run time.
// The first describe must stay first: it checks what an English page fetched.
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import '../../src/titan/index.js';
import '../../src/digime/index.js';
import '../../src/universa/index.js';
import { clearPostboxes, digimeWriterStrings, type DigiMeWriter } from '../../src/digime/index.js';
import { titanStrings, type TitanUploader } from '../../src/titan/index.js';
import { universaStrings, type UniversaSelectAddress } from '../../src/universa/index.js';
import { is, randomFile, requestLog, titanApi } from './titan-helpers.js';
import { issue, mountUniversa, resetAll, unmountUniversa } from './fixtures/universa-helpers.js';
import { recordOnce } from './situation.js';

// Every module this page fetches is a resource entry; the default buffer (250) could fill up.
performance.setResourceTimingBufferSize(100_000);

/** The language modules this page has fetched (tables and Uppy's packs), by path. */
const fetched = () =>
  performance
    .getEntriesByType('resource')
    .map((e) => new URL(e.name).pathname)
    .filter((path) => /strings\.(de|ru|zh|zh-hant)\.|uppy-locale\.|@uppy\/locales/.test(path));

const textOf = (root: ParentNode, selector: string) => root.querySelector(selector)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

async function fresh(): Promise<void> {
  await resetAll();
  await clearPostboxes();
  sessionStorage.clear();
}

/** A situation run once, from a fresh sandbox, for the its of the describe it is called in. */
const situation = <T>(run: () => Promise<T>) => recordOnce(run, fresh);

async function mountTitan(attrs = 'locale="en"'): Promise<TitanUploader> {
  const api = await titanApi();
  const wrapper = await fixture<HTMLDivElement>(
    `<div><titan-uploader api-url="${api}" token-url="/app/titan/token" extra-id-url="/app/titan/extra-id" ${attrs}></titan-uploader></div>`,
  );
  const el = wrapper.querySelector<TitanUploader>('titan-uploader')!;
  await waitUntil(() => el.shadowRoot!.querySelector('.uppy-Dashboard-browse'), 'no dashboard', { timeout: 3000 });
  return el;
}

/** What a titan-uploader with one stored file shows: ours (results) and Uppy's (status bar). */
const titanText = (el: TitanUploader) => {
  const root = el.shadowRoot!;
  return {
    copy: textOf(root, '[part="copy"]'),
    share: textOf(root, '[part="share"]'),
    results: root.querySelector('[part="results"]')?.getAttribute('aria-label') ?? '',
    complete: textOf(root, '.uppy-StatusBar-statusPrimary'),
    done: textOf(root, '.uppy-StatusBar-actionBtn--done'),
    title: textOf(root, '.uppy-DashboardContent-title'),
  };
};

/** What an empty Dashboard shows: the drop area's text and its browse button. */
const dropArea = (root: ShadowRoot) => ({
  title: textOf(root, '.uppy-Dashboard-AddFiles-title'),
  browse: textOf(root, '.uppy-Dashboard-browse'),
});

const digimeText = (el: DigiMeWriter) => {
  const root = el.shadowRoot!;
  return { connect: textOf(root, '[part="connect-button"]'), note: textOf(root, '.uppy-Dashboard-note'), ...dropArea(root) };
};

/**
 * Sets `locale` and waits for the element's own text to change; returns what showed right after
 * the update (still the language before: nothing switches before all of it is in) and at the
 * first moment its own text changed (everything at once).
 */
async function switchTo<T extends Record<string, string>>(
  el: HTMLElement & { locale?: string },
  locale: string,
  read: () => T,
  own: keyof T,
) {
  const before = read();
  el.locale = locale;
  await (el as unknown as { updateComplete: Promise<unknown> }).updateComplete;
  const meanwhile = read();
  let switched: T | undefined;
  await waitUntil(
    () => {
      const now = read();
      if (now[own] === before[own]) return false;
      switched = now;
      return true;
    },
    `no ${locale}`,
    { timeout: 5000, interval: 5 },
  );
  return { meanwhile, switched: switched! };
}

/** Stores one file; returns the Lang header Titan got with it. */
async function uploadOne(el: TitanUploader): Promise<string | undefined> {
  el.addFiles([randomFile(1200)]);
  await el.upload();
  await el.updateComplete;
  return (await requestLog('titan')).filter(is.uploadInfo).at(-1)?.headers['lang'];
}

const ENGLISH_TITAN = {
  copy: 'Copy',
  share: 'Share',
  results: 'Stored in Titan',
  complete: 'Complete',
  done: 'Done',
  title: 'Upload complete',
};

describe('languages', () => {
  afterEach(unmountUniversa);

  describe('on an English page', () => {
    const run = situation(async () => {
      const titan = await mountTitan();
      const digime = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime" locale="en"></digime-writer>`);
      const { cb } = await issue();
      const { el: universa } = await mountUniversa({ cb });
      await waitUntil(() => universa.open, 'the popup', { timeout: 5000 });
      const lang = await uploadOne(titan);
      return {
        titan: titanText(titan),
        digime: digimeText(digime),
        cancel: textOf(universa.shadowRoot!, '[part="cancel"]'),
        lang,
        fetched: fetched(),
        loaded: [Object.keys(titanStrings), Object.keys(digimeWriterStrings), Object.keys(universaStrings)],
      };
    });

    it('speaks English, Uppy included', () => {
      expect(run().titan).to.deep.equal(ENGLISH_TITAN);
      expect(run().digime).to.deep.equal({
        connect: 'Connect digi.me',
        note: 'Files are encrypted in your browser before they are sent.',
        title: 'Drop files here or browse files',
        browse: 'browse files',
      });
      expect(run().cancel).to.equal('Cancel');
    });

    it('fetches no language: no table and no Uppy pack', () => {
      expect(run().fetched).to.deep.equal([]);
      expect(run().loaded).to.deep.equal([['en'], ['en'], ['en']]);
    });

    it('asks Titan for English messages', () => {
      expect(run().lang).to.equal('en');
    });
  });

  describe('<titan-uploader> switched to zh, then ru, then back to en', () => {
    const run = situation(async () => {
      const el = await mountTitan();
      await uploadOne(el);
      const zh = await switchTo(el, 'zh', () => titanText(el), 'copy');
      const fetchedZh = fetched();
      const langZh = await uploadOne(el);
      const ru = await switchTo(el, 'ru', () => titanText(el), 'copy');
      const fetchedRu = fetched();
      const langRu = await uploadOne(el);
      const en = await switchTo(el, 'en', () => titanText(el), 'copy');
      return { zh, ru, en, fetchedZh, fetchedRu, langZh, langRu, fetchedAtEnd: fetched() };
    });

    it('keeps showing English, Uppy too, until the Chinese is in', () => {
      expect(run().zh.meanwhile).to.deep.equal(ENGLISH_TITAN);
    });

    it('then shows Chinese: its strings and the Dashboard at once', () => {
      expect(run().zh.switched).to.deep.equal({
        copy: '复制',
        share: '分享',
        results: '已存储到 Titan',
        complete: '上传完毕',
        done: '完成',
        title: '上传完成',
      });
    });

    it('fetches the Chinese table and Uppy zh_CN, nothing else', () => {
      const paths = run().fetchedZh;
      expect(
        paths.some((p) => /\/titan\/strings\.zh\./.test(p)),
        paths.join(),
      ).to.equal(true);
      expect(
        paths.some((p) => /uppy-locale\.zh\./.test(p)),
        paths.join(),
      ).to.equal(true);
      expect(
        paths.some((p) => /zh_CN\.js/.test(p)),
        paths.join(),
      ).to.equal(true);
      expect(paths.filter((p) => /de|ru/i.test(p.split('/').pop()!))).to.deep.equal([]);
    });

    it('asks Titan for Chinese messages (Lang: cn)', () => {
      expect(run().langZh).to.equal('cn');
    });

    it('keeps showing Chinese until the Russian is in', () => {
      expect(run().ru.meanwhile.copy).to.equal('复制');
      expect(run().ru.meanwhile.done).to.equal('完成');
    });

    it('then shows Russian: its strings and the Dashboard at once', () => {
      expect(run().ru.switched).to.deep.equal({
        copy: 'Копировать',
        share: 'Поделиться',
        results: 'Сохранено в Titan',
        complete: 'Готово',
        done: 'Готово',
        title: 'Загрузка завершена',
      });
    });

    it('fetches the Russian table and Uppy ru_RU', () => {
      const paths = run().fetchedRu;
      expect(
        paths.some((p) => /\/titan\/strings\.ru\./.test(p)),
        paths.join(),
      ).to.equal(true);
      expect(
        paths.some((p) => /ru_RU\.js/.test(p)),
        paths.join(),
      ).to.equal(true);
    });

    it('asks Titan for English messages again (Titan has no Russian)', () => {
      expect(run().langRu).to.equal('en');
    });

    it('speaks English again, Uppy included, fetching nothing', () => {
      expect(run().en.switched).to.deep.equal(ENGLISH_TITAN);
      expect(run().fetchedAtEnd).to.deep.equal(run().fetchedRu);
    });
  });

  describe('<digime-writer> switched to zh, then ru, then back to en', () => {
    const run = situation(async () => {
      const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime" locale="en"></digime-writer>`);
      await waitUntil(() => el.shadowRoot!.querySelector('.uppy-Dashboard-browse'), 'no dashboard', { timeout: 3000 });
      const english = digimeText(el);
      const before = fetched();
      const zh = await switchTo(el, 'zh', () => digimeText(el), 'connect');
      const fetchedZh = fetched().filter((p) => !before.includes(p));
      const ru = await switchTo(el, 'ru', () => digimeText(el), 'connect');
      const en = await switchTo(el, 'en', () => digimeText(el), 'connect');
      return { english, zh, ru, en, fetchedZh };
    });

    it('keeps showing English until the Chinese is in', () => {
      expect(run().zh.meanwhile).to.deep.equal(run().english);
    });

    it('then shows Chinese: its strings and the Dashboard at once', () => {
      expect(run().zh.switched).to.deep.equal({
        connect: '连接 digi.me',
        note: '文件在发送前会先在您的浏览器中加密。',
        title: '将文件拖拽到这里或浏览文件',
        browse: '浏览文件',
      });
    });

    it("fetches only its own table: Uppy's Chinese is in already (one fetch per page)", () => {
      expect(run().fetchedZh.length, run().fetchedZh.join()).to.equal(1);
      expect(run().fetchedZh[0]).to.match(/\/digime\/strings\.zh\./);
    });

    it('then shows Russian', () => {
      expect(run().ru.switched).to.deep.equal({
        connect: 'Подключить digi.me',
        note: 'Файлы шифруются в вашем браузере перед отправкой.',
        title: 'Перетащите файлы, вставьте или выберите файлы',
        browse: 'выберите файлы',
      });
    });

    it('speaks English again', () => {
      expect(run().en.switched).to.deep.equal(run().english);
    });
  });

  describe('<universa-select-address> switched to zh, then ru, then back to en', () => {
    const run = situation(async () => {
      const { cb } = await issue();
      const { el } = await mountUniversa({ cb, locale: 'en' });
      await waitUntil(() => el.open, 'the popup', { timeout: 5000 });
      const read = () => ({ cancel: textOf(el.shadowRoot!, '[part="cancel"]'), ok: textOf(el.shadowRoot!, '[part="ok"]') });
      const zh = await switchTo(el as UniversaSelectAddress, 'zh', read, 'cancel');
      const ru = await switchTo(el as UniversaSelectAddress, 'ru', read, 'cancel');
      const en = await switchTo(el as UniversaSelectAddress, 'en', read, 'cancel');
      return { zh, ru, en };
    });

    it('keeps showing English until the Chinese is in, then Chinese', () => {
      expect(run().zh.meanwhile).to.deep.equal({ cancel: 'Cancel', ok: 'OK' });
      expect(run().zh.switched).to.deep.equal({ cancel: '取消', ok: '确定' });
    });

    it('shows Russian', () => {
      expect(run().ru.switched).to.deep.equal({ cancel: 'Отмена', ok: 'OK' });
    });

    it('speaks English again', () => {
      expect(run().en.switched).to.deep.equal({ cancel: 'Cancel', ok: 'OK' });
    });
  });

  describe('when the locale is a region or script tag, or unknown', () => {
    const run = situation(async () => {
      const shown = async (attrs: string, english: boolean) => {
        const el = await mountTitan(attrs);
        if (!english)
          await waitUntil(() => dropArea(el.shadowRoot!).browse !== 'browse files', `no language for ${attrs}`, { timeout: 5000 });
        return { ...dropArea(el.shadowRoot!), text: el.shadowRoot!.querySelector('.uppy-Dashboard')!.textContent! };
      };
      return {
        zhHansCN: await shown('locale="zh-Hans-CN"', false),
        zhCN: await shown('lang="zh-CN"', false),
        zhTW: await shown('locale="zh-TW"', false),
        zhHantHK: await shown('lang="zh-Hant-HK"', false),
        ruRU: await shown('locale="ru-RU"', false),
        deAT: await shown('locale="de-AT"', false),
        unknown: await shown('locale="xx-YY"', true),
        fetched: fetched(),
      };
    });

    it('zh-Hans-CN and zh-CN are Simplified Chinese', () => {
      for (const tag of ['zhHansCN', 'zhCN'] as const)
        expect(run()[tag], tag).to.include({ title: '将文件拖拽到这里或浏览文件', browse: '浏览文件' });
    });

    it('zh-TW and zh-Hant-HK are Traditional Chinese (Uppy zh_TW)', () => {
      for (const tag of ['zhTW', 'zhHantHK'] as const)
        expect(run()[tag], tag).to.include({ title: '將檔案拖曳至此處，或瀏覽檔案', browse: '瀏覽檔案' });
    });

    it("ru-RU is Russian, Uppy's pack as it is", () => {
      expect(run().ruRU).to.include({ title: 'Перетащите файлы, вставьте или выберите файлы', browse: 'выберите файлы' });
    });

    it('de-AT is German, with our wording for the drop area', () => {
      expect(run().deAT).to.include({ title: 'Dateien hierher ziehen oder Dateien auswählen', browse: 'Dateien auswählen' });
    });

    it('an unknown language is English, and fetches nothing for it', () => {
      expect(run().unknown).to.include({ title: 'Drop files here or browse files', browse: 'browse files' });
      expect(run().fetched.filter((p) => /xx/.test(p))).to.deep.equal([]);
    });

    it('leaves no placeholder unfilled in any language', () => {
      for (const [tag, shown] of Object.entries(run()).filter(([k]) => k !== 'fetched'))
        expect((shown as { text: string }).text, tag).to.not.match(/%\{|\{\w+\}/);
    });
  });

  describe('when more than four files are refused at once, in Russian', () => {
    const run = situation(async () => {
      const el = await mountTitan('locale="ru" accept=".pdf"');
      await waitUntil(() => dropArea(el.shadowRoot!).browse === 'выберите файлы', 'no Russian', { timeout: 5000 });
      let thrown: unknown;
      try {
        el.addFiles(Array.from({ length: 6 }, (_, i) => randomFile(10, `file${i}.bin`)));
      } catch (err) {
        thrown = err;
      }
      await waitUntil(() => textOf(el.shadowRoot!, '.uppy-Informer'), 'no message', { timeout: 3000 });
      return { thrown, message: textOf(el.shadowRoot!, '.uppy-Informer') };
    });

    // The pack has plural forms for it, which Uppy cannot pick (it passes `count`): they threw.
    it('refuses them without an error', () => {
      expect(run().thrown).to.equal(undefined);
    });

    it('says how many more were refused, in Russian', () => {
      expect(run().message).to.include('Не выполнено ещё ограничений: 2');
    });
  });

  describe('when the lang around elements without a locale changes', () => {
    const run = situation(async () => {
      const api = await titanApi();
      const wrapper = await fixture<HTMLDivElement>(
        `<div lang="en"><titan-uploader api-url="${api}" token-url="/app/titan/token"></titan-uploader><digime-writer backend-url="/app/digime"></digime-writer></div>`,
      );
      const titan = wrapper.querySelector<TitanUploader>('titan-uploader')!;
      const digime = wrapper.querySelector<DigiMeWriter>('digime-writer')!;
      await waitUntil(() => titan.shadowRoot!.querySelector('.uppy-Dashboard-browse'), 'no dashboard', { timeout: 3000 });
      const before = { titan: dropArea(titan.shadowRoot!), digime: digimeText(digime).connect };
      wrapper.lang = 'ru-RU';
      await waitUntil(() => digimeText(digime).connect !== 'Connect digi.me', 'no Russian', { timeout: 5000 });
      await waitUntil(() => dropArea(titan.shadowRoot!).browse !== 'browse files', 'no Russian Dashboard', { timeout: 5000 });
      return { before, after: { titan: dropArea(titan.shadowRoot!), digime: digimeText(digime).connect } };
    });

    it('both follow it', () => {
      expect(run().before).to.deep.equal({
        titan: { title: 'Drop files here or browse files', browse: 'browse files' },
        digime: 'Connect digi.me',
      });
      expect(run().after).to.deep.equal({
        titan: { title: 'Перетащите файлы, вставьте или выберите файлы', browse: 'выберите файлы' },
        digime: 'Подключить digi.me',
      });
    });
  });
});
