import { randomBytes } from 'node:crypto';
import { signTitanCallback } from '../../server/callback.js';
import { CALLBACK_ACK } from '../../titan/protocol.js';
import { goJson } from './gin.js';

/**
 * Notifications to the tenant's app backend, as the explorer's asynq worker sends them
 * (job/handler_upload_notify.go `assetUploadNotify`, job/handler_delete_nofify.go
 * `assetDeleteNotify`, scheduled by job/retry.go and core/opasynq/client.go).
 */

/**
 * job/retry.go `retry`: after failure n (0-based) wait `tenantCallbackInterval[n]`, 24 h past
 * its end; core/opasynq/client.go enqueues with `asynq.MaxRetry(8)`: 8 retries, 9 attempts.
 */
export const CALLBACK_RETRY_DELAYS_MS = [10e3, 30e3, 60e3, 300e3, 1200e3, 3600e3, 86400e3, 86400e3] as const;

/** core/opasynq/client.go `asynq.Timeout(1 * time.Minute)`. */
const ATTEMPT_TIMEOUT_MS = 60_000;

/**
 * The explorer's time zone. `X-Timestamp` is `time.Now().Format(time.RFC3339)` in it and
 * `CreatedTime` comes from a MySQL DATETIME read in it (second precision either way).
 */
export const SERVER_UTC_OFFSET = '+08:00';

/** RFC 3339 at second precision with `offset` (`+hh:mm`), as Go formats a time in that zone. */
export function goTime(date: Date, offset: string = SERVER_UTC_OFFSET): string {
  const m = /^([+-])(\d\d):(\d\d)$/.exec(offset);
  const shift = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000 : 0;
  const local = new Date(Math.floor(date.getTime() / 1000) * 1000 + shift).toISOString().slice(0, 19);
  return `${local}${shift ? offset : 'Z'}`;
}

/** `setAuthorization`'s nonce: `rand.Int(rand.Reader, big.NewInt(1e16))`, printed with `%d`. */
export function goNonce(): string {
  return (randomBytes(8).readBigUInt64BE() % 10n ** 16n).toString();
}

/** `url.Parse(notifyUrl).Path` before decoding: the URL's path as written, `""` when it has none. */
function rawPath(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(url)?.[1] ?? new URL(url).pathname;
}

export interface SandboxTitanDelivery {
  kind: 'upload' | 'delete';
  url: string;
  /** 1-based. */
  attempt: number;
  /** HTTP status, 0 when no answer came (or no request could be made). */
  status: number;
  /** HTTP 200 with the body exactly `success`. */
  ok: boolean;
  /** The notification sent (parsed). */
  body: Record<string, unknown>;
  /** What the app backend answered (first 200 characters) or the error. */
  response: string;
  at: number;
}

export class Callbacks {
  readonly deliveries: SandboxTitanDelivery[] = [];
  #generation = 0;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inflight = new Set<AbortController>();

  constructor(
    private readonly secret: () => string,
    private readonly timeScale: () => number,
  ) {}

  /**
   * Queues one notification: an attempt at once, then one after each retry delay (scaled by
   * `timeScale`) until one succeeds. The body is built afresh for every attempt, as the worker
   * re-reads the task and looks the direct URL up again, and every attempt is signed afresh.
   */
  enqueue(kind: 'upload' | 'delete', url: string, build: () => Record<string, unknown>): void {
    const gen = this.#generation;
    const attempt = async (n: number): Promise<void> => {
      if (gen !== this.#generation) return;
      const body = build();
      const raw = goJson(body);
      const entry: SandboxTitanDelivery = { kind, url, attempt: n + 1, status: 0, ok: false, body, response: '', at: Date.now() };
      const controller = new AbortController();
      this.#inflight.add(controller);
      try {
        // setAuthorization: Content-Type, X-Timestamp, X-Nonce, X-Signature over url.Parse(…).Path.
        const signed = signTitanCallback({
          secret: this.secret(),
          method: 'POST',
          path: rawPath(url),
          rawBody: raw,
          timestamp: goTime(new Date()),
          nonce: goNonce(),
        });
        const r = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'Go-http-client/1.1', ...signed },
          body: raw,
          signal: AbortSignal.any([controller.signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
        });
        const text = await r.text();
        entry.status = r.status;
        entry.response = text.slice(0, 200);
        entry.ok = r.status === 200 && text === CALLBACK_ACK;
      } catch (err) {
        entry.response = (err as Error).message;
      } finally {
        this.#inflight.delete(controller);
      }
      if (gen !== this.#generation) return;
      this.deliveries.push(entry);
      const delay = CALLBACK_RETRY_DELAYS_MS[n];
      if (!entry.ok && delay !== undefined) this.#later(() => attempt(n + 1), delay * this.timeScale());
    };
    this.#later(() => attempt(0), 0);
  }

  /** Drops everything queued or on the wire, and the record. */
  reset(): void {
    this.#generation++;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const c of this.#inflight) c.abort();
    this.#inflight.clear();
    this.deliveries.length = 0;
  }

  #later(fn: () => Promise<void>, ms: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      void fn();
    }, ms);
    this.#timers.add(t);
  }
}
