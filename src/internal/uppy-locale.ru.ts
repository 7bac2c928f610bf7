import type { Locale } from '@uppy/core/utils';
import ru_RU from '@uppy/locales/lib/ru_RU.js';

/** Uppy's Russian with two of its strings fixed, and the one string our Dashboards show that the pack lacks. */
const ru: Locale = {
  pluralize: ru_RU.pluralize,
  strings: {
    ...ru_RU.strings,
    // The pack's leaves out which file it is.
    exceedsSize: 'Файл %{file} превышает допустимый размер %{size}',
    // Uppy asks for it with `count`, not `smart_count`: the pack's plural forms would throw when
    // more than four files are refused at once.
    additionalRestrictionsFailed: 'Не выполнено ещё ограничений: %{count}',
    // Not in the pack (Uppy 6); it would show in English.
    dataUploadedOfUnknown: '%{complete} из неизвестного объёма',
  },
};

export default ru;
