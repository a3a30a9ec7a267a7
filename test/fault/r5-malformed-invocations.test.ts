// R5 (quick): ~100 generated malformed invocations (seeded: FAULT_SEED=<seed> replays a failure).
// Each: no stack trace, one JSON object on stdout (text only for help/version/completions), the
// documented exit code, and no job directory left behind by a failed call.
import { expect, test } from "bun:test";
import { defaultSeed } from "../../scripts/fault/common.ts";
import { r5 } from "../../scripts/fault/r5.ts";

test("R5: 100 generated malformed invocations", async () => {
  const result = await r5({ invocations: 100, workers: 4, seed: defaultSeed() });
  expect(result.violations).toEqual([]);
  expect(result.runs).toBe(100);
});
