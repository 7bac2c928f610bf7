// Conformance: what our backend sends digi.me, next to what digi.me's own Node SDK sends (issue
// 13, item 6). The SDK's wire format is written down here from its public source, postbox era
// (digime/digime-sdk-nodejs v6.0.2: src/get-authorize-url.ts, src/exchange-code-for-token.ts,
// src/refresh-token.ts, src/write.ts; ../shared/docs/digime-write.md has the same). Every request
// our helper makes is captured at its `fetch` and compared: the JWT's header and exact claim set,
// each claim's encoding, the Authorization header, the write's multipart part. A drift on
// either side (our code, or this table when the SDK moves) fails here.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { DIGIME_API_PREFIX } from '../../src/sandbox/digime.js';
import { createDigiMeBackend, type DigiMeSessionData } from '../../src/server/digime.js';
import { encryptForPostbox } from '../../src/digime/encrypt.js';

const APP = 'conf-app';
const CONTRACT = 'conf-contract';
const REDIRECT = 'http://app.example/return';

type Encoding = 'client-id' | 'nonce' | 'timestamp-ms' | 'hex32' | 'base64' | 'base64url' | 'redirect' | 'string' | `=${string}`;

/** The SDK's requests: path under the API base, and each claim's encoding (v6.0.2). */
const SDK: Record<'authorize' | 'exchange' | 'refresh' | 'write', { path: RegExp; claims: Record<string, Encoding>; optional?: string[] }> =
  {
    // get-authorize-url.ts `_authorize`: POST oauth/authorize, JSON body {agent: {sdk}, actions}.
    authorize: {
      path: /^oauth\/authorize$/,
      claims: {
        access_token: 'string',
        client_id: 'client-id',
        code_challenge: 'base64url',
        code_challenge_method: '=S256',
        nonce: 'nonce',
        redirect_uri: 'redirect',
        response_mode: '=query',
        response_type: '=code',
        state: 'string',
        timestamp: 'timestamp-ms',
      },
      // `userAccessToken?.accessToken.value`: absent on a first connection.
      optional: ['access_token'],
    },
    // exchange-code-for-token.ts: POST oauth/token.
    exchange: {
      path: /^oauth\/token$/,
      claims: {
        client_id: 'client-id',
        code: 'string',
        code_verifier: 'string',
        grant_type: '=authorization_code',
        nonce: 'nonce',
        redirect_uri: 'redirect',
        timestamp: 'timestamp-ms',
      },
    },
    // refresh-token.ts: POST oauth/token.
    refresh: {
      path: /^oauth\/token$/,
      claims: {
        client_id: 'client-id',
        grant_type: '=refresh_token',
        nonce: 'nonce',
        redirect_uri: 'redirect',
        refresh_token: 'string',
        timestamp: 'timestamp-ms',
      },
    },
    // write.ts pushByBuffer: POST permission-access/postbox/<id>, multipart, one part "file" with the file name.
    write: {
      path: /^permission-access\/postbox\/[^/]+$/,
      claims: {
        access_token: 'string',
        client_id: 'client-id',
        iv: 'hex32',
        metadata: 'base64',
        nonce: 'nonce',
        redirect_uri: 'redirect',
        symmetrical_key: 'base64',
        timestamp: 'timestamp-ms',
      },
    },
  };

const ENCODINGS: Record<Exclude<Encoding, `=${string}`>, (v: unknown, at: number) => boolean> = {
  'client-id': (v) => v === `${APP}_${CONTRACT}`,
  nonce: (v) => typeof v === 'string' && /^[A-Za-z0-9]{32}$/.test(v),
  'timestamp-ms': (v, at) => typeof v === 'number' && Math.abs(v - at) < 10_000,
  hex32: (v) => typeof v === 'string' && /^[0-9a-f]{32}$/i.test(v),
  base64: (v) => typeof v === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(v),
  base64url: (v) => typeof v === 'string' && /^[A-Za-z0-9_-]+$/.test(v),
  redirect: (v) => v === REDIRECT,
  string: (v) => typeof v === 'string' && v.length > 0,
};

interface Captured {
  path: string;
  headers: Headers;
  body: unknown;
  at: number;
}

let sb: Sandbox;
const captured: Captured[] = [];
let verifier = '';

