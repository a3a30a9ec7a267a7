// jest: `● name` blocks (their first message lines and location), suites that failed to run
// named by their `FAIL file` line, and the `Test Suites:`/`Tests:` summary.
import { count, type Failure, linesAfter, type Parsed } from "./parsed.ts";

const TESTS = /^Tests:\s+\d+/;
const SUITES = /^Test Suites:\s+\d+/;
const BULLET = /^\s+● (.+)$/;
const FILE = /^FAIL (\S+)/;
const SOURCE = /^\s*>?\s*\d+ \||^\s*\|\s*\^/;
const AT = /^\s+at .*:\d+:\d+\)?$/;

/** Parses jest's output, or undefined when `lines` has no `Tests:` summary. */
export function parseJest(lines: readonly string[]): Parsed | undefined {
  const tests = lines.findIndex((l) => TESTS.test(l));
  if (tests < 0) return undefined;
  const t = lines[tests] as string;
  const counts = {
    passed: count(t, /(\d+) passed/),
    failed: count(t, /(\d+) failed/),
    skipped: count(t, /(\d+) skipped/) + count(t, /(\d+) todo/),
  };
  const summary = [tests];
  const suites = lines.findIndex((l) => SUITES.test(l));
  if (suites >= 0) summary.unshift(suites);
  const failures: Failure[] = [];
  let file = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (FILE.test(l)) file = i;
    const b = BULLET.exec(l);
    if (!b || b[1]?.startsWith("Console")) continue;
    const stop = (x: string) => BULLET.test(x) || FILE.test(x) || /^(PASS|Test Suites:) /.test(x);
    const message = linesAfter(
      lines,
      i,
      2,
      (x) => stop(x) || AT.test(x),
      (x) => !SOURCE.test(x),
    );
    const where = linesAfter(lines, i, 1, stop, (x) => AT.test(x));
    const suite = b[1] === "Test suite failed to run";
    const name = suite && file >= 0 ? (FILE.exec(lines[file] as string)?.[1] as string) : (b[1] as string);
    failures.push({ name, head: suite && file >= 0 ? [file, i] : [i], details: [...message, ...where] });
  }
  return { runner: "jest", counts, failures, summary };
}
