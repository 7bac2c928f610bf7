import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { SandboxContext, SandboxService } from './types.js';
import { HttpError, parsedBodies, readBody, requestOrigin, sendWebResponse, toWebRequest } from './http.js';
import { DIGIME_API_PREFIX, demoDigimeContract } from './digime.js';
import {
  createDigiMeBackend,
  createDigiMeHandlers,
  type DigiMeHandlers,
  type DigiMeSessionData,
  type DigiMeSessionStore,
} from '../server/digime.js';
import { BACKEND_ERRORS, BACKEND_PATHS, WRITE_FIELDS } from '../digime/protocol.js';
import { UploadElementsError } from '../internal/errors.js';

const PREFIX = '/app/digime';
const COOKIE = 'digime_sid';
/** Sessions kept at most; the oldest goes first (every cookie-less request makes one). */
export const MAX_SESSIONS = 1000;

/** What the demo backend's `/write` received, so a test can show it never saw plaintext. */
export interface ReceivedWrite {
  contentType: string;
  fileName?: string;
  fileBase64: string;
  fields: Record<string, string>;
  at: number;
}

/**
 * The demo app backend for `<digime-writer backend-url="/app/digime">`, built only on the
 * public server helper: an in-memory session per cookie (at most `MAX_SESSIONS`, a new id after
 * each exchange, as after any login), the sandbox's demo contract, and the redirect URI taken
 * from the page that asked (`returnUrl`, else Referer), which must be on the backend's own
 * origin so it cannot be turned into an open redirect.
 *
 * Knobs (`POST /_sandbox/app-digime/<action>`):
 * - `received` `{}` → `[{contentType, fileName?, fileBase64, fields: {metadata, symmetrical_key, iv}, at}]`
 * - `sessions` `{}` → the session records (tokens, postbox, pending authorize) for inspection
 */
export function createAppDigimeService(ctx: SandboxContext): SandboxService {
  const sessions = new Map<string, DigiMeSessionData>();
  const received: ReceivedWrite[] = [];
  let handlers: Promise<DigiMeHandlers> | undefined;

  const getHandlers = () =>
    (handlers ??= demoDigimeContract(ctx).then((contract) => {
      const backend = createDigiMeBackend({
        applicationId: contract.applicationId,
        contractId: contract.contractId,
        privateKeyPem: contract.privateKeyPem,
        redirectUri: `${ctx.url}/`,
        baseUrl: `${ctx.url}${DIGIME_API_PREFIX}`,
      });
      return createDigiMeHandlers(backend, {
        session: (request) => sessionFor(request),
        redirectUri: (request, body) => returnUrlFor(request, body.returnUrl),
      });
    }));

  function newSession(data: DigiMeSessionData = {}): string {
    const sid = randomBytes(16).toString('base64url');
    sessions.set(sid, data);
    for (const oldest of sessions.keys()) {
      if (sessions.size <= MAX_SESSIONS) break;
      sessions.delete(oldest);
    }
    return sid;
  }

  function sessionFor(request: Request): DigiMeSessionStore {
    const sid = readCookie(request.headers.get('cookie'), COOKIE) ?? '';
    return {
      get: () => sessions.get(sid),
      set: (data) => void sessions.set(sid, data),
    };
  }

  return {
    name: 'app-digime',
    prefixes: [PREFIX],
    async handle(req, res, url) {
      const endpoint = url.pathname.slice(PREFIX.length + 1);
      if (!Object.values(BACKEND_PATHS).includes(endpoint as never)) throw new HttpError(404, `no demo backend route ${url.pathname}`);
      const raw = await readBody(req, 64 * 1024 * 1024);
      let sid = readCookie(req.headers.cookie, COOKIE);
      let newSid = !sid || !sessions.has(sid) ? newSession() : undefined;
      sid = newSid ?? sid!;
      const request = webRequest(req, requestOrigin(req, ctx.url), raw, sid);
      if (endpoint === BACKEND_PATHS.write) await record(request.clone(), received);
      else logJsonBody(req, raw);
      const response = await (await getHandlers()).handle(request);
      if (endpoint === BACKEND_PATHS.exchange && response.ok) {
        // Connected: the session id that existed before (and may have been planted) is retired.
        newSid = newSession(sessions.get(sid));
        sessions.delete(sid);
      }
      if (newSid) response.headers.append('set-cookie', `${COOKIE}=${newSid}; Path=${PREFIX}; HttpOnly; SameSite=Lax`);
      await sendWebResponse(res, response);
    },
    control(action) {
      switch (action) {
        case 'received':
          return received;
        case 'sessions':
          return [...sessions.values()];
        default:
          throw new HttpError(404, `no app-digime knob "${action}"`);
      }
    },
    reset() {
      sessions.clear();
      received.length = 0;
    },
  };
}

/**
 * The page that started the authorize gets the user back, on this backend's own origin (the app
 * the backend belongs to): a return URL elsewhere, or a request from another site (its Origin),
 * is refused, whatever the asking page claims. Without a returnUrl, the Referer is the page.
 */
function returnUrlFor(request: Request, returnUrl: unknown): string {
  const own = new URL(request.url).origin;
  const origin = request.headers.get('origin');
  const candidate = typeof returnUrl === 'string' && returnUrl ? returnUrl : request.headers.get('referer');
  let url: URL;
  try {
    url = new URL(candidate ?? '');
  } catch {
    throw new UploadElementsError(BACKEND_ERRORS.badRequest, 'returnUrl (or a Referer) is required.');
  }
  if (url.origin !== own || (origin !== null && origin !== own)) {
    throw new UploadElementsError(BACKEND_ERRORS.badRequest, `returnUrl ${url.origin} is not this app's origin (${own}).`);
  }
  return url.href;
}

async function record(request: Request, into: ReceivedWrite[]): Promise<void> {
  const form = await request.formData().catch(() => undefined);
  if (!form) return;
  const file = form.get(WRITE_FIELDS.file);
  const fields: Record<string, string> = {};
  form.forEach((value, key) => {
    if (typeof value === 'string') fields[key] = value;
  });
  into.push({
    contentType: request.headers.get('content-type') ?? '',
    ...(file instanceof File ? { fileName: file.name } : {}),
    fileBase64: file instanceof Blob ? Buffer.from(await file.arrayBuffer()).toString('base64') : '',
    fields,
    at: Date.now(),
  });
}

function logJsonBody(req: IncomingMessage, raw: Buffer): void {
  try {
    if (raw.length) parsedBodies.set(req, JSON.parse(raw.toString('utf8')));
  } catch {
    // the handler answers 400 itself
  }
}

/** The web Request the helper sees, carrying the (possibly just issued) session cookie. */
function webRequest(req: IncomingMessage, baseUrl: string, raw: Buffer, sid: string): Request {
  const base = toWebRequest(req, baseUrl, raw);
  const headers = new Headers(base.headers);
  headers.set('cookie', `${COOKIE}=${sid}`);
  return new Request(base, { headers });
}

function readCookie(header: string | null | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}
