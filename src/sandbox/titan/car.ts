import type { FileHandle } from 'node:fs/promises';
import { CID } from 'multiformats/cid';

/**
 * What a node checks of a CAR uploaded to `/upload` (titan-node node/asset/storage/asset.go
 * `saveUserAsset`): CARv1 or CARv2 (go-car v2 `NewReader`), then `verifyAsset`: the token's
 * root block is in it and so, recursively, is every block a dag-pb node links to. Blocks are
 * found by multihash, as go-car's read-only blockstore does. The header's own roots and the
 * blocks' hashes are not checked, as the node does not check them.
 *
 * Folders reach gigabytes, so the CAR is read from its file: an index of where each block
 * lies, then only the dag-pb blocks the walk visits. Raw leaves, most of the bytes, are never read.
 */

const DAG_PB = 0x70;
/** A CARv2 file starts with this CARv1-shaped pragma: `{version: 2}`. */
const V2_PRAGMA = Buffer.from('0aa16776657273696f6e02', 'hex');
/** The most bytes `Reader.varint` reads (53 bits). */
const VARINT_MAX = 8;
/** Enough of a section to hold its length and a usual CID. */
const SECTION_HEAD = VARINT_MAX + 128;

interface Block {
  cid: CID;
  /** Where the block's data lies in the file. */
  offset: number;
  length: number;
}

/** Undefined when the node would keep the CAR, else its error text. */
export async function verifyCar(file: FileHandle, root: CID): Promise<string | undefined> {
  let blocks: Map<string, Block>;
  try {
    blocks = await indexBlocks(file);
  } catch (err) {
    return (err as Error).message;
  }
  // Depth first, links in order, as the node's recursion goes: the first missing block is the one it names.
  const seen = new Set<string>();
  const stack = [root];
  for (let cid = stack.pop(); cid; cid = stack.pop()) {
    const key = hex(cid.multihash.bytes);
    if (seen.has(key)) continue;
    seen.add(key);
    const block = blocks.get(key);
    if (!block) return `verify car error: get block ${cid} error ipld: could not find ${cid}`;
    if (cid.code !== DAG_PB) continue;
    const data = await read(file, block.offset, block.length);
    let links: CID[];
    try {
      links = dagPbLinks(data);
    } catch (err) {
      return `verify car error: unmarshal failed. ${(err as Error).message}`;
    }
    for (let i = links.length - 1; i >= 0; i--) stack.push(links[i]!);
  }
  return undefined;
}

/** Every block's CID and place in the file, by multihash hex; the data itself is skipped. */
async function indexBlocks(file: FileHandle): Promise<Map<string, Block>> {
  const size = (await file.stat()).size;
  let pos = 0;
  let end = size;
  if ((await read(file, 0, V2_PRAGMA.length)).equals(V2_PRAGMA)) {
    // CARv2: pragma, 16 bytes of characteristics, then data offset and size (uint64 LE).
    const at = V2_PRAGMA.length + 16;
    const fields = await read(file, at, 16);
    if (fields.length < 16) throw new Error('unexpected EOF');
    pos = Math.min(Number(fields.readBigUInt64LE(0)), size);
    end = Math.min(pos + Number(fields.readBigUInt64LE(8)), size);
  }
  const lengthHead = new Reader(await read(file, pos, Math.min(VARINT_MAX, end - pos)));
  const headerLength = lengthHead.varint();
  if (headerLength === 0) throw new Error('invalid header: length 0');
  pos += lengthHead.offset;
  if (pos + headerLength > end) throw new Error('unexpected EOF');
  const header = cbor(new Reader(await read(file, pos, headerLength)));
  const version = (header as Record<string, unknown> | null)?.version;
  if (version !== 1) throw new Error(`invalid car version: ${String(version)}`);
  pos += headerLength;

  const blocks = new Map<string, Block>();
  while (pos < end) {
    const head = new Reader(await read(file, pos, Math.min(SECTION_HEAD, end - pos)));
    const length = head.varint();
    if (length === 0) break; // ZeroLengthSectionAsEOF
    const start = pos + head.offset;
    if (start + length > end) throw new Error('unexpected EOF');
    let cidBytes = head.rest().subarray(0, length);
    // A CID longer than the head read (a large identity hash): read all of it.
    const { size: cidSize } = CID.inspectBytes(cidBytes);
    if (cidSize > cidBytes.length && cidBytes.length < length) cidBytes = await read(file, start, Math.min(cidSize, length));
    const [cid, data] = CID.decodeFirst(cidBytes);
    const cidLength = cidBytes.length - data.length;
    blocks.set(hex(cid.multihash.bytes), { cid, offset: start + cidLength, length: length - cidLength });
    pos = start + length;
  }
  return blocks;
}

/** Up to `length` bytes at `position`, fewer only at the end of the file. */
async function read(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
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

/** Parses bytes already in memory: a section's head, the CAR header, a dag-pb block. */
class Reader {
  #pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.#pos >= this.buf.length;
  }

  get offset(): number {
    return this.#pos;
  }

  rest(): Uint8Array {
    return this.buf.subarray(this.#pos);
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
