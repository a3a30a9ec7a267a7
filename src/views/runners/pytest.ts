// pytest: `FAILED`/`ERROR` lines of the short summary, the `E` lines of each failure's section, and
// the `=== 3 failed, 4 passed in 0.1s ===` line.
import { count, type Failure, lastMatch, linesAfter, type Parsed } from "./parsed.ts";

const FINAL = /^=+ .*\b(passed|failed|errors?|skipped|no tests ran|deselected|xfailed|xpassed)\b.* in [\d.]+s.*=+$/;
const SHORT = /^(FAILED|ERROR) (\S+?)(?: - .*)?$/;
const VERBOSE = /^(\S+::\S+) (FAILED|ERROR)\b/;
const SECTION = /^_{3,} (.+?) _{3,}$/;
const BANNER = /^={3,}.*={3,}$/;

/** Parses pytest's output, or undefined when `lines` has no pytest summary. */
export function parsePytest(lines: readonly string[]): Parsed | undefined {
  const final = lastMatch(lines, FINAL, "=");
  if (final < 0) return undefined;
  const f = lines[final] as string;
  const counts = {
    passed: count(f, /(\d+) passed/),
    failed: count(f, /(\d+) failed/) + count(f, /(\d+) errors?\b/),
    skipped: count(f, /(\d+) skipped/) + count(f, /(\d+) xfailed/) + count(f, /(\d+) deselected/),
  };
  // Each failure's section: `____ test_x[3] ____` (or `ERROR at setup of test_x`), then its E lines.
  const sections = new Map<string, number[]>();
  for (let i = 0; i < final; i++) {
    const l = lines[i] as string;
    if (l.charCodeAt(0) !== 95 /* _ */) continue;
    const m = SECTION.exec(l);
    if (!m) continue;
    const name = (m[1] as string).replace(/^ERROR at \w+ of /, "");
    const stop = (l: string) => SECTION.test(l) || BANNER.test(l);
    const e = linesAfter(lines, i, 3, stop, (l) => /^E\s/.test(l));
    const where = linesAfter(lines, i, 1, stop, (l) => /^\S+:\d+: \w+/.test(l));
    sections.set(name, [i, ...e, ...where]);
  }
  const failures: Failure[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < final; i++) {
    const l = lines[i] as string;
    // Only `FAILED x`, `ERROR x` and verbose `x::y FAILED` lines can name a failure.
    if (!l.startsWith("FAILED ") && !l.startsWith("ERROR ") && !l.includes("::")) continue;
    const m = SHORT.exec(l) ?? VERBOSE.exec(l);
    if (!m) continue;
    const id = (SHORT.test(l) ? m[2] : m[1]) as string;
    const short = id.slice(id.lastIndexOf("::") + 2);
    const section = sections.get(short) ?? [];
    if (seen.has(id)) {
      // The short summary after verbose lines: its line names the failure too.
      failures.find((x) => x.name === id)?.head.push(i);
      continue;
    }
    seen.add(id);
    failures.push({ name: id, head: [i], details: section });
  }
  // No short summary (-rN): the sections name the failures.
  if (failures.length === 0) {
    for (const [name, idx] of sections) failures.push({ name, head: idx.slice(0, 1), details: idx.slice(1) });
  }
  return { runner: "pytest", counts, failures, summary: [final] };
}
