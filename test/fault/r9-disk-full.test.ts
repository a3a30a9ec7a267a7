// R9 (quick): a job fills a small tmpfs (mounted as root in the test's temp dir) that holds the
// jobs root. The job must still be reported terminal (or failed with a reason) while the disk is
// full, every CLI call prints one JSON object with no stack trace, and the end is persisted once
// space is freed. Skipped, with the reason, only when mounting is not permitted.
// A failure names its seed; FAULT_SEED=<seed> replays the same attack.
import { expect, test } from "bun:test";
import { defaultSeed } from "../../scripts/fault/common.ts";
import { canMount, r9 } from "../../scripts/fault/r9.ts";

const cannot = canMount();
if (cannot) console.warn(`R9 skipped: mounting a tmpfs is not permitted here (${cannot})`);

test.skipIf(cannot !== undefined)("R9: disk full while a job writes", async () => {
  const result = await r9(defaultSeed());
  expect(result.skipped).toBeUndefined();
  expect(result.violations).toEqual([]);
});
