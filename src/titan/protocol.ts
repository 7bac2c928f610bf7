/**
 * Titan Storage wire format, shared by the browser client (src/titan), the sandbox replica
 * (src/sandbox/titan) and the backend helpers (src/server). DOM-free and Node-free.
 *
 * Source: Titan's own servers, which win over any SDK or doc.
 * - API server: gnasnik/titan-explorer `api/router.go`, `api/events.go`, `api/jwt.go`,
 *   `api/response.go`, `core/errors/errors.go`, `core/generated/model/model.go`.
 * - Scheduler and upload nodes: Titannet-dao/titan-node `node/scheduler/asset_impl.go`,
 *   `node/httpserver/handler_uploadv2.go`, `api/types/user.go`, `api/terrors/errors.go`.
 */

/** The JS SDK's default API base (Titan's public test network). */
export const DEFAULT_API_URL = 'https://api-test1.container1.titannet.io';

export const PATHS = {
  ssoLogin: '/api/v1/tenant/sso_login',
  refreshToken: '/api/v1/tenant/refresh_token',
  syncUser: '/api/v1/tenant/sync_user',
  /**
   * `DELETE ?entry_uuid=…` (api/router.go: `tenant.DELETE("/user", SubUserDeleteHandler)`); the Go
   * SDK's `/api/v1/tenant/delete_user` does not exist on the server.
   */
  deleteUser: '/api/v1/tenant/user',
  getUploadInfo: '/api/v1/storage/get_upload_info',
  createAsset: '/api/v1/storage/create_asset',
  transferReport: '/api/v1/storage/transfer/report',
  shareAsset: '/api/v1/storage/share_asset',
  deleteAsset: '/api/v1/storage/delete_asset',
  getAreaId: '/api/v1/storage/get_area_id',
  /** Folders ("groups"), api/events.go CreateGroupHandler … MoveGroupToGroupHandler. */
  createGroup: '/api/v1/storage/create_group',
  getGroups: '/api/v1/storage/get_groups',
  renameGroup: '/api/v1/storage/rename_group',
  moveGroupToGroup: '/api/v1/storage/move_group_to_group',
  deleteGroup: '/api/v1/storage/delete_group',
  getAssetGroupList: '/api/v1/storage/get_asset_group_list',
  getStorageSize: '/api/v1/storage/get_storage_size',
  /**
   * Share links (api/router.go). `create_link` is registered before the storage group's auth
   * middleware (it trusts its `username` query); the other three run after it.
   */
  createLink: '/api/v1/storage/create_link',
  shareLinkInfo: '/api/v1/storage/share_link_info',
  shareLinkUpdate: '/api/v1/storage/share_link_update',
  shareStatusSet: '/api/v1/storage/share_status_set',
} as const;

export const HEADERS = {
  /** Tenant (app backend) authentication. */
  tenantApiKey: 'tenant-api-key',
  /** User authentication on every storage call: `Bearer <token>` (api/jwt.go `TokenLookup`). */
  jwt: 'JwtAuthorization',
  /** Upload node authentication: `Bearer <node token from get_upload_info>` (handler_uploadv2.go `verifyToken`). */
  nodeAuth: 'Authorization',
  /** Message language: `cn` answers Chinese `msg`s, anything else English (api/response.go `respErrorCode`). */
  lang: 'Lang',
  /** Callback signing (Titan → app backend). */
  timestamp: 'X-Timestamp',
  nonce: 'X-Nonce',
  signature: 'X-Signature',
} as const;

export const CODES = {
  ok: 0,
  /** `code` of every error envelope (`respErrorCode`, and the node's `uploadResult`). */
  error: -1,
  /** `code` of gin-jwt's Unauthorized answer (api/jwt.go). */
  unauthorized: 401,
} as const;

/**
 * `err` numbers of the API server (core/errors/errors.go, `iota + 1000`) and of the scheduler,
 * passed through by the API server (titan-node api/terrors/errors.go, `iota + 10000`).
 */
