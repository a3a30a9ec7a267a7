// Waits for a job to reach a terminal state: woken by file events, with a poll as fallback (D21).
import { type FSWatcher, watch } from "node:fs";
import type { Interrupt } from "../commands/context.ts";
import { type Observed, observe } from "../store/observe.ts";
import type { JobPaths } from "../store/paths.ts";
import { TERMINAL } from "../store/records.ts";
import { monoMs } from "./time.ts";
import { clampDelay } from "./timer.ts";

/** How a wait ended. */
export interface WaitOutcome {
  observed: Observed;
  /** true when the job is terminal; false when the deadline or an interrupt came first. */
  terminal: boolean;
}

/**
 * Observes the job until it is terminal, `timeoutMs` elapses (0 = no limit) or `interrupted`
 * settles. state.json is replaced by rename, which inotify/FSEvents report on the directory at
 * once; the poll (at least 1 ms) only covers platforms without events and the liveness check
 * that turns a dead supervisor into a terminal state (D8), so no wait is endless.
 */
export async function waitForTerminal(
  paths: JobPaths,
  opts: { timeoutMs: number; pollMs: number; interrupt?: Interrupt },
): Promise<WaitOutcome> {
  const deadline = opts.timeoutMs > 0 ? monoMs() + opts.timeoutMs : Number.POSITIVE_INFINITY;
  const pollMs = Math.max(1, opts.pollMs);
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  let interrupted = false;
  const unlisten = opts.interrupt?.listen(() => {
    interrupted = true;
    wake?.();
  });
  try {
    // Only the rename that replaces state.json matters: the job's own log writes land in the
    // same directory and must not wake us for every line it prints.
    watcher = watch(paths.dir, { persistent: false }, (_event, name) => {
      if (name === null || name === undefined || name === "state.json") wake?.();
    });
  } catch {
    watcher = undefined; // Polling alone still ends the wait.
  }
  try {
    for (;;) {
      const observed = observe(paths);
      if (TERMINAL.has(observed.state.job.status)) return { observed, terminal: true };
      const left = deadline - monoMs();
      if (left <= 0 || interrupted) return { observed, terminal: false };
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
