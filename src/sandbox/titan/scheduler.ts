import type { UploadNode } from '../../titan/protocol.js';
import { signJwt } from './jwt.js';
import { holders, nodePath, type NODE_IDS, type NodeState, type Titan } from './state.js';

/**
 * The scheduler calls the API server makes over JSON-RPC (titan-node node/scheduler), with the
 * node-side halves they trigger (node/common `AuthNew`, node/asset `CreateAsset`). A scheduler
 * error is `{err, msg}` (api.ErrWeb), passed on by the API server.
 */

/** titan-node api/terrors/errors.go (`iota + 10000`). */
const NOT_FOUND_NODE = 10008;
const INVALID_ASSET = 10030;
/** The multihash of empty content (sha2-256 of no bytes), refused by CreateAsset. */
const EMPTY_FILE_HASH = '1220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** node/asset `CreateAsset` payload `Expiration`: the scheduler gives the upload token a day. */
const UPLOAD_TOKEN_TTL_MS = 24 * 3600 * 1000;

export type SchedulerError = { err: number; msg: string };

const nodeUrl = (origin: string, node: NodeState, suffix: string) => `${origin}/titan-node/${nodePath(node.id)}${suffix}`;

/** rand.Shuffle, when the `shuffle-nodes` knob asks for it (the sandbox keeps node order otherwise). */
function order<T>(t: Titan, list: T[]): T[] {
  if (!t.faults.shuffle) return list;
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/**
 * asset_impl.go `GetNodeUploadInfoV2` → `getUploadInfo`: every candidate with a token from its
 * own `AuthNew` (types.JWTPayload, no expiry, signed with that node's secret) and its
 * `/uploadv2` URL (`/uploadv3` with `urlModel=true`, which this replica's nodes do not serve).
 */
export function getUploadInfo(t: Titan, origin: string, userId: string, traceId: string, urlMode: boolean): UploadNode[] {
  const payload = { Allow: ['user'], ID: userId, NodeID: '', Extend: '', AccessControlList: null, FilePassNonce: '', TraceID: traceId };
  return order(
    t,
    [...t.nodes.values()].map((node) => ({
      UploadURL: t.faults.tampered.uploadUrl ?? nodeUrl(origin, node, urlMode ? '/uploadv3' : '/uploadv2'),
      Token: signJwt(node.secret, payload),
      NodeID: node.id,
    })),
  );
}

/**
 * asset_impl.go `CreateAsset` → assets/impl.go `CreateAssetUploadTask`: the empty file is
 * refused, a `NodeID` must name a candidate exactly (NodeManager.GetCandidateNode), an empty
 * one means every candidate. An asset the scheduler has a record of is `AlreadyExists`;
 * otherwise each chosen node is told to expect it (node/asset impl.go `CreateAsset`, skipped
 * while it already expects it) and hands back a token for its `/upload`.
 */
export function createAsset(
  t: Titan,
  origin: string,
  req: { userId: string; cid: string; hash: string; size: number; nodeId: string; traceId: string },
): { alreadyExists: true } | { list: UploadNode[] } | SchedulerError {
  if (req.hash === EMPTY_FILE_HASH) return { err: INVALID_ASSET, msg: 'Uploading empty files is not allowed' };
  let chosen = [...t.nodes.values()];
  if (req.nodeId) {
    const node = t.nodes.get(req.nodeId as (typeof NODE_IDS)[number]);
    if (!node) return { err: NOT_FOUND_NODE, msg: `storage's node ${req.nodeId} not found` };
    chosen = [node];
  }
  if (t.schedulerRecords.has(req.hash)) return { alreadyExists: true };
  const expires = Date.now() + UPLOAD_TOKEN_TTL_MS;
  const list: UploadNode[] = [];
  for (const node of chosen) {
    const uploading = node.uploading.get(req.hash);
    if (uploading && uploading.expires > Date.now()) continue; // "asset … already uploading"
    node.uploading.set(req.hash, { userId: req.userId, expires });
    const payload = {
      UserID: req.userId,
      AssetCID: req.cid,
      AssetSize: req.size,
      Expiration: new Date(expires).toISOString(),
      TraceID: req.traceId,
    };
    list.push({ UploadURL: nodeUrl(origin, node, '/upload'), Token: signJwt(node.secret, payload), NodeID: node.id });
  }
  if (!list.length) return { err: NOT_FOUND_NODE, msg: "storage's nodes not found" };
  t.schedulerRecords.add(req.hash);
  return { list: order(t, list) };
}

/**
 * asset_impl.go `ShareAssetV2`: `http://<node>/ipfs/<cid>?token=<tk>` for each node holding a
 * replica, the token a scheduler-signed `JWTPayload` whose `Extend` is the JSON of
 * `AuthUserUploadDownloadAsset`. No replica: `NotFoundNode` (10008) without a message.
 */
export function shareAsset(
  t: Titan,
  origin: string,
  userId: string,
  cid: string,
  traceId: string,
): { urls: string[]; count: number } | SchedulerError {
  const nodes = holders(t, cid);
  if (!nodes.length) return { err: NOT_FOUND_NODE, msg: '' };
  const extend = JSON.stringify({ UserID: userId, AssetCID: cid, AssetSize: 0, Expiration: '0001-01-01T00:00:00Z', TraceID: traceId });
  const token = signJwt(t.downloadSecret, {
    Allow: null,
    ID: '',
    NodeID: '',
    Extend: extend,
    AccessControlList: null,
    FilePassNonce: '',
    TraceID: '',
  });
  return { urls: nodes.map((n) => t.faults.tampered.link ?? nodeUrl(origin, n, `/ipfs/${cid}?token=${token}`)), count: nodes.length };
}
