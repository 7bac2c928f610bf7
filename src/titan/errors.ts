import { UploadElementsError } from '../internal/errors.js';

/**
 * Every `code` a TitanError can carry. A number is Titan's own (the envelope's `err`, else its
 * `code`: 401, 1017, …) or an HTTP status; the names are this library's:
 * - `empty-file`: refused before any request (Titan does not store empty files).
 * - `network`: no answer from Titan or a node (offline, DNS, CORS, a node that stalled).
 * - `bad-response`: an answer that is not the documented shape.
 * - `no-nodes`: get_upload_info offered no node.
 * - `bad-node-url`: a node or link URL this page will not use (not https, not loopback).
 * - `node-upload`: no node took the file (the last node's error is the cause).
 * - `cid-mismatch`: the node's CID is not the file's; nothing was registered.
 * - `token-renewal`: no token source, or it failed.
 * - `extra-id`: the app's extra_id source failed.
 * - `unsupported`: not a local file (Uppy remote files cannot be hashed here).
 * - `md5`: hashing the file failed (it could not be read).
 * - `bad-folder`: a folder that cannot be one asset (no files, a path twice, a file that is a folder too).
 * - `aborted`: cancelled.
 * - `error`: anything else (its message says what).
 */
export type TitanErrorCode =
  | number
  | 'empty-file'
  | 'network'
  | 'bad-response'
  | 'no-nodes'
  | 'bad-node-url'
  | 'node-upload'
  | 'cid-mismatch'
  | 'token-renewal'
  | 'extra-id'
  | 'unsupported'
  | 'bad-request'
  | 'md5'
  | 'bad-folder'
  | 'aborted'
  | 'error';

/** Every failure of the Titan client, its uploader plugin and element. */
export class TitanError extends UploadElementsError {
  declare readonly code: TitanErrorCode;

  // Narrows `code` to the vocabulary above.
  // oxlint-disable-next-line eslint/no-useless-constructor
  constructor(code: TitanErrorCode, message: string, options?: { cause?: unknown; extra?: Record<string, unknown> }) {
    super(code, message, options);
  }
}

export function abortedError(): TitanError {
  return new TitanError('aborted', 'The upload was cancelled.');
}
