import { UploadElementsError } from '../internal/errors.js';

/**
 * Every failure of the Titan client. `code` is Titan's own code where the service gave one
 * (`401`, the envelope's `err` or `code`), an HTTP status, or a short name: `network`,
 * `aborted`, `token-renewal`, `node-upload`, `bad-response`, `md5`.
 */
export class TitanError extends UploadElementsError {}

export function abortedError(): TitanError {
  return new TitanError('aborted', 'The upload was cancelled.');
}