export const ERR = {
  notFound: 1000,
  invalidParams: 1001,
  userNotFound: 1002,
  internalServer: 1004,
  noSchedulerFound: 1005,
  /** create_asset: this user already has an asset with this CID (`data.assetDirectUrl` comes with it). */
  fileExists: 1017,
  /** transfer/report with a JwtAuthorization header that does not verify (answered with HTTP 401). */
  permissionNotAllowed: 1028,
  /** create_link: a link to this long link exists already (share_link_info finds it). */
  linkAlreadyExist: 1061,
  /** share_link_update of another user's link. */
  linkUserNotMatch: 1062,
  userStorageSizeNotEnough: 10004,
  /** Folders (titan-node api/terrors): delete of a non-empty one (unused by delete_group today), a parent or target that does not exist, the 20-folder limit, a move into its own subfolder, moving the root, moving onto itself. */
  groupNotEmptyCannotBeDelete: 10017,
  groupNotExist: 10018,
  groupLimit: 10019,
  cannotMoveToSubgroup: 10020,
  rootGroupCannotMoved: 10021,
  groupsAreSame: 10022,
  notFoundNode: 10008,
  invalidAsset: 10030,
} as const;

/** Every API answer. `code: 0` is success; errors are `{code: -1, err, msg, extra}`. */
export interface Envelope<T = unknown> {
  code: number;
  err?: number;
  msg?: string;
  data?: T;
  /** `respErrorCode`'s variadic `extra ...string`: `null` when none were given (Go's nil slice). */
  extra?: string[] | null;
  Log?: string;
  success?: boolean;
}

/** JWT claims of a user token (HS256, gin-jwt). `id` is `"<tenant>/<username>"` for tenant users. */
export interface TitanClaims {
  id: string;
  role: number;
  exp: number;
  orig_iat: number;
}

export interface TokenData {
  token: string;
  /** Expiry, unix seconds. */
  exp: number;
}

export interface SsoLoginRequest {
  entry_uuid: string;
  username: string;
  avatar?: string;
  email?: string;
}

/** One candidate node (titan-node api/types/user.go `NodeUploadInfo`). */
export interface UploadNode {
  UploadURL: string;
  Token: string;
  /** The candidate's id with its `c_` prefix, exactly as create_asset wants it back. */
  NodeID: string;
}

/** get_upload_info `data` (events.go `GetUploadInfoHandler`). */
export interface UploadInfo {
  AlreadyExists: boolean;
  /** Absent when `AlreadyExists`. */
  List?: UploadNode[];
  /** The area's short id (the second `-` part of the area key). */
  AreaID?: string;
  /** The area key the server chose (e.g. `Asia-China-Guangdong-Shenzhen`). */
  Log: string;
  /** Present (possibly empty) only without `AlreadyExists`. */
  TraceID?: string;
  /** The CID of the bytes with this md5, when `AlreadyExists`; otherwise `""`. */
  CID: string;
}

/** What an upload node answers to the multipart POST, always with HTTP 200 (handler_uploadv2.go). */
export interface NodeUploadResponse {
  code: number;
  err?: number;
  msg: string;
  cid?: string;
}

/** The multipart part the node reads (`r.FormFile("file")`). */
export const UPLOAD_FIELD = 'file';

/** create_asset body (events.go `createAssetRequest`). */
export interface CreateAssetRequest {
  asset_name: string;
  asset_cid: string;
  area_id: string[];
  /** `UploadNode.NodeID`, exactly (with `c_`). */
  node_id: string;
  asset_type: 'file' | 'folder';
  /** Must be > 0 (`binding:"required"` refuses Go's zero value). */
  asset_size: number;
  group_id: number;
  encrypted?: boolean;
  md5: string;
  extra_id: string;
  need_trace: boolean;
}

/** One entry of create_asset's `data` (where a folder's CAR goes). */
export interface CreateAssetEntry {
  CandidateAddr: string;
  Token: string;
  TraceID: string;
}

/** create_asset's 1017 answer carries the direct link in `data`. */
export interface FileExistsData {
  assetDirectUrl: string;
}

/** share_asset `data` (events.go `ShareAssetsHandler`). */
export interface ShareAssetData {
  asset_cid: string;
  size: number;
  /** Download URLs, each ending in `&filename=<name>`. */
  url: string[];
  redirect: boolean;
  trace_id: string;
  available_nodes: number;
}

/** get_area_id `data` (events.go `GetSchedulerAreaIDs`). */
export interface AreaIdData {
  list: string[];
  area_maps: unknown[];
}

/** transfer/report states (core/dao/asset_transfer_log.go). */
export const TRANSFER_STATE = { created: 0, success: 1, failure: 2 } as const;

