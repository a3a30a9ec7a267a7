// vitest: `×` lines and suites of 0 tests on stdout, the `FAIL  file > name` blocks with their
// error line and location on stderr, and the `Test Files`/`Tests` summary.
import { count, type Failure, linesAfter, type Parsed } from "./parsed.ts";

const TESTS = /^\s*Tests\s+\d+ (failed|passed|skipped|todo)\b.*\(\d+\)$/;
const FILES = /^\s*Test Files\s+\d+/;
const BANNER = /^⎯+ Failed (Tests|Suites) \d+ ⎯+$/;
const CROSS = /^\s+× (.+?)(?: \d+m?s)?$/;
const EMPTY_SUITE = /^ ❯ (\S+) \(0 tests?\)/;
const FAIL = /^ FAIL {2}(.+?)(?: \[ .* \])?$/;
const LOCATION = /^ ❯ \S+:\d+:\d+/;

/** Parses vitest's output (either stream), or undefined when `lines` is not vitest's. */
export function parseVitest(lines: readonly string[]): Parsed | undefined {
  const summary: number[] = [];
  const failures: Failure[] = [];
  let banner = false;
  let counts: Parsed["counts"];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (BANNER.test(l)) banner = true;
    if (FILES.test(l)) summary.push(i);
    if (TESTS.test(l)) {
      summary.push(i);
      counts = {
        passed: count(l, /(\d+) passed/),
        failed: count(l, /(\d+) failed/),
        skipped: count(l, /(\d+) skipped/) + count(l, /(\d+) todo/),
      };
      continue;
    }
    const f = FAIL.exec(l);
    if (f) {
      const stop = (x: string) => /^⎯/.test(x) || FAIL.test(x);
      const message = linesAfter(lines, i, 1, stop);
      const where = linesAfter(lines, i, 1, stop, (x) => LOCATION.test(x));
      failures.push({ name: f[1] as string, head: [i], details: [...message, ...where] });
      continue;
    }
    const x = CROSS.exec(l) ?? EMPTY_SUITE.exec(l);
    if (x) failures.push({ name: x[1] as string, head: [i], details: [] });
  }
  if (summary.length === 0 && !banner) return undefined;
  const parsed: Parsed = { runner: "vitest", failures, summary };
  if (counts) parsed.counts = counts;
  return parsed;
}
