// What a response shows of a job's output: the bounded tails (§5), from the end or from a cursor
// (X1), masked values redacted (D28), shown in a view (X14), and the cursor that marks the end of
// what was read.
import { readCapRecord } from "../logs/cap-record.ts";
import { decodeCursor, encodeCursor } from "../logs/cursor.ts";
import { type HoleProbe, logEnd, readSince, type Snapshot, type TailPart, tailFile } from "../logs/tail.ts";
import { readMasks } from "../store/masks.ts";
import type { JobPaths } from "../store/paths.ts";
import type { StateRecord } from "../store/records.ts";
import { applyView } from "../views/apply.ts";
import type { TestCounts, ViewName } from "../views/types.ts";

/** How much of each log to show, and from where. */
export interface TailBounds {
  tailLines: number;
  maxBytes: number;
  /** Only what was written after this cursor (X1). */
  since?: string;
  /** The view of the tails (X14), already chosen (see chooseView); absent = raw. */
  view?: ViewName;
}

/** What a view adds to a snapshot (X14): absent with `raw`. */
export interface ViewFields {
  view?: Exclude<ViewName, "raw">;
  stdout_view_dropped_lines?: number;
  stderr_view_dropped_lines?: number;
  tests?: TestCounts;
}

/** Tails with the X1 additions. */
export interface JobTails {
  snapshot: Snapshot & { stdout_omitted_bytes?: number; stderr_omitted_bytes?: number } & ViewFields;
  cursor: string;
  /** The cursor pointed past the end of a log (the job was restarted): read from the start. */
  cursorReset: boolean;
}

/** The run of the job a cursor belongs to (X8); 1 before any restart. */
export const attemptOf = (state: StateRecord | undefined): number => state?.attempt ?? 1;

/**
 * Reads both logs of job `jobId` (whose current run is `attempt`). Without `since`, the last
 * lines as §5 says; with it, only the output written after the cursor, keeping its end, with the
 * bytes left out counted per stream. A malformed or foreign cursor is a usage error. A view
 * other than raw reads within the byte bound only, shows the view of that, then keeps its last
 * `tailLines` lines (X14): masked values are redacted before the view sees the text (D28).
 */
export function readJobTails(paths: JobPaths, jobId: string, attempt: number, bounds: TailBounds): JobTails {
  const masks = readMasks(paths);
  const holes = holeProbes(paths);
  const view = bounds.view !== undefined && bounds.view !== "raw" ? bounds.view : undefined;
  // The line bound comes after the view: read the whole byte window.
  const lines = view ? 0 : bounds.tailLines;
  let out: TailPart & { omittedBytes?: number };
  let err: TailPart & { omittedBytes?: number };
  let cursorReset = false;
  if (bounds.since === undefined) {
    out = tailFile(paths.stdout, lines, bounds.maxBytes, masks, holes.stdout);
    err = tailFile(paths.stderr, lines, bounds.maxBytes, masks, holes.stderr);
  } else {
    const c = decodeCursor(bounds.since, jobId);
    // Past the end of a log, or from an earlier run: the logs were cleared since (X8), so the
    // offsets mean nothing now; start over rather than skip what the new run wrote.
    cursorReset = c.attempt !== attempt || c.stdout > logEnd(paths.stdout) || c.stderr > logEnd(paths.stderr);
    out = readSince(paths.stdout, cursorReset ? 0 : c.stdout, lines, bounds.maxBytes, masks, holes.stdout);
    err = readSince(paths.stderr, cursorReset ? 0 : c.stderr, lines, bounds.maxBytes, masks, holes.stderr);
  }
  const shown = view ? viewed(view, out, err, bounds.tailLines) : undefined;
  const snapshot: JobTails["snapshot"] = {
    stdout_tail: out.text,
    stderr_tail: err.text,
    truncated: out.truncated || err.truncated,
    encoding: "utf-8-lossy",
    stdout_observed_bytes: out.observedBytes,
    stderr_observed_bytes: err.observedBytes,
    stdout_included_bytes: out.includedBytes,
    stderr_included_bytes: err.includedBytes,
  };
  if (bounds.since !== undefined) {
    // X1 (and X9): new bytes skipped between the cursor and the text, dropped ranges included.
    snapshot.stdout_omitted_bytes = out.omittedBytes ?? 0;
    snapshot.stderr_omitted_bytes = err.omittedBytes ?? 0;
  } else if (out.droppedBytes > 0 || err.droppedBytes > 0) {
    // X9: from the end, the bytes the log cap dropped from the middle (only once it dropped some).
    snapshot.stdout_omitted_bytes = out.droppedBytes;
    snapshot.stderr_omitted_bytes = err.droppedBytes;
  }
  if (shown) Object.assign(snapshot, shown);
  const cursor = encodeCursor({ jobId, attempt, stdout: out.end, stderr: err.end });
  return { snapshot, cursor, cursorReset };
}

/**
 * Replaces both parts' text by `view` of it, then keeps the last `tailLines` lines of each (0 = all);
 * `truncated` also says when that bound cut a view. Returns the fields the view adds.
 */
function viewed(view: Exclude<ViewName, "raw">, out: TailPart, err: TailPart, tailLines: number): ViewFields {
  const v = applyView(view, out.text, err.text);
  const fields: ViewFields = {
    view,
    stdout_view_dropped_lines: v.stdoutDropped,
    stderr_view_dropped_lines: v.stderrDropped,
  };
  if (v.tests) fields.tests = v.tests;
  for (const [part, lines] of [
    [out, v.stdout],
    [err, v.stderr],
  ] as const) {
    const cut = tailLines > 0 && lines.length > tailLines;
    part.text = (cut ? lines.slice(lines.length - tailLines) : lines).join("\n");
    part.truncated ||= cut;
    part.includedBytes = Buffer.byteLength(part.text);
  }
  return fields;
}

/** Probes of what the log cap dropped from each stream (X9), read afresh at each call. */
function holeProbes(paths: JobPaths): { stdout: HoleProbe; stderr: HoleProbe } {
  return {
    stdout: () => readCapRecord(paths.logCap)?.stdout,
    stderr: () => readCapRecord(paths.logCap)?.stderr,
  };
}

/** The cursor at the current end of both logs, for responses that show no output (status). */
export function currentCursor(paths: JobPaths, jobId: string, attempt: number): string {
  return encodeCursor({ jobId, attempt, stdout: logEnd(paths.stdout), stderr: logEnd(paths.stderr) });
}
