import { describe, expect, test } from "bun:test";
import { splitLines } from "../../../src/views/apply.ts";
import { errorsView, isDiagnostic } from "../../../src/views/errors.ts";
import { viewFixtures } from "../../helpers/view-fixtures.ts";

const numbered = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}`);

describe("errors view (X14)", () => {
  test("diagnostics: file:line:col, error, Error:, FAILED, panic, warning", () => {
    for (const l of [
      "src/main.ts:3:7: unexpected token",
      "error[E0308]: mismatched types",
      "TypeError: x is undefined",
      "FAILED tests/a.py::test_x",
      "thread 'main' panicked at src/lib.rs:2:5:",
      "warning: unused variable",
    ]) {
      expect(isDiagnostic(l)).toBe(true);
    }
    expect(isDiagnostic("compiling 12 files")).toBe(false);
  });

  test("each diagnostic with 2 lines of context, plus the last 5 lines", () => {
    const lines = numbered(30);
    lines[10] = "error: boom";
    expect(errorsView(lines)).toEqual([
      "line 8",
      "line 9",
      "error: boom",
      "line 11",
      "line 12",
      "line 25",
      "line 26",
      "line 27",
      "line 28",
      "line 29",
    ]);
  });

  test("a real Python traceback is kept whole, chained causes included", () => {
    const f = viewFixtures().find((x) => x.name === "python-crash");
    if (!f) throw new Error("python-crash fixture missing");
    const lines = splitLines(f.stderr);
    const shown = errorsView(lines);
    const first = lines.findIndex((l) => l.startsWith("Traceback"));
    // From the first traceback to the end: every frame of both tracebacks.
    for (const l of lines.slice(first)) if (l.trim() !== "") expect(shown).toContain(l);
    expect(shown).toContain("warning: cache is cold");
  });
});
