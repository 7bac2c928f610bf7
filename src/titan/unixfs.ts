// The CID a Titan node answers for an uploaded file, computed incrementally from the same reads
// as the md5. The node (titan-node lib/carutil/car.go CreateCar → writeFiles(noWrap=true) →
// go-unixfsnode v1.10.0 data/builder BuildUnixFSRecursive → BuildUnixFSFile(file, "", ls))
// builds a UnixFS file DAG; the rules below are that builder's (data/builder/file.go).
// DOM-free and Node-free: it runs in the hashing worker, on the main thread and in Node.
import { createSHA256 } from 'hash-wasm';
import { CID } from 'multiformats/cid';
import { create as multihash } from 'multiformats/hashes/digest';

/**
 * boxo/chunker FromString("") → DefaultSplitter: fixed 256 KiB chunks (io.ReadFull, so every
 * chunk but the last is full; an empty file gives none).
 */
export const UNIXFS_CHUNK_BYTES = 256 * 1024;
/** data/builder/file.go DefaultLinksPerBlock = roughLinkBlockSize / roughLinkSize = 8192 / 47. */
export const UNIXFS_LINKS_PER_BLOCK = 174;

const RAW = 0x55; // leafLinkProto: CIDv1, raw, sha2-256
const DAG_PB = 0x70; // fileLinkProto: CIDv1, dag-pb, sha2-256
const SHA2_256 = 0x12;

/** SHA-256 of `bytes`. It must not keep `bytes` after it returns: the caller reuses them. */
export type Sha256 = (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** WebCrypto's SHA-256 (secure contexts; copies its input when called, so that may be reused). */
export const webCryptoSha256: Sha256 = async (bytes) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));

/** hash-wasm's SHA-256 (needs a CSP that lets WebAssembly compile). */
export async function wasmSha256(): Promise<Sha256> {
  const hasher = await createSHA256();
  return (bytes) => hasher.init().update(bytes).digest('binary');
}

/** A child of a node to be: fileShardMeta in data/builder/file.go. */
export interface Shard {
  cid: CID;
  /** File bytes under it (byteSize): the parent's blocksizes entry. */
  bytes: number;
  /** Bytes of every block under it, its own included (storedSize): the parent's link Tsize. */
  stored: number;
}

/** How many leaf hashes may be under way at once (async SHA-256 overlaps them with reading). */
const IN_FLIGHT = 8;

/**
 * The tree's shape; the node's is the default. (go-unixfsnode takes other chunkers, "size-N", and
 * DefaultLinksPerBlock is a package variable: tests use small ones to build deep trees cheaply.)
 */
export interface UnixFsShape {
  chunkBytes?: number;
  linksPerBlock?: number;
}

/**
 * A block of the file's DAG, for a CAR of it: a raw leaf as the file's bytes `at` … `at + length`
 * (it is those bytes: nothing is copied), a dag-pb node as its encoded bytes.
 */
export type DagBlock = { cid: Uint8Array; at: number; length: number } | { cid: Uint8Array; bytes: Uint8Array };

export interface UnixFsHasherOptions extends UnixFsShape {
  /** Called with every block, in file order, leaves before the nodes above them. */
  onBlock?: (block: DagBlock) => void;
}

/**
 * Incremental UnixFS file CID, exactly as go-unixfsnode's BuildUnixFSFile makes it: 256 KiB raw
 * leaves, CIDv1 sha2-256, at most 174 links per dag-pb node, balanced. Memory: one chunk buffer
 * and fewer than 174 pending links per layer, whatever the file size.
 */
export class UnixFsFileHasher {
  readonly #sha256: Sha256;
  readonly #width: number;
  readonly #chunk: Uint8Array;
  #filled = 0;
  #leaves = 0;
  /** Leaf hashes under way, in file order. */
  #inFlight: Promise<Shard & { at: number }>[] = [];
  /** layers[0] holds leaves, layers[1] nodes of leaves, …: each fewer than 174 at rest. */
  readonly #layers: Shard[][] = [];
  readonly #onBlock: UnixFsHasherOptions['onBlock'];

  constructor(
    sha256: Sha256,
    { chunkBytes = UNIXFS_CHUNK_BYTES, linksPerBlock = UNIXFS_LINKS_PER_BLOCK, onBlock }: UnixFsHasherOptions = {},
  ) {
    this.#sha256 = sha256;
    this.#chunk = new Uint8Array(chunkBytes);
    this.#width = linksPerBlock;
    this.#onBlock = onBlock;
  }