/**
 * transfer/report body: one object (core/generated/model/model.go `AssetTransferLog`). The
 * server fills `user_id`, `hash`, `area`, `ip` and `created_at` itself and adds the `c_` prefix
 * to `node_id` when missing.
 */
export interface TransferReport {
  trace_id: string;
  cid: string;
  node_id: string;
  /** Bytes per second. */
  rate: number;
  cost_ms: number;
  total_size: number;
  state: 0 | 1 | 2;
  transfer_type: 'upload' | 'download';
  log: string;
  /** Milliseconds from the request's start to its first byte. */
  first_byte_time: number;
  available_bandwidth: number;
}

/** The report's accepted answer: no `code` (events.go `AssetTransferReport`, `End:`). */
export interface TransferReportAccepted {
  msg: 'success';
}

/**
 * Upload callback body: json.Marshal of `AssetUploadNotifyReq` (job/handler_upload_notify.go),
 * keys in this order, Go field names (read them case-insensitively, as Go does).
 */
export interface UploadNotification {
  ExtraID: string;
  TenantID: string;
  UserID: string;
  AssetName: string;
  AssetCID: string;
  AssetType: string;
  AssetSize: number;
  GroupID: number;
  /** Go `time.Time`: RFC 3339 with the server's offset and nanoseconds when it has them. */
  CreatedTime: string;
  AssetDirectUrl: string;
}

/**
 * What a delete callback tells. On the wire (job/handler_delete_nofify.go) the body is
 * json.Marshal of the *upload* payload type (`opasynq.AssetUploadNotifyPayload`): every
 * upload key, zeroed (`"AssetName":""`, `"AssetSize":0`, `"CreatedTime":"0001-01-01T00:00:00Z"`,
 * …), plus `Area`, `NotifyUrl` and `RetryCount`. Only these four carry anything, and the
 * body cannot tell an upload from a delete: the endpoint (notify URL) does.
 */
export interface DeleteNotification {
  ExtraID: string;
  TenantID: string;
  UserID: string;
  AssetCID: string;
}

/**
 * Titan retries a failed callback after these delays (ms), one per retry, then gives up: 9
 * attempts in all (job/retry.go `tenantCallbackInterval`, 24 h past its end; core/opasynq/client.go
 * `asynq.MaxRetry(8)`).
 */
export const CALLBACK_RETRY_DELAYS_MS = [10e3, 30e3, 60e3, 300e3, 1200e3, 3600e3, 86400e3, 86400e3] as const;

/** Callbacks older than this are rejected; replay records need keeping only this long. */
export const CALLBACK_MAX_AGE_MS = 5 * 60 * 1000;

/** Default allowance for a callback timestamp ahead of our clock (clock drift). */
export const CALLBACK_MAX_FUTURE_SKEW_MS = 10 * 60 * 1000;

/** The exact body a callback endpoint answers to acknowledge a notification. */
export const CALLBACK_ACK = 'success';

/**
 * The string signed by Titan: METHOD + path + rawBody + timestamp + nonce, no separators
 * (job/handler_upload_notify.go `genCallbackSignature`). `path` is `url.Parse(notifyUrl).Path`:
 * the *decoded* path (`/hooks/a b` for a notify URL ending `/hooks/a%20b`).
 */
export function callbackSigningInput(method: string, path: string, rawBody: string, timestamp: string, nonce: string): string {
  return `${method.toUpperCase()}${path}${rawBody}${timestamp}${nonce}`;
}

/** A share link row as share_link_info answers it (core/generated/model `Link`, its JSON tags). */
export interface ShareLinkRow {
  id: number;
  username: string;
  cid: string;
  long_link: string;
  /** Path and query on Titan's web app: `/link?cid=…&ts=…` (CreateShareLinkHandler). */
  short_link: string;
  /** Set: the link asks for it. */
  short_pass: string;
  /** RFC 3339; Go's zero time (`0001-01-01T00:00:00Z`) for a link that does not expire. */
  expire_at: string;
  created_at: string;
  updated_at: string;
}

/** A folder as get_groups and create_group answer it: core/dao `AssetGroup`, no JSON tags, so Go's field names. */
export interface AssetGroupRow {
  ID: number;
  UserID: string;
  Name: string;
  Parent: number;
  AssetCount: number;
  AssetSize: number;
  CreatedTime: string;
  ShareStatus: number;
  VistitCount: number;
}
