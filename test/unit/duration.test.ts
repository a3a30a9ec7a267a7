import { describe, expect, test } from "bun:test";
import { parseDurationMs } from "../../src/core/duration.ts";

describe("parseDurationMs (D34)", () => {
  test("bare integers are milliseconds; ms, s, m, h, d scale; the result is a plain number", () => {
    expect(["0", "1500", "500ms", "30s", "10m", "2h", "1d"].map(parseDurationMs)).toEqual([
      0, 1500, 500, 30_000, 600_000, 7_200_000, 86_400_000,
    ]);
    // Past 2^31-1 ms stays exact: bounding a timer is the caller's business.
    expect(parseDurationMs("3000000000")).toBe(3_000_000_000);
    expect(parseDurationMs("104249991d")).toBe(104_249_991 * 86_400_000);
  });
  test("anything else is undefined: fractions, signs, spaces, case, other units, overflow", () => {
    for (const bad of [
      "",
      "s",
      "1.5s",
      "-1",
      "+1",
      " 1s",
      "1s ",
      "1S",
      "1min",
      "1w",
      "1e3",
      "1h30m",
      "9007199254740992",
    ]) {
      expect({ bad, ms: parseDurationMs(bad) }).toEqual({ bad, ms: undefined });
    }
    expect(parseDurationMs("104249992d")).toBeUndefined();
  });
});
