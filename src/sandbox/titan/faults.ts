import { HttpError } from '../http.js';
import { NODE_IDS, type NodeId } from './state.js';

/** The knobs' state (see index.ts `control` for how they are turned). */

/**
 * How the API answers a request its auth middleware cannot identify:
 * - `source`: as the server does (api/jwt.go `AuthRequired` lets the request through and the
 *   handler panics: HTTP 500, empty body; a bad `tenant-api-key`/`apiKey` gets HTTP 200 `{code: 401}`).
 * - `envelope`: HTTP 200 `{code: 401, msg, success: false}`, as gin-jwt's `MiddlewareFunc`
 *   would (commented out on the storage group in api/router.go).
 * - `http`: the same body with HTTP 401, as a proxy or another deployment may answer.
 */
export type UnauthorizedMode = 'source' | 'envelope' | 'http';

/**
 * Upload node failures:
 * - `down`: HTTP 503 from whatever fronts the node, body unread.
 * - `hang-up`: the connection is dropped without an answer.
 * - `error`: the node's own failure, HTTP 200 `{code: -1, err: 0, msg: "…, http status code 500"}`.
 * - `bad-token`: the node's answer to a token it cannot verify (`…, http status code 401`).
 * - `slow`: answers `delayMs` late (and stops waiting when the client gives up).
 * - `wrong-cid`: takes the file and answers success with the CID of other bytes: a broken or
 *   tampered node (or anything between it and the page). No honest node does this; the client
 *   must refuse to register such an upload.
 */
export type NodeMode = 'down' | 'hang-up' | 'error' | 'bad-token' | 'slow' | 'wrong-cid';
const NODE_MODES: readonly string[] = ['ok', 'down', 'hang-up', 'error', 'bad-token', 'slow', 'wrong-cid'];

export interface NodeFault {
  mode: NodeMode;
  delayMs: number;
  /** Requests still to fail; undefined = until reset. */
  remaining: number | undefined;
}

/** transfer/report refusals, each as the server answers it (api/events.go `AssetTransferReport`). */
export type ReportRefusal = 'invalid-params' | 'permission-not-allowed' | 'server-busy';
const REPORT_REFUSALS: readonly string[] = ['invalid-params', 'permission-not-allowed', 'server-busy'];

export class Faults {
  unauthorized: UnauthorizedMode = 'source';
  readonly nodes = new Map<NodeId, NodeFault>();
  /** By call name (`create_asset`, `transfer/report`, …): answer late, or HTTP 500 (a recovered panic). */
  readonly calls = new Map<string, { delayMs: number; failCount: number }>();
  report: { refusal: ReportRefusal; remaining: number | undefined } | undefined;
  /** The scheduler shuffles its node lists (asset_impl.go getUploadInfo, assets/impl.go); off keeps node order. */
  shuffle = false;
  /**
   * A compromised or hostile API (not a behaviour of the real server): every node's UploadURL,
   * and every share/direct link, replaced by these values.
   */
  tampered: { uploadUrl?: string; link?: string } = {};
  /**
   * The link between the page and the nodes (not a behaviour of the server): upload bodies are
   * read at most this many bytes a second, so the sender waits as on a slower network. Unset:
   * as fast as they come.
   */
  linkBytesPerSecond: number | undefined;

  clear(): void {
    this.tampered = {};
    this.linkBytesPerSecond = undefined;
    this.unauthorized = 'source';
    this.nodes.clear();
    this.calls.clear();
    this.report = undefined;
    this.shuffle = false;
  }

  /** The node's fault for this request, counting it down. */
  takeNode(id: NodeId): NodeFault | undefined {
    const fault = this.nodes.get(id);
    if (fault?.remaining !== undefined && --fault.remaining <= 0) this.nodes.delete(id);
    return fault;
  }

  takeReport(): ReportRefusal | undefined {
    const r = this.report;
    if (r?.remaining !== undefined && --r.remaining <= 0) this.report = undefined;
    return r?.refusal;
  }

  setUnauthorized(mode: unknown): UnauthorizedMode {
    if (mode !== 'source' && mode !== 'envelope' && mode !== 'http')
      throw new HttpError(400, 'mode must be "source", "envelope" or "http"');
    return (this.unauthorized = mode);
  }

  /** `{nodeId: 'node1' | 'c_node1', mode, delayMs?, failCount?}`. */
  setNode(body: Record<string, unknown>) {
    const id = `c_${String(body.nodeId ?? '').replace(/^c_/, '')}` as NodeId;
    if (!NODE_IDS.includes(id)) throw new HttpError(400, `nodeId must be one of ${NODE_IDS.join(', ')}`);
    const mode = body.mode;
    if (typeof mode !== 'string' || !NODE_MODES.includes(mode)) throw new HttpError(400, `mode must be one of ${NODE_MODES.join(', ')}`);
    const delayMs = body.delayMs ?? 1000;
    if (typeof delayMs !== 'number' || delayMs < 0) throw new HttpError(400, 'delayMs must be a non-negative number');
    const failCount = count(body.failCount);
    if (mode === 'ok') this.nodes.delete(id);
    else this.nodes.set(id, { mode: mode as NodeMode, delayMs, remaining: failCount });
    return { ok: true, nodeId: id.slice(2), mode, delayMs, failCount: failCount ?? null };
  }

  /** `{bytesPerSecond: number | null}`; null reads upload bodies as fast as they come again. */
  setLink(body: Record<string, unknown>) {
    const rate = body.bytesPerSecond ?? null;
    if (rate !== null && (typeof rate !== 'number' || !(rate > 0)))
      throw new HttpError(400, 'bytesPerSecond must be a positive number or null');
    this.linkBytesPerSecond = rate ?? undefined;
    return { ok: true, bytesPerSecond: rate };
  }

  /** `{call, delayMs?, failCount?}`; neither clears the call's fault. */
  setCall(body: Record<string, unknown>, calls: readonly string[]) {
    const call = String(body.call ?? '');
    if (!calls.includes(call)) throw new HttpError(400, `call must be one of ${calls.join(', ')}`);
    const delayMs = Number(body.delayMs ?? 0);
    const failCount = Number(body.failCount ?? 0);
    if (!(delayMs >= 0) || !Number.isInteger(failCount) || failCount < 0)
      throw new HttpError(400, 'delayMs and failCount must be non-negative numbers');
    if (!delayMs && !failCount) this.calls.delete(call);
    else this.calls.set(call, { delayMs, failCount });
    return { ok: true, call, delayMs, failCount };
  }

  /** `{refuse: 'invalid-params' | 'permission-not-allowed' | 'server-busy' | null, failCount?}`. */
  setReport(body: Record<string, unknown>) {
    const refusal = body.refuse ?? null;
    if (refusal !== null && (typeof refusal !== 'string' || !REPORT_REFUSALS.includes(refusal))) {
      throw new HttpError(400, `refuse must be null or one of ${REPORT_REFUSALS.join(', ')}`);
    }
    const failCount = count(body.failCount);
    this.report = refusal === null ? undefined : { refusal: refusal as ReportRefusal, remaining: failCount };
    return { ok: true, refuse: refusal, failCount: failCount ?? null };
  }
}

function count(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new HttpError(400, 'failCount must be a positive integer');
  return v;
}
