// Registers <universa-select-address> (the class is in universa-select-address.component.ts)
// and types it for querySelector, createElement and addEventListener.
import type { CustomEventMap } from '../internal/base-element.js';
import { UniversaSelectAddress, type UniversaSelectAddressEventMap } from './universa-select-address.component.js';

export * from './universa-select-address.component.js';

UniversaSelectAddress.define('universa-select-address');

declare global {
  interface HTMLElementTagNameMap {
    'universa-select-address': UniversaSelectAddress;
  }
  interface GlobalEventHandlersEventMap extends CustomEventMap<UniversaSelectAddressEventMap> {}
}
