// `upload-elements/digime/client`: the postbox writer client, encryption and the postbox store
// without the element, lit or Uppy.
export { DigiMeWriterClient, readDigiMeReturn, withoutDigiMeReturn, type DigiMeReturn } from './client.js';
export { encryptForPostbox, importPostboxKey, type EncryptedPayload } from './encrypt.js';
export { clearPostboxes, forgetPostbox, loadPostbox, savePostbox, type PostboxRecord } from './store.js';
export type {
  DigiMeErrorCode,
  FileDescriptor as DigiMeFileDescriptor,
  Postbox as DigiMePostbox,
  WriteResult as DigiMeWriteResult,
  WriteStatus as DigiMeWriteStatus,
} from './protocol.js';
