// Waits for a job to reach a terminal state, or a readiness condition (X2): woken by file events,
// with a poll as fallback (D21).
import { type FSWatcher, watch } from "node:fs";
import { dirname } from "node:path";
import type { Interrupt } from "../commands/context.ts";
import { nudgeQueue } from "../queue/nudge.ts";
import { type Observed, observe } from "../store/observe.ts";
import type { JobPaths } from "../store/paths.ts";
import { TERMINAL } from "../store/records.ts";
import { type LineScanner, probeOnce, type Readiness, type ReadyBy } from "./readiness.ts";
import { monoMs } from "./time.ts";
import { clampDelay } from "./timer.ts";

/** How a wait ended. */
export interface WaitOutcome {
  observed: Observed;
  /** true when the job is terminal; false when readiness, the deadline or an interrupt came first. */
  terminal: boolean;
  /** Set when a readiness condition held (before or at the end). */
  readyBy?: ReadyBy;
}

/** What a wait may also stop for, besides the job's end. */
export interface ReadyWatch {
  readiness: Readiness;
  /** Set when `readiness.match` is: scans the logs incrementally. */
  scanner?: LineScanner;
}

/** Port and file conditions have no events to wake on: they are probed at least this often. */
const PROBE_MS = 50;

/**
 * Observes the job until it is terminal, a readiness condition holds, `timeoutMs` elapses (0 = no
 * limit) or `interrupt` fires. state.json is replaced by rename, which inotify/FSEvents report on
 * the directory at once; with a line to match, writes to the logs wake the wait too, so a matching
 * line is seen within milliseconds. The poll (at least 1 ms) covers platforms without events and
 * the liveness check that turns a dead supervisor into a terminal state (D8), so no wait is endless.
 */
export async function waitForTerminal(
  paths: JobPaths,
  opts: { timeoutMs: number; pollMs: number; interrupt?: Interrupt; ready?: ReadyWatch },
): Promise<WaitOutcome> {
  const deadline = opts.timeoutMs > 0 ? monoMs() + opts.timeoutMs : Number.POSITIVE_INFINITY;
  const ready = opts.ready;
  const probes = ready && (ready.readiness.port !== undefined || ready.readiness.file !== undefined);
  const pollMs = Math.max(1, probes ? Math.min(opts.pollMs, PROBE_MS) : opts.pollMs);
  let wake: (() => void) | undefined;
  let woken = false;
  let watcher: FSWatcher | undefined;
  let interrupted = false;
  const unlisten = opts.interrupt?.listen(() => {
    interrupted = true;
    wake?.();
  });
  const logs = ready?.scanner ? new Set(["stdout.log", "stderr.log"]) : undefined;
  try {
    // Only the rename that replaces state.json matters, and the logs when a line is awaited: the
    // job's own log writes must not wake a plain wait for every line it prints.
    watcher = watch(paths.dir, { persistent: false }, (_event, name) => {
      if (name === null || name === undefined || name === "state.json" || logs?.has(name)) {
        woken = true;
        wake?.();
      }
    });
  } catch {
    watcher = undefined; // Polling alone still ends the wait.
  }
  try {
    for (;;) {
      woken = false;
      let observed = observe(paths);
      if (observed.state.job.status === "queued") {
        // Waiting on a queued job: start it if its slot is free (its queue may have no live
        // supervisor left to do it, X10).
        await nudgeQueue(dirname(paths.dir));
        observed = observe(paths);
      }
      const terminal = TERMINAL.has(observed.state.job.status);
      if (ready) {
        // At the end, the last unterminated line counts too, and a line printed just before the
        // exit still makes the job ready: the caller learns both.
        const readyBy = ready.scanner?.scan(terminal) ?? (probes ? await probeOnce(ready.readiness) : undefined);
        if (readyBy) return { observed, terminal, readyBy };
      }
      if (terminal) return { observed, terminal: true };
      const left = deadline - monoMs();
      if (left <= 0 || interrupted) return { observed, terminal: false };
      if (woken) continue; // an event arrived while we looked: look again at once
      await new Promise<void>((resolve) => {
        // clampDelay: a poll or deadline past 2^31−1 ms must not fire at once (D29).
        const timer = setTimeout(done, clampDelay(Math.min(pollMs, left)));
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    }
  } finally {
    watcher?.close();
    unlisten?.();
  }
}
