// Applies a view (X14) to both streams of a tail: clean first, then errors, tests or summary, with
// the lines each stream's view left out. Pure: text in, lines out.
import { cleanText } from "./clean.ts";
import { inOrder, pickErrors } from "./errors.ts";
import type { Parsed } from "./runners/parsed.ts";
import { parseTests, testTiers } from "./tests.ts";
import type { TestCounts, ViewName, ViewResult } from "./types.ts";

/** The most lines the `summary` view shows, both streams together. */
export const SUMMARY_LINES = 40;

/** The lines of a decoded tail: split on `\n`, a final newline and CRLF endings not counted. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.endsWith("\r")) lines[i] = l.slice(0, -1);
  }
  return lines;
}

/** One stream on its way through a view. */
interface Stream {
  read: number;
  clean: string[];
  parsed?: Parsed;
}

/** The lines of `stream`'s view by importance: a runner's tiers, else the errors view's. */
function tiers(s: Stream, tests: boolean): number[][] {
  if (tests && s.parsed) return testTiers(s.parsed);
  const e = pickErrors(s.clean);
  return [e.primary.sort((a, b) => a - b), e.last, e.context.sort((a, b) => a - b)];
}

/** Takes lines tier by tier, the streams taking turns, until `budget` lines are taken. */
function budgeted(streams: Stream[], all: number[][][], budget: number): Set<number>[] {
  const taken = streams.map(() => new Set<number>());
  let left = budget;
  const depth = Math.max(...all.map((t) => t.length));
  for (let d = 0; d < depth; d++) {
    for (let s = 0; s < streams.length; s++) {
      for (const i of all[s]?.[d] ?? []) {
        const set = taken[s] as Set<number>;
        if (set.has(i)) continue;
        if (left === 0) return taken;
        set.add(i);
        left--;
      }
    }
  }
  return taken;
}

/** The counts of the first stream whose runner's summary gave them. */
function countsOf(streams: Stream[]): TestCounts | undefined {
  for (const s of streams) {
    if (s.parsed?.counts) return { runner: s.parsed.runner, ...s.parsed.counts };
  }
  return undefined;
}

/**
 * `view` of the stdout and stderr tails (decoded, masked values already redacted). `raw` is the
 * caller's business: it never comes here.
 */
export function applyView(view: Exclude<ViewName, "raw">, stdout: string, stderr: string): ViewResult {
  const streams: Stream[] = [stdout, stderr].map((text) => {
    const c = cleanText(text);
    return { read: c.read, clean: c.lines };
  });
  let shown: string[][];
  let tests: TestCounts | undefined;
  if (view === "clean") {
    shown = streams.map((s) => s.clean);
  } else {
    const wantTests = view !== "errors";
    if (wantTests) for (const s of streams) s.parsed = parseTests(s.clean);
    const recognised = wantTests && streams.some((s) => s.parsed);
    tests = recognised ? countsOf(streams) : undefined;
    const all = streams.map((s) => tiers(s, recognised));
    if (view === "summary") {
      // The runner's stream first, so its summary and failure names are never crowded out.
      const order = streams[1]?.parsed && !streams[0]?.parsed ? [1, 0] : [0, 1];
      const picked = budgeted(
        order.map((i) => streams[i] as Stream),
        order.map((i) => all[i] as number[][]),
        SUMMARY_LINES,
      );
      const byStream = order[0] === 0 ? picked : [picked[1], picked[0]];
      shown = streams.map((s, i) => inOrder(s.clean, byStream[i] as Set<number>));
    } else {
      shown = streams.map((s, i) => inOrder(s.clean, (all[i] as number[][]).flat()));
    }
  }
  const result: ViewResult = {
    stdout: shown[0] as string[],
    stderr: shown[1] as string[],
    stdoutDropped: Math.max(0, (streams[0] as Stream).read - (shown[0] as string[]).length),
    stderrDropped: Math.max(0, (streams[1] as Stream).read - (shown[1] as string[]).length),
  };
  if (tests) result.tests = tests;
  return result;
}
