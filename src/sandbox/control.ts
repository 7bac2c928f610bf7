// Every sandbox knob with the body it takes and what it answers, and one client for them over
// HTTP (`POST /_sandbox/<service>/<action>`, `GET /_sandbox/log`, `POST /_sandbox/reset`). No Node
// built-ins: browser tests, Node tests and the end-to-end runs use the same typed client, and
// `Sandbox.control` is typed by the same map.
import type { KeyAddresses } from './universa-keys.js';
import type { ReceivedWrite } from './app-digime.js';
import type { ReceivedNotification } from './app-titan.js';
import type { StoredWrite } from './digime.js';
import type {
  SandboxTitanAsset,
  SandboxTitanDelivery,
  SandboxTitanGroup,
  SandboxTitanLink,
  SandboxTitanTransferLog,
  SandboxTitanUser,
} from './titan/index.js';
import type { NodeMode, ReportRefusal, UnauthorizedMode } from './titan/faults.js';
import type { LogEntry } from './types.js';
import type { FaultKind, IssuerEndpoint } from './universa.js';

type Knob<Body, Answer> = { body: Body; answer: Answer };
type Empty = Record<string, never>;
type Ok = { ok: true };

export interface SandboxKnobs {
  titan: {
    unauthorized: Knob<{ mode: UnauthorizedMode }, Ok & { mode: UnauthorizedMode }>;
    /** @deprecated `unauthorized {mode}`; `shape` maps to the same modes. */
    'unauthorized-as': Knob<{ shape: 'http' | 'envelope' }, Ok & { shape: UnauthorizedMode }>;
    'expire-tokens': Knob<Empty, Ok & { expiredThrough: number }>;
    node: Knob<{ nodeId: string; mode: NodeMode | 'ok'; delayMs?: number; failCount?: number }, Ok>;
    storage: Knob<{ call: string; delayMs?: number; failCount?: number }, Ok>;
    report: Knob<{ refuse: ReportRefusal | null; failCount?: number }, Ok>;
    'shuffle-nodes': Knob<{ on: boolean }, Ok & { on: boolean }>;
    link: Knob<{ bytesPerSecond: number | null }, Ok & { bytesPerSecond: number | null }>;
    tamper: Knob<{ uploadUrl?: string; link?: string }, Ok & { uploadUrl?: string; link?: string }>;
    notify: Knob<{ uploadUrl?: string; deleteUrl?: string }, Ok & { uploadUrl: string; deleteUrl: string }>;
    callbacks: Knob<Empty, SandboxTitanDelivery[]>;
    assets: Knob<Empty, SandboxTitanAsset[]>;
    links: Knob<Empty, SandboxTitanLink[]>;
    groups: Knob<Empty, SandboxTitanGroup[]>;
    reports: Knob<Empty, SandboxTitanTransferLog[]>;
    users: Knob<Empty, SandboxTitanUser[]>;
  };
  'app-titan': {
    'fail-token': Knob<{ count?: number; status?: number }, Ok>;
    'fail-callback': Knob<{ count?: number }, Ok>;
    received: Knob<Empty, ReceivedNotification[]>;
  };
  universa: {
    issue: Knob<
      { caption?: string; text?: string; twoPhase?: boolean; cancelUrl?: boolean; generationSeconds?: number; pollSeconds?: number },
      { id: string; cb: string; confirm_url: string }
    >;
    configure: Knob<{ generationSeconds?: number; pollSeconds?: number; twoPhase?: boolean }, Record<string, unknown>>;
    /** A fresh RSA key and its short and long Universa addresses (universa-keys.ts). */
    'key-address': Knob<{ bits?: 2048 | 4096; typeMark?: number }, KeyAddresses>;
    confirm: Knob<{ id: string } | { cb: string }, Ok>;
    fault: Knob<
      {
        endpoint: IssuerEndpoint | '*';
        kind: FaultKind;
        /** 0: until cleared. */
        times?: number;
        status?: number;
        ms?: number;
        field?: string;
        value?: unknown;
      },
      Ok & { faults: number }
    >;
    'clear-faults': Knob<Empty, Ok>;
    inspect: Knob<
      { id: string } | { cb: string },
      { id: string; state: string; address?: string; confirmed: boolean; counts: Record<IssuerEndpoint, number> }
    >;
  };
  digime: {
    postbox: Knob<{ postboxId?: string }, StoredWrite[]>;
    'expire-access-tokens': Knob<{ answer?: 'invalid-token' | 'pending' }, { expired: number; answer: 'invalid-token' | 'pending' }>;
    'fail-authorize': Knob<{ errorCode?: string }, { errorCode: string }>;
    'write-status': Knob<{ status: 'delivered' | 'pending' }, { status: 'delivered' | 'pending' }>;
    contract: Knob<Empty, { applicationId: string; contractId: string; clientId: string; publicKeyPem: string }>;
    'register-contract': Knob<{ applicationId: string; contractId: string; publicKeyPem: string }, { clientId: string }>;
  };
  'app-digime': {
    received: Knob<Empty, ReceivedWrite[]>;
    sessions: Knob<Empty, unknown[]>;
  };
}

export type SandboxServiceName = keyof SandboxKnobs;
export type KnobBody<S extends SandboxServiceName, A extends keyof SandboxKnobs[S]> =
  SandboxKnobs[S][A] extends Knob<infer B, unknown> ? B : never;
export type KnobAnswer<S extends SandboxServiceName, A extends keyof SandboxKnobs[S]> =
  SandboxKnobs[S][A] extends Knob<unknown, infer R> ? R : never;
/** The body argument: optional where the knob takes nothing. */
export type KnobArgs<S extends SandboxServiceName, A extends keyof SandboxKnobs[S]> =
  Empty extends KnobBody<S, A> ? [body?: KnobBody<S, A>] : [body: KnobBody<S, A>];

/** The sandbox's control endpoints over HTTP, typed by `SandboxKnobs`. */
export class SandboxClient {
  /**
   * @param base The origin the sandbox is mounted on ('' for the page's own).
   * @param doFetch `fetch` to use.
   */
  constructor(
    readonly base = '',
    private readonly doFetch: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  /** Turns a knob or reads a service's state. */
  async knob<S extends SandboxServiceName, A extends keyof SandboxKnobs[S] & string>(
    service: S,
    action: A,
    ...[body]: KnobArgs<S, A>
  ): Promise<KnobAnswer<S, A>> {
    const r = await this.doFetch(`${this.base}/_sandbox/${service}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`knob ${service}/${action} answered HTTP ${r.status}: ${text}`);
    return JSON.parse(text) as KnobAnswer<S, A>;
  }

  /** Every request one service received since the last reset, oldest first. */
  async log(service: SandboxServiceName): Promise<LogEntry[]> {
    const r = await this.doFetch(`${this.base}/_sandbox/log?service=${encodeURIComponent(service)}`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (!r.ok) throw new Error(`sandbox log answered HTTP ${r.status}`);
    return (await r.json()) as LogEntry[];
  }

  /** Forgets every service's state and faults (accounts survive). */
  async reset(): Promise<void> {
    const r = await this.doFetch(`${this.base}/_sandbox/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(10_000),
    });
    if (!r.ok) throw new Error(`reset answered HTTP ${r.status}`);
  }

  /** The sandbox's own (cross-origin) base URL. */
  async info(): Promise<{ url: string }> {
    return (await (await this.doFetch(`${this.base}/_sandbox/info`, { signal: AbortSignal.timeout(10_000) })).json()) as { url: string };
  }
}
