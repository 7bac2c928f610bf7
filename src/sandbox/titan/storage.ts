import { randomUUID } from 'node:crypto';
import { ERR, PATHS, TRANSFER_STATE, type CreateAssetEntry } from '../../titan/protocol.js';
import { claimsFromJwt, header } from './auth.js';
import { goTime } from './callbacks.js';
import { bindJson, GoPanic, respErrorCode, respJSON } from './gin.js';
import { createAsset, getUploadInfo, shareAsset } from './scheduler.js';
import {
  AREA_CN,
  AREAS,
  areasFor,
  cidToHash,
  countryOf,
  userAsset,
  userIdOf,
  type Route,
  type SandboxTitanAsset,
  type Titan,
} from './state.js';

/**
 * The storage API (browser → Titan), api/events.go. api/router.go registers `get_area_id` and
 * `transfer/report` before `storage.Use(AuthRequired(...))`, the others after it.
 */

/** core/errors/errors.go InternalServer; InvalidSignature; scheduler NotFound (terrors, 10000). */
const INTERNAL_SERVER = 1004;
const INVALID_SIGNATURE = 1021;
const SCHEDULER_NOT_FOUND = 10000;
/** api/common.go `maxTotalFlow`: 1 GiB of traffic for a non-VIP user. */
const MAX_TOTAL_FLOW = 1024 ** 3;

/** dao.NewLogTrace: an `asset_transfer_log` row holding only who, what kind and where. */
function newTrace(t: Titan, userId: string, transferType: 'upload' | 'download', area: string): string {
  const trace_id = randomUUID();
  t.transferLogs.set(trace_id, {
    trace_id,
    user_id: userId,
    cid: '',
    hash: '',
    node_id: '',
    rate: 0,
    cost_ms: 0,
    total_size: 0,
    state: TRANSFER_STATE.created,
    transfer_type: transferType,
    log: '',
    area,
    ip: '',
    first_byte_time: 0,
    available_bandwidth: 0,
    created_at: goTime(new Date()),
  });
  return trace_id;
}

/** The `is_sync` of the first `user_asset_area` row for this hash and area, any user (dao.CheckAssetIsSyncByAreaID). */
const isSynced = (t: Titan, hash: string, area: string) => t.assets.find((a) => a.hash === hash && area in a.areas)?.areas[area] === true;

/** api/events.go `GetUploadInfoHandler`. */
const getUploadInfoRoute: Route = {
  auth: 'user',
  handle(t, c) {
    const userId = userIdOf(c);
    const q = c.url.searchParams;
    const areaIds = areasFor(q.getAll('area_id'));
    const area = areaIds[0]!;
    // dao.CheckAssetByMd5AndAreaExists: md5 is optional; the first asset with it, of any user,
    // counts when its hash is synced in the chosen area.
    const md5 = q.get('md5') ?? '';
    const known = md5.trim() ? t.assets.find((a) => a.md5 === md5) : undefined;
    if (known && t.assets.some((a) => a.hash === known.hash && a.areas[area] === true)) {
      return c.reply.json(200, respJSON({ AlreadyExists: true, CID: known.cid, Log: area }));
    }
    const traceId = q.get('need_trace') === 'true' ? newTrace(t, userId, 'upload', area) : '';
    const list = getUploadInfo(t, c.origin, userId, traceId, q.get('urlModel') === 'true');
    c.reply.json(200, respJSON({ AlreadyExists: false, AreaID: countryOf(area), CID: '', List: list, Log: area, TraceID: traceId }));
  },
};

/** api/events.go `createAssetRequest`, with its `binding:"required"` fields. */
const CREATE_ASSET = {
  asset_name: 'string',
  asset_cid: 'string',
  area_id: 'string[]',
  node_id: 'string',
  asset_type: 'string',
  asset_size: 'int64',
  group_id: 'int64',
  encrypted: 'bool',
  md5: 'string',
  extra_id: 'string',
  need_trace: 'bool',
} as const;

