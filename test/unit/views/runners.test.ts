// The tests and summary views over real runner output (test/fixtures/views, X14).
import { describe, expect, test } from "bun:test";
import { applyView, SUMMARY_LINES } from "../../../src/views/apply.ts";
import { viewFixtures } from "../../helpers/view-fixtures.ts";

/** What each runner's own final summary says (read off the captured output). */
const COUNTS: Record<string, [string, number, number, number] | undefined> = {
  "pytest-plain": ["pytest", 4, 4, 1],
  "pytest-color": ["pytest", 4, 4, 1],
  "pytest-many": ["pytest", 497, 3, 0],
  "go-plain": undefined, // without -v, go test lists no passing tests: no counts to give
  "go-verbose": ["go", 4, 3, 1],
  "go-many": ["go", 497, 3, 0],
  "cargo-plain": ["cargo", 1, 2, 1],
  "cargo-color": ["cargo", 1, 2, 1],
  "cargo-many": ["cargo", 497, 3, 0],
  "bun-plain": ["bun", 3, 4, 2],
  "bun-color": ["bun", 3, 4, 2],
  "bun-many": ["bun", 497, 3, 0],
  "vitest-plain": ["vitest", 3, 3, 2],
  "vitest-color": ["vitest", 3, 3, 2],
  "vitest-many": ["vitest", 497, 3, 0],
  "jest-plain": ["jest", 3, 3, 2],
  "jest-color": ["jest", 3, 3, 2],
  "jest-many": ["jest", 497, 3, 0],
  "python-crash": undefined,
  "rustc-plain": undefined,
  "rustc-color": undefined,
  "gobuild-plain": undefined,
};

const fixtures = viewFixtures();

describe("tests and summary views over real runs", () => {
  test("every captured run has its expected counts listed here", () => {
    expect(fixtures.map((f) => f.name).sort()).toEqual(Object.keys(COUNTS).sort());
  });

  for (const f of fixtures) {
    test(`${f.name}: every failure, the counts, the summary within ${SUMMARY_LINES} lines`, () => {
      for (const view of ["tests", "summary"] as const) {
        const r = applyView(view, f.stdout, f.stderr);
        const text = [...r.stdout, ...r.stderr].join("\n");
        for (const name of f.failures)
          expect({ view, name, found: text.includes(name) }).toEqual({ view, name, found: true });
        const c = COUNTS[f.name];
        expect(r.tests as unknown).toEqual(c ? { runner: c[0], passed: c[1], failed: c[2], skipped: c[3] } : undefined);
        // Nothing left but what the view picked; the dropped lines add up to what was read.
        expect(text).not.toContain("\x1b[");
        const read = (s: string) => s.split("\n").length - (s.endsWith("\n") ? 1 : 0);
        expect(r.stdoutDropped + r.stdout.length).toBe(f.stdout === "" ? 0 : read(f.stdout));
        expect(r.stderrDropped + r.stderr.length).toBe(f.stderr === "" ? 0 : read(f.stderr));
      }
      const s = applyView("summary", f.stdout, f.stderr);
      expect(s.stdout.length + s.stderr.length).toBeLessThanOrEqual(SUMMARY_LINES);
    });
  }

  test("the runner's final summary line is in the tests view", () => {
    const finals: Record<string, string> = {
      "pytest-plain": "3 failed, 4 passed, 1 skipped, 1 error in",
      "go-plain": "FAIL\texample.com/views/crash",
      "cargo-many": "test result: FAILED. 497 passed; 3 failed",
      "bun-many": "Ran 500 tests across 1 file.",
      "vitest-many": "Tests  3 failed | 497 passed (500)",
      "jest-many": "Tests:       3 failed, 497 passed, 500 total",
    };
    for (const [name, line] of Object.entries(finals)) {
      const f = fixtures.find((x) => x.name === name);
      if (!f) throw new Error(`${name} missing`);
      const r = applyView("tests", f.stdout, f.stderr);
      expect([...r.stdout, ...r.stderr].some((l) => l.includes(line))).toBe(true);
    }
  });

  test("a failure keeps its first assertion line", () => {
    const pick = (name: string) => {
      const f = fixtures.find((x) => x.name === name);
      if (!f) throw new Error(`${name} missing`);
      return [...applyView("summary", f.stdout, f.stderr).stdout, ...applyView("summary", f.stdout, f.stderr).stderr];
    };
    expect(pick("pytest-plain")).toContain("E       KeyError: 'missing'");
    expect(pick("cargo-plain")).toContain("assertion `left == right` failed: sums differ");
    expect(pick("go-plain")).toContain("    sample_test.go:15: got 3, want 2");
    expect(pick("bun-plain")).toContain("error: expect(received).toEqual(expected)");
    expect(pick("jest-plain")).toContain("    expect(received).toBeLessThan(expected)");
    expect(pick("vitest-plain")).toContain("AssertionError: expected 3 to be less than 3");
  });

  test("colour on and off give the same failures and counts", () => {
    for (const runner of ["pytest", "cargo", "bun", "vitest", "jest"]) {
      const plain = fixtures.find((x) => x.name === `${runner}-plain`);
      const color = fixtures.find((x) => x.name === `${runner}-color`);
      if (!plain || !color) throw new Error(`${runner} fixtures missing`);
      expect(applyView("tests", color.stdout, color.stderr).tests).toEqual(
        applyView("tests", plain.stdout, plain.stderr).tests,
      );
    }
  });

  test("no runner recognised: tests and summary fall back to errors", () => {
    const f = fixtures.find((x) => x.name === "python-crash");
    if (!f) throw new Error("python-crash missing");
    expect(applyView("tests", f.stdout, f.stderr)).toEqual(applyView("errors", f.stdout, f.stderr));
  });

  test("summary stays within 40 lines whatever the log", () => {
    const many = Array.from({ length: 500 }, (_, i) => `src/f${i}.ts:${i}:1: error TS2322: bad`).join("\n");
    const r = applyView("summary", many, many);
    expect(r.stdout.length + r.stderr.length).toBe(SUMMARY_LINES);
    expect(r.stdoutDropped + r.stderrDropped).toBe(1000 - SUMMARY_LINES);
  });
});
