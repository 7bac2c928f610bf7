/**
 * Incremental MD5 in plain JavaScript (RFC 1321). Only used where WebAssembly may not be
 * compiled: a page whose Content-Security-Policy lacks 'wasm-unsafe-eval' refuses hash-wasm.
 * About as fast as spark-md5; hash-wasm remains the default everywhere else.
 */

// Per-round shift amounts and the sine-derived constants of RFC 1321.
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;

export class Md5 {
  #state = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
  #block = new Uint8Array(64);
  #words = new Int32Array(16);
  #blockLength = 0;
  #bytes = 0;

  update(data: Uint8Array): this {
    this.#bytes += data.length;
    let at = 0;
    if (this.#blockLength) {
      const take = Math.min(64 - this.#blockLength, data.length);
      this.#block.set(data.subarray(0, take), this.#blockLength);
      this.#blockLength += take;
      at = take;
      if (this.#blockLength < 64) return this;
      this.#compress(this.#block, 0);
      this.#blockLength = 0;
    }
    for (; at + 64 <= data.length; at += 64) this.#compress(data, at);
    if (at < data.length) {
      this.#block.set(data.subarray(at));
      this.#blockLength = data.length - at;
    }
    return this;
  }

  /** Lowercase hex digest; the hasher is finished afterwards. */
  digest(): string {
    const bits = this.#bytes * 8;
    const padLength = this.#blockLength < 56 ? 56 - this.#blockLength : 120 - this.#blockLength;
    const pad = new Uint8Array(padLength + 8);
    pad[0] = 0x80;
    const view = new DataView(pad.buffer);
    view.setUint32(padLength, bits >>> 0, true);
    view.setUint32(padLength + 4, Math.floor(bits / 2 ** 32), true);
    const bytes = this.#bytes;
    this.update(pad);
    this.#bytes = bytes;
    let hex = '';
    for (const word of this.#state) {
      for (let i = 0; i < 4; i++) hex += ((word >>> (i * 8)) & 0xff).toString(16).padStart(2, '0');
    }
    return hex;
  }

  #compress(data: Uint8Array, at: number): void {
    const x = this.#words;
    for (let i = 0; i < 16; i++) {
      const o = at + i * 4;
      x[i] = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24);
    }
    const st = this.#state;
    let a = st[0]!,
      b = st[1]!,
      c = st[2]!,
      d = st[3]!;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const s = S[(i >> 4) * 4 + (i & 3)]!;
      const t = (a + f + K[i]! + x[g]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
    }
    st[0] = (st[0]! + a) | 0;
    st[1] = (st[1]! + b) | 0;
    st[2] = (st[2]! + c) | 0;
    st[3] = (st[3]! + d) | 0;
  }
}
