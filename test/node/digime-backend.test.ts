import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { DIGIME_API_PREFIX } from '../../src/sandbox/digime.js';
import {
  DigiMeApiError,
  createDigiMeBackend,
  type DigiMeBackend,
  type DigiMeSessionData,
  type DigiMeSessionStore,
} from '../../src/server/digime.js';
import { encryptForPostbox } from '../../src/digime/encrypt.js';
import type { FileDescriptor } from '../../src/digime/protocol.js';

const APP = 'node-app';
const CONTRACT = 'node-write';
const RETURN = 'http://app.example/return';
const descriptor: FileDescriptor = { mimeType: 'text/plain', accounts: [{ accountId: 'acc-1' }], tags: ['node'] };

let sb: Sandbox;
let privateKey: KeyObject;
let privateKeyPem: string;

function memorySession(): DigiMeSessionStore & { data: DigiMeSessionData | undefined } {
  const store = {
    data: undefined as DigiMeSessionData | undefined,
    get: () => store.data,
    set: (d: DigiMeSessionData) => void (store.data = d),
  };
  return store;
}

/** The helper against the sandbox, optionally through a `fetch` that meddles with its requests. */
function backend(fetchVia?: typeof fetch): DigiMeBackend {
  return createDigiMeBackend({
    applicationId: APP,
    contractId: CONTRACT,
    privateKeyPem,
    redirectUri: RETURN,
    baseUrl: `${sb.url}${DIGIME_API_PREFIX}`,
    ...(fetchVia ? { fetch: fetchVia } : {}),
  });
}

/** The user's trip through digi.me: the onboarding page answers a redirect back to the app. */
async function followAuthorize(url: string): Promise<URLSearchParams> {
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 302);
  const back = new URL(res.headers.get('location') ?? '');
  return back.searchParams;
}

async function connect(be: DigiMeBackend, session = memorySession()) {
  const { url, state } = await be.authorize(session);
  const q = await followAuthorize(url);
  assert.equal(q.get('success'), 'true');
  assert.equal(q.get('state'), state);
  const postbox = await be.exchange(session, {
    code: q.get('code') ?? '',
    state: q.get('state') ?? '',
    postboxId: q.get('postboxId') ?? '',
    publicKey: q.get('publicKey') ?? '',
  });
  return { session, postbox };
}

const knob: Sandbox['control'] = (service, action, ...body) => sb.control(service, action, ...body);

function jwtOf(authorization: string | undefined): { header: ReturnType<typeof decodeProtectedHeader>; claims: Record<string, unknown> } {
  const jwt = (authorization ?? '').replace(/^Bearer /, '');
  return { header: decodeProtectedHeader(jwt), claims: decodeJwt(jwt) };
}

