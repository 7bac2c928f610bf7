/**
 * What a received contract is, for the popup to show before the download (the Universa web
 * client does): its kind, issuer and owner addresses, token amount and unit, dates and size.
 * Read from the `.unicon` packing as Universa writes it (UniversaBlockchain/universa: a sealed
 * contract is a BOSS `{type: "unicapsule", version, data: <BOSS of {contract: …}>, signatures}`,
 * Contract.java; a TransactionPack is `{__type: "TransactionPack", contract: <sealed>, subItems,
 * …}`, TransactionPack.java). Roles name keys (`{__type: "RSAPublicKey", packed: BOSS [type, e,
 * n]}`) or addresses (`{__type: "KeyAddress", uaddress}`); a key's address is computed as
 * KeyAddress.java does (SHA3-256 of e then n). DOM-free; runs in a Worker (summary.worker.ts).
 */
import { encodeSafe58 } from './address.js';
import { unpackBoss, type BossValue } from './boss.js';
import { keyAddressBytes } from './key-address.js';

export interface ContractSummary {
  /** `contract`: a sealed contract; `transaction-pack`: a TransactionPack around one. */
  kind: 'contract' | 'transaction-pack' | 'unknown';
  /** Bytes of the `.unicon`. */
  size: number;
  /** False when the bytes are not a contract this reads (still stored and downloadable). */
  readable: boolean;
  /** Short addresses of the issuer's keys and addresses. */
  issuer: string[];
  /** Short addresses of the owner's keys and addresses. */
  owner: string[];
  /** `state.data.amount`, as text (token contracts). */
  amount?: string;
  /** The token's unit: `unit_short_name`, `currency_code`, `short_currency`, `unit_name` or `currency_name`. */
  unit?: string;
  /** `definition.data.name`, else the unit's long name. */
  name?: string;
  /** ms since epoch. */
  createdAt?: number;
  expiresAt?: number;
}

type Dict = { [key: string]: BossValue };
const isDict = (v: BossValue | undefined): v is Dict =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
const text = (v: BossValue | undefined) => (typeof v === 'string' && v ? v : undefined);
const time = (v: BossValue | undefined) => (v instanceof Date ? v.getTime() : undefined);

/** Reads what it can; never throws (a contract it cannot read is `readable: false`). */
export function summarizeContract(bytes: Uint8Array): ContractSummary {
  const summary: ContractSummary = { kind: 'unknown', size: bytes.byteLength, readable: false, issuer: [], owner: [] };
  try {
    let top = unpackBoss(bytes);
    if (isDict(top) && top.__type === 'TransactionPack' && top.contract instanceof Uint8Array) {
      summary.kind = 'transaction-pack';
      top = unpackBoss(top.contract);
    } else summary.kind = 'contract';
    if (!isDict(top) || top.type !== 'unicapsule' || !(top.data instanceof Uint8Array)) return { ...summary, kind: 'unknown' };
    const sealed = unpackBoss(top.data);
    const contract = isDict(sealed) ? sealed.contract : undefined;
    if (!isDict(contract) || !isDict(contract.definition) || !isDict(contract.state)) return summary;
    const { definition, state } = contract;
    const defData = isDict(definition.data) ? definition.data : {};
    const stateData = isDict(state.data) ? state.data : {};
    const amount = stateData.amount;
    summary.readable = true;
    summary.issuer = roleAddresses(definition.issuer);
    summary.owner = roleAddresses(state.owner);
    if (typeof amount === 'string' || typeof amount === 'number' || typeof amount === 'bigint') summary.amount = String(amount);
    summary.unit = text(defData.unit_short_name) ?? text(defData.currency_code) ?? text(defData.short_currency) ?? text(defData.unit_name);
    summary.name = text(defData.name) ?? text(defData.unit_name) ?? text(defData.currency_name);
    summary.createdAt = time(definition.created_at) ?? time(state.created_at);
    summary.expiresAt = time(state.expires_at);
    return summary;
  } catch {
    return summary;
  }
}

/** The short addresses a SimpleRole names (its keys' and its addresses'); other roles name none. */
function roleAddresses(role: BossValue | undefined): string[] {
  if (!isDict(role)) return [];
  const found: string[] = [];
  for (const record of Array.isArray(role.keys) ? role.keys : []) {
    const key = isDict(record) && isDict(record.key) ? record.key : undefined;
    if (key?.__type === 'RSAPublicKey' && key.packed instanceof Uint8Array) {
      const address = rsaShortAddress(key.packed);
      if (address) found.push(address);
    }
  }
  for (const record of Array.isArray(role.addresses) ? role.addresses : []) {
    if (isDict(record) && record.uaddress instanceof Uint8Array) found.push(encodeSafe58(record.uaddress));
  }
  return found;
}

/** The short address of a packed `RSAPublicKey` (`[type, e, n]`), by KeyAddress's rule. */
function rsaShortAddress(packed: Uint8Array): string | undefined {
  const parts = unpackBoss(packed);
  if (!Array.isArray(parts) || !(parts[1] instanceof Uint8Array) || !(parts[2] instanceof Uint8Array)) return undefined;
  const address = keyAddressBytes(parts[1], parts[2]);
  return address && encodeSafe58(address);
}
