// Node-only helpers for app backends. No DOM imports here.
export * from './titan.js';
export * from './callback.js';
export * from './handlers.js';
export * from './digime.js';
export * from './node.js';
export { DEFAULT_MAX_BODY_BYTES, RequestBodyError, type RequestBodyErrorCode } from './body.js';
// The types the helpers above take and return, so an app needs no deep import.
export { UploadElementsError } from '../internal/errors.js';
export type { DeleteNotification, TokenData, UploadNotification } from '../titan/protocol.js';
export type { EncryptedFields, ExchangeRequest, Postbox, WriteResult } from '../digime/protocol.js';
