/**
 * A small BOSS codec (Universa's Binary Object Serialization, the `.unicon` packing), enough to
 * write and read a contract-shaped tree: integers of any size, doubles, booleans, null, UTF-8
 * text, binaries, times, lists and dictionaries, with the tree-mode reference cache (stream mode is not supported).
 *
 * Header byte: `code = b & 7`, `value = b >> 3`; value < 23 is inline, 23…30 means 1…8
 * little-endian bytes follow, 31 means a varint length and then that many bytes.
 * DOM-free; the sandbox issuer packs its contracts with it.
 */

export type BossValue = null | boolean | number | bigint | string | Uint8Array | Date | BossValue[] | { [key: string]: BossValue };

const INT = 0;
const EXTRA = 1;
const NINT = 2;
const TEXT = 3;
const BIN = 4;
const CREF = 5;
const LIST = 6;
const DICT = 7;

const XT_DZERO = 1;
const XT_DONE = 2;
const XT_DMINUSONE = 4;
const XT_DOUBLE = 7;
const XT_TRUE = 12;
const XT_FALSE = 13;
const XT_TIME = 15;

export class BossError extends Error {
  override name = 'BossError';
}

export function packBoss(value: BossValue): Uint8Array {
  const out: number[] = [];
  // Texts are cached by content so repeated keys become references, as the reference writer does.
  const texts = new Map<string, number>();
  let cacheSize = 0;

  const varint = (n: bigint) => {
    for (; n > 0x7fn; n >>= 7n) out.push(Number(n & 0x7fn));
    out.push(Number(n) | 0x80);
  };
  const header = (code: number, v: number | bigint) => {
    let n = BigInt(v);
    if (n < 23n) return void out.push(code | (Number(n) << 3));
    const bytes: number[] = [];
    for (; n > 0n; n >>= 8n) bytes.push(Number(n & 0xffn));
    if (bytes.length <= 8) out.push(code | ((bytes.length + 22) << 3));
    else {
      out.push(code | 0xf8);
      varint(BigInt(bytes.length));
    }
    out.push(...bytes);
  };
  const write = (v: BossValue): void => {
    if (v === null) return header(CREF, 0);
    if (typeof v === 'boolean') return header(EXTRA, v ? XT_TRUE : XT_FALSE);
    if (typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v))) {
      const n = BigInt(v);
      return n < 0n ? header(NINT, -n) : header(INT, n);
    }
    if (typeof v === 'number') {
      if (v === 0) return header(EXTRA, XT_DZERO);
      if (v === 1) return header(EXTRA, XT_DONE);
      if (v === -1) return header(EXTRA, XT_DMINUSONE);
      header(EXTRA, XT_DOUBLE);
      const buf = new DataView(new ArrayBuffer(8));
      buf.setFloat64(0, v, true);
      return void out.push(...new Uint8Array(buf.buffer));
    }
    if (typeof v === 'string') {
      const ref = texts.get(v);
      if (ref !== undefined) return header(CREF, ref);
      texts.set(v, ++cacheSize);
      const bytes = new TextEncoder().encode(v);
      header(TEXT, bytes.length);
      return void out.push(...bytes);
    }
    if (v instanceof Uint8Array) {
      cacheSize++;
      header(BIN, v.length);
      return void out.push(...v);
    }
    if (v instanceof Date) {
      header(EXTRA, XT_TIME);
      return varint(BigInt(Math.floor(v.getTime() / 1000)));
    }
    cacheSize++;
    if (Array.isArray(v)) {
      header(LIST, v.length);
      return v.forEach(write);
    }
    const entries = Object.entries(v);
    header(DICT, entries.length);
    for (const [k, x] of entries) {
      write(k);
      write(x);
    }
  };
  write(value);
  return Uint8Array.from(out);
}

/** Reads one BOSS object; throws `BossError` on truncated or unknown input. */
export function unpackBoss(bytes: Uint8Array): BossValue {
  let pos = 0;
  const cache: BossValue[] = [];
  const byte = () => {
    if (pos >= bytes.length) throw new BossError('BOSS data is truncated.');
    return bytes[pos++]!;
  };
  const take = (n: number) => {
    if (pos + n > bytes.length) throw new BossError('BOSS data is truncated.');
    return bytes.subarray(pos, (pos += n));
  };
  const varint = () => {
    let n = 0n;
    for (let shift = 0n; shift < 640n; shift += 7n) {
      const b = byte();
      n |= BigInt(b & 0x7f) << shift;
      if (b & 0x80) return n;
    }
    throw new BossError('BOSS varint is too long.');
  };
  const header = (): [number, bigint] => {
    const b = byte();
    const v = b >> 3;
    if (v < 23) return [b & 7, BigInt(v)];
    const le = take(v === 31 ? Number(varint()) : v - 22);
    let n = 0n;
    for (let i = le.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(le[i]!);
    return [b & 7, n];
  };
  const small = (n: bigint) => (n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);
  // Every text/binary byte and every list or dict item takes at least one byte of input.
  const size = (n: bigint) => {
    if (n > BigInt(bytes.length - pos)) throw new BossError('BOSS length exceeds the data.');
    return Number(n);
  };
  const read = (depth: number): BossValue => {
    if (depth > 64) throw new BossError('BOSS data is nested too deeply.');
    const [code, n] = header();
    switch (code) {
      case INT:
        return small(n);
      case NINT:
        return small(-n);
      case TEXT:
      case BIN: {
        const raw = take(size(n));
        const v = code === TEXT ? new TextDecoder('utf-8', { fatal: true }).decode(raw) : raw.slice();
        cache.push(v);
        return v;
      }
      case CREF: {
        if (n === 0n) return null;
        const v = cache[Number(n) - 1];
        if (v === undefined) throw new BossError(`BOSS reference ${n} points nowhere.`);
        return v;
      }
      case LIST: {
        const list: BossValue[] = [];
        cache.push(list);
        for (let i = size(n); i > 0; i--) list.push(read(depth + 1));
        return list;
      }
      case DICT: {
        const dict: { [key: string]: BossValue } = {};
        cache.push(dict);
        for (let i = size(n); i > 0; i--) {
          const k = read(depth + 1);
          dict[k instanceof Uint8Array ? Array.from(k).join(',') : String(k)] = read(depth + 1);
        }
        return dict;
      }
      default:
        switch (Number(n)) {
          case XT_DZERO:
            return 0;
          case XT_DONE:
            return 1;
          case XT_DMINUSONE:
            return -1;
          case XT_DOUBLE:
            return new DataView(take(8).slice().buffer).getFloat64(0, true);
          case XT_TRUE:
            return true;
          case XT_FALSE:
            return false;
          case XT_TIME:
            return new Date(Number(varint()) * 1000);
        }
        throw new BossError(`Unknown BOSS extra type ${n}.`);
    }
  };
  const value = read(0);
  if (pos !== bytes.length) throw new BossError(`${bytes.length - pos} bytes after the BOSS object.`);
  return value;
}
