import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { MAX_SESSIONS } from '../../src/sandbox/app-digime.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { DIGIME_API_PREFIX } from '../../src/sandbox/digime.js';
import {
  DigiMeApiError,
  createDigiMeBackend,
  type DigiMeBackend,
  type DigiMeSessionData,
  type DigiMeSessionStore,
  type DigiMeUserAccessToken,
  type DigiMeWriteResult,
} from '../../src/server/digime.js';
import { encryptForPostbox, type EncryptedPayload } from '../../src/digime/encrypt.js';
import type { FileDescriptor, Postbox } from '../../src/digime/protocol.js';
import type { LogEntry } from '../../src/sandbox/types.js';

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

/** A sandbox with nothing in it but this app's contract. */
async function freshSandbox(): Promise<void> {
  sb.reset();
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  await knob('digime', 'register-contract', { applicationId: APP, contractId: CONTRACT, publicKeyPem });
}

/** Waits for `promise` to settle (its rejection handled), so an `it` can assert on it later. */
async function settled(promise: Promise<unknown>): Promise<void> {
  await promise.catch(() => undefined);
}

before(async () => {
  sb = await startSandbox({ timeScale: 0.001 });
  ({ privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
  privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
});
after(() => sb.close());
// Every test starts from a fresh sandbox. A describe that runs its flow once in a `before`
// starts it from freshSandbox() too and records what its its assert on.
beforeEach(freshSandbox);

describe('digi.me backend helper against the sandbox', () => {
  describe('when a user connects and writes a file', () => {
    const plain = new TextEncoder().encode('plaintext that only digi.me may read');
    let session: ReturnType<typeof memorySession>;
    let postbox: Postbox;
    let connected: DigiMeSessionData | undefined;
    let enc: EncryptedPayload<Uint8Array>;
    let result: DigiMeWriteResult;
    let stored: Awaited<ReturnType<typeof knob<'digime', 'postbox'>>>;
    let signed: LogEntry[];
    before(async () => {
      await freshSandbox();
      const be = backend();
      ({ session, postbox } = await connect(be));
      connected = structuredClone(session.data);
      enc = await encryptForPostbox(plain, descriptor, postbox.publicKey);
      result = await be.writeFor(session, { file: enc.ciphertext, fileName: 'note.txt', ...pick(enc) });
      stored = await knob('digime', 'postbox');
      signed = sb.log.filter((e) => e.service === 'digime' && e.method === 'POST');
    });

    it("hands back the postbox's public key as PKCS#1 PEM", () => {
      assert.match(postbox.publicKey, /BEGIN RSA PUBLIC KEY/);
    });

    it("keeps the user's access token in the session", () => {
      assert.ok(connected?.userAccessToken?.accessToken.value);
    });

    it('spends the PKCE verifier (single use)', () => {
      assert.deepEqual(connected?.pendings, [], 'the PKCE verifier is single-use');
    });

    it('reports the write delivered', () => {
      assert.equal(result.status, 'delivered');
    });

    it('says when the file expires', () => {
      assert.equal(typeof result.expires, 'number');
    });

    it("puts one file in the user's postbox", () => {
      assert.equal(stored.length, 1);
      assert.equal(stored[0]?.postboxId, postbox.postboxId);
    });

    it('keeps the file name', () => {
      assert.equal(stored[0]?.name, 'note.txt');
    });

    it('keeps the descriptor', () => {
      assert.deepEqual(stored[0]?.descriptor, descriptor);
    });

    it('lets the postbox decrypt exactly the bytes that were encrypted', () => {
      assert.deepEqual(Buffer.from(stored[0]?.plaintextBase64 ?? '', 'base64'), Buffer.from(plain));
    });

    it('signs authorize, token and the postbox write, in that order', () => {
      assert.deepEqual(
        signed.map((e) => e.path.replace(postbox.postboxId, ':id')),
        [`${DIGIME_API_PREFIX}oauth/authorize`, `${DIGIME_API_PREFIX}oauth/token`, `${DIGIME_API_PREFIX}permission-access/postbox/:id`],
      );
    });

    it('signs every request PS512', () => {
      for (const e of signed) assert.equal(jwtOf(e.headers.authorization).header.alg, 'PS512');
    });

    it('names the client as <application>_<contract> in every request', () => {
      for (const e of signed) assert.equal(jwtOf(e.headers.authorization).claims.client_id, `${APP}_${CONTRACT}`);
    });

    it('puts a 32-alphanumeric nonce in every request', () => {
      for (const e of signed) assert.match(String(jwtOf(e.headers.authorization).claims.nonce), /^[A-Za-z0-9]{32}$/);
    });

    it('puts a timestamp in ms in every request', () => {
      for (const e of signed) {
        assert.ok(Math.abs(Number(jwtOf(e.headers.authorization).claims.timestamp) - e.time) < 5000, 'timestamp in ms');
      }
    });

    it('never uses a nonce twice', () => {
      const nonces = new Set<unknown>(signed.map((e) => jwtOf(e.headers.authorization).claims.nonce));
      assert.equal(nonces.size, 3);
    });

    it('asks for PKCE with S256 on authorize', () => {
      assert.equal(jwtOf(signed[0]?.headers.authorization).claims.code_challenge_method, 'S256');
    });

    it('sends the redirect URI on authorize', () => {
      assert.equal(jwtOf(signed[0]?.headers.authorization).claims.redirect_uri, RETURN);
    });

    it('exchanges the code with an authorization_code grant', () => {
      assert.equal(jwtOf(signed[1]?.headers.authorization).claims.grant_type, 'authorization_code');
    });

    it("signs the encrypted file's iv, metadata and symmetrical key into the write", () => {
      const write = jwtOf(signed[2]?.headers.authorization).claims;
      assert.equal(write.iv, enc.iv);
      assert.equal(write.metadata, enc.metadata);
      assert.equal(write.symmetrical_key, enc.symmetricalKey);
    });

    it("signs the user's access token into the write", () => {
      assert.equal(jwtOf(signed[2]?.headers.authorization).claims.access_token, session.data?.userAccessToken?.accessToken.value);
    });

    it('sends the write as multipart/form-data', () => {
      assert.match(signed[2]?.headers['content-type'] ?? '', /^multipart\/form-data/);
    });
  });

  describe('when the access token has expired', () => {
    describe('and the app writes with the token it kept (write)', () => {
      let old: DigiMeUserAccessToken;
      let result: DigiMeWriteResult;
      let writes: LogEntry[];
      let refreshes: Record<string, unknown>[];
      let reusingOld: Promise<unknown>;
      before(async () => {
        await freshSandbox();
        const be = backend();
        const { session, postbox } = await connect(be);
        old = session.data!.userAccessToken!;
        await knob('digime', 'expire-access-tokens');
        const enc = await encryptForPostbox(new Uint8Array([9]), descriptor, postbox.publicKey);
        result = await be.write({ userAccessToken: old, postboxId: postbox.postboxId, file: enc.ciphertext, ...pick(enc) });
        writes = sb.log.filter((e) => e.path.includes('/postbox/'));
        refreshes = sb.log.filter((e) => e.path.endsWith('oauth/token')).map((e) => jwtOf(e.headers.authorization).claims);
        reusingOld = be.refreshToken(old);
        await settled(reusingOld);
      });

      it('delivers the write', () => {
        assert.equal(result.status, 'delivered');
      });

      it('returns the new access token', () => {
        assert.ok(result.userAccessToken);
        assert.notEqual(result.userAccessToken.accessToken.value, old.accessToken.value);
      });

      it('retries the write once, after its 401', () => {
        assert.deepEqual(
          writes.map((e) => e.status),
          [401, 200],
        );
      });

      it('refreshes the token once', () => {
        assert.deepEqual(
          refreshes.map((c) => c.grant_type),
          ['authorization_code', 'refresh_token'],
        );
      });

      it('refreshes with the refresh token it was given', () => {
        assert.equal(refreshes[1]?.refresh_token, old.refreshToken.value);
      });

      it('leaves the old refresh token spent (refresh tokens rotate)', async () => {
        await assert.rejects(reusingOld, (err: unknown) => err instanceof DigiMeApiError && err.code === 'InvalidRefreshToken');
      });
    });

    describe('and the app writes through the session (writeFor)', () => {
      it('stores the refreshed token in the session', async () => {
        const be = backend();
        const { session, postbox } = await connect(be);
        const before = session.data!.userAccessToken!.accessToken.value;
        await knob('digime', 'expire-access-tokens');
        const enc = await encryptForPostbox(new Uint8Array([7]), descriptor, postbox.publicKey);
        await be.writeFor(session, { file: enc.ciphertext, ...pick(enc) });
        assert.notEqual(session.data!.userAccessToken!.accessToken.value, before);
      });
    });

    describe('and the refreshed token expires too', () => {
      let writing: Promise<unknown>;
      let postboxWrites: number;
      before(async () => {
        await freshSandbox();
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
        writing = failing.write({
          userAccessToken: session.data!.userAccessToken!,
          postboxId: postbox.postboxId,
          file: enc.ciphertext,
          ...pick(enc),
        });
        await settled(writing);
        postboxWrites = sb.log.filter((e) => e.path.includes('/postbox/')).length;
      });

      it('fails with InvalidToken (401)', async () => {
        await assert.rejects(writing, (err: unknown) => err instanceof DigiMeApiError && err.code === 'InvalidToken' && err.status === 401);
      });

      it('tries the write only twice, not in a loop', () => {
        assert.equal(postboxWrites, 2);
      });
    });

    describe('and the retried write loses its connection', () => {
      let old: DigiMeUserAccessToken;
      let writing: Promise<unknown>;
      let kept: DigiMeUserAccessToken;
      let next: Promise<DigiMeWriteResult>;
      before(async () => {
        await freshSandbox();
        const { session, postbox } = await connect(backend());
        old = session.data!.userAccessToken!;
        await knob('digime', 'expire-access-tokens');
        // The retry (the second postbox write) loses its connection.
        let writes = 0;
        const flaky = backend(async (input, init) => {
          if (String(input).includes('/postbox/') && ++writes === 2) throw new TypeError('fetch failed');
          return fetch(input, init);
        });
        const enc = await encryptForPostbox(new Uint8Array([5]), descriptor, postbox.publicKey);
        writing = flaky.writeFor(session, { file: enc.ciphertext, ...pick(enc) });
        await settled(writing);
        kept = session.data!.userAccessToken!;
        // The next write, from the kept token (the spent one would be refused with InvalidRefreshToken).
        await knob('digime', 'expire-access-tokens');
        next = backend().writeFor(session, { file: enc.ciphertext, ...pick(enc) });
        await settled(next);
      });

      it('fails the write', async () => {
        await assert.rejects(writing);
      });

      it('keeps the refreshed token in the session (refresh tokens rotate)', () => {
        assert.notEqual(kept.refreshToken.value, old.refreshToken.value, 'the rotated token is stored');
      });

      it('lets the next write work from the kept token', async () => {
        assert.equal((await next).status, 'delivered');
      });
    });

    describe('and digi.me refuses the refresh token', () => {
      let writing: Promise<unknown>;
      let afterWrite: DigiMeSessionData | undefined;
      let url: string;
      let authorize: LogEntry;
      before(async () => {
        await freshSandbox();
        const be = backend();
        const { session, postbox } = await connect(be);
        const spent = session.data!.userAccessToken!;
        await be.refreshToken(spent); // rotates: the stored refresh token is now spent
        await knob('digime', 'expire-access-tokens');
        const enc = await encryptForPostbox(new Uint8Array([6]), descriptor, postbox.publicKey);
        writing = be.writeFor(session, { file: enc.ciphertext, ...pick(enc) });
        await settled(writing);
        afterWrite = structuredClone(session.data);
        // Connecting again.
        ({ url } = await be.authorize(session));
        authorize = sb.log.filter((e) => e.path.endsWith('/authorize')).at(-1)!;
      });

      it('ends the connection: the write fails with not-connected', async () => {
        await assert.rejects(writing, { code: 'not-connected' });
      });

      it('forgets the access token in the session', () => {
        assert.equal(afterWrite!.userAccessToken, undefined);
      });

      it('forgets the postbox in the session', () => {
        assert.equal(afterWrite!.postbox, undefined);
      });

      it('does not sign the dead access token into the next authorize request', () => {
        assert.ok(url);
        assert.equal(jwtOf(authorize.headers.authorization).claims.access_token, undefined);
      });
    });
  });

  describe('when the return from digi.me does not match the authorization', () => {
    let be: DigiMeBackend;
    let session: ReturnType<typeof memorySession>;
    let q: URLSearchParams;
    beforeEach(async () => {
      be = backend();
      session = memorySession();
      const { url } = await be.authorize(session);
      q = await followAuthorize(url);
    });

    it('exchange refuses a state that does not match the session', async () => {
      await assert.rejects(
        be.exchange(session, { code: q.get('code')!, state: 'forged', postboxId: q.get('postboxId')!, publicKey: q.get('publicKey')! }),
        { code: 'state-mismatch' },
      );
    });

    it('the token endpoint refuses a wrong PKCE verifier', async () => {
      await assert.rejects(
        be.exchangeCodeForToken({ code: q.get('code')!, codeVerifier: 'not-the-verifier' }),
        (err: unknown) => err instanceof DigiMeApiError && err.code === 'InvalidGrant' && /PKCE/.test(err.message),
      );
    });
  });

  describe('when the user does not authorize on the onboarding page (fail-authorize)', () => {
    let q: URLSearchParams;
    before(async () => {
      await freshSandbox();
      await knob('digime', 'fail-authorize', { errorCode: 'UserCancelled' });
      const { url } = await backend().authorize(memorySession());
      q = await followAuthorize(url);
    });

    it('redirects back with success=false', () => {
      assert.equal(q.get('success'), 'false');
    });

    it('passes the errorCode', () => {
      assert.equal(q.get('errorCode'), 'UserCancelled');
    });

    it('sends no code', () => {
      assert.equal(q.get('code'), null);
    });
  });

  describe('when two tabs connect at once and the first to ask comes back first', () => {
    let qa: URLSearchParams;
    let qb: URLSearchParams;
    let returnA: Promise<Postbox>;
    let returnB: Promise<Postbox>;
    let returnAAgain: Promise<Postbox>;
    before(async () => {
      await freshSandbox();
      const be = backend();
      const session = memorySession();
      const a = await be.authorize(session);
      const b = await be.authorize(session);
      qa = await followAuthorize(a.url);
      qb = await followAuthorize(b.url);
      const exchange = (q: URLSearchParams) =>
        be.exchange(session, {
          code: q.get('code')!,
          state: q.get('state')!,
          postboxId: q.get('postboxId')!,
          publicKey: q.get('publicKey')!,
        });
      // Tab A comes back first, although B asked last.
      returnA = exchange(qa);
      await settled(returnA);
      returnB = exchange(qb);
      await settled(returnB);
      returnAAgain = exchange(qa);
      await settled(returnAAgain);
    });

    it('the first tab finds its own authorization', async () => {
      assert.equal((await returnA).postboxId, qa.get('postboxId'));
    });

    it('the second tab finds its own authorization', async () => {
      assert.equal((await returnB).postboxId, qb.get('postboxId'));
    });

    it('each state is used once', async () => {
      await assert.rejects(returnAAgain, { code: 'state-mismatch' }, 'each state once');
    });
  });

  describe('when digi.me answers the write with pending', () => {
    it('refreshes once and writes again (write.ts v5–v8 read pending as "the token may have expired"), then passes the status through', async () => {
      const be = backend();
      const { session, postbox } = await connect(be);
      await knob('digime', 'write-status', { status: 'pending' });
      const enc = await encryptForPostbox(new Uint8Array([1]), descriptor, postbox.publicKey);
      assert.equal((await be.writeFor(session, { file: enc.ciphertext, ...pick(enc) })).status, 'pending');
      assert.equal(sb.log.filter((e) => e.path.includes('/postbox/')).length, 2);
    });
  });

  // An expired token, answered either way the SDKs know (digime-sdk-nodejs src/write.ts v6.0.2:
  // `status: "pending"` → refreshToken → triggerPush again; the import-era SDK: HTTP 401 InvalidToken).
  for (const answer of ['pending', 'invalid-token'] as const) {
    describe(`when an expired access token is answered ${answer === 'pending' ? '200 {status: "pending"}' : '401 InvalidToken'}`, () => {
      let result: DigiMeWriteResult;
      let old: DigiMeUserAccessToken;
      let writes: LogEntry[];
      let stored: Awaited<ReturnType<typeof knob<'digime', 'postbox'>>>;
      let refreshedInSession: string | undefined;
      before(async () => {
        await freshSandbox();
        const be = backend();
        const { session, postbox } = await connect(be);
        old = session.data!.userAccessToken!;
        await knob('digime', 'expire-access-tokens', { answer });
        const enc = await encryptForPostbox(new TextEncoder().encode('after expiry'), descriptor, postbox.publicKey);
        result = await be.writeFor(session, { file: enc.ciphertext, ...pick(enc) });
        refreshedInSession = session.data!.userAccessToken!.accessToken.value;
        writes = sb.log.filter((e) => e.path.includes('/postbox/'));
        stored = await knob('digime', 'postbox');
      });

      it('refreshes once and writes once more: the file is delivered', () => {
        assert.equal(result.status, 'delivered');
        assert.deepEqual(
          writes.map((e) => e.status),
          [answer === 'pending' ? 200 : 401, 200],
        );
        assert.equal(stored.length, 1);
      });

      it('hands back the new token, and the session keeps it', () => {
        assert.notEqual(refreshedInSession, old.accessToken.value);
      });
    });
  }

  describe('when the authorize URL is built (get-authorize-url.ts v6.0.2)', () => {
    it('carries code and callback=<redirect uri>, and no import-era sourceType', async () => {
      const { url } = await backend().authorize(memorySession());
      const q = new URL(url).searchParams;
      assert.deepEqual([...q.keys()].sort(), ['callback', 'code']);
      assert.equal(q.get('callback'), RETURN);
    });

    it('carries service=<id> when a serviceId is configured', async () => {
      const be = createDigiMeBackend({
        applicationId: APP,
        contractId: CONTRACT,
        privateKeyPem,
        redirectUri: RETURN,
        serviceId: 16,
        baseUrl: `${sb.url}${DIGIME_API_PREFIX}`,
      });
      const q = new URL((await be.authorize(memorySession())).url).searchParams;
      assert.equal(q.get('service'), '16');
    });

    it('is refused by the sandbox onboarding page without its callback', async () => {
      const { url } = await backend().authorize(memorySession());
      const bare = new URL(url);
      bare.searchParams.delete('callback');
      assert.equal((await fetch(bare, { redirect: 'manual' })).status, 400);
    });
  });

  describe('when the code is exchanged and the token refreshed (exchange-code-for-token.ts, refresh-token.ts v6.0.2)', () => {
    it('puts redirect_uri in both token JWTs', async () => {
      const be = backend();
      const { session } = await connect(be);
      await be.refreshToken(session.data!.userAccessToken!);
      const claims = sb.log.filter((e) => e.path.endsWith('oauth/token')).map((e) => jwtOf(e.headers.authorization).claims);
      assert.deepEqual(
        claims.map((c) => [c.grant_type, c.redirect_uri]),
        [
          ['authorization_code', RETURN],
          ['refresh_token', RETURN],
        ],
      );
    });
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

  describe('when the request is correctly signed', () => {
    it('gets past the JWT checks (to the grant check)', async () => {
      assert.deepEqual(await post(await signPs512(claims())), { status: 401, code: 'InvalidRefreshToken' });
    });
  });

  describe('when the signature is not what digi.me expects', () => {
    it('refuses RS512 instead of PS512', async () => {
      const jwt = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS512' }).sign(privateKey);
      assert.deepEqual(await post(jwt), { status: 401, code: 'InvalidJWT' });
    });

    it('refuses a signature by another key', async () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      assert.deepEqual(await post(await signPs512(claims(), other)), { status: 401, code: 'InvalidJWT' });
    });
  });

  describe('when a claim is wrong', () => {
    it('refuses an unknown client_id', async () => {
      assert.deepEqual(await post(await signPs512(claims({ client_id: `${APP}_other` }))), { status: 401, code: 'InvalidClient' });
    });

    it('refuses a stale timestamp', async () => {
      assert.deepEqual(await post(await signPs512(claims({ timestamp: Date.now() - 10 * 60 * 1000 }))), {
        status: 401,
        code: 'InvalidTimestamp',
      });
    });

    it('refuses a timestamp in seconds', async () => {
      assert.deepEqual(await post(await signPs512(claims({ timestamp: Math.floor(Date.now() / 1000) }))), {
        status: 401,
        code: 'InvalidTimestamp',
      });
    });

    it('refuses a malformed nonce', async () => {
      assert.deepEqual(await post(await signPs512(claims({ nonce: 'short' }))), { status: 401, code: 'InvalidNonce' });
    });
  });

  describe('when a nonce is used twice', () => {
    let first: Awaited<ReturnType<typeof post>>;
    let second: Awaited<ReturnType<typeof post>>;
    before(async () => {
      await freshSandbox();
      const once = claims({ nonce: 'Z'.repeat(32) });
      first = await post(await signPs512(once));
      second = await post(await signPs512({ ...once, timestamp: Date.now() }));
    });

    it('lets the first use through (to the grant check)', () => {
      assert.equal(first.code, 'InvalidRefreshToken');
    });

    it('refuses the second use', () => {
      assert.deepEqual(second, { status: 401, code: 'InvalidNonce' });
    });
  });
});

describe('demo app backend (/app/digime) built on the handlers', () => {
  /** The page is on the app backend's own origin, as a real app's pages are. */
  let origin = '';
  before(() => (origin = sb.url));

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

  describe('when a page connects and writes over HTTP (authorize → exchange → write)', () => {
    const plain = new TextEncoder().encode('secret page content '.repeat(10));
    let authorize: Awaited<ReturnType<typeof appPost>>;
    let cookie: string;
    let q: URLSearchParams;
    let ex: Awaited<ReturnType<typeof appPost>>;
    let enc: EncryptedPayload<Blob>;
    let wr: Awaited<ReturnType<typeof appPost>>;
    let received: Awaited<ReturnType<typeof knob<'app-digime', 'received'>>>[number] | undefined;
    let stored: Awaited<ReturnType<typeof knob<'digime', 'postbox'>>>[number] | undefined;
    let auth: LogEntry | undefined;
    let oldCookie = '';
    before(async () => {
      await freshSandbox();
      authorize = await appPost('authorize', { json: { returnUrl: `${origin}/page?x=1` } });
      cookie = (authorize.res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      q = await followAuthorize(String(authorize.body.url));
      ex = await appPost('exchange', {
        cookie,
        json: { code: q.get('code'), state: q.get('state'), postboxId: q.get('postboxId'), publicKey: q.get('publicKey') },
      });
      oldCookie = cookie;
      // Connected: the backend gave the session a new id, as after any login.
      cookie = (ex.res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      enc = await encryptForPostbox(new Blob([plain]), descriptor, String(ex.body.publicKey));
      const form = new FormData();
      form.append('file', enc.ciphertext, 'page.txt');
      form.append('metadata', enc.metadata);
      form.append('symmetrical_key', enc.symmetricalKey);
      form.append('iv', enc.iv);
      wr = await appPost('write', { cookie, form });
      [received] = await knob('app-digime', 'received');
      [stored] = await knob('digime', 'postbox');
      auth = sb.log.find((e) => e.path.endsWith('oauth/authorize'));
    });

    it('answers authorize with 200', () => {
      assert.equal(authorize.res.status, 200);
    });

    it('sets the digime_sid session cookie', () => {
      assert.match(cookie, /^digime_sid=/);
    });

    it("answers exchange with the user's postbox", () => {
      assert.equal(ex.res.status, 200);
      assert.equal(ex.body.postboxId, q.get('postboxId'));
    });

    it('gives the session a new id after the exchange; the old id is no session any more', async () => {
      assert.match(cookie, /^digime_sid=/);
      assert.notEqual(cookie, oldCookie);
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(16)]), 'x');
      const stale = await appPost('write', { cookie: oldCookie, form });
      assert.equal(stale.res.status, 401);
    });

    it('answers write with delivered', () => {
      assert.equal(wr.res.status, 200);
      assert.equal(wr.body.status, 'delivered');
    });

    it('receives the file padded to whole cipher blocks', () => {
      const got = Buffer.from(received?.fileBase64 ?? '', 'base64');
      assert.equal(got.length, plain.length + 16 - (plain.length % 16));
    });

    it('never receives the plaintext', () => {
      const got = Buffer.from(received?.fileBase64 ?? '', 'base64');
      assert.equal(got.indexOf(Buffer.from('secret')), -1);
    });

    it('receives the metadata, symmetrical key and iv as they were encrypted', () => {
      assert.deepEqual(received?.fields, { metadata: enc.metadata, symmetrical_key: enc.symmetricalKey, iv: enc.iv });
    });

    it('lets the postbox decrypt exactly the page content', () => {
      assert.deepEqual(Buffer.from(stored?.plaintextBase64 ?? '', 'base64'), Buffer.from(plain));
    });

    it('sends digi.me the page as redirect_uri', () => {
      assert.equal(jwtOf(auth?.headers.authorization).claims.redirect_uri, `${origin}/page?x=1`);
    });
  });

  describe('when the returnUrl is on another origin', () => {
    it('refuses it with 400 bad-request (no open redirect)', async () => {
      const { res, body } = await appPost('authorize', { json: { returnUrl: 'http://evil.example/' } });
      assert.equal(res.status, 400);
      assert.equal((body.error as { code: string }).code, 'bad-request');
    });

    it('refuses it when the request comes from that other site too (its Origin matches the returnUrl)', async () => {
      const { res } = await appPost('authorize', { origin: 'http://evil.example', json: { returnUrl: 'http://evil.example/' } });
      assert.equal(res.status, 400);
    });

    it('refuses it when the request has no Origin (a script, an old browser)', async () => {
      const res = await fetch(`${sb.url}/app/digime/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ returnUrl: 'http://evil.example/' }),
      });
      assert.equal(res.status, 400);
    });
  });

  describe('when many cookie-less requests come', () => {
    it('keeps at most MAX_SESSIONS sessions, dropping the oldest', async () => {
      await freshSandbox();
      for (let i = 0; i < MAX_SESSIONS + 20; i++) await fetch(`${sb.url}/app/digime/authorize`, { method: 'POST', body: '{' });
      assert.equal((await knob('app-digime', 'sessions')).length, MAX_SESSIONS);
    });
  });

  describe('when no session is connected', () => {
    it('answers write with 401 not-connected', async () => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(16)]), 'x');
      form.append('metadata', 'AAAA');
      form.append('symmetrical_key', 'AAAA');
      form.append('iv', '0'.repeat(32));
      const { res, body } = await appPost('write', { form });
      assert.equal(res.status, 401);
      assert.equal((body.error as { code: string }).code, 'not-connected');
    });
  });

  describe('when exchange comes with a forged state', () => {
    it('answers 403 state-mismatch', async () => {
      const { res } = await appPost('authorize', { json: { returnUrl: `${origin}/` } });
      const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const ex = await appPost('exchange', { cookie, json: { code: 'c', state: 'forged', postboxId: 'p', publicKey: 'k' } });
      assert.equal(ex.res.status, 403);
      assert.equal((ex.body.error as { code: string }).code, 'state-mismatch');
    });
  });
});

function pick(enc: { metadata: string; symmetricalKey: string; iv: string }) {
  return { metadata: enc.metadata, symmetricalKey: enc.symmetricalKey, iv: enc.iv };
}
