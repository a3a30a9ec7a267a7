// Server-Sent Events (X11): one job's output as it is written (`/follow/{id}`), and the root's
// job events (`/events`). Pull-based streams: a chunk is read from disk only when the client has
// taken the previous one, so a slow client costs one chunk of memory and never slows a job (the
// job writes its own files); a client that goes away ends its stream.
import { type FSWatcher, readdirSync, readFileSync, statSync, watch } from "node:fs";
import type { Interrupt } from "../commands/context.ts";
import { attemptOf } from "../commands/job-output.ts";
import { decodeCursor, encodeCursor } from "../logs/cursor.ts";
import { logEnd, readSince } from "../logs/tail.ts";
import { tryReadState } from "../store/job-store.ts";
import { readMasks } from "../store/masks.ts";
import { observe } from "../store/observe.ts";
import { isValidIdArgument, type JobPaths, jobPaths } from "../store/paths.ts";
import { TERMINAL } from "../store/records.ts";

/** The most text one `output` event carries. */
const CHUNK = 64 * 1024;
/** The fallback poll when no file event arrives (and the liveness check of D8). */
const POLL_MS = 250;
/** A comment line this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

const enc = new TextEncoder();

/** One SSE frame. `id` lets a client resume with Last-Event-ID. */
export function sseFrame(event: string, data: unknown, id?: string): Uint8Array {
  const idLine = id === undefined ? "" : `id: ${id}\n`;
  return enc.encode(`event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`);
}

/** Response headers of every event stream. */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-store",
  "x-accel-buffering": "no",
};

