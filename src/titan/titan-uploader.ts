// Registers <titan-uploader> (the class is in titan-uploader.component.ts) and types it for
// querySelector, createElement and addEventListener.
import type { CustomEventMap } from '../internal/base-element.js';
import { TitanUploader, type TitanUploaderEventMap } from './titan-uploader.component.js';

export * from './titan-uploader.component.js';

TitanUploader.define('titan-uploader');

declare global {
  interface HTMLElementTagNameMap {
    'titan-uploader': TitanUploader;
  }
  interface GlobalEventHandlersEventMap extends CustomEventMap<TitanUploaderEventMap> {}
}
