// Node-only helpers for app backends. No DOM imports here.
export * from './titan.js';
export * from './callback.js';
export * from './handlers.js';
export * from './digime.js';
export * from './node.js';
export { DEFAULT_MAX_BODY_BYTES, RequestBodyError, type RequestBodyErrorCode } from './body.js';