before(async () => {
  sb = await startSandbox({ timeScale: 0.001 });
  ({ privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
  privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
});
after(() => sb.close());
beforeEach(async () => {
  sb.reset();
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  await knob('digime', 'register-contract', { applicationId: APP, contractId: CONTRACT, publicKeyPem });
});

describe('digi.me backend helper against the sandbox', () => {
  test('authorize → exchange → write: the postbox decrypts exactly the bytes that were encrypted', async () => {
    const be = backend();
    const { session, postbox } = await connect(be);
    assert.match(postbox.publicKey, /BEGIN RSA PUBLIC KEY/);
    assert.ok(session.data?.userAccessToken?.accessToken.value);
    assert.deepEqual(session.data?.pendings, [], 'the PKCE verifier is single-use');

    const plain = new TextEncoder().encode('plaintext that only digi.me may read');
    const enc = await encryptForPostbox(plain, descriptor, postbox.publicKey);
    const result = await be.writeFor(session, { file: enc.ciphertext, fileName: 'note.txt', ...pick(enc) });
    assert.equal(result.status, 'delivered');
    assert.equal(typeof result.expires, 'number');

    const stored = await knob('digime', 'postbox');
    assert.equal(stored.length, 1);
    assert.equal(stored[0]?.postboxId, postbox.postboxId);
    assert.equal(stored[0]?.name, 'note.txt');
    assert.deepEqual(stored[0]?.descriptor, descriptor);
    assert.deepEqual(Buffer.from(stored[0]?.plaintextBase64 ?? '', 'base64'), Buffer.from(plain));
  });

  test('every request the helper signs is PS512 with client_id, a 32-alphanumeric nonce and a ms timestamp', async () => {
    const be = backend();
    const { session, postbox } = await connect(be);
    const enc = await encryptForPostbox(new Uint8Array([1, 2, 3]), descriptor, postbox.publicKey);
    await be.writeFor(session, { file: enc.ciphertext, ...pick(enc) });
    const signed = sb.log.filter((e) => e.service === 'digime' && e.method === 'POST');
    assert.deepEqual(
      signed.map((e) => e.path.replace(postbox.postboxId, ':id')),
      [`${DIGIME_API_PREFIX}oauth/authorize`, `${DIGIME_API_PREFIX}oauth/token`, `${DIGIME_API_PREFIX}permission-access/postbox/:id`],
    );
    const nonces = new Set<unknown>();
    for (const e of signed) {
      const { header, claims } = jwtOf(e.headers.authorization);
      assert.equal(header.alg, 'PS512');
      assert.equal(claims.client_id, `${APP}_${CONTRACT}`);
      assert.match(String(claims.nonce), /^[A-Za-z0-9]{32}$/);
      assert.ok(Math.abs(Number(claims.timestamp) - e.time) < 5000, 'timestamp in ms');
      nonces.add(claims.nonce);
    }
    assert.equal(nonces.size, 3);
    const [auth, token, write] = signed.map((e) => jwtOf(e.headers.authorization).claims);
    assert.equal(auth?.code_challenge_method, 'S256');
    assert.equal(auth?.redirect_uri, RETURN);
    assert.equal(token?.grant_type, 'authorization_code');
    assert.equal(write?.iv, enc.iv);
    assert.equal(write?.metadata, enc.metadata);
    assert.equal(write?.symmetrical_key, enc.symmetricalKey);
    assert.equal(write?.access_token, session.data?.userAccessToken?.accessToken.value);
    assert.match(signed[2]?.headers['content-type'] ?? '', /^multipart\/form-data/);
  });

  test('an expired access token is refreshed once, the write retried, and the new token returned', async () => {
    const be = backend();
    const { session, postbox } = await connect(be);
    const old = session.data!.userAccessToken!;
    await knob('digime', 'expire-access-tokens');
    const enc = await encryptForPostbox(new Uint8Array([9]), descriptor, postbox.publicKey);
    const result = await be.write({ userAccessToken: old, postboxId: postbox.postboxId, file: enc.ciphertext, ...pick(enc) });
    assert.equal(result.status, 'delivered');
    assert.ok(result.userAccessToken);
    assert.notEqual(result.userAccessToken.accessToken.value, old.accessToken.value);
    const writes = sb.log.filter((e) => e.path.includes('/postbox/'));
    assert.deepEqual(
      writes.map((e) => e.status),
      [401, 200],
    );
    const refreshes = sb.log.filter((e) => e.path.endsWith('oauth/token')).map((e) => jwtOf(e.headers.authorization).claims);
    assert.deepEqual(
      refreshes.map((c) => c.grant_type),
      ['authorization_code', 'refresh_token'],
    );
    assert.equal(refreshes[1]?.refresh_token, old.refreshToken.value);
    // Refresh tokens rotate: the spent one is refused.
    await assert.rejects(be.refreshToken(old), (err: unknown) => err instanceof DigiMeApiError && err.code === 'InvalidRefreshToken');
  });

  test('writeFor stores the refreshed token in the session', async () => {
    const be = backend();
    const { session, postbox } = await connect(be);
    const before = session.data!.userAccessToken!.accessToken.value;
    await knob('digime', 'expire-access-tokens');
    const enc = await encryptForPostbox(new Uint8Array([7]), descriptor, postbox.publicKey);
    await be.writeFor(session, { file: enc.ciphertext, ...pick(enc) });
    assert.notEqual(session.data!.userAccessToken!.accessToken.value, before);
  });

  test('a token that expires again after the refresh is an error, not a loop', async () => {
    const be = backend();
    const { session, postbox } = await connect(be);
    const enc = await encryptForPostbox(new Uint8Array([7]), descriptor, postbox.publicKey);
    // Expire every token the moment it is issued: the sandbox log shows exactly one retry.
    await knob('digime', 'expire-access-tokens');
    const failing = backend(async (input, init) => {
      const res = await fetch(input, init);
      if (String(input).endsWith('oauth/token')) await knob('digime', 'expire-access-tokens');
      return res;
    });
    await assert.rejects(
      failing.write({ userAccessToken: session.data!.userAccessToken!, postboxId: postbox.postboxId, file: enc.ciphertext, ...pick(enc) }),
      (err: unknown) => err instanceof DigiMeApiError && err.code === 'InvalidToken' && err.status === 401,
    );
    assert.equal(sb.log.filter((e) => e.path.includes('/postbox/')).length, 2);
  });

  test('exchange refuses a state that does not match the session, and PKCE refuses a wrong verifier', async () => {
    const be = backend();
    const session = memorySession();
    const { url } = await be.authorize(session);
    const q = await followAuthorize(url);
    await assert.rejects(
      be.exchange(session, { code: q.get('code')!, state: 'forged', postboxId: q.get('postboxId')!, publicKey: q.get('publicKey')! }),
      { code: 'state-mismatch' },
    );
    await assert.rejects(
      be.exchangeCodeForToken({ code: q.get('code')!, codeVerifier: 'not-the-verifier' }),
      (err: unknown) => err instanceof DigiMeApiError && err.code === 'InvalidGrant' && /PKCE/.test(err.message),
    );
  });

  test('fail-authorize: the onboarding page redirects back with success=false and the errorCode', async () => {
    await knob('digime', 'fail-authorize', { errorCode: 'UserCancelled' });
    const { url } = await backend().authorize(memorySession());
    const q = await followAuthorize(url);
    assert.equal(q.get('success'), 'false');
    assert.equal(q.get('errorCode'), 'UserCancelled');
    assert.equal(q.get('code'), null);
  });

  test('a refreshed token is kept even when the retried write fails (refresh tokens rotate)', async () => {
    const { session, postbox } = await connect(backend());
    const old = session.data!.userAccessToken!;
    await knob('digime', 'expire-access-tokens');
    // The retry (the second postbox write) loses its connection.
    let writes = 0;
    const flaky = backend(async (input, init) => {
      if (String(input).includes('/postbox/') && ++writes === 2) throw new TypeError('fetch failed');
      return fetch(input, init);
    });
    const enc = await encryptForPostbox(new Uint8Array([5]), descriptor, postbox.publicKey);
    await assert.rejects(flaky.writeFor(session, { file: enc.ciphertext, ...pick(enc) }));
    const kept = session.data!.userAccessToken!;
    assert.notEqual(kept.refreshToken.value, old.refreshToken.value, 'the rotated token is stored');
    // The next write works from it (the spent one would be refused with InvalidRefreshToken).
    await knob('digime', 'expire-access-tokens');
    assert.equal((await backend().writeFor(session, { file: enc.ciphertext, ...pick(enc) })).status, 'delivered');
  });

  test('a refresh token digi.me refuses ends the connection: not-connected, and the session forgets it', async () => {
    const be = backend();
    const { session, postbox } = await connect(be);
    const spent = session.data!.userAccessToken!;
    await be.refreshToken(spent); // rotates: the stored refresh token is now spent
    await knob('digime', 'expire-access-tokens');
    const enc = await encryptForPostbox(new Uint8Array([6]), descriptor, postbox.publicKey);
    await assert.rejects(be.writeFor(session, { file: enc.ciphertext, ...pick(enc) }), { code: 'not-connected' });
    assert.equal(session.data!.userAccessToken, undefined);
    assert.equal(session.data!.postbox, undefined);
    // Connecting again does not sign the dead access token into the authorize request.
    const { url } = await be.authorize(session);
    assert.ok(url);
    const authorize = sb.log.filter((e) => e.path.endsWith('/authorize')).at(-1)!;
    assert.equal(jwtOf(authorize.headers.authorization).claims.access_token, undefined);
  });

  test('two tabs connecting at once: each return finds its own authorization', async () => {
    const be = backend();
    const session = memorySession();
    const a = await be.authorize(session);
    const b = await be.authorize(session);
    const qa = await followAuthorize(a.url);
    const qb = await followAuthorize(b.url);
    const exchange = (q: URLSearchParams) =>
      be.exchange(session, {
        code: q.get('code')!,
        state: q.get('state')!,
        postboxId: q.get('postboxId')!,
        publicKey: q.get('publicKey')!,
      });
    // Tab A comes back first, although B asked last.
    assert.equal((await exchange(qa)).postboxId, qa.get('postboxId'));
    assert.equal((await exchange(qb)).postboxId, qb.get('postboxId'));
    await assert.rejects(exchange(qa), { code: 'state-mismatch' }, 'each state once');
  });

  test('write-status pending is passed through', async () => {
    const be = backend();
    const { session, postbox } = await connect(be);
    await knob('digime', 'write-status', { status: 'pending' });
    const enc = await encryptForPostbox(new Uint8Array([1]), descriptor, postbox.publicKey);
    assert.equal((await be.writeFor(session, { file: enc.ciphertext, ...pick(enc) })).status, 'pending');
  });
});

describe('the sandbox checks the request JWT like digi.me', () => {
  const tokenUrl = () => `${sb.url}${DIGIME_API_PREFIX}oauth/token`;
  const claims = (over: Record<string, unknown> = {}) => ({
    client_id: `${APP}_${CONTRACT}`,
    grant_type: 'refresh_token',
    refresh_token: 'nope',
    nonce: randomBytes(16).toString('hex'),
    timestamp: Date.now(),
    ...over,
  });
  const post = async (jwt: string) => {
    const res = await fetch(tokenUrl(), { method: 'POST', headers: { authorization: `Bearer ${jwt}` } });
    return { status: res.status, code: ((await res.json()) as { error?: { code?: string } }).error?.code };
  };
  const signPs512 = (c: Record<string, unknown>, key: KeyObject = privateKey) =>
    new SignJWT(c).setProtectedHeader({ alg: 'PS512' }).sign(key);

  test('a correctly signed request gets past the JWT checks (to the grant check)', async () => {
    assert.deepEqual(await post(await signPs512(claims())), { status: 401, code: 'InvalidRefreshToken' });
  });

  test('RS512 instead of PS512 is refused', async () => {
    const jwt = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS512' }).sign(privateKey);
    assert.deepEqual(await post(jwt), { status: 401, code: 'InvalidJWT' });
  });

  test('a signature by another key is refused', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assert.deepEqual(await post(await signPs512(claims(), other)), { status: 401, code: 'InvalidJWT' });
  });

  test('an unknown client_id is refused', async () => {
    assert.deepEqual(await post(await signPs512(claims({ client_id: `${APP}_other` }))), { status: 401, code: 'InvalidClient' });
  });

  test('a stale or seconds-based timestamp is refused', async () => {
    assert.deepEqual(await post(await signPs512(claims({ timestamp: Date.now() - 10 * 60 * 1000 }))), {
      status: 401,
      code: 'InvalidTimestamp',
    });
    assert.deepEqual(await post(await signPs512(claims({ timestamp: Math.floor(Date.now() / 1000) }))), {
      status: 401,
      code: 'InvalidTimestamp',
    });
  });

  test('a malformed or reused nonce is refused', async () => {
    assert.deepEqual(await post(await signPs512(claims({ nonce: 'short' }))), { status: 401, code: 'InvalidNonce' });
    const once = claims({ nonce: 'Z'.repeat(32) });
    assert.equal((await post(await signPs512(once))).code, 'InvalidRefreshToken');
    assert.deepEqual(await post(await signPs512({ ...once, timestamp: Date.now() })), { status: 401, code: 'InvalidNonce' });
  });
});

describe('demo app backend (/app/digime) built on the handlers', () => {
  const origin = 'http://page.example';

  async function appPost(path: string, init: { cookie?: string; json?: unknown; form?: FormData; origin?: string }) {
    const headers: Record<string, string> = { origin: init.origin ?? origin };
    if (init.cookie) headers.cookie = init.cookie;
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${sb.url}/app/digime/${path}`, {
      method: 'POST',
      headers,
      body: init.form ?? (init.json !== undefined ? JSON.stringify(init.json) : undefined),
    });
    return { res, body: (await res.json()) as Record<string, unknown> };
  }

  test('authorize → exchange → write over HTTP; the backend receives only ciphertext', async () => {
    const { res, body } = await appPost('authorize', { json: { returnUrl: `${origin}/page?x=1` } });
    assert.equal(res.status, 200);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    assert.match(cookie, /^digime_sid=/);
    const q = await followAuthorize(String(body.url));
    const ex = await appPost('exchange', {
      cookie,
      json: { code: q.get('code'), state: q.get('state'), postboxId: q.get('postboxId'), publicKey: q.get('publicKey') },
    });
    assert.equal(ex.res.status, 200);
    assert.equal(ex.body.postboxId, q.get('postboxId'));

    const plain = new TextEncoder().encode('secret page content '.repeat(10));
    const enc = await encryptForPostbox(new Blob([plain]), descriptor, String(ex.body.publicKey));
    const form = new FormData();
    form.append('file', enc.ciphertext, 'page.txt');
    form.append('metadata', enc.metadata);
    form.append('symmetrical_key', enc.symmetricalKey);
    form.append('iv', enc.iv);
    const wr = await appPost('write', { cookie, form });
    assert.equal(wr.res.status, 200);
    assert.equal(wr.body.status, 'delivered');

    const [received] = await knob('app-digime', 'received');
    const got = Buffer.from(received?.fileBase64 ?? '', 'base64');
    assert.equal(got.length, plain.length + 16 - (plain.length % 16));
    assert.equal(got.indexOf(Buffer.from('secret')), -1);
    assert.deepEqual(received?.fields, { metadata: enc.metadata, symmetrical_key: enc.symmetricalKey, iv: enc.iv });
    const [stored] = await knob('digime', 'postbox');
    assert.deepEqual(Buffer.from(stored?.plaintextBase64 ?? '', 'base64'), Buffer.from(plain));
    // digi.me was sent the page as redirect_uri.
    const auth = sb.log.find((e) => e.path.endsWith('oauth/authorize'));
    assert.equal(jwtOf(auth?.headers.authorization).claims.redirect_uri, `${origin}/page?x=1`);
  });

  test('a returnUrl on another origin is refused (no open redirect)', async () => {
    const { res, body } = await appPost('authorize', { json: { returnUrl: 'http://evil.example/' } });
    assert.equal(res.status, 400);
    assert.equal((body.error as { code: string }).code, 'bad-request');
  });

  test('write without a connected session answers 401 not-connected', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(16)]), 'x');
    form.append('metadata', 'AAAA');
    form.append('symmetrical_key', 'AAAA');
    form.append('iv', '0'.repeat(32));
    const { res, body } = await appPost('write', { form });
    assert.equal(res.status, 401);
    assert.equal((body.error as { code: string }).code, 'not-connected');
  });

  test('exchange with a forged state answers 403 state-mismatch', async () => {
    const { res } = await appPost('authorize', { json: { returnUrl: `${origin}/` } });
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const ex = await appPost('exchange', { cookie, json: { code: 'c', state: 'forged', postboxId: 'p', publicKey: 'k' } });
    assert.equal(ex.res.status, 403);
    assert.equal((ex.body.error as { code: string }).code, 'state-mismatch');
  });
});

function pick(enc: { metadata: string; symmetricalKey: string; iv: string }) {
  return { metadata: enc.metadata, symmetricalKey: enc.symmetricalKey, iv: enc.iv };
}
