// Server-Sent Events (X11): one job's output as it is written (`/follow/{id}`). Pull-based: a
// chunk is read from disk only when the client has taken the previous one, so a slow client costs
// one chunk of memory and never slows a job (the job writes its own files); a client that goes
// away, or a server that shuts down, ends its stream.
import { type FSWatcher, statSync, watch } from "node:fs";
import { createInterrupt, type Interrupt } from "../commands/context.ts";
import { attemptOf } from "../commands/job-output.ts";
import { decodeCursor, encodeCursor } from "../logs/cursor.ts";
import { logEnd } from "../logs/tail.ts";
import { tryReadState } from "../store/job-store.ts";
import { readMasks } from "../store/masks.ts";
import { observe } from "../store/observe.ts";
import type { JobPaths } from "../store/paths.ts";
import { TERMINAL } from "../store/records.ts";
import { sharedChunk } from "./shared-chunks.ts";

/** The most log bytes one `output` event carries: big enough to amortise a frame, small enough that 100 clients stay cheap. */
export const FOLLOW_CHUNK = 256 * 1024;
/** The fallback poll when no file event arrives (and the liveness check of D8). */
export const POLL_MS = 250;
/** A comment line this often keeps proxies (and the server's idle timeout) from closing a quiet stream. */
export const KEEPALIVE_MS = 15_000;

const enc = new TextEncoder();
/** A comment frame: ignored by clients, keeps the connection busy. */
export const KEEPALIVE_FRAME = enc.encode(": keep-alive\n\n");

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

/** Resolves when the directory changes (a log write, a state rename), `stop` fires, or after `ms`. */
export function changeOrTimeout(dir: string, ms: number, stop: Interrupt): Promise<void> {
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
 * A pull-based stream of frames: `next` is called only when the client has taken what was sent
 * (highWaterMark 0), returns the frames to send, or an empty list to close. `stop` fires when the
 * client cancels (goes away) or `outer` fires (the server shuts down).
 */
export function frameStream(
  outer: Interrupt,
  next: (stop: Interrupt) => Promise<Uint8Array[]>,
): ReadableStream<Uint8Array> {
  const { interrupt: stop, fire } = createInterrupt();
  const unlisten = outer.listen(fire);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const frames = stop.fired ? [] : await next(stop);
        // The client may have left while we waited: a cancelled stream takes nothing more.
        if (stop.fired && frames.length > 0) return;
        if (frames.length === 0) {
          unlisten();
          return controller.close();
        }
        for (const f of frames) controller.enqueue(f);
      },
      cancel() {
        unlisten();
        fire();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Checks a `since` cursor (or Last-Event-ID) for job `jobId` before any stream starts: a foreign or
 * malformed cursor is a usage error naming it (X1). Returns where to start, and whether the cursor
 * pointed past the current logs (the job was restarted: start over, `cursor_reset`).
 */
export function followStart(
  paths: JobPaths,
  jobId: string,
  since: string | undefined,
): { at: { stdout: number; stderr: number }; reset: boolean } {
  if (since === undefined) return { at: { stdout: 0, stderr: 0 }, reset: false };
  const c = decodeCursor(since, jobId);
  const attempt = attemptOf(tryReadState(paths));
  const fits = c.attempt === attempt && c.stdout <= logEnd(paths.stdout) && c.stderr <= logEnd(paths.stderr);
  return fits
    ? { at: { stdout: c.stdout, stderr: c.stderr }, reset: false }
    : { at: { stdout: 0, stderr: 0 }, reset: true };
}

/** What identifies the current state.json: it is replaced (a new inode) on every change. */
function stateStamp(paths: JobPaths): string {
  try {
    const st = statSync(paths.state);
    return `${st.ino}:${st.mtimeMs}`;
  } catch {
    return "";
  }
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
  start: { at: { stdout: number; stderr: number }; reset: boolean },
  terminal: () => Promise<unknown>,
  outer: Interrupt,
): ReadableStream<Uint8Array> {
  let masks = readMasks(paths);
  let attempt = attemptOf(tryReadState(paths));
  let at = { ...start.at };
  let reset = start.reset;
  let lastState = "";
  let ended = false;
  let lastSent = Date.now();
  let lastStamp = "";
  /** Frames of the new output of both streams (`final`: the job has ended, take every byte). */
  const output = (final: boolean): Uint8Array[] => {
    const frames: Uint8Array[] = [];
    for (const stream of ["stdout", "stderr"] as const) {
      const chunk = sharedChunk(paths[stream], attempt, at[stream], FOLLOW_CHUNK, masks, final);
      if (!chunk) continue;
      at[stream] = chunk.end;
      const cursor = encodeCursor({ jobId, attempt, ...at });
      // The frame `sseFrame("output", { stream, text, cursor }, cursor)` would make, around the
      // shared escaped text: three pieces, the middle one never copied.
      const extra = reset ? ',"cursor_reset":true' : "";
      reset = false;
      frames.push(
        enc.encode(`event: output\nid: ${cursor}\ndata: {"stream":"${stream}","text":`),
        chunk.body,
        enc.encode(`,"cursor":"${cursor}"${extra}}\n\n`),
      );
    }
    return frames;
  };
  return frameStream(outer, async (stop) => {
    for (;;) {
      if (ended || stop.fired) return [];
      // While output is pending and state.json was not replaced, read on without looking at the
      // state: a look (parsing it, the supervisor's liveness) costs more than a chunk does. A
      // restart replaces state.json before its run writes a byte, so a new run's output is never
      // read at the old run's offsets.
      const stamp = stateStamp(paths);
      if (stamp === lastStamp) {
        const pending = output(false);
        if (pending.length > 0) {
          lastSent = Date.now();
          return pending;
        }
      }
      lastStamp = stamp;
      // Caught up: the state, then the logs once more; a job seen terminal here has written all
      // it will write, so what this read leaves is nothing.
      const state = observe(paths).state;
      if (attemptOf(state) !== attempt) {
        // Restarted (X8): the logs were cleared; follow the new run from its start.
        attempt = attemptOf(state);
        at = { stdout: 0, stderr: 0 };
        masks = readMasks(paths);
        reset = true;
      }
      const final = TERMINAL.has(state.job.status);
      const frames: Uint8Array[] = [];
      if (state.job.status !== lastState) {
        lastState = state.job.status;
        frames.push(sseFrame("state", { job_id: jobId, state: state.job.status, attempt }));
      }
      frames.push(...output(final));
      if (frames.length === 0 && final) {
        ended = true;
        frames.push(sseFrame("end", await terminal()));
      }
      if (frames.length > 0 || Date.now() - lastSent >= KEEPALIVE_MS) {
        lastSent = Date.now();
        return frames.length > 0 ? frames : [KEEPALIVE_FRAME];
      }
      await changeOrTimeout(paths.dir, POLL_MS, stop);
    }
  });
}
