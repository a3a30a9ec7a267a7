// The `errors` view (X14): lines that look like errors or warnings, each with up to 2 lines of
// context, Python tracebacks kept whole, plus the last 5 lines of the stream.

/** Lines of context kept before and after each diagnostic. */
export const CONTEXT_LINES = 2;
/** The end of a stream is always kept: how a run ended is where an agent looks first. */
export const LAST_LINES = 5;

// A compiler or stack-trace location, `file.ext:line:col` (gcc, tsc, rustc's ` --> `, Node's
// `at`): anchored on the extension, so a long line is scanned once, not once per start.
const LOCATION = /\.[A-Za-z]\w*:\d+:\d+/;
// One pass for the words; a line has none of them far more often than not.
const WORDS =
  /\b(?:error|fail(?:ed|ure)?|panic(?:ked)?|warn(?:ing)?|sig(?:segv|abrt|bus|ill|fpe|kill)|segmentation fault|core dumped)\b|\w(?:Error|Exception):/i;
// pytest's assertion lines.
const PYTEST_E = /^E {2,}\S/;

/** True when a line looks like a diagnostic (`file:line:col`, error, Error:, FAILED, panic, warning, signals). */
export function isDiagnostic(line: string): boolean {
  return WORDS.test(line) || PYTEST_E.test(line) || (line.includes(":") && LOCATION.test(line));
}

const TRACEBACK = /^\s*Traceback \(most recent call last\):/;
/** A line of a compiler's source snippet, and the most of them kept under one diagnostic. */
const SNIPPET = /^\s*(?:\d+\s*)?\||^\s+(?:-->|= )/;
const SNIPPET_MAX = 12;

/**
 * Where the Python traceback that starts at `from` ends (inclusive): its frames are indented,
 * and the first line that is not (the exception) closes it.
 */
function tracebackEnd(lines: readonly string[], from: number): number {
  const indent = (lines[from] as string).search(/\S/);
  for (let i = from + 1; i < lines.length; i++) {
    const l = lines[i] as string;
    const at = l.search(/\S/);
    if (at < 0) continue;
    if (at <= indent) return i;
  }
  return lines.length - 1;
}

/** The lines an `errors` view keeps, by their importance (for the `summary` budget). */
export interface ErrorPick {
  /** The diagnostic lines, each traceback's first and last line. */
  primary: number[];
  /** Context lines and the middle of tracebacks. */
  context: number[];
  /** The last lines of the stream. */
  last: number[];
}

/** Which lines of `lines` the `errors` view keeps. */
export function pickErrors(lines: readonly string[]): ErrorPick {
  const primary = new Set<number>();
  const context = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (TRACEBACK.test(l)) {
      const end = tracebackEnd(lines, i);
      primary.add(i).add(end);
      for (let k = i + 1; k < end; k++) context.add(k);
      for (let k = Math.max(0, i - CONTEXT_LINES); k < i; k++) context.add(k);
      i = end;
      continue;
    }
    if (!isDiagnostic(l)) continue;
    primary.add(i);
    const lo = Math.max(0, i - CONTEXT_LINES);
    // A compiler's source snippet under its message (rustc, gcc, clang: ` --> file`, `5 | code`,
    // `  |  ^^^ expected…`, `= note:`) is part of the diagnostic, as a traceback is: kept whole.
    let end = i;
    while (end + 1 < lines.length && end - i < SNIPPET_MAX && SNIPPET.test(lines[end + 1] as string)) end++;
    const hi = Math.min(lines.length - 1, end + CONTEXT_LINES);
    for (let k = lo; k <= hi; k++) context.add(k);
  }
  const last: number[] = [];
  for (let k = Math.max(0, lines.length - LAST_LINES); k < lines.length; k++) last.push(k);
  for (const k of primary) context.delete(k);
  for (const k of last) {
    primary.delete(k);
    context.delete(k);
  }
  return { primary: [...primary], context: [...context], last };
}

/** The `errors` view of a stream's (clean) lines, in log order. */
export function errorsView(lines: readonly string[]): string[] {
  const p = pickErrors(lines);
  return inOrder(lines, [...p.primary, ...p.context, ...p.last]);
}

/** The lines at `indices` (deduplicated), in log order. */
export function inOrder(lines: readonly string[], indices: Iterable<number>): string[] {
  return [...new Set(indices)].sort((a, b) => a - b).map((i) => lines[i] as string);
}
