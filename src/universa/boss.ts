/**
 * BOSS decoding (Universa's Binary Object Serialization, the `.unicon` packing), for contracts
 * that arrive from an issuer, that is from anyone: linear in the input, bounded in depth, and
 * every malformed input is a `BossError` with its own code, never a TypeError or a hang.
 *
 * Header byte: `code = b & 7`, `value = b >> 3`; value < 23 is inline, 23…30 means 1…8
 * little-endian bytes follow, 31 means a varint length and then that many bytes. Tree mode
 * with the reference cache (stream mode is not supported). DOM-free.
 */
import { UploadElementsError } from '../internal/errors.js';

/** A decoded value. Dictionaries are null-prototype objects: a `__proto__` key is just a key. */
export type BossValue = null | boolean | number | bigint | string | Uint8Array | Date | BossValue[] | { [key: string]: BossValue };

export const BOSS = { INT: 0, EXTRA: 1, NINT: 2, TEXT: 3, BIN: 4, CREF: 5, LIST: 6, DICT: 7 } as const;
export const BOSS_EXTRA = { DZERO: 1, DONE: 2, DMINUSONE: 4, DOUBLE: 7, TRUE: 12, FALSE: 13, TIME: 15 } as const;

/**
 * - `truncated`: the data ends inside an object.
 * - `trailing-bytes`: bytes after the one object.
 * - `too-deep`: lists and dictionaries nested deeper than `maxDepth`.
 * - `too-long`: a varint longer than any real length.
 * - `bad-length`: a length larger than the data left.
 * - `bad-reference`: a cache reference to nothing.
 * - `cycle`: a reference to a list or dictionary that contains it.
 * - `bad-utf8`: text that is not UTF-8.
 * - `bad-date`: a time outside what a Date holds.
 * - `bad-key`: a dictionary key that is itself a list or dictionary.
 * - `unknown-type`: an extra type BOSS does not have.
 */
export type BossErrorCode =
  | 'truncated'
  | 'trailing-bytes'
  | 'too-deep'
  | 'too-long'
  | 'bad-length'
  | 'bad-reference'
  | 'cycle'
  | 'bad-utf8'
  | 'bad-date'
  | 'bad-key'
  | 'unknown-type';

export class BossError extends UploadElementsError {
  declare readonly code: BossErrorCode;
  // Narrows the constructor's `code` to the vocabulary.
  // oxlint-disable-next-line eslint/no-useless-constructor
  constructor(code: BossErrorCode, message: string) {
    super(code, message);
  }
}

