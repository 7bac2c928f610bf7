// The browser tests' one way to talk to the sandbox mounted on the test page's origin: its
// knobs, its request log, reset, and its own (cross-origin) URL.
import type { LogEntry } from '../../src/sandbox/types.js';

export type { LogEntry };

let infoPromise: Promise<{ url: string }> | undefined;

/** The sandbox's own (cross-origin) base URL. */
export async function sandboxUrl(): Promise<string> {
  infoPromise ??= fetch('/_sandbox/info').then((r) => r.json() as Promise<{ url: string }>);
  return (await infoPromise).url;
}

export async function resetSandbox(): Promise<void> {
  const r = await fetch('/_sandbox/reset', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  if (!r.ok) throw new Error(`reset failed: ${r.status}`);
}

/** `POST /_sandbox/<service>/<action>`: turns a knob or reads a service's state. */
export async function knob<T = unknown>(service: string, action: string, body: Record<string, unknown> = {}): Promise<T> {
  const r = await fetch(`/_sandbox/${service}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`knob ${service}/${action} failed: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

/** Every request one service received since the last reset, oldest first. */
export async function sandboxLog(service: string): Promise<LogEntry[]> {
  return (await (await fetch(`/_sandbox/log?service=${service}`)).json()) as LogEntry[];
}
