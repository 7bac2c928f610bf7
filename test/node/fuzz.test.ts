// Property-based fuzzing of every parser of foreign input (issue 12): whatever arrives, the
// answer is a value or the parser's own typed error, within 50 ms. BOSS has its own suite
// (universa-boss.test.ts). Runs are random and bounded; a failure prints its seed to replay.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { parseUniversaAddress, UniversaAddressError } from '../../src/universa/address.js';
import { clampPollSeconds, decodeBase64, parseCheckAnswer, parseOffer, UniversaError } from '../../src/universa/protocol.js';
import { createMemoryNonceStore, signTitanCallback, TitanCallbackError, verifyTitanCallback } from '../../src/server/callback.js';
import { answerSummaryJob } from '../../src/universa/summary-job.js';
import { UploadElementsError } from '../../src/internal/errors.js';
import { MultipartError, MultipartParser, type MultipartEvent } from '../../src/sandbox/titan/multipart.js';
import { typedWithin } from './within.js';

const CB = 'https://issuer.example/universa/cb/abc';
/** Strings that look like what a field holds, and anything JSON can carry. */
const urlish = fc.oneof(
  fc.webUrl(),
  fc.constantFrom('/ok/1', 'ok', 'javascript:alert(1)', 'data:,x', 'http://127.0.0.1:1/x', ''),
  fc.string(),
);
const field = fc.oneof(fc.jsonValue(), fc.string(), urlish);

