import { DigiMeWriter } from './digime-writer.js';

DigiMeWriter.define('digime-writer');

export { DigiMeWriter } from './digime-writer.js';
export type { DigiMeWriterEventMap, DigiMeWriteOutcome, ErrorDetail as DigiMeErrorDetail } from './digime-writer.js';
export { encryptForPostbox, importPostboxKey, type EncryptedPayload } from './encrypt.js';
export { DigiMeWriterClient, readDigiMeReturn, withoutDigiMeReturn, type DigiMeReturn } from './client.js';
export { DigiMeWritePlugin, type DigiMeWritePluginOptions, type DigiMeWriteBody } from './plugin.js';
export { clearPostboxes, forgetPostbox, loadPostbox, savePostbox, type PostboxRecord } from './store.js';
export { digimeWriterStrings, type DigiMeWriterStrings, type DigiMeWriterStringKey } from './strings.js';
export type {
  FileDescriptor as DigiMeFileDescriptor,
  Postbox as DigiMePostbox,
  WriteResult as DigiMeWriteResult,
  WriteStatus as DigiMeWriteStatus,
} from './protocol.js';
