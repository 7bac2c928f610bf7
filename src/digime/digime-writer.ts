// Registers <digime-writer> (the class is in digime-writer.component.ts) and types it for
// querySelector, createElement and addEventListener.
import type { CustomEventMap } from '../internal/base-element.js';
import { DigiMeWriter, type DigiMeWriterEventMap } from './digime-writer.component.js';

export * from './digime-writer.component.js';

DigiMeWriter.define('digime-writer');

declare global {
  interface HTMLElementTagNameMap {
    'digime-writer': DigiMeWriter;
  }
  interface GlobalEventHandlersEventMap extends CustomEventMap<DigiMeWriterEventMap> {}
}
