// cargo test (libtest): `test x ... FAILED` lines, each failure's `---- x stdout ----` section
// (the panic and its message), and the `test result:` lines, summed over the test binaries.
import { count, type Failure, linesAfter, type Parsed } from "./parsed.ts";

const RESULT = /^test result: (ok|FAILED)\. \d+ passed; \d+ failed/;
const FAILED = /^test (\S+) \.\.\. FAILED$/;
const SECTION = /^---- (\S+) stdout ----$/;

/** Parses `cargo test` output, or undefined when `lines` has no `test result:` line. */
export function parseCargo(lines: readonly string[]): Parsed | undefined {
  const summary: number[] = [];
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const sections = new Map<string, number[]>();
  const failures: Failure[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (RESULT.test(l)) {
      summary.push(i);
      counts.passed += count(l, /(\d+) passed/);
      counts.failed += count(l, /(\d+) failed/);
      counts.skipped += count(l, /(\d+) ignored/);
      continue;
    }
    const s = SECTION.exec(l);
    if (s) {
      const stop = (x: string) => SECTION.test(x) || /^failures:$/.test(x);
      sections.set(s[1] as string, [i, ...linesAfter(lines, i, 3, stop, (x) => !/^note: /.test(x))]);
      continue;
    }
    const f = FAILED.exec(l);
    if (f) failures.push({ name: f[1] as string, head: [i], details: [] });
  }
  if (summary.length === 0) return undefined;
  for (const f of failures) f.details = sections.get(f.name) ?? [];
  return { runner: "cargo", counts, failures, summary };
}