  /**
   * Feeds the next bytes of the file (any length). The leaf hashes it starts are started before it
   * first waits; `bytes` may be reused once it resolves.
   */
  async update(bytes: Uint8Array): Promise<void> {
    const size = this.#chunk.length;
    for (let at = 0; at < bytes.length;) {
      let leaf: Uint8Array;
      if (!this.#filled && bytes.length - at >= size) {
        leaf = bytes.subarray(at, (at += size)); // a whole chunk in place, no copy
      } else {
        const n = Math.min(size - this.#filled, bytes.length - at);
        this.#chunk.set(bytes.subarray(at, (at += n)), this.#filled);
        if ((this.#filled += n) < size) break;
        leaf = this.#chunk;
        this.#filled = 0;
      }
      this.#leaf(leaf);
      if (this.#inFlight.length > IN_FLIGHT) await this.#settle(IN_FLIGHT);
    }
  }

  /** The root CID as the node prints it (`cid.String()`: base32, `bafk…` or `bafy…`). */
  async digest(): Promise<string> {
    return (await this.root()).cid.toString();
  }

  /** The root: its CID, the file's size and the bytes of all its blocks (a directory link's Tsize). */
  async root(): Promise<Shard> {
    if (this.#filled) this.#leaf(this.#chunk.subarray(0, this.#filled));
    this.#filled = 0;
    await this.#settle(0);
    // BuildUnixFSFile: no chunk at all stores an empty raw block as the root.
    if (!this.#leaves) {
      const cid = CID.createV1(RAW, multihash(SHA2_256, await this.#sha256(new Uint8Array(0))));
      this.#onBlock?.({ cid: cid.bytes, at: 0, length: 0 });
      return { cid, bytes: 0, stored: 0 };
    }
    // What is left: at each layer a last, partial group, which becomes a node of the layer above,
    // except that a group of one is its child itself (fileTreeRecursive: "degenerate case",
    // len(children) == 1 returns children[0]; so does a whole file of one chunk).
    let carry: Shard | undefined;
    for (let depth = 0; ; depth++) {
      const group = this.#layers[depth] ?? [];
      if (carry) group.push(carry);
      if (group.length === 1 && !this.#layers.slice(depth + 1).some((layer) => layer.length)) return group[0]!;
      carry = group.length > 1 ? await this.#node(group) : group[0];
    }
  }

  /** A raw leaf (fileTreeRecursive, depth 1): its Tsize and byte size are both its length. */
  #leaf(bytes: Uint8Array): void {
    const size = bytes.length;
    // Every leaf but the last is a whole chunk, so the leaf's place in the file is its index's.
    const at = this.#leaves++ * this.#chunk.length;
    const shard = Promise.resolve(this.#sha256(bytes)).then((hash) => {
      const cid = CID.createV1(RAW, multihash(SHA2_256, hash));
      return { cid, bytes: size, stored: size, at };
    });
    shard.catch(() => undefined); // awaited, and so thrown, in order by #settle
    this.#inFlight.push(shard);
  }

  /** Moves finished leaf hashes into the tree until at most `keep` remain under way. */
  async #settle(keep: number): Promise<void> {
    while (this.#inFlight.length > keep) {
      const { at, ...leaf } = await this.#inFlight.shift()!;
      this.#onBlock?.({ cid: leaf.cid.bytes, at, length: leaf.bytes });
      await this.#add(0, leaf);
    }
  }

  /**
   * A full group becomes a node of the layer above at once; BuildUnixFSFile grows the tree one
   * depth at a time around the previous (full) root, which gives the same balanced layout.
   */
  async #add(depth: number, shard: Shard): Promise<void> {
    const layer = (this.#layers[depth] ??= []);
    layer.push(shard);
    if (layer.length < this.#width) return;
    this.#layers[depth] = [];
    await this.#add(depth + 1, await this.#node(layer));
  }

  /** fileTreeRecursive's node over `children`, encoded as go-codec-dagpb writes it. */
  async #node(children: Shard[]): Promise<Shard> {
    const bytes = children.reduce((sum, c) => sum + c.bytes, 0);
    // UnixFS Data (data/marshal.go AppendEncodeUnixFSData, fields in this order): Type = File (2),
    // no Data, filesize = the bytes under it, one unpacked blocksizes varint per child.
    const unixfs = [0x08, 2, 0x18, ...varint(bytes)];
    for (const c of children) unixfs.push(0x20, ...varint(c.bytes));
    // packFileChildren makes each link with BuildUnixFSDirectoryEntry("", storedSize, link): an
    // empty Name (present, so encoded), Tsize = every stored byte under the child.
    const block = dagPbNode(
      children.map((c) => ({ cid: c.cid.bytes, name: NO_NAME, tsize: c.stored })),
      unixfs,
    );
    const cid = await dagPbCid(block, this.#sha256);
    this.#onBlock?.({ cid: cid.bytes, bytes: block });
    // sizedStore: storedSize = children's stored sizes + this block's encoded length.
    return { cid, bytes, stored: children.reduce((sum, c) => sum + c.stored, block.length) };
  }
}

const NO_NAME = new Uint8Array(0);

/**
 * A dag-pb PBNode as go-codec-dagpb writes it: Links (field 2) before Data (field 1), each link
 * its Hash, Name and Tsize (fields 1, 2, 3), in the order given. `data` is the UnixFS Data message.
 */
export function dagPbNode(links: { cid: Uint8Array; name: Uint8Array; tsize: number }[], data: number[]): Uint8Array<ArrayBuffer> {
  const node: number[] = [];
  for (const l of links) {
    const link = [0x0a, ...varint(l.cid.length), ...l.cid, 0x12, ...varint(l.name.length), ...l.name, 0x18, ...varint(l.tsize)];
    node.push(0x12, ...varint(link.length), ...link);
  }
  node.push(0x0a, ...varint(data.length), ...data);
  return Uint8Array.from(node) as Uint8Array<ArrayBuffer>;
}

/** The CID of a dag-pb block: CIDv1, dag-pb, sha2-256. */
export async function dagPbCid(block: Uint8Array, sha256: Sha256): Promise<CID> {
  return CID.createV1(DAG_PB, multihash(SHA2_256, await sha256(block)));
}

/** Unsigned LEB128, exact up to 2^53 (file sizes past 4 GiB: no 32-bit bit operations). */
export function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
  out.push(n);
  return out;
}
