// R4 (quick): ~100 writes by tag set / notify set / status / the supervisor, SIGKILLed at random
// moments; every JSON file parses afterwards and no dead writer's lock wedges a job.
// A failure names its seed; FAULT_SEED=<seed> replays the same attack.
import { expect, test } from "bun:test";
import { defaultSeed } from "../../scripts/fault/common.ts";
import { r4 } from "../../scripts/fault/r4.ts";

test("R4: SIGKILL of writers during 100 writes leaves every JSON file parseable", async () => {
  const result = await r4({ writes: 100, concurrency: 6, seed: defaultSeed() });
  expect(result.violations).toEqual([]);
});
