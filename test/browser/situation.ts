/**
 * Runs `run` once, in a `before` of the describe it is called in (after `reset`, when given: a
 * fresh sandbox), and hands that describe's its what it recorded. A slow flow (an upload, a
 * connection) is done once however many behaviours the its check; what an element showed must be
 * recorded too, since fixtures are removed after each it.
 */
export function recordOnce<T>(run: () => Promise<T>, reset?: () => Promise<void>): () => T {
  let recorded: T | undefined;
  before(async () => {
    await reset?.();
    recorded = await run();
  });
  return () => recorded as T;
}
