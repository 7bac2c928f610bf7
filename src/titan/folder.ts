// A folder uploaded as one Titan asset, as Titan's JS SDK does it (src/js/file/folderLoader.js):
// a CAR of a UnixFS directory, announced by create_asset with `asset_type: "folder"`, then
// posted to a node create_asset names, with that node's token. Loaded on first use.
//
// Where it differs from the SDK, on purpose: the SDK builds the CAR in memory (it appends every
// chunk to one growing array); here every file is read once to hash it, and the CAR is a Blob
// made of slices of the files themselves (a raw leaf's block IS its bytes), so a folder of any
// size costs memory for its block list only. A file in the folder has the DAG a Titan node
// builds for it alone (src/titan/unixfs.ts), so its CID inside the folder is its CID as a file.
import { CID } from 'multiformats/cid';
import { TRANSFER_STATE, type CreateAssetEntry, type CreateAssetRequest, type UploadNode } from './protocol.js';
import { abortedError, TitanError } from './errors.js';
import { dagPbCid, dagPbNode, UNIXFS_CHUNK_BYTES, varint, type DagBlock, type Sha256 } from './unixfs.js';
import type { FileDag } from './md5-core.js';
import type { NodeAttempt, NodeOutcome, TransferReportOutcome, UploadAssetOptions } from './client.js';

/** One file of a folder: where it sits in the folder (`a.txt`, `photos/2026/b.jpg`) and its bytes. */
export interface FolderEntry {
  path: string;
  data: Blob;
}

/** As for a file (`uploadAsset`): where it is stored, the app's extra_id, the phases. */
export interface UploadFolderOptions extends Pick<UploadAssetOptions, 'areaId' | 'groupId' | 'folder' | 'extraId' | 'onPhase'> {
  /** asset_name: the folder's name (default `folder`). */
  name?: string;
  /**
   * Cancels the upload. After create_asset (which, for a folder, comes before the transfer) the
   * announced asset is deleted again, so that a later try is not taken for a copy Titan has.
   */
  signal?: AbortSignal;
  /** Bytes of the files read (hashed) so far. */
  onHashProgress?: (done: number, total: number) => void;
  /** Bytes of the CAR sent to the node so far. */
  onProgress?: (sent: number, total: number) => void;
}

export interface UploadFolderResult {
  /** The folder's root CID (a UnixFS directory), computed here. */
  cid: string;
  name: string;
  /** The CAR's size: the asset_size Titan records. */
  size: number;
  /** How many files, and their bytes. */
  files: number;
  bytes: number;
  url?: string;
  /** True when Titan had the folder already (this user's, 1017, or anyone's): nothing was sent. */
  deduplicated: boolean;
  /**
   * True when Titan's answer names this root: the node token create_asset gave is for this CID
   * and the node took the CAR (it checks that every block under the root is in it).
   */
  verified: boolean;
  nodeId?: string;
  extraId?: string;
  report: TransferReportOutcome;
}

/** What the folder upload needs of its TitanClient (private parts included). */
export interface FolderBridge {
  /** The file's DAG, read in the hashing Worker when `worker` (else on this thread). */
  dag(blob: Blob, options: { signal?: AbortSignal; worker: boolean; onProgress?: (done: number, total: number) => void }): Promise<FileDag>;
  /** This page's SHA-256 for the directory blocks, if it has one. */
  sha256(): Promise<Sha256 | undefined>;
  folderId(path: string): Promise<number>;
  createAsset(request: CreateAssetRequest): Promise<{ url?: string; exists: boolean; list: CreateAssetEntry[] }>;
  toNodes(
    nodes: UploadNode[],
    car: Blob,
    name: string,
    root: string,
    options: { signal: AbortSignal | undefined; onProgress: ((sent: number, total: number) => void) | undefined },
  ): Promise<NodeOutcome>;
  report(
    attempts: NodeAttempt[],
    traceId: string,
    cid: string,
    size: number,
    state: (typeof TRANSFER_STATE)[keyof typeof TRANSFER_STATE],
    started: number,
  ): Promise<TransferReportOutcome>;
  directUrl(cid: string): Promise<string | undefined>;
  deleteAsset(cid: string): Promise<void>;
  claims(token: string): Record<string, unknown> | undefined;
}

