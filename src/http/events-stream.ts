// Server-Sent Events of the whole root (X11, `/events`): job.started, job.output.matched and
// job.finished, from what the store holds; no daemon, no watch per job.
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import type { Interrupt } from "../commands/context.ts";
import { attemptOf } from "../commands/job-output.ts";
import { parseTimestamp } from "../core/time.ts";
import { tryReadState } from "../store/job-store.ts";
import { reconcile } from "../store/observe.ts";
import { isValidIdArgument, type JobPaths, jobPaths } from "../store/paths.ts";
import { type StateRecord, TERMINAL } from "../store/records.ts";
import { changeOrTimeout, frameStream, KEEPALIVE_FRAME, KEEPALIVE_MS, POLL_MS, sseFrame } from "./sse.ts";

/** What `/events` remembers of one job between two looks. */
interface Seen {
  /** The job directory's mtime: state.json is replaced by rename, which changes it. */
  mtime: number;
  status: string;
  attempt: number;
  started: boolean;
  finished: boolean;
  matchOffset: number;
}

/** A terminal job whose supervisor wrote no completion event after this long gets one made from its state. */
const COMPLETION_GRACE_MS = 2000;
/** Directory times are coarse (a clock tick): a directory changed this recently is read again. */
const MTIME_SLACK_MS = 1000;

/**
 * The stream of the root's events (X11): `job.started` when a job starts (also a job that started
 * and ended between two looks), `job.finished` with the event its supervisor wrote,
 * `job.output.matched` for each output match. It reports what happens after it opened. It looks
 * every 250 ms (sooner when a job directory is added): a directory listing and one stat per job;
 * a job's files are read only when its directory changed, or while it runs.
 */
export function eventsStream(root: string, outer: Interrupt): ReadableStream<Uint8Array> {
  const seen = new Map<string, Seen>();
  let primed = false;
  let lastSent = Date.now();
  const look = (): Uint8Array[] => {
    const frames: Uint8Array[] = [];
    let names: string[];
    try {
      names = readdirSync(root).filter(isValidIdArgument);
    } catch {
      return frames;
    }
    const now = Date.now();
    for (const id of names) {
      const paths = jobPaths(root, id);
      let mtime: number;
      try {
        mtime = statSync(paths.dir).mtimeMs;
      } catch {
        continue; // deleted meanwhile
      }
      const prev = seen.get(id);
      const quiet = prev && prev.mtime === mtime && now - mtime > MTIME_SLACK_MS;
      if (quiet && prev.status !== "running" && (prev.finished || !TERMINAL.has(prev.status))) continue;
      const raw = tryReadState(paths);
      if (!raw) continue;
      const state = raw.job.status === "running" ? reconcile(paths, raw).state : raw;
      const next = step(paths, state, prev, primed, mtime, frames);
      seen.set(id, next);
    }
    const present = new Set(names);
    for (const id of seen.keys()) if (!present.has(id)) seen.delete(id);
    primed = true;
    return frames;
  };
  // What is there when the client connects is the baseline, not whenever it first reads.
  look();
  return frameStream(outer, async (stop) => {
    for (;;) {
      if (stop.fired) return [];
      const frames = look();
      if (frames.length > 0 || Date.now() - lastSent >= KEEPALIVE_MS) {
        lastSent = Date.now();
        return frames.length > 0 ? frames : [KEEPALIVE_FRAME];
      }
      await changeOrTimeout(root, POLL_MS, stop);
    }
  });
}

/** The events of one job since the last look (appended to `frames`), and what to remember of it. */
function step(
  paths: JobPaths,
  state: StateRecord,
  prev: Seen | undefined,
  primed: boolean,
  mtime: number,
  frames: Uint8Array[],
): Seen {
  const id = state.job.id;
  const attempt = attemptOf(state);
  const rerun = prev !== undefined && prev.attempt !== attempt;
  const started = state.job.started_at !== undefined && state.job.status !== "created";
  const terminal = TERMINAL.has(state.job.status);
  const matches = fileSize(paths.notificationEvents);
  if (!primed) {
    // What happened before the stream opened is not news.
    return { mtime, status: state.job.status, attempt, started, finished: terminal, matchOffset: matches };
  }
  const next: Seen = {
    mtime,
    status: state.job.status,
    attempt,
    started: rerun ? false : (prev?.started ?? false),
    finished: rerun ? false : (prev?.finished ?? false),
    // A restart starts its notification file over; a new job's whole file is news.
    matchOffset: rerun || matches < (prev?.matchOffset ?? 0) ? 0 : (prev?.matchOffset ?? 0),
  };
  if (started && !next.started) {
    next.started = true;
    frames.push(
      sseFrame("job.started", {
        event_type: "job.started",
        job_id: id,
        started_at: state.job.started_at,
        ...(state.attempt === undefined ? {} : { attempt }),
      }),
    );
  }
  if (matches > next.matchOffset) {
    // Whole lines only: a record being appended is taken on the next look.
    const bytes = readFrom(paths.notificationEvents, next.matchOffset, matches);
    const complete = bytes.subarray(0, bytes.lastIndexOf(10) + 1);
    next.matchOffset += complete.length;
    for (const line of complete.toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      try {
        const { delivery_results: _drop, ...event } = JSON.parse(line);
        if (event.event_type === "job.output.matched") frames.push(sseFrame("job.output.matched", event));
      } catch {}
    }
  }
  if (terminal && !next.finished) {
    const finished = readCompletion(paths, state);
    if (finished) {
      next.finished = true;
      frames.push(sseFrame("job.finished", finished));
    }
  }
  return next;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Bytes [from, to) of a file (fewer if it shrank). */
function readFrom(path: string, from: number, to: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const buf = Buffer.allocUnsafe(Math.max(0, to - from));
    const n = readSync(fd, buf, 0, buf.length, from);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * The job.finished event of this run: the one its supervisor wrote (without the delivery
 * results), once it matches the recorded end; made from the state when none came within a grace
 * (a supervisor that was lost writes none).
 */
function readCompletion(paths: JobPaths, state: StateRecord): Record<string, unknown> | undefined {
  try {
    const { delivery_results: _drop, ...event } = JSON.parse(readFileSync(paths.completionEvent, "utf8"));
    if (event.finished_at === state.finished_at) return event;
  } catch {}
  if (!(Date.now() - parseTimestamp(state.finished_at ?? state.updated_at) > COMPLETION_GRACE_MS)) return undefined;
  const r = state.result;
  return {
    schema_version: "0.1",
    event_type: "job.finished",
    job_id: state.job.id,
    state: state.job.status,
    ...(state.job.started_at === undefined ? {} : { started_at: state.job.started_at }),
    ...(state.finished_at === undefined ? {} : { finished_at: state.finished_at }),
    ...(r.duration_ms === null ? {} : { duration_ms: r.duration_ms }),
    ...(r.exit_code === null ? {} : { exit_code: r.exit_code }),
    ...(r.signal === null ? {} : { signal: r.signal }),
    ...(state.reason === undefined ? {} : { reason: state.reason }),
    stdout_log_path: paths.stdout,
    stderr_log_path: paths.stderr,
  };
}
