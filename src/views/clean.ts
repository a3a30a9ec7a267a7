// The `clean` view (X14): ANSI escapes removed, `\r` progress lines in their last state, runs of
// 3+ identical lines folded. Nothing else is dropped; the other views read what this returns.

// CSI (colours, cursor moves), OSC (titles, links; ended by BEL or ST) and the two-byte escapes.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]/g;

/** `text` without ANSI escape sequences. */
export function stripAnsi(text: string): string {
  return text.includes("\x1b") ? text.replace(ANSI, "") : text;
}

/**
 * What a terminal would show of a line rewritten with `\r` (a progress bar, a spinner): its last
 * non-empty state. A trailing `\r` (CRLF) is not a rewrite.
 */
export function lastState(line: string): string {
  if (!line.includes("\r")) return line;
  const parts = line.split("\r");
  for (let i = parts.length - 1; i >= 0; i--) if ((parts[i] as string) !== "") return parts[i] as string;
  return "";
}

/** The line that follows a folded run: how many times the line above it appeared. */
export const repeatedLine = (n: number): string => `… repeated ${n} times`;

/** Runs of 3 or more identical lines become the line and `… repeated N times`. */
export function foldRepeats(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    let j = i + 1;
    while (j < lines.length && lines[j] === lines[i]) j++;
    out.push(lines[i] as string);
    const run = j - i;
    if (run >= 3) out.push(repeatedLine(run));
    else if (run === 2) out.push(lines[i] as string);
    i = j;
  }
  return out;
}

/** The `clean` view of a stream's lines. */
export function cleanLines(lines: readonly string[]): string[] {
  return foldRepeats(lines.map((l) => lastState(stripAnsi(l))));
}
