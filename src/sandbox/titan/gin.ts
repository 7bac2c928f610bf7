import type { IncomingMessage, ServerResponse } from 'node:http';
import { CODES } from '../../titan/protocol.js';

/**
 * How Titan's API server (gnasnik/titan-explorer, gin v1.9.1) turns a handler's calls into bytes.
 * The handlers in tenant.ts and storage.ts are written against this, so their quirks come out
 * as they do upstream.
 */

/**
 * A Go runtime panic in a handler (a failed `claims["id"].(string)`, an index out of range).
 * api/api.go mounts `gin.Recovery()`, which answers HTTP 500 with an empty body unless the
 * handler had written something already.
 */
export class GoPanic extends Error {}

/**
 * gin.Context's writer: `c.JSON` writes at once and does not end the handler, so a second
 * `c.JSON` (a missing `return` upstream) appends its body after the first, under the first status.
 */
export class GinReply {
  status = 0;
  body = '';
  readonly headers: Record<string, string> = {};

  /** `c.JSON` (HTML-escaped like Go's json.Marshal) or, with `pure`, `c.PureJSON`. */
  json(status: number, value: unknown, pure = false): void {
    if (!this.status) this.status = status;
    this.body += goJson(value, !pure);
  }

  get written(): boolean {
    return this.status !== 0;
  }

  send(res: ServerResponse): void {
    // A handler that writes nothing answers 200 with an empty body (SubUserSyncHandler); a
    // recovered panic before any write is 500, also empty.
    const headers: Record<string, string | number> = { ...this.headers, 'content-length': Buffer.byteLength(this.body) };
    if (this.body) headers['content-type'] = 'application/json; charset=utf-8';
    res.writeHead(this.status || 200, headers).end(this.body);
  }
}

/** gin's answer for a route it does not have (also a known path with another method). */
export function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain', 'content-length': 18 }).end('404 page not found');
}

/**
 * Go's `json.Marshal`: like JSON.stringify, but `<`, `>` and `&` become `\u003c`, `\u003e`,
 * `\u0026` (unless `PureJSON`), and U+2028/U+2029 are always escaped. Keys come out in the
 * order the object has them: write Go maps (`gin.H`) with sorted keys, structs in field order.
 */
export function goJson(value: unknown, escapeHtml = true): string {
  const text = JSON.stringify(value).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  return escapeHtml ? text.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) : text;
}

/** `err` numbers and `ErrMap` texts (core/errors/errors.go) this replica answers: "english:chinese". */
const ERR_MAP: Record<number, string> = {
  1000: 'not found:信息未找到',
  1001: 'invalid params:参数有误',
  1002: 'user not found:用户不存在',
  1004: 'Server Busy:服务器繁忙，请稍后再试',
  1005: 'no scheduler found:没有可用的调度器',
  1017: 'file already exists no need to upload:该文件已经存在',
  1021: 'invalid signature: 无效的签名',
  1028: 'permission not allowed: 没有操作权限',
  // Scheduler numbers (titan-node api/terrors/errors.go) that the explorer's ErrMap also lists.
  10000: 'not found:信息未找到',
  10008: "Can't find the node:节点未找到",
};

/**
 * api/response.go `respErrorCode`: `{code: -1, err, extra, msg}`. `msg` is the ErrMap text's
 * part before the first `:`, or the part after it when the request says `Lang: cn` (leading
 * space and all). `extra` is the variadic `extra ...string`: Go's nil slice, so `null`, when
 * none are given.
 */
export function respErrorCode(code: number, lang: string, ...extra: string[]) {
  const parts = (ERR_MAP[code] ?? '').split(':');
  const msg = lang === 'cn' && parts.length > 1 ? parts[1]! : parts[0]!;
  return { code: CODES.error, err: code, extra: extra.length ? extra : null, msg };
}

/** api/response.go `respError`: the error's own text, and no `extra` key. */
export const respError = (code: number, msg: string) => ({ code: CODES.error, err: code, msg });

/** api/response.go `respJSON`. */
export const respJSON = (data: unknown) => ({ code: CODES.ok, data });

/** The `Lang` header as `c.GetHeader("Lang")` reads it. */
export function langOf(req: IncomingMessage): string {
  const v = req.headers.lang;
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

type GoType = 'string' | 'int64' | 'bool' | 'string[]' | 'time';
type GoValue<T extends GoType> = T extends 'int64' ? number : T extends 'bool' ? boolean : T extends 'string[]' ? string[] : string;
export type Bound<S extends Record<string, GoType>> = { -readonly [K in keyof S]: GoValue<S[K]> };

const ZERO: Record<GoType, () => unknown> = { string: () => '', int64: () => 0, bool: () => false, 'string[]': () => [], time: () => '' };

/**
 * gin's `c.ShouldBindJSON(&req)` for a struct whose JSON fields are `schema`: encoding/json
 * (keys matched case-insensitively, `null` leaves the zero value, a value of the wrong type or a
 * fraction for an int64 is an error, so is a top-level array) then the `binding:"required"`
 * validator, which refuses Go's zero value (`""`, `0`, `false`). Undefined means "bind error".
 * (Go's decoder also ignores bytes after the first JSON value; this does not.)
 */
export function bindJson<S extends Record<string, GoType>>(raw: Buffer, schema: S, required: Array<keyof S> = []): Bound<S> | undefined {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined; // includes the empty body (io.EOF)
  }
  if (body !== null && (typeof body !== 'object' || Array.isArray(body))) return undefined;
  const out = Object.fromEntries(Object.entries(schema).map(([k, t]) => [k, ZERO[t]()])) as Record<string, unknown>;
  for (const [key, value] of Object.entries(body ?? {})) {
    const field = key in schema ? key : Object.keys(schema).find((k) => k.toLowerCase() === key.toLowerCase());
    if (field === undefined || value === null) continue;
    const type = schema[field]!;
    const ok =
      type === 'string'
        ? typeof value === 'string'
        : type === 'int64'
          ? Number.isSafeInteger(value)
          : type === 'bool'
            ? typeof value === 'boolean'
            : type === 'time'
              ? typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value)
              : Array.isArray(value) && value.every((v) => v === null || typeof v === 'string');
    if (!ok) return undefined;
    out[field] = type === 'string[]' ? (value as Array<string | null>).map((v) => v ?? '') : value;
  }
  if (required.some((k) => !out[k as string])) return undefined;
  return out as Bound<S>;
}
