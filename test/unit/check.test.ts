import { describe, expect, test } from "bun:test";
import { countResults } from "../../scripts/check.ts";

describe("npm test's total (scripts/check.ts)", () => {
  test("adds every bun test summary and every smoke check; other lines do not count", () => {
    const text = [
      "(pass) a > b [3ms]",
      " 92 pass",
      " 0 fail",
      "Ran 92 tests across 9 files.",
      " 410 pass",
      " 2 fail",
      "smoke: ok   --version",
      "smoke: ok   run --wait",
      "smoke: FAIL status: exit 1",
      "it said 3 pass in the middle of a line",
    ].join("\n");
    expect(countResults(text)).toEqual({ passed: 504, failed: 3 });
    expect(countResults("")).toEqual({ passed: 0, failed: 0 });
  });
});
