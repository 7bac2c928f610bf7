import type { CustomEventMap } from '../internal/base-element.js';
import { TitanUploader, type TitanUploaderEvents } from './titan-uploader.js';

export * from './protocol.js';
export {
  TitanClient,
  type FileHashes,
  type TitanClientOptions,
  type TitanLang,
  type TransferReportOutcome,
  type UploadAssetOptions,
  type UploadAssetResult,
  type TitanUploadPhase,
} from './client.js';
export { TitanError } from './errors.js';
export { hashFile, md5, type HashFileOptions, type Md5Options } from './md5.js';
export { TitanUploadPlugin, type TitanBody, type TitanUploadPluginOptions } from './plugin.js';
export { titanStrings, type TitanStrings, type TitanStringKey } from './strings.js';
export { TitanUploader, type TitanUploadResult, type TitanUploadFailure, type TitanUploaderEvents } from './titan-uploader.js';

TitanUploader.define('titan-uploader');

declare global {
  interface HTMLElementTagNameMap {
    'titan-uploader': TitanUploader;
  }
  interface GlobalEventHandlersEventMap extends CustomEventMap<TitanUploaderEvents> {}
}
