// What a runner's parser finds in one stream: its failures (name lines and first assertion
// lines), its final summary lines and the counts they give.
import type { Runner } from "../types.ts";

/** One failing test: the lines that name it, and its first assertion lines. */
export interface Failure {
  name: string;
  head: number[];
  details: number[];
}

/** A stream a runner's parser recognised. */
export interface Parsed {
  runner: Runner;
  /** The counts, when the runner's summary gives them. */
  counts?: { passed: number; failed: number; skipped: number };
  failures: Failure[];
  /** The final summary line(s). */
  summary: number[];
}

/** A runner's parser: undefined when the stream is not that runner's output. */
export type Parser = (lines: readonly string[]) => Parsed | undefined;

/** The first integer captured by `re` in `line`, else 0. */
export function count(line: string, re: RegExp): number {
  const m = re.exec(line);
  return m?.[1] ? Number.parseInt(m[1], 10) : 0;
}

/**
 * Up to `max` non-blank lines after `from` that `keep` accepts, stopping at the first line
 * `stop` accepts (or the end).
 */
export function linesAfter(
  lines: readonly string[],
  from: number,
  max: number,
  stop: (l: string) => boolean,
  keep: (l: string) => boolean = () => true,
): number[] {
  const out: number[] = [];
  for (let i = from + 1; i < lines.length && out.length < max; i++) {
    const l = lines[i] as string;
    if (stop(l)) break;
    if (l.trim() !== "" && keep(l)) out.push(i);
  }
  return out;
}

/** The index of the last line `re` matches, or -1. */
export function lastMatch(lines: readonly string[], re: RegExp, first?: string): number {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i] as string;
    if ((first === undefined || l.startsWith(first)) && re.test(l)) return i;
  }
  return -1;
}