/** api/events.go `CreateAssetPostHandler`. */
const createAssetRoute: Route = {
  auth: 'user',
  async handle(t, c) {
    const userId = userIdOf(c);
    const req = bindJson(await c.body(), CREATE_ASSET, ['asset_name', 'asset_type', 'asset_size']);
    if (!req) return c.reply.json(200, respErrorCode(ERR.invalidParams, c.lang));
    const areaIds = areasFor(req.area_id);
    const area = areaIds[0]!;
    if (!t.users.has(userId)) return c.reply.json(200, respErrorCode(ERR.userNotFound, c.lang));
    const hash = cidToHash(req.asset_cid);
    if (!hash) return c.reply.json(200, respErrorCode(INTERNAL_SERVER, c.lang));
    const mine = userAsset(t, userId, hash);
    const missingAreas = areaIds.filter((a) => !mine || !(a in mine.areas));
    if (!missingAreas.length) {
      // ShareAssetV2 for the link; when it fails its nil answer is dereferenced (`ret.URLs`).
      const share = shareAsset(t, c.origin, userId, req.asset_cid, '');
      if ('err' in share) throw new GoPanic('invalid memory address or nil pointer dereference');
      const { code, err, extra, msg } = respErrorCode(ERR.fileExists, c.lang);
      return c.reply.json(200, { code, data: { assetDirectUrl: share.urls[0] ?? '' }, err, extra, msg });
    }
    // Tenant sub-accounts are exempt from the storage quota check.
    let data: CreateAssetEntry[] = [];
    if (!isSynced(t, hash, area)) {
      const traceId = req.need_trace ? newTrace(t, userId, 'upload', area) : '';
      const r = createAsset(t, c.origin, { userId, cid: req.asset_cid, hash, size: req.asset_size, nodeId: req.node_id, traceId });
      if ('err' in r) return c.reply.json(200, { Log: area, code: -1, err: r.err, msg: r.msg });
      if ('list' in r) data = r.list.map((n) => ({ CandidateAddr: n.UploadURL, Token: n.Token, TraceID: traceId }));
    }
    // dao.AddAssetAndUpdateSize: the user_asset row once; the chosen area synced, the others not (yet).
    let asset = mine;
    if (!asset) {
      asset = {
        userId,
        cid: req.asset_cid,
        hash,
        name: req.asset_name,
        type: req.asset_type,
        size: req.asset_size,
        groupId: req.group_id,
        md5: req.md5,
        extraId: req.extra_id,
        areas: {},
        createdAt: new Date(),
      } satisfies SandboxTitanAsset;
      t.assets.push(asset);
    }
    asset.areas[area] = true;
    for (const a of missingAreas) asset.areas[a] ??= false;
    c.reply.json(200, { Log: area, code: 0, data });
  },
};

/** core/generated/model/model.go `AssetTransferLog` as encoding/json reads it. */
const TRANSFER_LOG = {
  trace_id: 'string',
  user_id: 'string',
  cid: 'string',
  hash: 'string',
  node_id: 'string',
  rate: 'int64',
  cost_ms: 'int64',
  total_size: 'int64',
  state: 'int64',
  transfer_type: 'string',
  log: 'string',
  area: 'string',
  ip: 'string',
  first_byte_time: 'int64',
  available_bandwidth: 'int64',
  created_at: 'time',
} as const;

/**
 * api/events.go `AssetTransferReport` (no auth middleware). One `AssetTransferLog` object,
 * upserted by `trace_id`. A JwtAuthorization header, when present, must verify (else HTTP 401
 * with err 1028) and names the user; without one the body's `user_id` stands. A `state: 1`
 * report of a user whose asset has an `extra_id`, with the tenant's upload notify URL set,
 * queues the upload callback, once per such report. Accepted: `{"msg":"success"}`, no `code`.
 */
