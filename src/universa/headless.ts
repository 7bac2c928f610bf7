// `upload-elements/universa/client`: the import session, resume and address parsing without
// the element or lit.
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
export { contractSummary } from './summary-client.js';
export type { ContractSummary } from './summary-client.js';
