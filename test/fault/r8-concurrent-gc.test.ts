// R8 (quick): 30 concurrent runs while gc --older-than 0s, delete --all and list run in loops:
// 0 lost jobs, 0 corrupt files, no running or created job deleted.
// A failure names its seed; FAULT_SEED=<seed> replays the same attack.
import { expect, test } from "bun:test";
import { defaultSeed } from "../../scripts/fault/common.ts";
import { r8 } from "../../scripts/fault/r8.ts";

test("R8: 30 concurrent runs against gc/delete --all/list loops", async () => {
  const result = await r8({ runs: 30, seed: defaultSeed(), tailMs: 2500 });
  expect(result.violations).toEqual([]);
});
