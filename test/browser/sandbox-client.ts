// The browser tests' one way to talk to the sandbox mounted on the test page's origin: the
// sandbox's own typed client (src/sandbox/control.ts) for its knobs, request log and reset.
import { SandboxClient, type KnobAnswer, type KnobArgs, type SandboxKnobs, type SandboxServiceName } from '../../src/sandbox/control.js';
import type { LogEntry } from '../../src/sandbox/types.js';

export type { LogEntry };

export const sandbox = new SandboxClient();

let infoPromise: Promise<{ url: string }> | undefined;

/** The sandbox's own (cross-origin) base URL. */
export async function sandboxUrl(): Promise<string> {
  infoPromise ??= sandbox.info();
  return (await infoPromise).url;
}

export const resetSandbox = (): Promise<void> => sandbox.reset();

/** `POST /_sandbox/<service>/<action>`: turns a knob or reads a service's state (typed by the sandbox). */
export const knob = <S extends SandboxServiceName, A extends keyof SandboxKnobs[S] & string>(
  service: S,
  action: A,
  ...body: KnobArgs<S, A>
): Promise<KnobAnswer<S, A>> => sandbox.knob(service, action, ...body);

/** Every request one service received since the last reset, oldest first. */
export const sandboxLog = (service: SandboxServiceName): Promise<LogEntry[]> => sandbox.log(service);
