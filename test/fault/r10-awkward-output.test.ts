// R10 (quick): 64 MiB without a newline, a job closing its stdout early, a job forking a daemon
// that holds (or keeps writing to) stdout: logs complete, terminal within 2 s of the root's exit.
// A failure names its seed; FAULT_SEED=<seed> replays the same attack.
import { describe, expect, test } from "bun:test";
import { defaultSeed } from "../../scripts/fault/common.ts";
import { R10_CASES, r10 } from "../../scripts/fault/r10.ts";

describe("R10: awkward output", () => {
  test.concurrent.each(R10_CASES.map((c) => [c]))("%s", async (c) => {
    const result = await r10(c, defaultSeed(), 64 << 20);
    expect(result.violations).toEqual([]);
  });
});
