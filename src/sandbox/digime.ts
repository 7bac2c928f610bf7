import {
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  randomBytes,
  constants,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { SandboxContext, SandboxService } from './types.js';
import { HttpError, readBody, redirect, sendHtml, sendJson, toWebRequest } from './http.js';
import {
  API_ERRORS,
  API_PATHS,
  NONCE_PATTERN,
  ONBOARD_PATH,
  RETURN_PARAMS,
  WRITE_FIELDS,
  clientId,
  type FileDescriptor,
  type TokenClaims,
  type WriteStatus,
} from '../digime/protocol.js';

/** The API base inside the sandbox (`<sandbox url>/digime/v1.7/`), as the SDK's `baseUrl`. */
export const DIGIME_API_PREFIX = '/digime/v1.7/';

const generateKeyPairAsync = promisify(generateKeyPair);

interface KeyPair {
  publicKeyPem: string;
  privateKeyPem: string;
}

/** An RSA key pair as digi.me hands them out: PKCS#1 PEM public key, PKCS#8 private key. */
async function rsaKeyPair(): Promise<KeyPair> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

export interface DigimeContract extends KeyPair {
  applicationId: string;
  contractId: string;
}

/**
 * The demo app's write contract. digi.me issues the contract key pair; in the sandbox it is
 * generated once per sandbox instance (shared by the digi.me double and the demo app backend).
 */
const demoContracts = new WeakMap<SandboxContext, Promise<DigimeContract>>();
export function demoDigimeContract(ctx: SandboxContext): Promise<DigimeContract> {
  let contract = demoContracts.get(ctx);
  if (!contract) {
    contract = rsaKeyPair().then((keys) => ({ applicationId: 'sandbox-app', contractId: 'sandbox-write-contract', ...keys }));
    demoContracts.set(ctx, contract);
  }
  return contract;
}

/** One write as the postbox decrypted and stored it. */
export interface StoredWrite {
  postboxId: string;
  name?: string;
  descriptor: FileDescriptor;
  plaintextBase64: string;
  at: number;
}

interface Preauthorization {
  clientId: string;
  codeChallenge: string;
  redirectUri: string;
  state: string;
  expiresAt: number;
}

interface AuthorizationCode {
  clientId: string;
  codeChallenge: string;
  postboxId: string;
  expiresAt: number;
}

interface Postbox {
  clientId: string;
  privateKey: KeyObject;
  publicKeyPem: string;
}

interface Grant {
  clientId: string;
  postboxId: string;
  /** ms */
  expiresAt: number;
}

const ACCESS_TTL_MS = 60 * 60 * 1000;
const REFRESH_TTL_MS = 30 * 24 * 3600 * 1000;
const CODE_TTL_MS = 10 * 60 * 1000;
/** Signed requests whose `timestamp` is further off than this are refused; nonces are kept this long. */
const TIMESTAMP_WINDOW_MS = 5 * 60 * 1000;
const WRITE_EXPIRES_MS = 30 * 24 * 3600 * 1000;

/** digi.me's error shape: `{error: {code, message}}`. */
function apiError(status: number, code: string, message: string): HttpError {
  return new HttpError(status, message, { error: { code, message } });
}

/**
 * A digi.me-like postbox at `/digime/…`: signed (PS512) authorize and PKCE token endpoints,
 * an onboarding page that creates a postbox (its own RSA key pair) and redirects back, a JWKS
 * for the signed token answers, and the postbox write that verifies the request JWT with the
 * contract's public key, decrypts with the postbox private key and keeps the plaintext.
 *
 * Knobs (`POST /_sandbox/digime/<action>`):
 * - `postbox` `{postboxId?}` → `[{postboxId, name?, descriptor, plaintextBase64, at}]`
 * - `expire-access-tokens` `{answer?: 'invalid-token' | 'pending'}` → every access token issued so far
 *   is expired; a write with one answers `401 InvalidToken` (the later SDK's signal, default) or
 *   `200 {status: "pending"}` storing nothing (the postbox-era SDK's, write.ts v5–v8)
 * - `fail-authorize` `{errorCode?}` → the next onboarding redirects back `success=false&errorCode`
 * - `write-status` `{status: "delivered" | "pending"}` → what later writes report
 * - `contract` `{}` → the demo contract `{applicationId, contractId, clientId, publicKeyPem}`
 * - `register-contract` `{applicationId, contractId, publicKeyPem}` → accept another contract
 */
export function createDigimeService(ctx: SandboxContext): SandboxService {
  const demo = demoDigimeContract(ctx);
  const signing = rsaKeyPair().then((keys) => ({
    ...keys,
    privateKey: createPrivateKey(keys.privateKeyPem),
    kid: `sandbox-${randomBytes(4).toString('hex')}`,
  }));
  // Settled errors surface on first use; don't let an early failure go unhandled meanwhile.
  demo.catch(() => undefined);
  signing.catch(() => undefined);

  const contracts = new Map<string, KeyObject>();
  const preauthorizations = new Map<string, Preauthorization>();
  const codes = new Map<string, AuthorizationCode>();
  const postboxes = new Map<string, Postbox>();
  const accessTokens = new Map<string, Grant>();
  const refreshTokens = new Map<string, Grant>();
  const nonces = new Map<string, number>();
  const writes: StoredWrite[] = [];
  let failAuthorize: string | undefined;
  let writeStatus: WriteStatus = 'delivered';
  /** How a write with an expired access token is answered (knob `expire-access-tokens`). */
  let expiredAnswer: 'invalid-token' | 'pending' = 'invalid-token';

  async function contractKey(id: string): Promise<KeyObject | undefined> {
    const c = await demo;
    if (id === clientId(c.applicationId, c.contractId) && !contracts.has(id)) contracts.set(id, createPublicKey(c.publicKeyPem));
    return contracts.get(id);
  }

  /** Checks what digi.me checks on every signed request: PS512, a known client, fresh timestamp, unused nonce. */
  async function verifyRequest(req: IncomingMessage): Promise<JWTPayload & Record<string, unknown>> {
    const auth = req.headers.authorization ?? '';
    const jwt = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!jwt) throw apiError(401, 'InvalidJWT', 'Authorization: Bearer <jwt> is required.');
    let alg: unknown;
    let claims: JWTPayload;
    try {
      alg = decodeProtectedHeader(jwt).alg;
      claims = decodeJwt(jwt);
    } catch {
      throw apiError(401, 'InvalidJWT', 'The request JWT is malformed.');
    }
    if (alg !== 'PS512') throw apiError(401, 'InvalidJWT', `The request JWT must be signed PS512, not ${String(alg)}.`);
    const client = claims.client_id;
    const key = typeof client === 'string' ? await contractKey(client) : undefined;
    if (!key) throw apiError(401, 'InvalidClient', `Unknown client_id ${JSON.stringify(client)}.`);
    try {
      await jwtVerify(jwt, key, { algorithms: ['PS512'] });
    } catch {
      throw apiError(401, 'InvalidJWT', 'The request JWT signature does not verify with the contract key.');
    }
    const { timestamp, nonce } = claims;
    const now = Date.now();
    if (typeof timestamp !== 'number' || Math.abs(now - timestamp) > TIMESTAMP_WINDOW_MS) {
      throw apiError(401, 'InvalidTimestamp', 'timestamp (ms) is missing or too far from now.');
    }
    if (typeof nonce !== 'string' || !NONCE_PATTERN.test(nonce)) throw apiError(401, 'InvalidNonce', 'nonce must be 32 alphanumerics.');
    for (const [n, at] of nonces) if (now - at > TIMESTAMP_WINDOW_MS) nonces.delete(n);
    if (nonces.has(nonce)) throw apiError(401, 'InvalidNonce', 'nonce was already used.');
    nonces.set(nonce, now);
    return claims as JWTPayload & Record<string, unknown>;
  }

  async function signToken(claims: Record<string, unknown>): Promise<string> {
    const key = await signing;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'PS512', typ: 'JWT', kid: key.kid, jku: `${ctx.url}${DIGIME_API_PREFIX}${API_PATHS.jwks}` })
      .setIssuedAt()
      .sign(key.privateKey);
  }

  async function issueTokens(grant: Omit<Grant, 'expiresAt'>): Promise<string> {
    const now = Date.now();
    const access = randomBytes(24).toString('base64url');
    const refresh = randomBytes(24).toString('base64url');
    accessTokens.set(access, { ...grant, expiresAt: now + ACCESS_TTL_MS });
    refreshTokens.set(refresh, { ...grant, expiresAt: now + REFRESH_TTL_MS });
    const claims: TokenClaims = {
      access_token: { value: access, expires_on: Math.floor((now + ACCESS_TTL_MS) / 1000) },
      refresh_token: { value: refresh, expires_on: Math.floor((now + REFRESH_TTL_MS) / 1000) },
      sub: `sandbox-user-${grant.postboxId}`,
      consentid: `consent-${grant.postboxId}`,
    };
    return signToken({ ...claims });
  }

  async function authorize(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const claims = await verifyRequest(req);
    await readBody(req);
    const { code_challenge, code_challenge_method, redirect_uri, response_type, state } = claims;
    if (code_challenge_method !== 'S256' || typeof code_challenge !== 'string' || !code_challenge) {
      throw apiError(400, 'InvalidRequest', 'code_challenge with code_challenge_method S256 is required.');
    }
    if (response_type !== 'code') throw apiError(400, 'InvalidRequest', 'response_type must be "code".');
    if (typeof redirect_uri !== 'string' || !/^https?:$/.test(safeUrl(redirect_uri)?.protocol ?? '')) {
      throw apiError(400, 'InvalidRedirectUri', 'redirect_uri must be an http(s) URL.');
    }
    const preauth = randomBytes(18).toString('base64url');
    preauthorizations.set(preauth, {
      clientId: String(claims.client_id),
      codeChallenge: code_challenge,
      redirectUri: redirect_uri,
      state: typeof state === 'string' ? state : '',
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    sendJson(res, 201, {
      token: await signToken({ preauthorization_code: preauth }),
      session: { key: randomBytes(12).toString('hex'), expiry: Date.now() + CODE_TTL_MS },
    });
  }

  /** The user-facing page: consents at once (a test cannot click inside digi.me) and redirects back. */
  async function onboard(res: ServerResponse, url: URL): Promise<void> {
    const code = url.searchParams.get('code') ?? '';
    const pre = preauthorizations.get(code);
    preauthorizations.delete(code);
    if (!pre || pre.expiresAt < Date.now()) {
      return sendHtml(res, 400, '<!doctype html><title>digi.me sandbox</title><p>This authorization link is unknown or expired.</p>');
    }
    // The postbox-era authorize URL (get-authorize-url.ts v5–v8) names the way back as `callback`,
    // which the API requires; it must be the redirect_uri the authorize request was signed with.
    const callback = url.searchParams.get('callback');
    if (!callback || callback !== pre.redirectUri) {
      return sendHtml(
        res,
        400,
        '<!doctype html><title>digi.me sandbox</title><p>The authorization link has no callback, or not the redirect_uri it was signed for.</p>',
      );
    }
    const back = new URL(callback);
    if (failAuthorize !== undefined) {
      back.searchParams.set(RETURN_PARAMS.success, 'false');
      back.searchParams.set(RETURN_PARAMS.errorCode, failAuthorize);
      failAuthorize = undefined;
      return redirect(res, back.href);
    }
    const keys = await rsaKeyPair();
    const postboxId = `pb-${randomBytes(8).toString('hex')}`;
    postboxes.set(postboxId, { clientId: pre.clientId, privateKey: createPrivateKey(keys.privateKeyPem), publicKeyPem: keys.publicKeyPem });
    const authCode = randomBytes(18).toString('base64url');
    codes.set(authCode, { clientId: pre.clientId, codeChallenge: pre.codeChallenge, postboxId, expiresAt: Date.now() + CODE_TTL_MS });
    back.searchParams.set(RETURN_PARAMS.success, 'true');
    back.searchParams.set(RETURN_PARAMS.code, authCode);
    back.searchParams.set(RETURN_PARAMS.state, pre.state);
    back.searchParams.set(RETURN_PARAMS.postboxId, postboxId);
    back.searchParams.set(RETURN_PARAMS.publicKey, keys.publicKeyPem);
    redirect(res, back.href);
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const claims = await verifyRequest(req);
    await readBody(req);
    const client = String(claims.client_id);
    if (claims.grant_type === 'authorization_code') {
      const code = typeof claims.code === 'string' ? claims.code : '';
      const entry = codes.get(code);
      codes.delete(code);
      if (!entry || entry.expiresAt < Date.now() || entry.clientId !== client)
        throw apiError(400, 'InvalidGrant', 'The authorization code is unknown, used or expired.');
      const verifier = typeof claims.code_verifier === 'string' ? claims.code_verifier : '';
      if (createHash('sha256').update(verifier).digest('base64url') !== entry.codeChallenge) {
        throw apiError(400, 'InvalidGrant', 'code_verifier does not match the code_challenge (PKCE).');
      }
      return sendJson(res, 200, { token: await issueTokens({ clientId: client, postboxId: entry.postboxId }) });
    }
    if (claims.grant_type === 'refresh_token') {
      const refresh = typeof claims.refresh_token === 'string' ? claims.refresh_token : '';
      const grant = refreshTokens.get(refresh);
      if (!grant || grant.expiresAt < Date.now() || grant.clientId !== client)
        throw apiError(401, 'InvalidRefreshToken', 'The refresh token is unknown or expired.');
      // Refresh tokens rotate: the old one is spent.
      refreshTokens.delete(refresh);
      return sendJson(res, 200, { token: await issueTokens({ clientId: client, postboxId: grant.postboxId }) });
    }
    throw apiError(400, 'InvalidGrant', `Unsupported grant_type ${JSON.stringify(claims.grant_type)}.`);
  }

  async function write(req: IncomingMessage, res: ServerResponse, postboxId: string): Promise<void> {
    const claims = await verifyRequest(req);
    const postbox = postboxes.get(postboxId);
    if (!postbox) throw apiError(404, 'PostboxNotFound', `No postbox ${postboxId}.`);
    const grant = typeof claims.access_token === 'string' ? accessTokens.get(claims.access_token) : undefined;
    if (grant && grant.expiresAt <= Date.now() && expiredAnswer === 'pending') {
      // How the postbox era says it (write.ts v5–v8 refresh on it): accepted for later, nothing stored.
      return sendJson(res, 200, { status: 'pending', expires: Date.now() + 24 * 3600 * 1000 });
    }
    if (!grant || grant.expiresAt <= Date.now()) throw apiError(401, API_ERRORS.invalidToken, 'The access token is invalid or expired.');
    if (grant.postboxId !== postboxId || grant.clientId !== claims.client_id || postbox.clientId !== claims.client_id) {
      throw apiError(403, 'PostboxForbidden', 'The access token does not grant this postbox.');
    }
    const { iv, metadata, symmetrical_key } = claims;
    if (typeof iv !== 'string' || !/^[0-9a-f]{32}$/i.test(iv) || typeof metadata !== 'string' || typeof symmetrical_key !== 'string') {
      throw apiError(400, 'InvalidRequest', 'iv (hex), metadata and symmetrical_key claims are required.');
    }
    const form = await toWebRequest(req, ctx.url, await readBody(req, 64 * 1024 * 1024))
      .formData()
      .catch(() => {
        throw apiError(400, 'InvalidRequest', 'Expected a multipart/form-data body.');
      });
    const part = form.get(WRITE_FIELDS.file);
    if (!(part instanceof Blob)) throw apiError(400, 'InvalidRequest', `Multipart part "${WRITE_FIELDS.file}" is missing.`);
    let key: Buffer;
    try {
      key = privateDecrypt(
        { key: postbox.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        Buffer.from(symmetrical_key, 'base64'),
      );
    } catch {
      throw apiError(400, 'InvalidSymmetricalKey', 'symmetrical_key does not decrypt with the postbox key (RSA-OAEP SHA-1).');
    }
    if (key.length !== 32) throw apiError(400, 'InvalidSymmetricalKey', 'symmetrical_key is not an AES-256 key.');
    let plaintext: Buffer;
    let descriptor: FileDescriptor;
    try {
      plaintext = aesDecrypt(key, iv, Buffer.from(await part.arrayBuffer()));
      descriptor = JSON.parse(aesDecrypt(key, iv, Buffer.from(metadata, 'base64')).toString('utf8')) as FileDescriptor;
    } catch {
      throw apiError(400, 'DecryptionFailed', 'file or metadata does not decrypt (AES-256-CBC with the given key and iv).');
    }
    if (typeof descriptor?.mimeType !== 'string' || !Array.isArray(descriptor.accounts)) {
      throw apiError(400, 'InvalidFileDescriptor', 'fileDescriptor needs mimeType and accounts.');
    }
    writes.push({
      postboxId,
      ...(part instanceof File && part.name ? { name: part.name } : {}),
      descriptor,
      plaintextBase64: plaintext.toString('base64'),
      at: Date.now(),
    });
    sendJson(res, 200, { status: writeStatus, expires: Date.now() + WRITE_EXPIRES_MS });
  }

  async function jwks(res: ServerResponse): Promise<void> {
    const key = await signing;
    const jwk = createPublicKey(key.publicKeyPem).export({ format: 'jwk' });
    const pem = createPublicKey(key.publicKeyPem).export({ type: 'spki', format: 'pem' });
    sendJson(res, 200, { keys: [{ ...jwk, kid: key.kid, alg: 'PS512', use: 'sig', pem }] });
  }

  const onboardPath = new URL(ONBOARD_PATH, `http://x${DIGIME_API_PREFIX}`).pathname;

  return {
    name: 'digime',
    prefixes: ['/digime'],
    async handle(req, res, url) {
      const path = url.pathname;
      if (req.method === 'GET' && path === onboardPath) return onboard(res, url);
      if (!path.startsWith(DIGIME_API_PREFIX)) throw new HttpError(404, `no digi.me route ${path}`);
      const rest = path.slice(DIGIME_API_PREFIX.length);
      if (req.method === 'GET' && rest === API_PATHS.jwks) return jwks(res);
      if (req.method !== 'POST') throw new HttpError(405, `${req.method} not allowed on ${path}`);
      if (rest === API_PATHS.authorize) return authorize(req, res);
      if (rest === API_PATHS.token) return token(req, res);
      const postbox = /^permission-access\/postbox\/([^/]+)$/.exec(rest);
      if (postbox?.[1]) return write(req, res, decodeURIComponent(postbox[1]));
      throw new HttpError(404, `no digi.me route ${path}`);
    },
    async control(action, body) {
      switch (action) {
        case 'postbox': {
          const id = typeof body.postboxId === 'string' ? body.postboxId : undefined;
          return writes.filter((w) => !id || w.postboxId === id);
        }
        case 'expire-access-tokens': {
          if (body.answer !== undefined && body.answer !== 'invalid-token' && body.answer !== 'pending') {
            throw new HttpError(400, 'answer must be "invalid-token" or "pending"');
          }
          expiredAnswer = body.answer ?? 'invalid-token';
          const now = Date.now();
          for (const grant of accessTokens.values()) grant.expiresAt = now;
          return { expired: accessTokens.size, answer: expiredAnswer };
        }
        case 'fail-authorize':
          failAuthorize = typeof body.errorCode === 'string' && body.errorCode ? body.errorCode : 'AccessDenied';
          return { errorCode: failAuthorize };
        case 'write-status':
          if (body.status !== 'delivered' && body.status !== 'pending') throw new HttpError(400, 'status must be "delivered" or "pending"');
          writeStatus = body.status;
          return { status: writeStatus };
        case 'contract': {
          const c = await demo;
          return {
            applicationId: c.applicationId,
            contractId: c.contractId,
            clientId: clientId(c.applicationId, c.contractId),
            publicKeyPem: c.publicKeyPem,
          };
        }
        case 'register-contract': {
          const { applicationId, contractId, publicKeyPem } = body;
          if (typeof applicationId !== 'string' || typeof contractId !== 'string' || typeof publicKeyPem !== 'string') {
            throw new HttpError(400, 'applicationId, contractId and publicKeyPem are required');
          }
          const id = clientId(applicationId, contractId);
          contracts.set(id, createPublicKey(publicKeyPem));
          return { clientId: id };
        }
        default:
          throw new HttpError(404, `no digime knob "${action}"`);
      }
    },
    reset() {
      contracts.clear();
      preauthorizations.clear();
      codes.clear();
      postboxes.clear();
      accessTokens.clear();
      refreshTokens.clear();
      nonces.clear();
      writes.length = 0;
      expiredAnswer = 'invalid-token';
      failAuthorize = undefined;
      writeStatus = 'delivered';
    },
  };
}

function aesDecrypt(key: Buffer, ivHex: string, data: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-cbc', key, Buffer.from(ivHex, 'hex'));
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
