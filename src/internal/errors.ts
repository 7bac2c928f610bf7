/**
 * Base of every typed error this library throws or reports in an event's `detail.error`.
 * `code` is the service's own code where there is one (Titan's 401, 1017, …), otherwise a
 * short string naming the failure (`network`, `bad-response`, `aborted`, …).
 */
export class UploadElementsError extends Error {
  readonly code: number | string;
  /** More of what the other side said, e.g. the extra fields of an `{error: {…}}` body. */
  readonly extra?: Record<string, unknown>;

  constructor(code: number | string, message: string, options?: { cause?: unknown; extra?: Record<string, unknown> }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    if (options?.extra) this.extra = options.extra;
  }

  /** The plain `{code, message}` shape events carry. */
  toJSON(): { code: number | string; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isAbortError(err: unknown): boolean {
  return (err instanceof DOMException && err.name === 'AbortError') || (err instanceof UploadElementsError && err.code === 'aborted');
}

/** Turns anything thrown into the `{code, message}` shape events carry. */
export function errorDetail(err: unknown): { code: number | string; message: string } {
  if (err instanceof UploadElementsError) return err.toJSON();
  if (isAbortError(err)) return { code: 'aborted', message: 'The operation was cancelled.' };
  if (err instanceof Error) return { code: 'error', message: err.message };
  return { code: 'error', message: String(err) };
}