const transferReportRoute: Route = {
  async handle(t, c) {
    const raw = await c.body();
    const refusal = t.faults.takeReport();
    const req = refusal === 'invalid-params' ? undefined : bindJson(raw, TRANSFER_LOG);
    if (!req) return c.reply.json(200, respErrorCode(ERR.invalidParams, c.lang));
    if (header(c.req, 'jwtauthorization') || refusal === 'permission-not-allowed') {
      const got = refusal === 'permission-not-allowed' ? undefined : claimsFromJwt(c.req, c.reply, t.jwt);
      if (!got || 'error' in got) return c.reply.json(401, respErrorCode(ERR.permissionNotAllowed, c.lang));
      if (typeof got.claims.id !== 'string') throw new GoPanic('interface conversion: interface {} is nil, not string');
      req.user_id = got.claims.id;
    }
    req.created_at = goTime(new Date());
    req.trace_id ||= randomUUID();
    if (req.cid && !req.hash) req.hash = cidToHash(req.cid) ?? '';
    req.ip = ''; // GetIPFromRequest: loopback and private addresses count as none
    if (req.state === TRANSFER_STATE.success && req.node_id) {
      if (!req.node_id.startsWith('c_')) req.node_id = `c_${req.node_id}`;
      if (t.nodes.has(req.node_id as never)) req.area = AREAS[0]; // dao.GetDeviceInfo(...).AreaID
    }
    if (refusal === 'server-busy') return c.reply.json(200, respErrorCode(INTERNAL_SERVER, c.lang));
    const before = t.transferLogs.get(req.trace_id);
    t.transferLogs.set(req.trace_id, { ...req, created_at: before?.created_at ?? req.created_at });

    const asset = req.state === TRANSFER_STATE.success && req.user_id ? userAsset(t, req.user_id, req.hash) : undefined;
    const user = asset && t.users.get(req.user_id);
    if (asset?.extraId && user?.tenantId && t.notify.uploadUrl) {
      const synced = Object.keys(asset.areas).filter((a) => asset.areas[a]);
      if (!synced.length) throw new GoPanic('index out of range [0] with length 0'); // areaIDs[0]
      const origin = c.origin;
      // opasynq.AssetUploadNotifyPayload, copied into job/handler_upload_notify.go AssetUploadNotifyReq.
      const fixed = {
        ExtraID: asset.extraId,
        TenantID: user.tenantId,
        UserID: req.user_id,
        AssetName: asset.name,
        AssetCID: asset.cid,
        AssetType: asset.type,
        AssetSize: asset.size,
        GroupID: asset.groupId,
        CreatedTime: goTime(asset.createdAt),
      };
      t.callbacks.enqueue('upload', t.notify.uploadUrl, () => {
        // The worker asks ShareAssetV2 again on every attempt; no replica leaves the link empty.
        const share = shareAsset(t, origin, fixed.UserID, fixed.AssetCID, '');
        return { ...fixed, AssetDirectUrl: 'urls' in share ? share.urls[0]! : '' };
      });
    }
    c.reply.json(200, { msg: 'success' });
  },
};

/** Go's url.QueryEscape: only `A-Za-z0-9-_.~` stay, a space is `+`. */
const queryEscape = (s: string) =>
  encodeURIComponent(s)
    .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');

/** api/events.go `ShareAssetsHandler` (answered with `c.PureJSON`). */
const shareAssetRoute: Route = {
  auth: 'user',
  handle(t, c) {
    const userId = c.claims.id;
    if (typeof userId !== 'string') return c.reply.json(200, respErrorCode(INVALID_SIGNATURE, c.lang));
    const q = c.url.searchParams;
    const cid = q.get('asset_cid') ?? '';
    const hash = cidToHash(cid);
    if (!hash) return c.reply.json(200, respErrorCode(ERR.invalidParams, c.lang));
    const asset = userAsset(t, userId, hash);
    let area: string | undefined;
    if (q.get('area_id')) {
      area = areasFor(q.getAll('area_id'))[0]!;
      if (!asset || !(area in asset.areas)) return c.reply.json(200, respErrorCode(ERR.notFound, c.lang));
    } else {
      // The user's synced areas; the nearest-by-IP pick gives up on loopback and takes the first.
      area = Object.keys(asset?.areas ?? {}).find((a) => asset!.areas[a]);
      if (!area) return c.reply.json(200, respErrorCode(ERR.notFound, c.lang));
    }
    const traceId = q.get('need_trace') === 'true' ? newTrace(t, userId, 'download', area) : '';
    const share = shareAsset(t, c.origin, userId, cid, traceId);
    if ('err' in share) return c.reply.json(200, respErrorCode(share.err, c.lang, area));
    const url = share.urls.map((u) => `${u}&filename=${queryEscape(asset!.name)}`);
    c.reply.json(
      200,
      respJSON({ asset_cid: cid, available_nodes: share.count, redirect: false, size: asset!.size, trace_id: traceId, url }),
      true,
    );
  },
};