/** Resolves when the job directory changes (a log write, a state rename) or after `ms`. */
function changeOrTimeout(dir: string, ms: number, stop: Interrupt): Promise<void> {
  return new Promise((resolve) => {
    let watcher: FSWatcher | undefined;
    const done = () => {
      clearTimeout(timer);
      watcher?.close();
      unlisten();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unlisten = stop.listen(done);
    try {
      watcher = watch(dir, { persistent: false }, done);
    } catch {
      // Polling alone still moves the stream on.
    }
  });
}

/**
 * The stream of one job (X11): `output` events for every chunk of new output, in order per
 * stream, each byte once (the event id is the cursor after it, so a client that reconnects with
 * Last-Event-ID, or `since`, misses nothing and sees nothing twice); `state` on every change of
 * state; `end` with the terminal answer (built by `terminal`), then the stream closes.
 */
export function followStream(
  paths: JobPaths,
  jobId: string,
  since: string | undefined,
  terminal: () => Promise<unknown>,
  stop: Interrupt,
): ReadableStream<Uint8Array> {
  const masks = readMasks(paths);
  let attempt = attemptOf(tryReadState(paths));
  let at = { stdout: 0, stderr: 0 };
  if (since !== undefined) {
    const c = decodeCursor(since, jobId);
    const fits = c.attempt === attempt && c.stdout <= logEnd(paths.stdout) && c.stderr <= logEnd(paths.stderr);
    if (fits) at = { stdout: c.stdout, stderr: c.stderr };
  }
  let lastState = "";
  let ended = false;
  let lastSent = Date.now();
  /** The next frames to send: new output first, then a state change, then the end. */
  const next = async (): Promise<Uint8Array[]> => {
    for (;;) {
      if (ended || stop.fired) return [];
      const state = observe(paths).state;
      if (attemptOf(state) !== attempt) {
        // Restarted (X8): the logs were cleared; follow the new run from its start.
        attempt = attemptOf(state);
        at = { stdout: 0, stderr: 0 };
      }
      const frames: Uint8Array[] = [];
      for (const stream of ["stdout", "stderr"] as const) {
        const part = readSince(paths[stream], at[stream], 0, CHUNK, masks);
        if (part.end > at[stream] || part.text !== "") {
          at[stream] = part.end;
          const cursor = encodeCursor({ jobId, attempt, ...at });
          frames.push(sseFrame("output", { stream, text: part.text, cursor }, cursor));
        }
      }
      if (frames.length > 0) return frames;
      if (state.job.status !== lastState) {
        lastState = state.job.status;
        frames.push(sseFrame("state", { job_id: jobId, state: state.job.status }));
      }
      if (TERMINAL.has(state.job.status)) {
        // Everything the job wrote was sent above (its logs are complete at its end).
        ended = true;
        frames.push(sseFrame("end", await terminal()));
        return frames;
      }
      if (frames.length > 0) return frames; // a state change alone
      if (Date.now() - lastSent > KEEPALIVE_MS) return [enc.encode(": keep-alive\n\n")];
      await changeOrTimeout(paths.dir, POLL_MS, stop);
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const frames = await next();
        if (frames.length === 0) return controller.close();
        for (const f of frames) controller.enqueue(f);
        lastSent = Date.now();
        if (ended) controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** What `/events` remembers of one job between two looks. */
interface Seen {
  status: string;
  matchOffset: number;
}

/**
 * The stream of the root's events (X11): `job.started` when a job starts, `job.finished` with the
 * event its supervisor wrote, `job.output.matched` for each output match (jobs with output
 * matching configured). It reports what happens after it opened; it looks at the root every
 * 250 ms, so it costs a directory listing per look, not a watch per job.
 */
export function eventsStream(root: string, stop: Interrupt): ReadableStream<Uint8Array> {
  const seen = new Map<string, Seen>();
  let primed = false;
  let lastSent = Date.now();
  const look = (): Uint8Array[] => {
    const frames: Uint8Array[] = [];
    let names: string[] = [];
    try {
      names = readdirSync(root).filter(isValidIdArgument);
    } catch {
      return frames;
    }
    for (const id of names) {
      const paths = jobPaths(root, id);
      const state = tryReadState(paths);
      if (!state) continue;
      const prev = seen.get(id);
      const matches = fileSize(paths.notificationEvents);
      const now: Seen = { status: state.job.status, matchOffset: prev?.matchOffset ?? (primed ? 0 : matches) };
      if (primed) {
        if (state.job.status === "running" && prev?.status !== "running" && !TERMINAL.has(prev?.status ?? "")) {
          frames.push(
            sseFrame("job.started", { event_type: "job.started", job_id: id, started_at: state.job.started_at }),
          );
        }
        if (matches > now.matchOffset) {
          // Whole lines only: a record being appended is taken on the next look.
          const bytes = readFrom(paths.notificationEvents, now.matchOffset);
          const complete = bytes.subarray(0, bytes.lastIndexOf(10) + 1);
          now.matchOffset += complete.length;
          for (const line of complete.toString("utf8").split("\n")) {
            if (line.trim() === "") continue;
            try {
              const { delivery_results: _drop, ...event } = JSON.parse(line);
              frames.push(sseFrame("job.output.matched", event));
            } catch {}
          }
        }
        if (TERMINAL.has(state.job.status) && !TERMINAL.has(prev?.status ?? "")) {
          const finished = readCompletion(paths);
          if (finished) frames.push(sseFrame("job.finished", finished));
          else now.status = prev?.status ?? "running"; // not written yet: look again next time
        }
      }
      seen.set(id, now);
    }
    primed = true;
    return frames;
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          if (stop.fired) return controller.close();
          const frames = look();
          if (frames.length > 0 || Date.now() - lastSent > KEEPALIVE_MS) {
            for (const f of frames) controller.enqueue(f);
            if (frames.length === 0) controller.enqueue(enc.encode(": keep-alive\n\n"));
            lastSent = Date.now();
            return;
          }
          await changeOrTimeout(root, POLL_MS, stop);
        }
      },
    },
    { highWaterMark: 0 },
  );
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path: string, offset: number): Buffer {
  try {
    return readFileSync(path).subarray(offset);
  } catch {
    return Buffer.alloc(0);
  }
}

/** The job.finished event its supervisor wrote, without the delivery results. */
function readCompletion(paths: JobPaths): Record<string, unknown> | undefined {
  try {
    const { delivery_results: _drop, ...event } = JSON.parse(readFileSync(paths.completionEvent, "utf8"));
    return event;
  } catch {
    return undefined;
  }
}
