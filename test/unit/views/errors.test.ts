import { describe, expect, test } from "bun:test";
import { applyView, splitLines } from "../../../src/views/apply.ts";
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

describe("errors view over real failed builds", () => {
  const fixture = (name: string) => {
    const f = viewFixtures().find((x) => x.name === name);
    if (!f) throw new Error(`${name} fixture missing`);
    return f;
  };

  test("rustc: the message, its location and its whole source snippet, colour on or off", () => {
    for (const name of ["rustc-plain", "rustc-color"]) {
      const shown = applyView("errors", "", fixture(name).stderr).stderr;
      expect(shown).toContain("error[E0308]: mismatched types");
      expect(shown).toContain(" --> src/lib.rs:5:18");
      expect(shown).toContain("  |            ---   ^^^^^ expected `i32`, found `&str`");
      expect(shown).toContain("error: could not compile `broken` (lib) due to 1 previous error");
    }
  });

  test("go build: every file:line:col diagnostic", () => {
    const shown = applyView("summary", "", fixture("gobuild-plain").stderr).stderr;
    expect(shown).toContain(
      "./broken.go:5:14: cannot use input (variable of type string) as type int in variable declaration",
    );
    expect(shown).toContain("./broken.go:6:13: undefined: missing");
  });
});