/** api/events.go `DeleteAssetHandler`. */
const deleteAssetRoute: Route = {
  auth: 'user',
  handle(t, c) {
    const userId = userIdOf(c);
    const q = c.url.searchParams;
    const areaIds = areasFor(q.getAll('area_id'), true);
    const hash = cidToHash(q.get('asset_cid') ?? '');
    if (!hash) return c.reply.json(200, respErrorCode(INTERNAL_SERVER, c.lang));
    const asset = userAsset(t, userId, hash);
    // dao.CheckUserAseetNeedDel: the asked areas the user has (all without `area_id`), and
    // whether that is all of them.
    const rows = Object.keys(asset?.areas ?? {});
    const targets = areaIds.length ? rows.filter((a) => areaIds.includes(a)) : rows;
    if (!asset || !targets.length) return c.reply.json(200, respErrorCode(SCHEDULER_NOT_FOUND, c.lang));
    for (const a of targets) delete asset.areas[a];
    if (targets.length === rows.length) t.assets = t.assets.filter((a) => a !== asset);
    // The queued DeleteAssetOperation: once nobody holds the hash, the scheduler and nodes drop it.
    if (!t.assets.some((a) => a.hash === hash)) {
      t.schedulerRecords.delete(hash);
      for (const node of t.nodes.values()) node.store.delete(asset.cid);
    }
    const user = t.users.get(userId);
    if (asset.extraId && user?.tenantId && t.notify.deleteUrl) {
      // job/handler_delete_nofify.go unmarshals the delete payload into the *upload* payload type
      // (opasynq.AssetUploadNotifyPayload) and sends that: every upload key, zeroed.
      const body = {
        ExtraID: asset.extraId,
        TenantID: user.tenantId,
        UserID: userId,
        AssetName: '',
        AssetCID: asset.cid,
        AssetType: '',
        AssetSize: 0,
        GroupID: 0,
        CreatedTime: '0001-01-01T00:00:00Z',
        AssetDirectUrl: '',
        Area: '',
        NotifyUrl: '',
        RetryCount: 0,
      };
      t.callbacks.enqueue('delete', t.notify.deleteUrl, () => body);
    }
    c.reply.json(200, respJSON({ msg: 'delete success' }));
  },
};

/** api/events.go `GetSchedulerAreaIDs` (no auth middleware). */
const getAreaIdRoute: Route = {
  handle(t, c) {
    const q = c.url.searchParams;
    const cid = (q.get('cid') ?? '').trim();
    let keys: string[];
    if (cid) {
      const hash = cidToHash(cid);
      if (!hash) return c.reply.json(200, respErrorCode(INTERNAL_SERVER, c.lang));
      keys = Object.keys(userAsset(t, (q.get('user_id') ?? '').trim(), hash)?.areas ?? {}).map(countryOf);
    } else {
      keys = [...new Set(AREAS.map(countryOf))];
    }
    const maps =
      c.lang === 'cn'
        ? keys.filter((k) => AREA_CN[k]).map((k) => ({ key: AREA_CN[k]!, value: k }))
        : keys.map((k) => ({ key: k, value: k }));
    c.reply.json(200, respJSON({ area_maps: maps.sort((a, b) => (a.value < b.value ? -1 : 1)), list: keys.sort() }));
  },
};

/** api/events.go `GetStorageSizeHandler`. Tenant sub-accounts have no quota of their own (0). */
const getStorageSizeRoute: Route = {
  auth: 'user',
  handle(t, c) {
    const userId = c.claims.id;
    if (typeof userId !== 'string') return c.reply.json(200, respErrorCode(ERR.invalidParams, c.lang));
    if (!t.users.has(userId)) return c.reply.json(200, respErrorCode(INTERNAL_SERVER, c.lang));
    const used = t.assets.filter((a) => a.userId === userId).reduce((sum, a) => sum + a.size, 0);
    c.reply.json(200, respJSON({ PeakBandwidth: 0, TotalSize: 0, TotalTraffic: MAX_TOTAL_FLOW, UsedSize: used, UsedTraffic: 0 }));
  },
};

export const STORAGE_ROUTES: Record<string, Route> = {
  [`GET ${PATHS.getAreaId}`]: getAreaIdRoute,
  [`POST ${PATHS.transferReport}`]: transferReportRoute,
  [`GET ${PATHS.shareAsset}`]: shareAssetRoute,
  [`GET ${PATHS.getStorageSize}`]: getStorageSizeRoute,
  [`GET ${PATHS.getUploadInfo}`]: getUploadInfoRoute,
  [`POST ${PATHS.createAsset}`]: createAssetRoute,
  [`GET ${PATHS.deleteAsset}`]: deleteAssetRoute,
};
