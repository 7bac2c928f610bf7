// The error body every part of this project answers and reads: `{error: {code, message, …}}`
// (the app backend helpers, the sandbox's app backends, and the browser clients).

export interface ErrorBody {
  error: { code: number | string; message: string } & Record<string, unknown>;
}

/** `{error: {code, message, ...details}}`. */
export function errorBody(code: number | string, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { ...details, code, message } };
}

/** The code, message and other fields of an `{error: {code, message}}` body; undefined for anything else. */
export function readErrorBody(value: unknown): { code: number | string; message: string; details: Record<string, unknown> } | undefined {
  const error = typeof value === 'object' && value !== null ? (value as { error?: unknown }).error : undefined;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message, ...details } = error as Record<string, unknown>;
  if ((typeof code !== 'string' && typeof code !== 'number') || typeof message !== 'string') return undefined;
  return { code, message, details };
}