/**
 * Uploads a folder as one asset: packs it (`packFolder`), create_asset (`asset_type: "folder"`,
 * `asset_size` the CAR's size, which the node checks), the CAR to the first node that takes it,
 * then the transfer/report (which makes Titan call the app back) and the direct link.
 */
export async function uploadFolder(
  entries: FolderEntry[],
  options: UploadFolderOptions,
  client: FolderBridge,
): Promise<UploadFolderResult> {
  const { signal, onPhase } = options;
  const name = options.name || 'folder';
  const extraId = options.extraId ?? '';
  const started = Date.now();
  onPhase?.('md5');
  const packed = await packFolder(entries, client, { ...(signal ? { signal } : {}), onProgress: options.onHashProgress });
  if (signal?.aborted) throw abortedError();
  const groupId = options.folder ? await client.folderId(options.folder) : (options.groupId ?? 0);
  if (signal?.aborted) throw abortedError();

  onPhase?.('create-asset');
  const created = await client.createAsset({
    asset_name: name,
    asset_cid: packed.cid,
    area_id: options.areaId ?? [],
    node_id: '',
    asset_type: 'folder',
    asset_size: packed.car.size,
    group_id: groupId,
    md5: '',
    extra_id: extraId,
    need_trace: true,
  });
  const result = {
    cid: packed.cid,
    name,
    size: packed.car.size,
    files: packed.files,
    bytes: packed.bytes,
    ...(extraId ? { extraId } : {}),
  };
  const traceId = created.list[0]?.TraceID ?? '';
  let outcome: NodeOutcome | undefined;
  // No list: this user has the folder (1017), or Titan has it from someone (scheduler AlreadyExists).
  if (created.list.length) {
    // Titan's answer names the root: each node token is for this CID (AuthUserUploadDownloadAsset).
    const nodes = created.list.map(toNode);
    const foreign = nodes.find((n) => client.claims(n.Token)?.['AssetCID'] !== packed.cid);
    onPhase?.('node-upload');
    outcome = foreign
      ? {
          attempts: [],
          error: new TitanError('cid-mismatch', `Titan announced the folder under another CID than ${packed.cid}; nothing was sent.`),
        }
      : await client
          .toNodes(nodes, packed.car, `${name}.car`, packed.cid, { signal, onProgress: options.onProgress })
          .catch((err: unknown) => ({
            attempts: [],
            error: err instanceof TitanError ? err : new TitanError('error', String(err), { cause: err }),
          }));
    if (!outcome.cid) {
      await client.report(outcome.attempts, traceId, '', packed.car.size, TRANSFER_STATE.failure, started);
      // Titan recorded the folder at create_asset: left there, a later try would be answered
      // 1017 ("you have it") with nothing stored. Delete it, so a retry uploads.
      const left = await client.deleteAsset(packed.cid).then(
        () => '',
        (err: unknown) =>
          ` Titan still lists the folder, which could not be deleted (${(err as Error).message}): delete ${packed.cid} before trying again.`,
      );
      const { error } = outcome;
      throw new TitanError(error.code, `${error.message}${left}`, { cause: error });
    }
  }
  onPhase?.('report');
  const report = await client.report(outcome?.attempts ?? [], traceId, packed.cid, packed.car.size, TRANSFER_STATE.success, started);
  const url = created.url ?? (await client.directUrl(packed.cid));
  onPhase?.('done');
  return {
    ...result,
    ...(url ? { url } : {}),
    deduplicated: !outcome,
    verified: !!outcome?.cid,
    ...(outcome?.node ? { nodeId: outcome.node.NodeID } : {}),
    report,
  };
}

/**
 * A create_asset entry as a node to upload to. Its id is the first label of the node's host
 * name, as the JS SDK reads it (transfer/report adds the `c_`); none for an address.
 */
function toNode(entry: CreateAssetEntry): UploadNode {
  let host = '';
  try {
    host = new URL(entry.CandidateAddr).hostname;
  } catch {
    // Refused by the upload itself (not a URL this page sends to).
  }
  const label = /[a-z]/i.test(host.split('.')[0] ?? '') && host !== 'localhost' && !host.includes(':') ? host.split('.')[0]! : '';
  return { UploadURL: entry.CandidateAddr, Token: entry.Token, NodeID: label };
}