before(async () => {
  sb = await startSandbox({ timeScale: 0.001 });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await sb.control('digime', 'register-contract', {
    applicationId: APP,
    contractId: CONTRACT,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
  const base = `${sb.url}${DIGIME_API_PREFIX}`;
  const be = createDigiMeBackend({
    applicationId: APP,
    contractId: CONTRACT,
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    redirectUri: REDIRECT,
    baseUrl: base,
    fetch: async (input, init) => {
      const url = String(input);
      if (url.startsWith(base) && init?.method === 'POST') {
        captured.push({ path: url.slice(base.length), headers: new Headers(init.headers), body: init.body, at: Date.now() });
      }
      return fetch(input, init);
    },
  });
  // The whole postbox-era flow: authorize, the user's trip, exchange, write, refresh.
  let data: DigiMeSessionData | undefined;
  const session = { get: () => data, set: (d: DigiMeSessionData) => void (data = d) };
  const { url } = await be.authorize(session);
  verifier = data!.pendings![0]!.codeVerifier;
  const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!).searchParams;
  const postbox = await be.exchange(session, {
    code: back.get('code')!,
    state: back.get('state')!,
    postboxId: back.get('postboxId')!,
    publicKey: back.get('publicKey')!,
  });
  const enc = await encryptForPostbox(
    new TextEncoder().encode('conformance'),
    { mimeType: 'text/plain', accounts: [{ accountId: 'a' }] },
    postbox.publicKey,
  );
  await be.writeFor(session, {
    file: enc.ciphertext,
    fileName: 'conformance.txt',
    metadata: enc.metadata,
    symmetricalKey: enc.symmetricalKey,
    iv: enc.iv,
  });
  await be.refreshToken(data!.userAccessToken!);
});
after(() => sb.close());

/** Our requests in the order they went: authorize, exchange, write, refresh. */
const request = (name: keyof typeof SDK): Captured => {
  const order: Array<keyof typeof SDK> = ['authorize', 'exchange', 'write', 'refresh'];
  const found = captured[order.indexOf(name)];
  assert.ok(found, `no ${name} request captured`);
  return found;
};
const jwt = (c: Captured) => (c.headers.get('authorization') ?? '').replace(/^Bearer /, '');

describe("our backend's requests next to the digi.me SDK's (v6.0.2)", () => {
  for (const name of Object.keys(SDK) as Array<keyof typeof SDK>) {
    describe(`when it sends ${name}`, () => {
      it(`goes to the SDK's path`, () => {
        assert.match(request(name).path, SDK[name].path);
      });

      it('sends Authorization: Bearer <a PS512 JWT without iat> (the SDK signs with noTimestamp)', () => {
        assert.match(request(name).headers.get('authorization') ?? '', /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
        assert.equal(decodeProtectedHeader(jwt(request(name))).alg, 'PS512');
        assert.equal(decodeJwt(jwt(request(name))).iat, undefined);
      });

      it("has exactly the SDK's claims", () => {
        const sent = Object.keys(decodeJwt(jwt(request(name)))).sort();
        const expected = Object.keys(SDK[name].claims).filter((k) => sent.includes(k) || !SDK[name].optional?.includes(k));
        assert.deepEqual(sent, expected.sort());
      });

      it('encodes each claim as the SDK does', () => {
        const claims = decodeJwt(jwt(request(name))) as Record<string, unknown>;
        for (const [claim, encoding] of Object.entries(SDK[name].claims)) {
          if (!(claim in claims)) continue;
          const value = claims[claim];
          const ok = encoding.startsWith('=')
            ? value === encoding.slice(1)
            : ENCODINGS[encoding as keyof typeof ENCODINGS](value, request(name).at);
          assert.ok(ok, `${claim} = ${JSON.stringify(value)?.slice(0, 60)} is not ${encoding}`);
        }
      });
    });
  }

  describe('when it sends authorize', () => {
    it("derives code_challenge from the verifier it keeps (base64url SHA-256, as the SDK's hashSha256)", () => {
      const claims = decodeJwt(jwt(request('authorize')));
      assert.equal(claims.code_challenge, createHash('sha256').update(verifier).digest('base64url'));
    });

    it('sends a JSON body naming its agent, as the SDK does', () => {
      const body = JSON.parse(String(request('authorize').body)) as { agent?: { sdk?: { name?: unknown; version?: unknown } } };
      assert.equal(typeof body.agent?.sdk?.name, 'string');
      assert.equal(typeof body.agent?.sdk?.version, 'string');
      assert.match(request('authorize').headers.get('content-type') ?? '', /^application\/json/);
    });
  });

  describe('when it sends write', () => {
    it('sends multipart/form-data with one part, "file", carrying the file name', () => {
      const body = request('write').body;
      assert.ok(body instanceof FormData, 'the body is a FormData (fetch sets the multipart content type)');
      assert.deepEqual([...body.keys()], ['file']);
      const file = body.get('file');
      assert.ok(file instanceof File);
      assert.equal(file.name, 'conformance.txt');
    });
  });
});
