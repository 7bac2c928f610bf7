import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MultipartError, MultipartParser, multipartBoundary, type MultipartEvent } from '../../../src/sandbox/titan/multipart.js';

interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  body: Buffer;
}

function parse(boundary: string, chunks: Buffer[]): Part[] {
  const parser = new MultipartParser(boundary);
  const parts: Part[] = [];
  let current: { part: Part; data: Buffer[] } | undefined;
  const on = (ev: MultipartEvent) => {
    if (ev.type === 'part')
      current = {
        part: { name: ev.part.name, filename: ev.part.filename, contentType: ev.part.contentType, body: Buffer.alloc(0) },
        data: [],
      };
    else if (ev.type === 'data') current!.data.push(Buffer.from(ev.data));
    else {
      current!.part.body = Buffer.concat(current!.data);
      parts.push(current!.part);
      current = undefined;
    }
  };
  for (const c of chunks) parser.feed(c).forEach(on);
  parser.end();
  return parts;
}

const B = 'XyZ-boundary-42';
// Content that contains near-misses of the delimiter, CRLFs and dashes.
const tricky = Buffer.concat([
  Buffer.from(`--${B}\r\n--${B.slice(0, -1)}\r\n\r\n--`),
  Buffer.from([0, 1, 2, 13, 10, 45, 45, 255]),
  Buffer.from(`\r\n--${B.slice(0, 5)}`),
]);
const body = Buffer.concat([
  Buffer.from(`preamble to ignore\r\n--${B}\r\n`),
  Buffer.from('Content-Disposition: form-data; name="note"\r\n\r\n'),
  Buffer.from('hello'),
  Buffer.from(`\r\n--${B}  \r\n`),
  Buffer.from('Content-Disposition: form-data; name="file"; filename="a \\"b\\".bin"\r\nContent-Type: application/octet-stream\r\n\r\n'),
  tricky,
  Buffer.from(`\r\n--${B}--\r\nepilogue --${B}\r\n`),
]);

describe('streaming multipart parser', () => {
  describe('when the whole body comes in one chunk', () => {
    const parts = parse(B, [body]);

    it('finds both parts, ignoring preamble and epilogue', () => {
      assert.equal(parts.length, 2);
    });

    it('reads a field by its name', () => {
      assert.deepEqual([parts[0]!.name, parts[0]!.body.toString()], ['note', 'hello']);
    });

    it("reads a file part's name, quoted filename and content type", () => {
      assert.equal(parts[1]!.name, 'file');
      assert.equal(parts[1]!.filename, 'a "b".bin');
      assert.equal(parts[1]!.contentType, 'application/octet-stream');
    });

    it('keeps content with near-misses of the delimiter intact', () => {
      assert.deepEqual(parts[1]!.body, tricky);
    });
  });

  describe('when the body is split into chunks', () => {
    it('reads the same at every split point of two chunks', () => {
      for (let i = 0; i <= body.length; i++) {
        const parts = parse(B, [body.subarray(0, i), body.subarray(i)]);
        assert.deepEqual(parts[1]?.body, tricky, `split at ${i}`);
        assert.equal(parts[0]?.body.toString(), 'hello', `split at ${i}`);
      }
    });

    it('reads the same one byte at a time', () => {
      const bytes = [...body].map((b) => Buffer.from([b]));
      assert.deepEqual(parse(B, bytes)[1]!.body, tricky);
    });
  });

  describe('when a large part streams in', () => {
    it('emits data as it arrives, holding back at most a delimiter', () => {
      const parser = new MultipartParser(B);
      parser.feed(Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"\r\n\r\n`));
      const big = Buffer.alloc(100_000, 7);
      const events = parser.feed(big);
      const emitted = events.reduce((n, e) => n + (e.type === 'data' ? e.data.length : 0), 0);
      assert.ok(emitted >= big.length - (B.length + 4), `emitted ${emitted}`);
    });
  });

  describe('when the body is incomplete', () => {
    it('is an error without the closing delimiter', () => {
      assert.throws(() => parse(B, [body.subarray(0, body.indexOf(`\r\n--${B}--`))]), MultipartError);
    });

    it('ends with Go\'s "unexpected EOF" when cut inside a part', () => {
      assert.throws(() => parse(B, [Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nhalf`)]), {
        message: 'unexpected EOF',
      });
    });
  });

  describe('when a part has no form name', () => {
    it('reports it with name "" (Go Part.FormName; ReadForm skips it)', () => {
      const unnamed = Buffer.from(
        `--${B}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${B}\r\nContent-Disposition: attachment; name="y"\r\n\r\nz\r\n--${B}--\r\n`,
      );
      assert.deepEqual(
        parse(B, [unnamed]).map((p) => [p.name, p.body.toString()]),
        [
          ['', 'x'],
          ['', 'z'],
        ],
      );
    });
  });
});

describe('multipartBoundary', () => {
  describe('when the Content-Type is multipart with a boundary', () => {
    it('reads it, plain or quoted, whatever the case and other parameters', () => {
      assert.equal(multipartBoundary('multipart/form-data; boundary=----abc'), '----abc');
      assert.equal(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b:c"'), 'a b:c');
    });
  });

  describe('when there is no multipart boundary', () => {
    it('answers undefined for another type, no boundary, or no header', () => {
      assert.equal(multipartBoundary('application/json; boundary=x'), undefined);
      assert.equal(multipartBoundary('multipart/form-data'), undefined);
      assert.equal(multipartBoundary(undefined), undefined);
    });
  });
});
