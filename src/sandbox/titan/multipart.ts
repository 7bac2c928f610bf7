/**
 * A push parser for `multipart/form-data` (RFC 7578 / RFC 2046) that never holds a part's body:
 * each `feed(chunk)` returns the events the chunk completes, with body bytes as they arrive.
 * A delimiter may straddle chunks, so up to `delimiter.length - 1` bytes are carried over.
 */

export interface PartHeaders {
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /**
   * `name` parameter of a `form-data` Content-Disposition; `''` without one (Go's `Part.FormName`),
   * and Go's `ReadForm` skips such a part.
   */
  name: string;
  /** `filename` parameter, when the part is a file. */
  filename?: string;
  contentType?: string;
}

export type MultipartEvent = { type: 'part'; part: PartHeaders } | { type: 'data'; data: Buffer } | { type: 'part-end' };

export class MultipartError extends Error {}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 16 * 1024;

/** The boundary of a `multipart/form-data` Content-Type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType.trim())) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

type State = 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done';

export class MultipartParser {
  /** CRLF + "--" + boundary: the opening delimiter is matched after a virtual leading CRLF. */
  private readonly delimiter: Buffer;
  private state: State = 'preamble';
  private pending: Buffer = Buffer.from(CRLF);

  constructor(boundary: string) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  feed(chunk: Buffer): MultipartEvent[] {
    const events: MultipartEvent[] = [];
    if (this.state === 'done') return events;
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    // Each pass consumes input or breaks for more, so the loop ends within buf.length passes.
    for (;;) {
      if (this.state === 'preamble' || this.state === 'body') {
        const at = buf.indexOf(this.delimiter, pos);
        if (at === -1) {
          const keep = Math.min(this.delimiter.length - 1, buf.length - pos);
          const end = buf.length - keep;
          if (this.state === 'body' && end > pos) events.push({ type: 'data', data: buf.subarray(pos, end) });
          pos = end;
          break;
        }
        if (this.state === 'body') {
          if (at > pos) events.push({ type: 'data', data: buf.subarray(pos, at) });
          events.push({ type: 'part-end' });
        }
        pos = at + this.delimiter.length;
        this.state = 'after-delimiter';
      } else if (this.state === 'after-delimiter') {
        if (buf.length - pos < 2) break;
        if (buf[pos] === 0x2d && buf[pos + 1] === 0x2d) {
          this.state = 'done';
          pos = buf.length; // the epilogue is ignored
          break;
        }
        // RFC 2046 allows transport padding (spaces, tabs) after the delimiter.
        const eol = buf.indexOf(CRLF, pos);
        if (eol === -1) {
          if (buf.length - pos > 256) throw new MultipartError('multipart: unexpected line in Next()');
          break;
        }
        if (!/^[ \t]*$/.test(buf.toString('latin1', pos, eol))) throw new MultipartError('multipart: unexpected line in Next()');
        pos = eol + 2;
        this.state = 'headers';
      } else if (this.state === 'headers') {
        const end = buf.indexOf(HEADER_END, pos);
        if (end === -1) {
          if (buf.length - pos > MAX_HEADER_BYTES) throw new MultipartError('multipart: message too large');
          break;
        }
        events.push({ type: 'part', part: parseHeaders(buf.toString('utf8', pos, end)) });
        pos = end + HEADER_END.length;
        this.state = 'body';
      } else {
        break;
      }
    }
    // Copy the small tail so the big chunk it came from can be collected.
    this.pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
    return events;
  }

  /** Throws when the body ended before the closing delimiter (with Go's `mime/multipart` messages). */
  end(): void {
    if (this.state === 'body') throw new MultipartError('unexpected EOF');
    if (this.state !== 'done') throw new MultipartError('multipart: NextPart: EOF');
  }
}

function parseHeaders(block: string): PartHeaders {
  // Names come from the client: no prototype for a `__proto__` header to reach.
  const headers = Object.create(null) as Record<string, string>;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const disposition = headers['content-disposition'] ?? '';
  const params = /^form-data\b/i.test(disposition) ? dispositionParams(disposition) : {};
  return { headers, name: params.name ?? '', filename: params.filename, contentType: headers['content-type'] };
}

function dispositionParams(value: string): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const key = m[1]!.toLowerCase();
    out[key] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!.trim();
  }
  return out;
}
