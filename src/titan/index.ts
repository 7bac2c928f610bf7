// `upload-elements/titan`: the headless client, its Uppy plugin, and <titan-uploader> (registered).
export * from './headless.js';
export { TitanUploadPlugin, type TitanBody, type TitanUploadPluginOptions } from './plugin.js';
export { titanLocales, titanStrings, type TitanStrings, type TitanStringKey } from './strings.js';
export { uppyLocales } from '../internal/uppy-locales.js';
export {
  TitanUploader,
  type TitanUploadResult,
  type TitanUploadFailure,
  type TitanUploadReport,
  type TitanUploadReportDetail,
  type TitanUploaderEventMap,
  type TitanShareDetail,
  type LegacyDashboardStrings,
  type TitanUploaderEvents,
} from './titan-uploader.js';
