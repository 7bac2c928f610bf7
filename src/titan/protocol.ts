/**
 * Titan Storage wire format, shared by the browser client (src/titan) and the sandbox double
 * (src/sandbox/titan.ts) and the backend helpers (src/server). DOM-free and Node-free.
 * Source: docs/titan-protocol.md (from the Go and JS SDKs).
 */

/** The JS SDK's default API base. */
export const DEFAULT_API_URL = 'https://api-test1.container1.titannet.io';

export const PATHS = {
  ssoLogin: '/api/v1/tenant/sso_login',
  refreshToken: '/api/v1/tenant/refresh_token',
  syncUser: '/api/v1/tenant/sync_user',
  deleteUser: '/api/v1/tenant/delete_user',
  getUploadInfo: '/api/v1/storage/get_upload_info',
  createAsset: '/api/v1/storage/create_asset',
  transferReport: '/api/v1/storage/transfer/report',
  shareAsset: '/api/v1/storage/share_asset',
  deleteAsset: '/api/v1/storage/delete_asset',
  getAreaId: '/api/v1/storage/get_area_id',
  createGroup: '/api/v1/storage/create_group',
  getAssetGroupList: '/api/v1/storage/get_asset_group_list',
  getStorageSize: '/api/v1/storage/get_storage_size',
} as const;

export const HEADERS = {
  /** Tenant (app backend) authentication. */
  tenantApiKey: 'tenant-api-key',
  /** User authentication on every storage call: `Bearer <token>`. */
  jwt: 'JwtAuthorization',
  /** Upload node authentication: `Bearer <node token from get_upload_info>`. */
  nodeAuth: 'Authorization',
  /** Callback signing (Titan → app backend). */
  timestamp: 'X-Timestamp',
  nonce: 'X-Nonce',
  signature: 'X-Signature',
} as const;

export const CODES = {
  ok: 0,
  unauthorized: 401,
  /** create_asset: this user already has an asset with this CID. */
  assetExists: 1017,
} as const;

/** Every API answer. `code: 0` is success. */
export interface Envelope<T = unknown> {
  code: number;
  err?: number;
  msg?: string;
  data?: T;
}

/** JWT claims of a user token (HS256). `id` is `"<tenant>/<username>"`. */
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

export interface UploadNode {
  NodeID: string;
  UploadURL: string;
  Token: string;
}

export interface UploadInfo {
  List: UploadNode[];
  TraceID: string;
  AlreadyExists?: boolean;
  CID?: string;
}

/** What an upload node answers to the multipart POST (one part named `file`). */
export interface NodeUploadResponse {
  code: number;
  cid?: string;
  msg?: string;
}

export const UPLOAD_FIELD = 'file';

export interface CreateAssetRequest {
  asset_name: string;
  asset_type: 'file' | 'folder';
  asset_size: number;
  asset_cid: string;
  group_id: number;
  node_id: string;
  extra_id: string;
  md5: string;
  area_id: string[];
}

export interface CreateAssetData {
  assetDirectUrl?: string;
  [key: string]: unknown;
}

export interface TransferReportItem {
  /** 1 ok, 2 failed */
  status: 1 | 2;
  msg: string;
  elapsedTime: number;
  transferRate: number;
  size: number;
  traceId: string;
  nodeId: string;
  cId: string;
  log: string;
}

/** Upload callback body (Go field names; read them case-insensitively). */
export interface UploadNotification {
  ExtraID: string;
  TenantID: string;
  UserID: string;
  AssetName: string;
  AssetCID: string;
  AssetType: string;
  AssetSize: number;
  GroupID: number;
  CreatedTime: string;
  AssetDirectUrl: string;
}

/** Delete callback body. */
export interface DeleteNotification {
  ExtraID: string;
  TenantID: string;
  UserID: string;
  AssetCID: string;
}

/** Titan retries a failed callback after these delays (ms), then gives up. */
export const CALLBACK_RETRY_DELAYS_MS = [0, 10e3, 30e3, 60e3, 300e3, 600e3, 3600e3, 86400e3] as const;

/** Callbacks older than this are rejected; nonces need keeping only this long. */
export const CALLBACK_MAX_AGE_MS = 5 * 60 * 1000;

/** The exact body a callback endpoint answers to acknowledge a notification. */
export const CALLBACK_ACK = 'success';

/** The string signed by Titan: METHOD + URL.path + rawBody + timestamp + nonce. */
export function callbackSigningInput(method: string, path: string, rawBody: string, timestamp: string, nonce: string): string {
  return `${method.toUpperCase()}${path}${rawBody}${timestamp}${nonce}`;
}

/** `NodeID` may carry a `c_` prefix; it is reported without. */
export function bareNodeId(nodeId: string): string {
  return nodeId.startsWith('c_') ? nodeId.slice(2) : nodeId;
}

/** True for both unauthorized shapes: HTTP 401, or HTTP 200 with `{code: 401}`. */
export function isUnauthorized(status: number, envelope: Pick<Envelope, 'code'> | undefined): boolean {
  return status === 401 || envelope?.code === CODES.unauthorized;
}
