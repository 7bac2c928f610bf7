/**
 * A small BOSS encoder (Universa's Binary Object Serialization, the `.unicon` packing), enough to
 * write a contract-shaped tree: integers of any size, doubles, booleans, null, UTF-8
 * text, binaries, times, lists and dictionaries, with the tree-mode reference cache (stream mode is not supported).
 *
 * Header byte: `code = b & 7`, `value = b >> 3`; value < 23 is inline, 23…30 means 1…8
 * little-endian bytes follow, 31 means a varint length and then that many bytes.
 * DOM-free; the sandbox issuer packs its contracts with it. Reading is `src/universa/boss.ts`.
 */

import { BOSS, BOSS_EXTRA, type BossValue } from '../universa/boss.js';

// The decoder is the library's (issuer answers are foreign input); the encoder is the sandbox's.
export { BossError, unpackBoss, type BossErrorCode, type BossValue } from '../universa/boss.js';

const { INT, EXTRA, NINT, TEXT, BIN, CREF, LIST, DICT } = BOSS;
const {
  DZERO: XT_DZERO,
  DONE: XT_DONE,
  DMINUSONE: XT_DMINUSONE,
  DOUBLE: XT_DOUBLE,
  TRUE: XT_TRUE,
  FALSE: XT_FALSE,
  TIME: XT_TIME,
} = BOSS_EXTRA;

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
    // Little-endian bytes from the hex digits, in one pass (shifting a huge BigInt byte by byte is quadratic).
    const hex = n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, '0');
    const bytes: number[] = [];
    for (let i = hex.length - 2; i >= 0; i -= 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
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
