// R2 (quick): SIGKILL the supervisor at 5 moments (before the child starts, while it writes, after
// it exits, then two more), each after a seeded random delay. Every job must end terminal, `wait`
// must end, the job must outlive its supervisor (D8), and stdout.log must hold every byte the job
// wrote, already when the end is published (D9). A failure names its seed: FAULT_SEED=<seed> replays.
import { expect, test } from "bun:test";
import { defaultSeed } from "../../scripts/fault/common.ts";
import { r2 } from "../../scripts/fault/r2.ts";

test("R2: supervisor SIGKILLed before the child starts, while it writes, after it exits", async () => {
  const result = await r2({
    runs: 5,
    concurrency: 5,
    seed: defaultSeed(),
    phases: ["before-child", "writing", "after-exit"],
  });
  expect(result.violations).toEqual([]);
  expect(result.runs).toBe(5);
});
