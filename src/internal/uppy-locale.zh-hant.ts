import type { Locale } from '@uppy/core/utils';
import zh_TW from '@uppy/locales/lib/zh_TW.js';

/** Uppy's Traditional Chinese with two of its strings fixed. */
const zhHant: Locale = {
  pluralize: zh_TW.pluralize,
  strings: {
    ...zh_TW.strings,
    // The pack's leaves out which file it is.
    exceedsSize: '%{file} 超出允許的最大大小 %{size}',
    // The pack's swaps the two counts ("%{complete} of %{smart_count} files uploaded").
    filesUploadedOfTotal: '已上傳 %{smart_count} 個檔案中的 %{complete} 個',
  },
};

export default zhHant;
