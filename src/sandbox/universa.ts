import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseUniversaAddress } from '../universa/address.js';
import { packBoss, type BossValue } from './boss.js';
import { newKeyAddresses } from './universa-keys.js';
import { ACTION_SELECT_ADDRESS, type CheckAnswer, type IssuerOffer, type IssuerState } from '../universa/protocol.js';
import { HttpError, readJson, redirect, requestOrigin, sendJson, sendText, sleep } from './http.js';
import type { SandboxContext, SandboxService } from './types.js';

/**
 * The Universa issuer double ("SheToken"): hands out unique callback links and plays the
 * cb / ok_url / check_url / cancel_url side of the Universa web client's import-tokens flow
 * (README, `<universa-select-address>`), with the restore
 * guarantee (the same cb always answers the same data, only `state` changes), an optional
 * 2-phase confirmation and fault knobs.
 *
 * Routes (all under /universa):
 * - `GET|POST /issue` (query or JSON: caption, text, twoPhase, cancelUrl, generationSeconds,
 *   pollSeconds, client) → `{id, cb, confirm_url, link?}`; with `client` it 302s to
 *   `client?iv=1&cb=…` like the issuer's SMS landing page would.
 * - `POST /cb/:id`, `POST /ok/:id` `{address}`, `POST /check/:id`, `POST /cancel/:id`
 * - `GET|POST /confirm/:id`: the link of the 2-phase e-mail.
 *
 * Knobs (`POST /_sandbox/universa/<action>`):
 * - `issue` (same body as /issue) → `{id, cb, confirm_url}`
 * - `key-address` `{bits?: 2048 | 4096, typeMark?}` → a fresh RSA key's `{publicKeyPem, bits,
 *   keyMask, typeMark, short, long}` (universa-keys.ts, as KeyAddress.java computes them)
 * - `configure` `{generationSeconds?, pollSeconds?, twoPhase?}`: defaults for new issues
 * - `confirm` `{id}` or `{cb}`: the 2-phase confirmation
 * - `fault` `{endpoint: 'cb'|'ok'|'check'|'cancel'|'*', kind, times?, status?, ms?, field?, value?}`
 *   kinds: `status` (answer HTTP `status`, default 500), `slow` (delay `ms`), `malformed`
 *   (invalid JSON body), `omit` (drop `field`), `set` (`field` = `value`, e.g. poll_seconds
 *   1e9 or action "send_money"), `corrupt-contract` (base64_contract that is not base64),
 *   `no-cors` (withhold CORS headers, preflight included), `empty` (no body, HTTP `status` or the
 *   answer's own; ok_url answering a bare 200 or a 204), `stall` (headers and half the body, the
 *   rest after `ms`). `times` defaults to 1; 0 = until cleared.
 * - `clear-faults` `{}`
 * - `inspect` `{id}` or `{cb}` → the issue's state, address, confirmed flag and counters
 */
export const UNIVERSA_PREFIX = '/universa';

export type IssuerEndpoint = 'cb' | 'ok' | 'check' | 'cancel';
export type FaultKind = 'status' | 'slow' | 'malformed' | 'omit' | 'set' | 'corrupt-contract' | 'no-cors' | 'empty' | 'stall';

export interface IssuerFault {
  endpoint: IssuerEndpoint | '*';
  kind: FaultKind;
  /** How many more requests it applies to; Infinity for "until cleared". */
  times: number;
  status?: number;
  ms?: number;
  field?: string;
  value?: unknown;
}

interface Issue {
  id: string;
  /** The origin the issue was created through; its callback URLs use it. */
  origin: string;
  caption: string;
  text: string;
  withCancel: boolean;
  twoPhase: boolean;
  generationSeconds: number;
  pollSeconds: number;
  state: IssuerState;
  address?: string;
  okAt?: number;
  confirmedAt?: number;
  contract?: string;
  counts: Record<IssuerEndpoint, number>;
}

interface IssueOptions {
  caption?: string;
  text?: string;
  twoPhase?: boolean;
  cancelUrl?: boolean;
  generationSeconds?: number;
  pollSeconds?: number;
}

const ENDPOINTS: readonly string[] = ['cb', 'ok', 'check', 'cancel'];
const KINDS: readonly string[] = ['status', 'slow', 'malformed', 'omit', 'set', 'corrupt-contract', 'no-cors', 'empty', 'stall'];

