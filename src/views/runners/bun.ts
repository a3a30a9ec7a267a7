// bun test: `(fail) name` (`✗ name` in colour) lines, each with the `error:` lines printed above
// it, unhandled errors between tests named by their file, and the `N pass / N fail` summary.
import { count, type Failure, type Parsed } from "./parsed.ts";

const FAIL = /^(?:\(fail\)|✗) (.+?)(?: \[[\d.]+m?s\])?$/;
const RESULT = /^(?:\((?:pass|fail|skip|todo)\)|[✓✗»✎]) /;
const FILE = /^(\S[^:]*\.[cm]?[jt]sx?):$/;
const TALLY = /^\s*(\d+) (pass|fail|skip|todo|error|snapshots?|expect\(\) calls)\b/;
const RAN = /^Ran \d+ tests? across \d+ files?\./;
const ERROR = /^(error|\w*Error)\b.*:|^error: /;
const SOURCE = /^\s*\d+ \| |^\s*\^\s*$/;
const AT = /^\s+at .*:\d+:\d+\)?$/;

/** The error line of a failure's block, the next 2 lines of its message and its location. */
function messageOf(lines: readonly string[], from: number, to: number): number[] {
  const out: number[] = [];
  let i = from;
  while (i < to && !ERROR.test(lines[i] as string)) i++;
  if (i >= to) return out;
  out.push(i);
  for (let k = i + 1; k < to && out.length < 3; k++) {
    const l = lines[k] as string;
    if (AT.test(l)) break;
    if (l.trim() !== "" && !SOURCE.test(l)) out.push(k);
  }
  for (let k = i + 1; k < to; k++) {
    if (AT.test(lines[k] as string)) {
      out.push(k);
      break;
    }
  }
  return out;
}

/** Parses `bun test` output, or undefined when `lines` has no `Ran N tests` line. */
export function parseBun(lines: readonly string[]): Parsed | undefined {
  const ran = lines.findIndex((l) => RAN.test(l));
  if (ran < 0) return undefined;
  const failures: Failure[] = [];
  const seen = new Set<string>();
  let blockStart = 0;
  let file = -1;
  for (let i = 0; i < ran; i++) {
    const l = lines[i] as string;
    const c = l.charCodeAt(0);
    // Result lines start with `(` or a mark; file headers end with `:`; `#` opens unhandled errors.
    if (c !== 40 && c !== 35 && c < 128 && !l.endsWith(":")) continue;
    if (FILE.test(l)) {
      file = i;
      blockStart = i + 1;
      continue;
    }
    if (l.startsWith("# Unhandled error")) {
      const name = file >= 0 ? (FILE.exec(lines[file] as string)?.[1] as string) : l;
      const end = Math.min(ran, i + 40);
      failures.push({ name, head: file >= 0 ? [file, i] : [i], details: messageOf(lines, i + 1, end) });
      continue;
    }
    const f = FAIL.exec(l);
    if (f && !seen.has(f[1] as string)) {
      seen.add(f[1] as string);
      failures.push({ name: f[1] as string, head: [i], details: messageOf(lines, blockStart, i) });
    }
    if (RESULT.test(l)) blockStart = i + 1;
  }
  const summary: number[] = [];
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (let i = ran - 1; i >= 0 && TALLY.test(lines[i] as string); i--) {
    const l = lines[i] as string;
    summary.unshift(i);
    counts.passed += count(l, /^\s*(\d+) pass/);
    counts.failed += count(l, /^\s*(\d+) fail/);
    counts.skipped += count(l, /^\s*(\d+) (?:skip|todo)/);
  }
  summary.push(ran);
  return { runner: "bun", counts, failures, summary };
}
