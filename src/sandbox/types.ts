import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SandboxOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Loopback address to bind; default 127.0.0.1. */
  host?: string;
  /**
   * Multiplies every protocol delay the sandbox plays (Titan callback retry schedule, issuer
   * generation time). 1 = real time; tests use e.g. 0.001 so 10 s becomes 10 ms.
   */
  timeScale?: number;
  /** Titan user token lifetime in seconds (real Titan: 24 h). */
  tokenTtlSeconds?: number;
  /** How long after `orig_iat` a token may still be refreshed (real Titan: 7 days). */
  refreshWindowSeconds?: number;
  /** Where upload nodes stream files to; default a fresh temp dir removed on close. */
  dataDir?: string;
  /** The tenant the demo app backend is registered as. */
  tenant?: { id: string; apiKey: string; apiSecret: string };
  /** Universa issuer: seconds from ok_url to a ready contract, and the poll_seconds it asks for. */
  issuer?: { generationSeconds?: number; pollSeconds?: number };
  /**
   * Origins whose pages may call the sandbox's services cross-origin, besides loopback ones
   * (`http://localhost:…`, `http://127.0.0.1:…`, `*.localhost`). Any other site a developer
   * visits gets no CORS answer. The control routes (`/_sandbox/…`) never answer CORS.
   */
  allowedOrigins?: string[];
  /** Host names the sandbox answers besides loopback ones (a DNS name pointing at it, rebinding guard). */
  allowedHosts?: string[];
}

export type ResolvedSandboxOptions = Required<Omit<SandboxOptions, 'dataDir' | 'issuer'>> & {
  dataDir: string;
  issuer: { generationSeconds: number; pollSeconds: number };
};

export interface LogEntry {
  service: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The parsed JSON body when the handler read one. */
  body?: unknown;
  status: number;
  time: number;
}

export interface SandboxContext {
  /** Absolute base URL of the sandbox's own listener, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly options: ResolvedSandboxOptions;
  /** Every request served, oldest first (cleared by reset). */
  readonly log: LogEntry[];
}

/**
 * One protocol double (Titan, Universa issuer, digi.me, the demo app backend). The router gives
 * it every request whose path starts with one of its prefixes, and `POST /_sandbox/<name>/<action>`
 * with a JSON body to `control` (the knobs tests and the demo page turn).
 */
export interface SandboxService {
  readonly name: string;
  readonly prefixes: readonly string[];
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  control?(action: string, body: Record<string, unknown>): unknown | Promise<unknown>;
  /** false withholds CORS headers for this request (the "CORS failure" knob). */
  corsAllowed?(url: URL): boolean;
  /** Back to a fresh state: knobs off, stored data cleared. */
  reset?(): void;
  close?(): Promise<void>;
}

export type ServiceFactory = (ctx: SandboxContext) => SandboxService;
