// `upload-elements/universa`: <universa-select-address> (registered) and the headless import session.
export { UniversaSelectAddress } from './universa-select-address.js';
export type {
  UniversaAddressOption,
  UniversaReceived,
  UniversaSelectAddressEventMap,
  UniversaSelectAddressEvents,
} from './universa-select-address.js';
export * from './headless.js';
export { universaLocales, universaStrings } from './strings.js';
export type { UniversaStrings, UniversaStringKey } from './strings.js';
