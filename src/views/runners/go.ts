// go test: `--- FAIL: TestX` lines with the `file.go:N:` lines their test logged (after the FAIL
// line, or with -v before it, after `=== RUN`), panics, and the `ok`/`FAIL pkg` lines.
import type { Failure, Parsed } from "./parsed.ts";

const RESULT = /^\s*--- (PASS|FAIL|SKIP): (\S+)/;
const RUN = /^=== (RUN|CONT|PAUSE)\s+(\S+)/;
const PACKAGE = /^(ok|FAIL|PASS)(\s|$)/;
const LOGGED = /^\s+[\w.-]+\.go:\d+: |^panic: |^\s*panic: /;

/** Parses `go test` output, or undefined when `lines` has no package result. */
export function parseGo(lines: readonly string[]): Parsed | undefined {
  const summary: number[] = [];
  const results = new Map<string, "PASS" | "FAIL" | "SKIP">();
  const logged = new Map<string, number[]>();
  const heads = new Map<string, number>();
  let verbose = false;
  let current: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (
      /^(ok|FAIL)\s+\S+\s+(\(cached\)|[\d.]+s|\[build failed\]|\[setup failed\])/.test(l) ||
      /^(FAIL|PASS)$/.test(l)
    ) {
      summary.push(i);
      current = undefined;
      continue;
    }
    const run = RUN.exec(l);
    if (run) {
      verbose = true;
      current = run[2];
      continue;
    }
    const r = RESULT.exec(l);
    if (r) {
      const name = r[2] as string;
      results.set(name, r[1] as "PASS" | "FAIL" | "SKIP");
      if (r[1] === "FAIL") heads.set(name, i);
      // Without -v a test's log follows its FAIL line; with -v it came before.
      current = verbose ? undefined : name;
      if (r[1] === "FAIL" && !verbose) current = name;
      continue;
    }
    if (current !== undefined && LOGGED.test(l)) {
      const list = logged.get(current) ?? [];
      if (list.length < 3) list.push(i);
      logged.set(current, list);
    }
  }
  if (summary.length === 0 || !summary.some((i) => PACKAGE.test(lines[i] as string))) return undefined;
  // A parent fails because a subtest did: count the leaves only.
  const parents = new Set<string>();
  for (const name of results.keys()) {
    for (let at = name.indexOf("/"); at >= 0; at = name.indexOf("/", at + 1)) parents.add(name.slice(0, at));
  }
  const leaf = (n: string) => !parents.has(n);
  const failures: Failure[] = [];
  for (const [name, head] of heads) {
    if (!leaf(name) && (logged.get(name) ?? []).length === 0) continue;
    failures.push({ name, head: [head], details: logged.get(name) ?? [] });
  }
  const parsed: Parsed = { runner: "go", failures, summary };
  // Only -v lists the tests that passed: without it there are no counts to give.
  if (verbose) {
    const tally = { passed: 0, failed: 0, skipped: 0 };
    for (const [name, r] of results) {
      if (!leaf(name)) continue;
      if (r === "PASS") tally.passed++;
      else if (r === "FAIL") tally.failed++;
      else tally.skipped++;
    }
    parsed.counts = tally;
  }
  return parsed;
}
