import { CID } from 'multiformats/cid';

/**
 * What a node checks of a CAR uploaded to `/upload` (titan-node node/asset/storage/asset.go
 * `saveUserAsset`): CARv1 or CARv2 (go-car v2 `NewReader`), then `verifyAsset`: the token's
 * root block is in it and so, recursively, is every block a dag-pb node links to. Blocks are
 * found by multihash, as go-car's read-only blockstore does. The header's own roots and the
 * blocks' hashes are not checked, as the node does not check them.
 */

const DAG_PB = 0x70;
/** A CARv2 file starts with this CARv1-shaped pragma: `{version: 2}`. */
const V2_PRAGMA = Buffer.from('0aa16776657273696f6e02', 'hex');

/** Undefined when the node would keep the CAR, else its error text. */
export function verifyCar(car: Buffer, root: CID): string | undefined {
  let blocks: Map<string, { cid: CID; data: Uint8Array }>;
  try {
    blocks = readBlocks(car);
  } catch (err) {
    return (err as Error).message;
  }
  const seen = new Set<string>();
  const visit = (cid: CID): string | undefined => {
    const key = hex(cid.multihash.bytes);
    if (seen.has(key)) return undefined;
    seen.add(key);
    const block = blocks.get(key);
    if (!block) return `get block ${cid} error ipld: could not find ${cid}`;
    if (cid.code !== DAG_PB) return undefined;
    let links: CID[];
    try {
      links = dagPbLinks(block.data);
    } catch (err) {
      return `unmarshal failed. ${(err as Error).message}`;
    }
    for (const link of links) {
      const error = visit(link);
      if (error) return error;
    }
    return undefined;
  };
  const error = visit(root);
  return error && `verify car error: ${error}`;
}

function readBlocks(car: Buffer): Map<string, { cid: CID; data: Uint8Array }> {
  let data = car;
  if (car.subarray(0, V2_PRAGMA.length).equals(V2_PRAGMA)) {
    // CARv2: pragma, 16 bytes of characteristics, then data offset and size (uint64 LE).
    const at = V2_PRAGMA.length + 16;
    if (car.length < at + 16) throw new Error('unexpected EOF');
    const offset = Number(car.readBigUInt64LE(at));
    data = car.subarray(offset, offset + Number(car.readBigUInt64LE(at + 8)));
  }
  const r = new Reader(data);
  const headerLength = r.varint();
  if (headerLength === 0) throw new Error('invalid header: length 0');
  const header = cbor(new Reader(r.bytes(headerLength)));
  const version = (header as Record<string, unknown> | null)?.version;
  if (version !== 1) throw new Error(`invalid car version: ${String(version)}`);
  const blocks = new Map<string, { cid: CID; data: Uint8Array }>();
  while (!r.done) {
    const length = r.varint();
    if (length === 0) break; // ZeroLengthSectionAsEOF
    const section = r.bytes(length);
    const [cid, rest] = CID.decodeFirst(section);
    blocks.set(hex(cid.multihash.bytes), { cid, data: rest });
  }
  return blocks;
}

/** PBNode field 2 (Links), each a PBLink whose field 1 is the Hash (a binary CID). */
function dagPbLinks(block: Uint8Array): CID[] {
  const links: CID[] = [];
  for (const [field, value] of protoFields(new Reader(block))) {
    if (field !== 2 || !(value instanceof Uint8Array)) continue;
    for (const [f, v] of protoFields(new Reader(value))) if (f === 1 && v instanceof Uint8Array) links.push(CID.decode(v));
  }
  return links;
}

function* protoFields(r: Reader): Generator<[number, number | Uint8Array]> {
  while (!r.done) {
    const key = r.varint();
    const wire = key & 7;
    if (wire === 0) yield [key >>> 3, r.varint()];
    else if (wire === 2) yield [key >>> 3, r.bytes(r.varint())];
    else throw new Error(`proto: wire type ${wire} not expected in dag-pb`);
  }
}

/** Just enough DAG-CBOR for a CAR header: maps, arrays, strings, bytes, uints, tag 42, simple values. */
function cbor(r: Reader): unknown {
  const first = r.byte();
  const major = first >> 5;
  const info = first & 31;
  const arg = info < 24 ? info : info <= 27 ? r.uint(1 << (info - 24)) : NaN;
  if (Number.isNaN(arg)) throw new Error('invalid header: unsupported CBOR');
  switch (major) {
    case 0:
      return arg;
    case 2:
      return r.bytes(arg);
    case 3:
      return Buffer.from(r.bytes(arg)).toString('utf8');
    case 4:
      return Array.from({ length: arg }, () => cbor(r));
    case 5:
      return Object.fromEntries(Array.from({ length: arg }, () => [String(cbor(r)), cbor(r)]));
    case 6:
      return cbor(r); // tag 42 (a CID): the bytes are enough here
    case 7:
      return arg === 20 ? false : arg === 21 ? true : null;
    default:
      throw new Error('invalid header: unsupported CBOR');
  }
}

class Reader {
  #pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.#pos >= this.buf.length;
  }

  byte(): number {
    if (this.done) throw new Error('unexpected EOF');
    return this.buf[this.#pos++]!;
  }

  bytes(n: number): Uint8Array {
    if (this.#pos + n > this.buf.length) throw new Error('unexpected EOF');
    return this.buf.subarray(this.#pos, (this.#pos += n));
  }

  /** Unsigned LEB128 (multiformats varint, protobuf varint). */
  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 53; shift += 7) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    throw new Error('varint too long');
  }

  /** Big-endian unsigned of `n` bytes (CBOR argument). */
  uint(n: number): number {
    let value = 0;
    for (const b of this.bytes(n)) value = value * 256 + b;
    return value;
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
