// The CID a Titan node answers for an upload, computed by an independent UnixFS implementation
// (ipfs-unixfs-importer, IPFS's own JS importer), configured to build what the node builds:
// titan-node lib/carutil/car.go CreateCar → go-unixfsnode v1.10.0 data/builder BuildUnixFSFile.
// No Node built-ins, so browser tests can use it as their reference too; the client computes the
// same CID with its own code (src/titan/unixfs.ts).
import { importByteStream, importer, type ImporterOptions } from 'ipfs-unixfs-importer';
import { balanced, type FileLayout } from 'ipfs-unixfs-importer/layout';
import type { CID } from 'multiformats/cid';

/** Chunk size and links per node; Titan's (go-unixfsnode's defaults) unless a test asks for others. */
export interface UnixFsShape {
  chunkBytes?: number;
  linksPerBlock?: number;
}

/**
 * go-unixfsnode's balanced tree: batches of DefaultLinksPerBlock (174) children per node, and a
 * batch of one child is that child itself, at every depth (data/builder/file.go
 * fileTreeRecursive, "degenerate case": `len(children) == 1` returns `children[0]`). The
 * importer's own balanced layout would wrap a lone last child in a node of one link (it does for
 * a 175-chunk file, for one), so its reducer is given that one rule.
 */
const goBalanced =
  (linksPerBlock: number): FileLayout =>
  (source, reduce) =>
    balanced({ maxChildrenPerNode: linksPerBlock })(source, (children) =>
      // A file of one chunk (`single`) is left to the importer, which reduces it to its leaf and
      // keeps its path (a folder needs it); a lone chunk deeper in is the child itself.
      children.length === 1 && !(children[0] as { single?: boolean }).single ? Promise.resolve(children[0]!) : reduce(children),
    );

/**
 * Fixed-size chunks. (The importer's own `fixedSize` is the same, but its module's siblings pull
 * in rabin-wasm, whose Node build does not load in a browser test.)
 */
const fixedSize = (chunkBytes: number) =>
  async function* (source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    let buf = new Uint8Array(chunkBytes);
    let used = 0;
    let yielded = false;
    for await (const piece of source) {
      for (let at = 0; at < piece.length;) {
        const n = Math.min(chunkBytes - used, piece.length - at);
        buf.set(piece.subarray(at, at + n), used);
        used += n;
        at += n;
        if (used === chunkBytes) {
          yielded = true;
          yield buf;
          buf = new Uint8Array(chunkBytes);
          used = 0;
        }
      }
    }
    // The empty file is one empty chunk.
    if (used > 0 || !yielded) yield buf.subarray(0, used);
  };

const importerOptions = ({ chunkBytes = 256 * 1024, linksPerBlock = 174 }: UnixFsShape): ImporterOptions => ({
  // boxo/chunker FromString("") → DefaultSplitter: 256 KiB fixed-size chunks.
  chunker: fixedSize(chunkBytes),
  layout: goBalanced(linksPerBlock),
  // leafLinkProto / fileLinkProto: CIDv1 everywhere, raw (0x55) leaves, dag-pb (0x70) nodes, sha2-256.
  cidVersion: 1,
  rawLeaves: true,
  // A file of one chunk (or none: an empty raw block) is its raw leaf, with no node above it.
  reduceSingleLeafToSelf: true,
  // go-codec-dagpb writes Links before Data.
  fieldOrder: 'links-first',
});

/** Blocks are only hashed, never kept. */
const discard = { put: (cid: CID) => cid };

async function cidOf(content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, shape: UnixFsShape): Promise<string> {
  const { cid } = await importByteStream(content, discard, importerOptions(shape));
  return cid.toString();
}

/**
 * The root CID a Titan node gives a file read as this stream of chunks (of any sizes), e.g.
 * `createReadStream(path)`: memory stays small.
 */
export function unixfsCidOfStream(content: AsyncIterable<Uint8Array>, shape: UnixFsShape = {}): Promise<string> {
  return cidOf(content, shape);
}

/** The root CID a Titan node gives a file of these bytes. */
export function unixfsCidOfBytes(bytes: Uint8Array, shape: UnixFsShape = {}): Promise<string> {
  return cidOf([bytes], shape);
}

/**
 * The root CID of a folder of these files (paths inside the folder, `a.txt`, `sub/b.bin`), as
 * ipfs-unixfs-importer builds a UnixFS directory over files built as a Titan node builds them.
 * The client packs folders with its own code (src/titan/folder.ts); this is the reference.
 */
export async function unixfsDirectoryCid(files: { path: string; content: Uint8Array }[], shape: UnixFsShape = {}): Promise<string> {
  let root: CID | undefined;
  const source = files.map(({ path, content }) => ({ path: `root/${path}`, content }));
  for await (const entry of importer(source, discard, importerOptions(shape))) if (entry.path === 'root') root = entry.cid;
  if (!root) throw new Error('the importer built no root directory');
  return root.toString();
}
