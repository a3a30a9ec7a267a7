// Reads the end of a job as its waiting parent recorded it (supervisor/waiter.ts), so a reader can
// settle a job whose supervisor died: `exited` with the code, or `killed` by a signal.
import { readFileSync, statSync } from "node:fs";

/** How the command ended, as far as its waiter could tell. */
export interface ExitStatus {
  exitCode: number | null;
  signal: string | null;
  /** When the record was written (the file's mtime), in ms since the epoch. */
  at: number;
}

/**
 * Signals a process gets from the kernel for its own doing (a crash, a limit, the OOM killer):
 * a shell status of 128+N for one of them is taken as that signal even when the waiter did not
 * see it. Any other 128+N counts as the signal only when it reached the waiter too (sent to the
 * group): otherwise it is an exit code the command chose (e.g. 130 after catching Ctrl-C).
 */
const OWN_SIGNALS = new Set(["ILL", "TRAP", "ABRT", "BUS", "FPE", "SEGV", "SYS", "XCPU", "XFSZ", "KILL"]);

/** Parses `<status> <name|-> [seen…]\n`; undefined when incomplete (still being written) or malformed. */
export function parseExitStatus(text: string): Omit<ExitStatus, "at"> | undefined {
  const m = /^(\d{1,3}) (-|[A-Z0-9+]+)((?: [A-Z0-9]+)*)\n$/.exec(text);
  if (!m) return undefined;
  const code = Number(m[1]);
  if (code > 255) return undefined;
  const name = m[2] === "-" ? undefined : (m[2] as string).replace(/^SIG/, "");
  const seen = new Set((m[3] ?? "").trim().split(" ").filter(Boolean));
  if (code > 128 && name !== undefined && (seen.has(name) || OWN_SIGNALS.has(name))) {
    return { exitCode: null, signal: name };
  }
  return { exitCode: code, signal: null };
}

/** The recorded end at `path`, or undefined when there is none (yet). */
export function readExitStatus(path: string): ExitStatus | undefined {
  try {
    const parsed = parseExitStatus(readFileSync(path, "latin1"));
    return parsed && { ...parsed, at: statSync(path).mtimeMs };
  } catch {
    return undefined;
  }
}
