// `upload-elements/titan/client`: the Titan Storage client without the element, lit or Uppy.
export * from './protocol.js';
export {
  PARALLEL_HASH_BYTES,
  TitanClient,
  type FileHashes,
  type TitanClientEvents,
  type TitanClientOptions,
  type TitanLang,
  type TransferReportOutcome,
  type UploadAssetOptions,
  type UploadAssetResult,
  type TitanUploadPhase,
  type FolderEntry,
  type UploadFolderOptions,
  type UploadFolderResult,
} from './client.js';
export { TitanError, type TitanErrorCode } from './errors.js';
export type { ShareLink, ShareLinkOptions } from './share.js';
export type { TitanFolder } from './groups.js';
export { hashFile, md5, type HashFileOptions, type Md5Options } from './md5.js';
