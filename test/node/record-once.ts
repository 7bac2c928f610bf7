import { before } from 'node:test';

/**
 * Runs `run` once, in a `before` of the describe it is called in (after `reset`, when given: a
 * fresh sandbox), and hands that describe's its what it recorded: a flow is done once however
 * many behaviours the its check.
 */
export function recordOnce<T>(run: () => Promise<T>, reset?: () => void | Promise<void>): () => T {
  let recorded: T | undefined;
  before(async () => {
    await reset?.();
    recorded = await run();
  });
  return () => recorded as T;
}