export interface UnpackBossOptions {
  /** Deepest nesting of lists and dictionaries; default 64 (real contracts nest about 10 deep). */
  maxDepth?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** The largest time a Date holds, in seconds. */
const MAX_DATE_SECONDS = 8.64e12;

/** Reads one BOSS object, in time linear in `bytes`. */
export function unpackBoss(bytes: Uint8Array, options: UnpackBossOptions = {}): BossValue {
  const maxDepth = options.maxDepth ?? 64;
  let pos = 0;
  const cache: BossValue[] = [];
  /** Lists and dictionaries still being read: a reference to one of them would be a cycle. */
  const open = new Set<BossValue>();

  const byte = () => {
    if (pos >= bytes.length) throw new BossError('truncated', 'BOSS data is truncated.');
    return bytes[pos++]!;
  };
  const take = (n: number) => {
    if (n > bytes.length - pos) throw new BossError('truncated', 'BOSS data is truncated.');
    return bytes.subarray(pos, (pos += n));
  };
  // Lengths and times: at most 10 groups of 7 bits, more than any length of real data.
  const varint = () => {
    let n = 0;
    for (let scale = 1; scale < 2 ** 70; scale *= 128) {
      const b = byte();
      n += (b & 0x7f) * scale;
      if (b & 0x80) return n;
    }
    throw new BossError('too-long', 'BOSS varint is too long.');
  };
  /** A little-endian unsigned integer of any size, in one step (hex), not byte by byte. */
  const unsigned = (le: Uint8Array): bigint => {
    let hex = '';
    for (let i = le.length - 1; i >= 0; i--) hex += (le[i]! < 16 ? '0' : '') + le[i]!.toString(16);
    return hex ? BigInt(`0x${hex}`) : 0n;
  };
  const header = (): [number, bigint] => {
    const b = byte();
    const v = b >> 3;
    if (v < 23) return [b & 7, BigInt(v)];
    return [b & 7, unsigned(take(v === 31 ? varint() : v - 22))];
  };
  const small = (n: bigint) => (n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);
  // Every text/binary byte and every list or dictionary item takes at least one byte of input.
  const size = (n: bigint) => {
    if (n > BigInt(bytes.length - pos)) throw new BossError('bad-length', 'A BOSS length exceeds the data.');
    return Number(n);
  };
  /** Dictionary keys as text: contracts key by text; binary keys as their bytes, a time as ISO text. */
  const keyOf = (k: BossValue): string => {
    if (k instanceof Uint8Array) return Array.from(k).join(',');
    if (k instanceof Date) return k.toISOString();
    if (k !== null && typeof k === 'object') throw new BossError('bad-key', 'A BOSS dictionary key is a list or dictionary.');
    return String(k);
  };

  const read = (depth: number): BossValue => {
    if (depth > maxDepth) throw new BossError('too-deep', `BOSS data is nested deeper than ${maxDepth}.`);
    const [code, n] = header();
    switch (code) {
      case BOSS.INT:
        return small(n);
      case BOSS.NINT:
        return small(-n);
      case BOSS.TEXT: {
        const raw = take(size(n));
        let text: string;
        try {
          text = utf8.decode(raw);
        } catch {
          throw new BossError('bad-utf8', `BOSS text at byte ${pos - raw.length} is not UTF-8.`);
        }
        cache.push(text);
        return text;
      }
      case BOSS.BIN: {
        const bin = take(size(n)).slice();
        cache.push(bin);
        return bin;
      }
      case BOSS.CREF: {
        if (n === 0n) return null;
        const v = n <= BigInt(cache.length) ? cache[Number(n) - 1] : undefined;
        if (v === undefined) throw new BossError('bad-reference', `BOSS reference ${n} points nowhere.`);
        if (open.has(v)) throw new BossError('cycle', `BOSS reference ${n} points to an object that contains it.`);
        return v;
      }
      case BOSS.LIST: {
        const list: BossValue[] = [];
        cache.push(list);
        open.add(list);
        for (let i = size(n); i > 0; i--) list.push(read(depth + 1));
        open.delete(list);
        return list;
      }
      case BOSS.DICT: {
        const dict = Object.create(null) as { [key: string]: BossValue };
        cache.push(dict);
        open.add(dict);
        for (let i = size(n); i > 0; i--) {
          const k = keyOf(read(depth + 1));
          dict[k] = read(depth + 1);
        }
        open.delete(dict);
        return dict;
      }
      default:
        switch (Number(n)) {
          case BOSS_EXTRA.DZERO:
            return 0;
          case BOSS_EXTRA.DONE:
            return 1;
          case BOSS_EXTRA.DMINUSONE:
            return -1;
          case BOSS_EXTRA.DOUBLE:
            return new DataView(take(8).slice().buffer).getFloat64(0, true);
          case BOSS_EXTRA.TRUE:
            return true;
          case BOSS_EXTRA.FALSE:
            return false;
          case BOSS_EXTRA.TIME: {
            const seconds = varint();
            if (seconds > MAX_DATE_SECONDS) throw new BossError('bad-date', `BOSS time ${seconds} s is outside what a date holds.`);
            return new Date(seconds * 1000);
          }
        }
        throw new BossError('unknown-type', `Unknown BOSS extra type ${n}.`);
    }
  };
  const value = read(0);
  if (pos !== bytes.length) throw new BossError('trailing-bytes', `${bytes.length - pos} bytes after the BOSS object.`);
  return value;
}