/**
 * A directory whose links outgrow this is written as a HAMT-sharded directory, as IPFS's
 * importers do (ipfs-unixfs-importer `shardSplitThresholdBytes`, strategy `links-bytes`: the
 * bytes of each file's name and CID; kubo's `HAMTShardingSize` is the same 256 KiB). The importer
 * counts files only (a subdirectory has no CID yet when it decides), and so does this packer, so
 * that a folder gets the root CID the importer gives it.
 */
export const SHARD_THRESHOLD_BYTES = 262_144;

/** A directory being built: its entries by name. */
interface Dir {
  entries: Map<string, Dir | { file: Blob; dag?: FileDag }>;
}

/** The folder's DAG: its root and the CAR of every block under it. */
export interface PackedFolder {
  cid: string;
  car: Blob;
  files: number;
  bytes: number;
}

/**
 * Hashes every file (`dag` reads each once) and builds the folder's directory DAG and its CARv1.
 * Refuses, before reading anything, paths that cannot be a UnixFS directory: empty segments,
 * `.` or `..`, the same path twice, a path that is a file and a folder at once.
 */
export async function packFolder(
  entries: FolderEntry[],
  client: Pick<FolderBridge, 'dag' | 'sha256'>,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<PackedFolder> {
  if (!entries.length) throw new TitanError('bad-folder', 'The folder has no files.');
  const root: Dir = { entries: new Map() };
  const files: { file: Blob; dag?: FileDag }[] = [];
  for (const { path, data } of entries) {
    const names = path.replace(/^\/+/, '').split('/');
    const bad = names.find((n) => !n || n === '.' || n === '..');
    if (bad !== undefined) throw new TitanError('bad-folder', `"${path}" is not a path inside a folder.`);
    let dir = root;
    for (const name of names.slice(0, -1)) {
      let next = dir.entries.get(name) ?? { entries: new Map() };
      if (!('entries' in next)) throw new TitanError('bad-folder', `"${path}": ${name} is a file and a folder at once.`);
      dir.entries.set(name, next);
      dir = next;
    }
    const leaf = names.at(-1)!;
    if (dir.entries.has(leaf)) throw new TitanError('bad-folder', `"${path}" is in the folder twice.`);
    const file = { file: data };
    dir.entries.set(leaf, file);
    files.push(file);
  }

  // One file at a time, each read once (in the hashing Worker).
  const total = files.reduce((sum, f) => sum + f.file.size, 0);
  let done = 0;
  for (const f of files) {
    if (options.signal?.aborted) throw abortedError();
    const before = done;
    f.dag = await client.dag(f.file, {
      ...(options.signal ? { signal: options.signal } : {}),
      // A file of one chunk is one SHA-256 (WebCrypto's runs off the page's thread anyway): a
      // Worker's round trip would cost more than it saves, a thousand times over for many small files.
      worker: f.file.size > UNIXFS_CHUNK_BYTES,
      onProgress: (n) => options.onProgress?.(before + n, total),
    });
    done += f.file.size;
  }

  // Directories bottom-up, then the CAR top-down: header, each directory's block followed by
  // what is under it, each file's blocks as its DAG listed them. A block that occurs twice (the
  // same file twice, a repeated chunk) is written once.
  const nodes = new Map<Dir, DirNode>();
  const sha256 = await client.sha256();
  if (!sha256) throw new TitanError('md5', 'No SHA-256 here (neither a secure context nor WebAssembly): a folder cannot be packed.');
  const top = await directoryNode(root, nodes, sha256);
  const parts: BlobPart[] = [carHeader(top.cid)];
  const written = new Set<string>();
  const put = (cid: Uint8Array, data: Uint8Array | Blob, length: number) => {
    const key = cid.join();
    if (written.has(key)) return;
    written.add(key);
    parts.push(bytes([...varint(cid.length + length), ...cid]), data as BlobPart);
  };
  const emit = (dir: Dir) => {
    for (const { cid, block } of nodes.get(dir)!.blocks) put(cid, block, block.length);
    for (const child of dir.entries.values()) {
      if ('entries' in child) emit(child);
      else for (const block of child.dag!.blocks) put(block.cid, ...blockData(child.file, block));
    }
  };
  emit(root);
  return { cid: top.cid.toString(), car: new Blob(parts, { type: 'application/car' }), files: files.length, bytes: total };
}

interface DirNode {
  cid: CID;
  /** Its blocks: one for a flat directory; the shard's root first, then its sub-shards. */
  blocks: { cid: Uint8Array; block: Uint8Array }[];
  /** Every block's bytes under it and its own: the Tsize of a link to it. */
  stored: number;
}

/** A block's data and length: a dag-pb node's bytes, or a raw leaf's slice of the file. */
function blockData(file: Blob, block: DagBlock): [Uint8Array | Blob, number] {
  return 'bytes' in block ? [block.bytes, block.bytes.length] : [file.slice(block.at, block.at + block.length), block.length];
}

const utf8 = new TextEncoder();

interface Link {
  name: Uint8Array;
  cid: Uint8Array;
  tsize: number;
}

/**
 * A UnixFS directory (dag-pb, CIDv1, sha2-256) over its entries, as IPFS's importers write one:
 * links sorted by the bytes of their names, each `{Hash, Name, Tsize}`, then Data = UnixFS
 * `{Type: Directory}`; past `SHARD_THRESHOLD_BYTES`, a HAMT-sharded directory. Subdirectories
 * first, each recorded in `nodes`.
 */
async function directoryNode(dir: Dir, nodes: Map<Dir, DirNode>, sha256: Sha256): Promise<DirNode> {
  const links: Link[] = [];
  let linkBytes = 0;
  for (const [name, child] of dir.entries) {
    const sub = 'entries' in child;
    const { cid, stored } = sub ? await directoryNode(child, nodes, sha256) : { cid: child.dag!.cid, stored: child.dag!.stored };
    const link = { name: utf8.encode(name), cid: cid instanceof CID ? cid.bytes : cid, tsize: stored };
    if (!sub) linkBytes += link.name.length + link.cid.length;
    links.push(link);
  }
  const blocks: DirNode['blocks'] = [];
  const top =
    linkBytes > SHARD_THRESHOLD_BYTES
      ? await shard(
          links.map((link) => ({ ...link, hash: murmur3x64(link.name) })),
          0,
          sha256,
          blocks,
        )
      : await pbNode(links, [0x08, 1], sha256, blocks); // Data: UnixFS Type = Directory (1)
  const node = { ...top, blocks };
  nodes.set(dir, node);
  return node;
}

/** One dag-pb block over `links` (sorted here) and `data`, added to `blocks`. */
async function pbNode(links: Link[], data: number[], sha256: Sha256, blocks: DirNode['blocks']) {
  links.sort((a, b) => compareBytes(a.name, b.name));
  const block = dagPbNode(links, data);
  const cid = await dagPbCid(block, sha256);
  blocks.push({ cid: cid.bytes, block });
  return { cid, stored: links.reduce((sum, l) => sum + l.tsize, block.length) };
}

/** Children of one HAMT node: 2^8, the fanout of IPFS's importers and of go-unixfs. */
const FANOUT = 256;

/**
 * One node of a HAMT-sharded directory (UnixFS HAMTShard, as go-unixfs hamt and
 * ipfs-unixfs-importer's DirSharded write it). Entries go to a slot by byte `depth` of the
 * murmur3-x64-64 of their name; a slot with one entry links it as its two-hex-digit slot
 * (upper case) followed by its name, a slot with more links a sub-shard by the slot alone. Data
 * = `{Type: HAMTShard, Data: the slots in use as a big-endian bitfield, without leading zero
 * bytes, hashType: murmur3-x64-64 (0x22), fanout: 256}`.
 */
async function shard(entries: (Link & { hash: bigint })[], depth: number, sha256: Sha256, blocks: DirNode['blocks']) {
  // Two names with the same 64-bit hash: a deeper level would rehash them (as the importer
  // does); with 2^64 values to collide in, refused instead.
  if (depth === 8) throw new TitanError('bad-folder', 'Two names in one folder hash alike; rename one of them.');
  const slots = new Map<number, typeof entries>();
  for (const e of entries) {
    const slot = Number((e.hash >> BigInt(56 - 8 * depth)) & 0xffn);
    const group = slots.get(slot);
    if (group) group.push(e);
    else slots.set(slot, [e]);
  }
  const below: DirNode['blocks'] = [];
  const links: Link[] = [];
  const bitfield = new Uint8Array(Math.ceil((Math.max(...slots.keys()) + 1) / 8));
  for (const [slot, group] of slots) {
    bitfield[bitfield.length - 1 - (slot >> 3)]! |= 1 << (slot & 7);
    const label = utf8.encode(slot.toString(16).toUpperCase().padStart(2, '0'));
    if (group.length === 1) {
      const e = group[0]!;
      links.push({ name: Uint8Array.from([...label, ...e.name]), cid: e.cid, tsize: e.tsize });
    } else {
      const sub = await shard(group, depth + 1, sha256, below);
      links.push({ name: label, cid: sub.cid.bytes, tsize: sub.stored });
    }
  }
  const data = [0x08, 5, 0x12, ...varint(bitfield.length), ...bitfield, 0x28, 0x22, 0x30, ...varint(FANOUT)];
  const node = await pbNode(links, data, sha256, blocks); // this node's block before its sub-shards'
  blocks.push(...below);
  return node;
}

const MASK_64 = (1n << 64n) - 1n;
const rotl64 = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & MASK_64;
const fmix64 = (k: bigint) => {
  k = ((k ^ (k >> 33n)) * 0xff51afd7ed558ccdn) & MASK_64;
  k = ((k ^ (k >> 33n)) * 0xc4ceb9fe1a85ec53n) & MASK_64;
  return k ^ (k >> 33n);
};

/**
 * MurmurHash3 x64 128 (seed 0), its first 64 bits: what UnixFS HAMTs place names by
 * (multicodec murmur3-x64-64, `@multiformats/murmur3` `murmur3128` first 8 bytes, big-endian).
 */
function murmur3x64(data: Uint8Array): bigint {
  const c1 = 0x87c37b91114253d5n;
  const c2 = 0x4cf5ad432745937fn;
  const mix1 = (k: bigint) => (rotl64((k * c1) & MASK_64, 31n) * c2) & MASK_64;
  const mix2 = (k: bigint) => (rotl64((k * c2) & MASK_64, 33n) * c1) & MASK_64;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const whole = data.length & ~15;
  let h1 = 0n;
  let h2 = 0n;
  for (let i = 0; i < whole; i += 16) {
    h1 ^= mix1(view.getBigUint64(i, true));
    h1 = (((rotl64(h1, 27n) + h2) & MASK_64) * 5n + 0x52dce729n) & MASK_64;
    h2 ^= mix2(view.getBigUint64(i + 8, true));
    h2 = (((rotl64(h2, 31n) + h1) & MASK_64) * 5n + 0x38495ab5n) & MASK_64;
  }
  let k1 = 0n;
  let k2 = 0n;
  for (let i = data.length - 1; i >= whole; i--) {
    if (i - whole >= 8) k2 = (k2 << 8n) | BigInt(data[i]!);
    else k1 = (k1 << 8n) | BigInt(data[i]!);
  }
  if (data.length - whole > 8) h2 ^= mix2(k2);
  if (data.length > whole) h1 ^= mix1(k1);
  h1 ^= BigInt(data.length);
  h2 ^= BigInt(data.length);
  h1 = (h1 + h2) & MASK_64;
  h2 = (h2 + h1) & MASK_64;
  return (fmix64(h1) + fmix64(h2)) & MASK_64;
}

/** CARv1 header: varint length, then DAG-CBOR `{roots: [root], version: 1}` (keys in length order). */
function carHeader(root: CID): Uint8Array<ArrayBuffer> {
  const cid = [0, ...root.bytes]; // tag 42's bytes start with the multibase identity prefix
  const cbor = [
    0xa2,
    0x65,
    ...utf8.encode('roots'),
    0x81,
    0xd8,
    0x2a,
    ...cborBytesHead(cid.length),
    ...cid,
    0x67,
    ...utf8.encode('version'),
    0x01,
  ];
  return bytes([...varint(cbor.length), ...cbor]);
}

function cborBytesHead(length: number): number[] {
  return length < 24 ? [0x40 | length] : length < 256 ? [0x58, length] : [0x59, length >> 8, length & 0xff];
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const bytes = (list: number[]) => Uint8Array.from(list) as Uint8Array<ArrayBuffer>;
