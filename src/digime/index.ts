// `upload-elements/digime`: the headless client, its Uppy plugin, and <digime-writer> (registered).
export * from './headless.js';
export { DigiMeWritePlugin, type DigiMeWritePluginOptions, type DigiMeWriteBody } from './plugin.js';
export { digimeWriterLocales, digimeWriterStrings, type DigiMeWriterStrings, type DigiMeWriterStringKey } from './strings.js';
export { uppyLocales } from '../internal/uppy-locales.js';
export { DigiMeWriter } from './digime-writer.js';
export type {
  DigiMeWriterEventMap,
  DigiMeWriteOutcome,
  DigiMeWriteResult,
  DigiMeWriteFailure,
  DigiMeWriteReport,
  DigiMeWriteReportDetail,
  ErrorDetail as DigiMeErrorDetail,
} from './digime-writer.js';
