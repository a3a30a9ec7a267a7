// Drives the two LineCaptures on a timer: gently while the job runs, at full speed after it exits.
//
// Why a timer and not inotify: an inotify watch on the log makes every write(2) of the job queue
// an event and wake us, which slowed a job writing 1 GiB by more than half (measured, P8). Polling
// with an adaptive interval costs two reads per tick when idle and nothing per write.
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type { Notifier } from "../notify/notifier.ts";
import { LineCapture } from "./capture.ts";
import type { LogCap } from "./log-cap.ts";

/** Shortest and longest pause between reads while the job runs. */
const MIN_INTERVAL_MS = 25;
const MAX_INTERVAL_MS = 250;
/** At most this many bytes per stream per tick while the job runs, so a burst never starves it. */
const RUNNING_SLICE = 2 << 20;
/** After the exit, read in slices of this size, yielding between them to timers and signals. */
const CATCH_UP_SLICE = 4 << 20;

/** Follows stdout.log and stderr.log into full.log and feeds output matching. */
export class LogFollower {
  private readonly caps: LineCapture[];
  private readonly fullFd: number;
  private readonly notifier: Notifier;
  private readonly onLine: Notifier["onLine"];
  private interval = MIN_INTERVAL_MS;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private childGone = false;
  /** The size of each log when the job's root process exited. */
  private endAt: number[] = [];
  private closed = false;
  private resolveCaughtUp!: () => void;
  /** Why full.log could not be opened, if it could not. */
  fullLogError: unknown;
  /** Told about a failed read or write (e.g. ENOSPC on full.log); following goes on. */
  onError: ((err: unknown) => void) | undefined;
  /** Settles once everything written before the exit has been read (after exited()). */
  readonly caughtUp: Promise<void>;

  constructor(stdoutPath: string, stderrPath: string, fullPath: string, notifier: Notifier, logCap?: LogCap) {
    let fd: number;
    let fullCap: ReturnType<LogCap["fullLog"]>;
    try {
      mkdirSync(dirname(fullPath), { recursive: true });
      fd = openSync(fullPath, "a", 0o600);
      fullCap = logCap?.fullLog(fd);
    } catch (err) {
      // full.log cannot be written (a vanished --log directory): follow anyway, for matching.
      this.fullLogError = err;
      fd = openSync("/dev/null", "a");
    }
    this.fullFd = fd;
    this.caps = [
      new LineCapture(stdoutPath, "stdout", this.fullFd),
      new LineCapture(stderrPath, "stderr", this.fullFd),
    ];
    for (const c of this.caps) {
      c.fullCap = fullCap;
      if (logCap) {
        c.dropped = () => logCap.hole(c.stream);
        c.between = () => logCap.check();
      }
    }
    this.notifier = notifier;
    this.onLine = notifier.onLine.bind(notifier);
    this.caughtUp = new Promise((r) => (this.resolveCaughtUp = r));
    this.timer = setTimeout(() => this.tick(), 0);
  }

  /** Reads what each log has, up to `slice` bytes each; returns the bytes read. */
  private pumpAll(slice: number): number {
    // Settings may change while the job runs (notify set): look before each read.
    this.notifier.refresh();
    const listener = this.notifier.matching ? this.onLine : undefined;
    let n = 0;
    for (const c of this.caps) {
      c.listener = listener;
      n += c.pump(slice);
    }
    return n;
  }

  /** pumpAll that survives a failing disk: full.log is derived, the job's own logs are what count. */
  private safePump(slice: number): number {
    try {
      return this.pumpAll(slice);
    } catch (err) {
      this.onError?.(err);
      return 0;
    }
  }

  private tick(): void {
    this.timer = undefined;
    if (this.closed) return;
    if (this.childGone) {
      // Catch up with what was written before the exit only: a descendant that keeps writing
      // must not keep the end (and job.finished) waiting. Small slices keep timers responsive.
      const left = this.caps.reduce((n, c, i) => n + Math.max(0, (this.endAt[i] ?? 0) - c.position), 0);
      if (left > 0 && this.safePump(Math.min(CATCH_UP_SLICE, left)) > 0) this.timer = setTimeout(() => this.tick(), 0);
      else this.resolveCaughtUp();
      return;
    }
    const n = this.safePump(RUNNING_SLICE);
    this.interval = n > 0 ? MIN_INTERVAL_MS : Math.min(this.interval * 2, MAX_INTERVAL_MS);
    this.timer = setTimeout(() => this.tick(), this.interval);
  }

  /** The job's root process is gone: catch up with everything it wrote, as fast as we can. */
  exited(): void {
    this.childGone = true;
    this.endAt = this.caps.map((c) => c.size());
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), 0);
  }

  /** Emits the trailing partial lines and closes full.log (call after caughtUp). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.notifier.refresh();
    for (const c of this.caps) {
      c.listener = this.notifier.matching ? this.onLine : undefined;
      try {
        c.finish();
      } catch (err) {
        this.onError?.(err);
      }
    }
    closeSync(this.fullFd);
  }
}
