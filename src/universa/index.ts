import type { CustomEventMap } from '../internal/base-element.js';
import { UniversaSelectAddress, type UniversaSelectAddressEvents } from './universa-select-address.js';

export { UniversaSelectAddress } from './universa-select-address.js';
export type { UniversaAddressOption, UniversaSelectAddressEvents } from './universa-select-address.js';
export { ImportSession, isRetryable } from './session.js';
export type { ImportSessionEvents, ImportSessionOptions, ImportState } from './session.js';
export { resumePendingImports } from './resume.js';
export type { ResumeOptions } from './resume.js';
export { parseUniversaAddress, UniversaAddressError } from './address.js';
export type { AddressProblem, UniversaAddress } from './address.js';
export { UniversaError, clampPollSeconds, ISSUER_STATES } from './protocol.js';
export type { IssuerOffer, IssuerState, CheckAnswer, OkAnswer, UniversaErrorCode } from './protocol.js';
export { PENDING_MAX_AGE_MS } from './store.js';
export type { PendingImport, PendingPhase, PendingStore } from './store.js';
export { universaLocales, universaStrings } from './strings.js';
export type { UniversaStrings, UniversaStringKey } from './strings.js';

UniversaSelectAddress.define('universa-select-address');

declare global {
  interface HTMLElementTagNameMap {
    'universa-select-address': UniversaSelectAddress;
  }
  interface GlobalEventHandlersEventMap extends CustomEventMap<UniversaSelectAddressEvents> {}
}