describe('fuzzing foreign input (fast-check)', () => {
  describe('when a user types or pastes anything as a Universa address', () => {
    it('parseUniversaAddress answers an address or a UniversaAddressError', async () => {
      const safe58ish = fc.string({
        unit: fc.constantFrom(...'123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyzIlO0!| '),
        maxLength: 120,
      });
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string({ maxLength: 5000 }), safe58ish), (text) =>
          typedWithin(UniversaAddressError, () => parseUniversaAddress(text)),
        ),
        { numRuns: 2000 },
      );
    });
  });

  describe('when an issuer answers anything', () => {
    it("parseOffer answers an offer whose URLs are https on cb's origin, or a UniversaError", async () => {
      const offer = fc.record(
        {
          caption: field,
          text: field,
          action: fc.oneof(fc.constant('select_address'), field),
          ok_url: urlish,
          check_url: urlish,
          cancel_url: fc.oneof(urlish, fc.constant(null)),
          state: fc.oneof(fc.constantFrom('new', 'in_progress', 'ready', 'cancelled'), field),
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof(offer, fc.jsonValue()), (value) =>
          typedWithin(UniversaError, () => {
            const parsed = parseOffer(value, CB);
            for (const url of [parsed.ok_url, parsed.check_url, parsed.cancel_url].filter(Boolean)) {
              assert.equal(new URL(url!).origin, 'https://issuer.example');
            }
          }),
        ),
        { numRuns: 3000 },
      );
    });

    it('parseCheckAnswer answers a check or a UniversaError; decodeBase64 bytes or a UniversaError', async () => {
      const check = fc.record(
        {
          state: fc.oneof(fc.constantFrom('new', 'in_progress', 'ready', 'cancelled'), field),
          base64_contract: fc.oneof(fc.base64String(), field),
          poll_seconds: field,
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof(check, fc.jsonValue()), (value) => typedWithin(UniversaError, () => parseCheckAnswer(value))),
        { numRuns: 2000 },
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.base64String({ maxLength: 4000 }), fc.string({ maxLength: 4000 })), (text) =>
          typedWithin(UniversaError, () => decodeBase64(text)),
        ),
        { numRuns: 2000 },
      );
    });

    it('a raw check answer (what the summary Worker reads) is a read check or a typed code, never a throw', async () => {
      const codes = new Set(['bad-response', 'bad-answer', 'bad-contract', 'too-large']);
      const check = fc.record(
        {
          state: fc.oneof(fc.constantFrom('new', 'in_progress', 'ready', 'cancelled'), field),
          base64_contract: fc.oneof(fc.base64String({ maxLength: 400 }), field),
          poll_seconds: field,
        },
        { requiredKeys: [] },
      );
      const body = fc.oneof(
        check.map((c) => new TextEncoder().encode(JSON.stringify(c))),
        fc.string().map((t) => new TextEncoder().encode(t)),
        fc.uint8Array({ maxLength: 2048 }),
      );
      await fc.assert(
        fc.asyncProperty(body, fc.integer({ min: 0, max: 300 }), (bytes, maxBytes) =>
          typedWithin(UploadElementsError, () => {
            const answer = answerSummaryJob({ check: bytes, url: 'https://issuer.example/check', maxBytes });
            if ('code' in answer) assert.ok(codes.has(String(answer.code)), `unexpected code ${answer.code}`);
            else {
              const { contract } = answer.value as { contract?: { bytes: Uint8Array } };
              assert.ok(!contract || contract.bytes.byteLength <= maxBytes, 'a contract over maxBytes was let through');
            }
          }),
        ),
        { numRuns: 2000 },
      );
    });

    it('clampPollSeconds always lands in 1…300 s', () => {
      fc.assert(
        fc.property(fc.oneof(fc.jsonValue(), fc.double(), fc.string()), (value) => {
          const s = clampPollSeconds(value);
          assert.ok(s >= 1 && s <= 300, String(s));
        }),
        { numRuns: 2000 },
      );
    });
  });

  describe('when anyone posts to the callback endpoint', () => {
    const SECRET = 'tenant-secret';
    const header = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.stringMatching(/^[0-9a-f]{64}$/),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    );

    it('verifyTitanCallback refuses forged headers, paths and bodies with a TitanCallbackError', async () => {
      const nonceStore = createMemoryNonceStore();
      await fc.assert(
        fc.asyncProperty(
          fc.record({ 'X-Timestamp': header, 'X-Nonce': header, 'X-Signature': header }, { requiredKeys: [] }),
          fc.oneof(fc.constant('/hooks/titan'), fc.string({ maxLength: 200 })),
          fc.uint8Array({ maxLength: 2048 }),
          (headers, path, rawBody) =>
            typedWithin(TitanCallbackError, () =>
              verifyTitanCallback({ kind: 'upload', secret: SECRET, method: 'POST', path, rawBody, headers, nonceStore }),
            ),
        ),
        { numRuns: 2000 },
      );
    });

    it('a genuine callback with any one byte of body, timestamp or nonce changed is refused', async () => {
      const nonceStore = createMemoryNonceStore();
      const rawBody = JSON.stringify({ ExtraID: 'x', AssetCID: 'bafy', AssetSize: 1 });
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('body', 'X-Timestamp', 'X-Nonce'),
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          async (where, at, delta) => {
            const headers: Record<string, string> = signTitanCallback({ secret: SECRET, method: 'POST', path: '/hooks/titan', rawBody });
            let body = Buffer.from(rawBody);
            if (where === 'body') body[at % body.length] = (body[at % body.length]! + delta) % 256;
            else {
              const value = Buffer.from(headers[where]!, 'latin1');
              // Another printable ASCII character (headers are text).
              const i = at % value.length;
              value[i] = 32 + ((value[i]! - 32 + 1 + (delta % 94)) % 95);
              headers[where] = value.toString('latin1');
            }
            await assert.rejects(
              verifyTitanCallback({
                kind: 'upload',
                secret: SECRET,
                method: 'POST',
                path: '/hooks/titan',
                rawBody: body,
                headers,
                nonceStore,
              }),
              TitanCallbackError,
            );
          },
        ),
        { numRuns: 500 },
      );
    });
  });

  describe('when a client sends any multipart body to the sandbox node', () => {
    const BOUNDARY = 'xYzZY';
    const parse = (chunks: Buffer[]): MultipartEvent[] => {
      const parser = new MultipartParser(BOUNDARY);
      const events = chunks.flatMap((c) => parser.feed(c));
      parser.end();
      return events;
    };
    const flatten = (events: MultipartEvent[]) =>
      JSON.stringify(
        events.reduce<Array<string | object>>((out, e) => {
          if (e.type !== 'data') out.push(e.type === 'part' ? { ...e.part, headers: { ...e.part.headers } } : 'end');
          else if (typeof out.at(-1) === 'string' && out.at(-1) !== 'end') out[out.length - 1] += e.data.toString('latin1');
          else out.push(e.data.toString('latin1'));
          return out;
        }, []),
      );

    it('random bytes: events or a MultipartError, within 50 ms', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), (bytes) => typedWithin(MultipartError, () => parse([Buffer.from(bytes)]))),
        { numRuns: 2000 },
      );
    });

    it('a valid body gives the same parts however it is split into chunks', () => {
      const part = fc.record({ name: fc.stringMatching(/^[a-z]{1,8}$/), body: fc.uint8Array({ maxLength: 300 }) });
      fc.assert(
        fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 10 }), (parts, cuts) => {
          const body = Buffer.concat([
            ...parts.flatMap((p) => [
              Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n`),
              Buffer.from(p.body),
              Buffer.from('\r\n'),
            ]),
            Buffer.from(`--${BOUNDARY}--\r\n`),
          ]);
          const at = [...new Set(cuts.map((c) => c % body.length))].sort((a, b) => a - b);
          const chunks = [0, ...at].map((start, i) => body.subarray(start, at[i] ?? body.length)).filter((c) => c.length);
          assert.equal(flatten(parse(chunks)), flatten(parse([body])));
          assert.equal(parse([body]).filter((e) => e.type === 'part').length, parts.length);
        }),
        { numRuns: 500 },
      );
    });
  });
});
