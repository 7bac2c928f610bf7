// The fuzzing suites' bound: every input answers a value or the parser's own typed error, within
// 50 ms. A slow input is slow every time; a pause of the machine (a GC, a busy core) is not, so
// an input over the limit is timed twice more and its fastest run counts.
import assert from 'node:assert/strict';

export const LIMIT_MS = 50;

export async function typedWithin(
  typed: abstract new (...args: never[]) => Error,
  parse: () => unknown,
  limitMs = LIMIT_MS,
): Promise<void> {
  let fastest = Infinity;
  for (let run = 0; run < 3 && fastest >= limitMs; run++) {
    const started = performance.now();
    try {
      await parse();
    } catch (err) {
      assert.ok(err instanceof typed, `threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
    }
    fastest = Math.min(fastest, performance.now() - started);
  }
  assert.ok(fastest < limitMs, `took ${fastest.toFixed(1)} ms (fastest of 3)`);
}
