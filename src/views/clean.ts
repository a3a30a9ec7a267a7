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
  // Most logs have no such run: one comparison pass, no copy.
  let runs = false;
  for (let i = 2; i < lines.length && !runs; i++) runs = lines[i] === lines[i - 1] && lines[i] === lines[i - 2];
  if (!runs) return lines as string[];
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

/**
 * The `clean` view of a stream's decoded text, split into lines (a final newline ends the last
 * line; CRLF is a line end, not a rewrite). Escapes and `\r` are looked for once in the whole
 * text, not line by line: most logs have neither, and this runs on every viewed call.
 */
export function cleanText(text: string): { read: number; lines: string[] } {
  if (text === "") return { read: 0, lines: [] };
  const lines = stripAnsi(text).split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  // Escapes never hold a newline, so the line count is the log's.
  const read = lines.length;
  if (text.includes("\r")) for (let i = 0; i < lines.length; i++) lines[i] = lastState(lines[i] as string);
  return { read, lines: foldRepeats(lines) };
}
