// The `tests` view (X14): a recognised runner's failures (names and first assertion lines) and
// final summary line, and the counts it gives; the `errors` view when no runner is recognised.
import { parseBun } from "./runners/bun.ts";
import { parseCargo } from "./runners/cargo.ts";
import { parseGo } from "./runners/go.ts";
import { parseJest } from "./runners/jest.ts";
import type { Parsed, Parser } from "./runners/parsed.ts";
import { parsePytest } from "./runners/pytest.ts";
import { parseVitest } from "./runners/vitest.ts";

/**
 * Tried in this order (the most specific summaries first), each only when its marker, a string
 * its summary cannot lack, is in the text: a log of another runner costs one substring search.
 */
const PARSERS: readonly [string[], Parser][] = [
  [[" in "], parsePytest],
  [["test result: "], parseCargo],
  [["Ran "], parseBun],
  [["Tests:"], parseJest],
  [["Tests ", "Failed Tests", "Failed Suites"], parseVitest],
  [["ok ", "ok\t", "FAIL"], parseGo],
];

/** The first runner whose output `lines` (clean) is, or undefined. */
export function parseTests(lines: readonly string[]): Parsed | undefined {
  const text = lines.join("\n");
  for (const [markers, parse] of PARSERS) {
    if (!markers.some((m) => text.includes(m))) continue;
    const p = parse(lines);
    if (p) return p;
  }
  return undefined;
}

/**
 * The lines of a `tests` view, by importance: the summary lines, each failure's name lines, then
 * its assertion lines (the first of every failure before the second of any).
 */
export function testTiers(p: Parsed): number[][] {
  const heads = p.failures.flatMap((f) => f.head);
  const details: number[] = [];
  const most = Math.max(0, ...p.failures.map((f) => f.details.length));
  for (let k = 0; k < most; k++)
    for (const f of p.failures) if (k < f.details.length) details.push(f.details[k] as number);
  return [p.summary, heads, details];
}
