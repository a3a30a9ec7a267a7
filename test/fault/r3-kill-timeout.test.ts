// R3 (quick): kill and --timeout on a 3-generation tree and on jobs ignoring SIGTERM; no process of
// the group survives, and --kill-after escalates only when needed.
// A failure names its seed; FAULT_SEED=<seed> replays the same attack.
import { describe, expect, test } from "bun:test";
import { defaultSeed } from "../../scripts/fault/common.ts";
import { R3_CASES, r3 } from "../../scripts/fault/r3.ts";

describe("R3: kill and timeout leave no survivor", () => {
  test.concurrent.each(R3_CASES.map((c) => [c]))("%s", async (c) => {
    const result = await r3([c], defaultSeed());
    expect(result.violations).toEqual([]);
  });
});
