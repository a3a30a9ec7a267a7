// R6 (quick): hostile ids ('', '.', '..', '../x', absolute paths, %2e%2e, NUL, 27+ chars, ...) on
// every id-taking command and HTTP route, aimed only at decoys inside the test's own temp dir.
// Nothing outside the root may be read, written, deleted or signalled; each id gets job_not_found.
// A failure names its seed; FAULT_SEED=<seed> replays the same attack.
import { describe, expect, test } from "bun:test";
import { defaultSeed } from "../../scripts/fault/common.ts";
import { type R6Result, type R6Surface, r6 } from "../../scripts/fault/r6.ts";

const runs = new Map<R6Surface, Promise<R6Result>>();
/** One attack per surface, shared by its two verdicts. */
const attack = (surface: R6Surface): Promise<R6Result> => {
  let p = runs.get(surface);
  if (!p) {
    p = r6(surface, defaultSeed());
    runs.set(surface, p);
  }
  return p;
};

describe.each(["cli", "http"] as R6Surface[])("R6 over %s", (surface) => {
  test.concurrent("no decoy outside the root is read, written, deleted or signalled", async () => {
    const { safety } = await attack(surface);
    expect(safety.violations).toEqual([]);
    expect(safety.runs).toBeGreaterThan(100);
  });

  test.concurrent("every hostile id is answered job_not_found (HTTP: a 4xx with a JSON error, never a 5xx)", async () => {
    const { answers } = await attack(surface);
    expect(answers.violations).toEqual([]);
  });
});
