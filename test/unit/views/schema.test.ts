import { expect, test } from "bun:test";
import { SnapshotSchema } from "../../../src/core/envelope.ts";

const snapshot = {
  stdout_tail: "",
  stderr_tail: "Ran 3 tests across 1 file.",
  truncated: false,
  encoding: "utf-8-lossy",
  stdout_observed_bytes: 0,
  stderr_observed_bytes: 90,
  stdout_included_bytes: 0,
  stderr_included_bytes: 26,
};

test("snapshots carry view, *_view_dropped_lines and tests (X14)", () => {
  const viewed = {
    ...snapshot,
    view: "summary",
    stdout_view_dropped_lines: 0,
    stderr_view_dropped_lines: 4,
    tests: { runner: "bun", passed: 2, failed: 1, skipped: 0 },
  };
  expect(SnapshotSchema.safeParse(viewed).success).toBe(true);
  expect(SnapshotSchema.safeParse(snapshot).success).toBe(true);
  // raw is never named: a raw tail has no view field at all.
  expect(SnapshotSchema.safeParse({ ...snapshot, view: "raw" }).success).toBe(false);
  expect(SnapshotSchema.safeParse({ ...viewed, tests: { ...viewed.tests, runner: "mocha" } }).success).toBe(false);
});
