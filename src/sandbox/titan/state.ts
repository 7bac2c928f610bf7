import type { IncomingMessage } from 'node:http';
import { CID } from 'multiformats/cid';
import type { SandboxContext } from '../types.js';
import type { Claims, GinJwt } from './auth.js';
import type { Callbacks } from './callbacks.js';
import type { Faults } from './faults.js';
import { GoPanic, type GinReply } from './gin.js';
import type { SandboxTitanLink } from './share.js';
import type { SandboxTitanGroup } from './groups.js';

/**
 * What the replica remembers: the explorer's tables (users, user_asset, user_asset_area,
 * asset_transfer_log), the scheduler's asset records and what each node stores.
 */

/**
 * Candidate node ids as the scheduler knows them (`c_` + id). Each is served at
 * `/titan-node/<id without c_>`. Two, so clients exercise falling over to the second.
 */
export const NODE_IDS = ['c_node1', 'c_node2'] as const;
export type NodeId = (typeof NODE_IDS)[number];
export const nodePath = (id: string) => id.replace(/^c_/, '');

/**
 * Scheduler areas, sorted. api/common.go groups them by their second `-` part (the country),
 * which is what `area_id` names. Both are served by the same two nodes here.
 */
export const AREAS = ['Asia-China-Guangdong-Shenzhen', 'NorthAmerica-UnitedStates-California-SanJose'] as const;
/** core/dao area_map rows for `Lang: cn` (api/common.go operateAreaMaps). */
export const AREA_CN: Record<string, string> = { China: '中国', UnitedStates: '美国' };

/** `country` of an area key (`strings.Split(v, "-")[1]`), or the key itself. */
export const countryOf = (area: string) => area.split('-')[1] ?? area;

/**
 * api/common.go `getAreaIDsByAreaID` (via getAreaIDs / getAreaIDsByArea): the `area_id`
 * values are reduced to countries (getAreaIDsCountry), mapped to their areas, all areas when
 * none match, sorted. (The nearest-by-IP pick finds nothing for loopback, so the order stays.)
 * With `noDefault` (getAreaIDsNoDefault) nothing matched gives nothing.
 */
export function areasFor(areaIds: string[], noDefault = false): string[] {
  const countries = new Set(areaIds.map((v) => countryOf(v.trim())));
  const matched = AREAS.filter((a) => countries.has(countryOf(a)));
  return matched.length || noDefault ? matched : [...AREAS];
}

/** node/cidutil `CIDToHash`: the CID's multihash, hex. Undefined for what `cid.Decode` refuses. */
export function cidToHash(cid: string): string | undefined {
  try {
    return Buffer.from(CID.parse(cid).multihash.bytes).toString('hex');
  } catch {
    return undefined;
  }
}

/** A tenant sub-account (`users` row). */
export interface SandboxTitanUser {
  /** `username` column: `<tenant name>/<username at first login>`, the JWT's `id`. */
  id: string;
  entryUuid: string;
  tenantId: string;
  /** The username as the first sso_login gave it. */
  username: string;
  avatar: string;
  email: string;
  role: number;
  createdAt: string;
}

/** A `user_asset` row with its `user_asset_area` rows. */
export interface SandboxTitanAsset {
  userId: string;
  cid: string;
  /** Multihash hex: the key of every asset table. */
  hash: string;
  name: string;
  type: string;
  size: number;
  groupId: number;
  /** As create_asset was given it (get_upload_info dedups on it). */
  md5: string;
  extraId: string;
  /** Area → `is_sync`. The first area create_asset chose is synced at once, the others not. */
  areas: Record<string, boolean>;
  createdAt: Date;
  /** `share_status` 1: share_status_set marked it shared. */
  shared?: boolean;
}

/** What a node keeps for a CID. */
export interface StoredBlob {
  cid: string;
  path: string;
  size: number;
  /** `file`: bytes from /uploadv2; `car`: a CAR from /upload. */
  kind: 'file' | 'car';
}

/** A candidate node: its JWT secret, its store, and the assets it was told to expect (/upload). */
export interface NodeState {
  id: NodeId;
  secret: Buffer;
  store: Map<string, StoredBlob>;
  /** node/asset Manager `uploadingAssets`, by multihash. */
  uploading: Map<string, { userId: string; expires: number }>;
}

/** An `asset_transfer_log` row (core/generated/model/model.go `AssetTransferLog`). */
export interface SandboxTitanTransferLog {
  trace_id: string;
  user_id: string;
  cid: string;
  hash: string;
  node_id: string;
  rate: number;
  cost_ms: number;
  total_size: number;
  state: number;
  transfer_type: string;
  log: string;
  area: string;
  ip: string;
  first_byte_time: number;
  available_bandwidth: number;
  created_at: string;
}

/** Everything a handler reaches. */
export interface Titan {
  readonly ctx: SandboxContext;
  readonly jwt: GinJwt;
  readonly faults: Faults;
  readonly callbacks: Callbacks;
  readonly users: Map<string, SandboxTitanUser>;
  readonly nodes: Map<NodeId, NodeState>;
  /** Signs the download tokens share_asset hands out (the scheduler's key, in effect). */
  readonly downloadSecret: Buffer;
  assets: SandboxTitanAsset[];
  /** The `link` table (share links). */
  links: SandboxTitanLink[];
  /** The `asset_group` table (folders), and its last auto-increment id (ids are not reused). */
  groups: SandboxTitanGroup[];
  lastGroupId: number;
  /** The scheduler's asset records (node/scheduler/assets), by multihash. */
  schedulerRecords: Set<string>;
  transferLogs: Map<string, SandboxTitanTransferLog>;
  /** The tenant's `upload_notify_url` and `delete_notify_url` ('' = none). */
  notify: { uploadUrl: string; deleteUrl: string };
  /** Where node files of the current generation go. */
  dir(): string;
}

/** One API request as a handler sees it. */
export interface ApiCall {
  req: IncomingMessage;
  url: URL;
  reply: GinReply;
  /** `c.GetHeader("Lang")`. */
  lang: string;
  /** Origin the request came through, for URLs in answers. */
  origin: string;
  /** `jwt.ExtractClaims(c)` after the route's middleware. */
  claims: Claims;
  /** The raw body, read once. */
  body(): Promise<Buffer>;
}

export interface Route {
  /** Behind `AuthRequired`, and which claims the handler cannot do without (`none`: reads no claims). */
  auth?: 'user' | 'tenant' | 'none';
  handle(t: Titan, c: ApiCall): void | Promise<void>;
}

/** `claims["id"].(string)`: the handler panics without it. */
export function userIdOf(c: ApiCall): string {
  const id = c.claims.id;
  if (typeof id !== 'string') throw new GoPanic('interface conversion: interface {} is nil, not string');
  return id;
}

/** Nodes holding `cid`, in node order (the scheduler's replica list). */
export function holders(t: Titan, cid: string): NodeState[] {
  return [...t.nodes.values()].filter((n) => n.store.has(cid));
}

/** `user_asset` row of this user for this hash (dao.GetUserAsset). */
export function userAsset(t: Titan, userId: string, hash: string): SandboxTitanAsset | undefined {
  return t.assets.find((a) => a.userId === userId && a.hash === hash);
}