export function createUniversaService(ctx: SandboxContext): SandboxService {
  // The issuer's key, named in every contract it issues: made when the first contract is, not at
  // start-up (most sandboxes never issue one).
  let issuerKey: { e: Uint8Array; n: Uint8Array } | undefined;
  const issuerKeyParts = () => {
    if (issuerKey) return issuerKey;
    const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    return (issuerKey = { e: new Uint8Array(Buffer.from(jwk.e!, 'base64url')), n: new Uint8Array(Buffer.from(jwk.n!, 'base64url')) });
  };
  const issues = new Map<string, Issue>();
  let faults: IssuerFault[] = [];
  let defaults = { twoPhase: false };
  let timing = { ...ctx.options.issuer };

  const urlOf = (endpoint: IssuerEndpoint | 'confirm', id: string) =>
    `${issues.get(id)?.origin ?? ctx.url}${UNIVERSA_PREFIX}/${endpoint}/${id}`;

  function createIssue(o: IssueOptions, origin = ctx.url): Issue {
    const id = randomBytes(16).toString('base64url');
    const issue: Issue = {
      id,
      origin,
      caption: o.caption ?? 'She-Token generation',
      text:
        o.text ?? 'The She-Token service is ready to generate your 120 SHT tokens. Just select or generate the address to receive them.',
      withCancel: o.cancelUrl ?? true,
      twoPhase: o.twoPhase ?? defaults.twoPhase,
      generationSeconds: o.generationSeconds ?? timing.generationSeconds,
      pollSeconds: o.pollSeconds ?? timing.pollSeconds,
      state: 'new',
      counts: { cb: 0, ok: 0, check: 0, cancel: 0 },
    };
    if (issue.twoPhase) issue.text += ' You will receive an e-mail to confirm the address before the tokens are issued.';
    issues.set(id, issue);
    return issue;
  }

  const describe = (i: Issue) => ({ id: i.id, cb: urlOf('cb', i.id), confirm_url: urlOf('confirm', i.id) });

  function find(body: Record<string, unknown>): Issue {
    const key = typeof body.id === 'string' ? body.id : typeof body.cb === 'string' ? (body.cb.split('/').pop() ?? '') : '';
    const issue = issues.get(key);
    if (!issue) throw new HttpError(404, `no issue ${key || '(missing id)'}`);
    return issue;
  }

  /** Generation runs from OK (or from the 2-phase confirmation) for generationSeconds × timeScale. */
  function advance(issue: Issue): void {
    if (issue.state !== 'in_progress' || issue.okAt === undefined) return;
    const from = issue.twoPhase ? issue.confirmedAt : issue.okAt;
    if (from === undefined) return;
    if (Date.now() - from < issue.generationSeconds * 1000 * ctx.options.timeScale) return;
    issue.state = 'ready';
    issue.contract ??= Buffer.from(contractFor(issue)).toString('base64');
  }

  /**
   * A sealed contract shaped as Universa writes one (UniversaBlockchain/universa Contract.java,
   * the `.unicon` test files' structure): `{type: "unicapsule", version: 3, data, signatures}`,
   * `data` the BOSS of `{contract: {__type: "UniversaContract", api_level, definition, state}}`;
   * the issuer role names the sandbox issuer's RSA key (`RSAPublicKey`, packed `[type, e, n]`),
   * the owner role the chosen address (`KeyAddress` with its bytes). The signature is random bytes:
   * nothing here checks it.
   */
  function contractFor(issue: Issue): Uint8Array {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const expires = new Date(now.getTime() + 365 * 24 * 3600 * 1000);
    const role = (name: string, members: Record<string, BossValue>) => ({ __type: 'SimpleRole', name, anonIds: [], ...members });
    const owner = issue.address ? [{ __type: 'KeyAddress', uaddress: parseUniversaAddress(issue.address).bytes }] : [];
    const contract = {
      __type: 'UniversaContract',
      api_level: 3,
      definition: {
        created_at: now,
        data: { name: 'She-Token', currency_code: 'SHT', unit_short_name: 'SHT', unit_name: 'She-Token' },
        issuer: role('issuer', {
          keys: [{ __type: 'KeyRecord', key: { __type: 'RSAPublicKey', packed: packBoss([1, issuerKeyParts().e, issuerKeyParts().n]) } }],
        }),
        permissions: {},
        references: [],
      },
      state: {
        owner: role('owner', { addresses: owner }),
        data: { amount: '120' },
        created_at: now,
        expires_at: expires,
        revision: 1,
        origin: null,
        parent: null,
        branch_id: null,
      },
    };
    return packBoss({
      type: 'unicapsule',
      version: 3,
      data: packBoss({ contract, revoking: [], new: [] } as BossValue),
      signatures: [new Uint8Array(randomBytes(64))],
    } as BossValue);
  }

  function take(endpoint: IssuerEndpoint, kind: FaultKind, applies = true): IssuerFault | undefined {
    const fault = faults.find((f) => f.kind === kind && (f.endpoint === '*' || f.endpoint === endpoint));
    if (!fault || !applies) return undefined;
    if (--fault.times <= 0) faults = faults.filter((f) => f !== fault);
    return fault;
  }

  function endpointOf(url: URL): IssuerEndpoint | undefined {
    const name = url.pathname.slice(UNIVERSA_PREFIX.length + 1).split('/')[0] ?? '';
    return ENDPOINTS.includes(name) ? (name as IssuerEndpoint) : undefined;
  }

  function offerOf(issue: Issue): IssuerOffer {
    return {
      caption: issue.caption,
      text: issue.text,
      action: ACTION_SELECT_ADDRESS,
      ok_url: urlOf('ok', issue.id),
      ...(issue.withCancel ? { cancel_url: urlOf('cancel', issue.id) } : {}),
      check_url: urlOf('check', issue.id),
      state: issue.state,
    };
  }

  async function answer(endpoint: IssuerEndpoint, issue: Issue, body: Record<string, unknown>): Promise<[number, Record<string, unknown>]> {
    advance(issue);
    switch (endpoint) {
      case 'cb':
        return [200, { ...offerOf(issue) }];
      case 'ok': {
        if (issue.state === 'cancelled') return [409, { state: issue.state, error: 'cancelled' }];
        let address: string;
        try {
          address = parseUniversaAddress(String(body.address ?? '')).text;
        } catch (err) {
          return [400, { error: 'bad-address', message: (err as Error).message }];
        }
        if (issue.state !== 'new') {
          // Idempotent for the same address (a client resuming after a lost answer).
          if (address !== issue.address) return [409, { state: issue.state, error: 'another address was already chosen' }];
          return [200, { poll_seconds: issue.pollSeconds }];
        }
        issue.address = address;
        issue.okAt = Date.now();
        issue.state = 'in_progress';
        advance(issue);
        return [200, { poll_seconds: issue.pollSeconds }];
      }
      case 'check': {
        const out: CheckAnswer = { state: issue.state };
        if (issue.state === 'ready') out.base64_contract = issue.contract;
        else if (issue.state !== 'cancelled') out.poll_seconds = issue.pollSeconds;
        return [200, { ...out }];
      }
      case 'cancel':
        if (issue.state === 'ready') return [409, { state: issue.state, error: 'the contract was already issued' }];
        issue.state = 'cancelled';
        return [200, { state: issue.state }];
    }
  }

  async function handleEndpoint(req: IncomingMessage, res: ServerResponse, endpoint: IssuerEndpoint, id: string): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, `${endpoint} callbacks are POSTed`);
    const body = await readJson(req);
    const issue = issues.get(id);
    if (!issue) throw new HttpError(404, `no issue ${id}`);
    issue.counts[endpoint]++;
    const slow = take(endpoint, 'slow');
    if (slow) await sleep(slow.ms ?? 3000);
    const status = take(endpoint, 'status');
    if (status) return sendJson(res, status.status ?? 500, { error: 'injected fault' });
    let [code, value] = await answer(endpoint, issue, body);
    const omit = take(endpoint, 'omit');
    if (omit?.field) delete value[omit.field];
    const set = take(endpoint, 'set');
    if (set?.field) value = { ...value, [set.field]: set.value };
    if (take(endpoint, 'corrupt-contract', typeof value.base64_contract === 'string')) value.base64_contract = '%%not*base64%%';
    if (take(endpoint, 'malformed'))
      return sendText(res, code, `${JSON.stringify(value).slice(0, 20)}…`, { 'content-type': 'application/json' });
    const empty = take(endpoint, 'empty');
    if (empty) return void res.writeHead(empty.status ?? code, { 'content-length': 0 }).end();
    const stall = take(endpoint, 'stall');
    if (stall) {
      const text = JSON.stringify(value);
      res.writeHead(code, { 'content-type': 'application/json; charset=utf-8' });
      res.write(text.slice(0, text.length >> 1));
      await sleep(stall.ms ?? 3000);
      if (!res.destroyed) res.end(text.slice(text.length >> 1));
      return;
    }
    sendJson(res, code, value);
  }

  function issueFrom(q: Record<string, unknown>): IssueOptions {
    const bool = (v: unknown) => (v === undefined ? undefined : v === true || v === '1' || v === 'true');
    const num = (v: unknown) => (v === undefined ? undefined : Number(v));
    return {
      caption: q.caption as string | undefined,
      text: q.text as string | undefined,
      twoPhase: bool(q.twoPhase ?? q.two_phase),
      cancelUrl: bool(q.cancelUrl ?? q.cancel_url),
      generationSeconds: num(q.generationSeconds),
      pollSeconds: num(q.pollSeconds),
    };
  }

  return {
    name: 'universa',
    prefixes: [UNIVERSA_PREFIX],

    async handle(req, res, url) {
      const [name = '', id = ''] = url.pathname.slice(UNIVERSA_PREFIX.length + 1).split('/');
      const endpoint = endpointOf(url);
      if (endpoint) return handleEndpoint(req, res, endpoint, id);
      if (name === 'issue') {
        const body = req.method === 'POST' ? await readJson(req) : {};
        const params = { ...Object.fromEntries(url.searchParams), ...body };
        const issue = createIssue(issueFrom(params), requestOrigin(req, ctx.url));
        const client = typeof params.client === 'string' ? params.client : undefined;
        if (!client) return sendJson(res, 200, describe(issue));
        const link = new URL(client);
        link.searchParams.set('iv', '1');
        link.searchParams.set('cb', urlOf('cb', issue.id));
        return redirect(res, link.href);
      }
      if (name === 'confirm') {
        const issue = issues.get(id);
        if (!issue) throw new HttpError(404, `no issue ${id}`);
        issue.confirmedAt ??= Date.now();
        return sendText(res, 200, `Address ${issue.address ?? '(none yet)'} confirmed; the tokens will be issued.`);
      }
      throw new HttpError(404, `no issuer route ${url.pathname}`);
    },

    control(action, body) {
      switch (action) {
        case 'key-address': {
          const bits = body.bits ?? 2048;
          if (bits !== 2048 && bits !== 4096) throw new HttpError(400, 'bits must be 2048 or 4096');
          const typeMark = body.typeMark ?? 0;
          if (!Number.isInteger(typeMark) || (typeMark as number) < 0 || (typeMark as number) > 15) {
            throw new HttpError(400, 'typeMark must be an integer in 0…15');
          }
          return newKeyAddresses(bits, typeMark as number);
        }
        case 'issue':
          return describe(createIssue(issueFrom(body)));
        case 'configure':
          if (typeof body.generationSeconds === 'number') timing.generationSeconds = body.generationSeconds;
          if (typeof body.pollSeconds === 'number') timing.pollSeconds = body.pollSeconds;
          if (typeof body.twoPhase === 'boolean') defaults = { twoPhase: body.twoPhase };
          return { ...timing, ...defaults };
        case 'confirm': {
          const issue = find(body);
          issue.confirmedAt ??= Date.now();
          return { ok: true };
        }
        case 'fault': {
          const endpoint = String(body.endpoint ?? '*');
          const kind = String(body.kind ?? '');
          if (endpoint !== '*' && !ENDPOINTS.includes(endpoint)) throw new HttpError(400, `unknown endpoint ${endpoint}`);
          if (!KINDS.includes(kind)) throw new HttpError(400, `unknown fault kind ${kind} (one of ${KINDS.join(', ')})`);
          const times = body.times === 0 ? Infinity : typeof body.times === 'number' ? body.times : 1;
          faults.push({
            endpoint: endpoint as IssuerFault['endpoint'],
            kind: kind as FaultKind,
            times,
            status: typeof body.status === 'number' ? body.status : undefined,
            ms: typeof body.ms === 'number' ? body.ms : undefined,
            field: typeof body.field === 'string' ? body.field : undefined,
            value: body.value,
          });
          return { ok: true, faults: faults.length };
        }
        case 'clear-faults':
          faults = [];
          return { ok: true };
        case 'inspect': {
          const issue = find(body);
          advance(issue);
          return {
            id: issue.id,
            state: issue.state,
            address: issue.address,
            confirmed: issue.confirmedAt !== undefined,
            counts: issue.counts,
          };
        }
      }
      throw new HttpError(404, `no universa knob "${action}"`);
    },

    corsAllowed(url) {
      const endpoint = endpointOf(url);
      return !(endpoint && take(endpoint, 'no-cors'));
    },

    reset() {
      issues.clear();
      faults = [];
      defaults = { twoPhase: false };
      timing = { ...ctx.options.issuer };
    },
  };
}
