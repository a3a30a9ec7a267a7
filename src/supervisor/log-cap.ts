// Keeps each log within its cap (X9): the first half and a rolling last half stay, the middle is
// punched out of the file, and the dropped range is published for readers in the job's log_cap.
//
// The job keeps writing its own files (D8) and is never paused: the supervisor only watches the
// sizes and frees blocks behind the writer. How far a burst can run ahead of the punching is the
// price of not slowing the job; the timer speeds up with the write rate to keep that small.
import { closeSync, fstatSync, openSync, unlinkSync } from "node:fs";
import { type CapRecord, type Hole, writeCapRecord } from "../logs/cap-record.ts";
import { isPermanent, loadPuncher, type Puncher, UNSUPPORTED } from "./punch.ts";

/** Punch in whole 4 KiB blocks: a partial block would be zeroed but stay allocated. */
const BLOCK = 4096;
/** The most the kept tail may exceed half the cap before the next punch. */
const MAX_STEP = 256 << 10;
/** Shortest and longest pause between size checks. */
const MIN_INTERVAL_MS = 2;
const MAX_INTERVAL_MS = 250;

/** The size of an open file, 0 when it cannot be told. */
function sizeOf(fd: number): number {
  try {
    return fstatSync(fd).size;
  } catch {
    return 0;
  }
}

/** The dropped range of one file and the arithmetic of when to grow it. */
export class FileCap {
  /** The first `head` bytes are kept for good. */
  readonly head: number;
  /** Bytes before this offset (and from `head` on) are dropped. */
  end: number;
  /** Set after a punch failed for good (no support): the file is left whole from then on. */
  disabled = false;
  private readonly step: number;

  constructor(cap: number) {
    this.head = Math.floor(cap / 2);
    this.end = this.head;
    this.step = Math.min(MAX_STEP, Math.max(BLOCK, Math.floor(cap / 64)));
  }

  /**
   * Where the dropped range should end for a file of `size` bytes, or undefined when it need not
   * grow yet. The kept tail is the last `head` bytes, rounded up to a block boundary.
   */
  plan(size: number): number | undefined {
    if (this.disabled) return undefined;
    const target = Math.floor((size - this.head) / BLOCK) * BLOCK;
    return target > this.head && target - this.end >= this.step ? target : undefined;
  }

  /** The file size at which plan() will next ask for a punch. */
  due(): number {
    return this.disabled
      ? Number.POSITIVE_INFINITY
      : Math.max(this.end + this.step, this.head + BLOCK) + this.head + BLOCK;
  }

  /** The dropped range, once something was dropped. */
  hole(): Hole | undefined {
    return this.end > this.head ? { start: this.head, end: this.end } : undefined;
  }
}

/** Why a punch failed, told once to the supervisor's diagnostics. */
export type CapDiag = (message: string) => void;

/**
 * Loads the puncher on first use. Until it is loaded, or where it cannot punch, nothing is
 * dropped: the log stays whole (the safe side: no output is lost, the disk bound does not hold).
 */
class PunchAccess {
  private puncher: Puncher | undefined;
  private loading: Promise<Puncher> | undefined;
  private readonly loader: () => Promise<Puncher>;

  constructor(loader: () => Promise<Puncher>) {
    this.loader = loader;
  }

  /** The puncher if loaded; otherwise starts loading it and answers undefined. */
  get(): Puncher | undefined {
    void this.load();
    return this.puncher;
  }

  /** Loads the puncher (once). */
  load(): Promise<Puncher> {
    this.loading ??= this.loader().then(
      (p) => (this.puncher = p),
      () => (this.puncher = () => UNSUPPORTED),
    );
    return this.loading;
  }
}

/** One followed log: its descriptor (open for writing: fallocate needs it) and its cap. */
interface Stream {
  name: "stdout" | "stderr";
  fd: number;
  cap: FileCap;
  lastSize: number;
  /** The size at the last timer tick (the write rate is measured between ticks). */
  tickSize: number;
  /** A failed punch was told in the diagnostics already. */
  warned?: boolean;
}

/** Enforces the cap on stdout.log and stderr.log, and offers the same to full.log. */
export class LogCap {
  readonly cap: number;
  private readonly streams: Stream[] = [];
  private readonly recordPath: string;
  private recordFd: number | undefined;
  private readonly punch: PunchAccess;
  private readonly diag: CapDiag;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private interval = MIN_INTERVAL_MS;
  private lastCheck = 0;
  private stopped = false;
  private closed = false;
  private full: FullLogCap | undefined;

  /** `loader` gives the puncher (tests pass their own; the default is this platform's). */
  constructor(
    paths: { stdout: string; stderr: string; logCap: string },
    cap: number,
    diag: CapDiag,
    loader: () => Promise<Puncher> = loadPuncher,
  ) {
    this.cap = cap;
    this.punch = new PunchAccess(loader);
    this.recordPath = paths.logCap;
    this.diag = diag;
    // A record of an earlier run (restart, X8) describes logs that were cleared since.
    try {
      unlinkSync(paths.logCap);
    } catch {}
    if (cap <= 0) return;
    for (const name of ["stdout", "stderr"] as const) {
      try {
        this.streams.push({ name, fd: openSync(paths[name], "r+"), cap: new FileCap(cap), lastSize: 0, tickSize: 0 });
      } catch (err) {
        diag(`log cap: cannot open ${paths[name]}: ${String(err)}; that log is not bounded`);
      }
    }
  }

  /** Starts watching the sizes. */
  start(): void {
    if (this.streams.length === 0) return;
    this.lastCheck = performance.now();
    this.timer = setTimeout(() => this.tick(), MIN_INTERVAL_MS);
  }

  /** The range dropped from `stream` so far (for the supervisor's own reader of the logs). */
  hole(stream: "stdout" | "stderr"): Hole | undefined {
    return this.streams.find((s) => s.name === stream)?.cap.hole();
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = performance.now();
    const elapsed = Math.max(1, now - this.lastCheck);
    this.lastCheck = now;
    this.check();
    // Check again about when the first stream, at its current rate, reaches its next punch: a
    // 1 GiB cap on a small log costs a few checks a second, a log at its cap is followed closely.
    let wait = Number.POSITIVE_INFINITY;
    for (const s of this.streams) {
      const rate = (s.lastSize - s.tickSize) / elapsed;
      s.tickSize = s.lastSize;
      if (rate > 0) wait = Math.min(wait, Math.max(0, s.cap.due() - s.lastSize) / rate);
    }
    this.interval = Number.isFinite(wait)
      ? Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, wait))
      : Math.min(MAX_INTERVAL_MS, this.interval * 2);
    this.timer = setTimeout(() => this.tick(), this.interval);
  }

  /** Drops what is due on each stream now (nothing once stopped: the descriptors are closed). */
  check(): void {
    if (this.closed) return;
    for (const s of this.streams) {
      let size: number;
      try {
        size = fstatSync(s.fd).size;
      } catch {
        continue;
      }
      s.lastSize = size;
      const target = s.cap.plan(size);
      if (target === undefined) continue;
      const punch = this.punch.get();
      if (!punch) continue;
      const from = s.cap.end;
      // Publish first, then punch: a reader that saw the old record re-reads it after its read
      // and notices the range grew into what it read (logs/tail.ts).
      s.cap.end = target;
      this.publish();
      const errno = punch(s.fd, from, target - from);
      if (errno !== 0) {
        // Nothing was dropped: say so again. Where holes cannot be made the log stays whole
        // (no output lost, the disk bound does not hold); any other failure is tried again.
        s.cap.end = from;
        s.cap.disabled = isPermanent(errno);
        this.publish();
        if (s.cap.disabled || !s.warned) {
          s.warned = true;
          this.diag(
            `log cap: cannot punch holes in ${s.name}.log (errno ${errno})${s.cap.disabled ? "; it is kept whole from here on" : ""}`,
          );
        }
      }
    }
  }

  private publish(): void {
    const none = { start: 0, end: 0 };
    const rec: CapRecord = { stdout: this.hole("stdout") ?? none, stderr: this.hole("stderr") ?? none };
    try {
      this.recordFd ??= openSync(this.recordPath, "w", 0o600);
      writeCapRecord(this.recordFd, rec);
    } catch (err) {
      this.diag(`log cap: cannot write ${this.recordPath}: ${String(err)}`);
    }
  }

  /** A cap for full.log, which the supervisor writes itself (undefined without a cap). */
  fullLog(fd: number): FullLogCap | undefined {
    if (this.cap > 0) this.full = new FullLogCap(fd, this.cap, this.punch, this.diag);
    return this.full;
  }

  /** Settles once full.log is within its cap too (call after its last write). */
  async settled(): Promise<void> {
    await this.full?.pending;
  }

  /** A last check (the job's root process ended), then no more. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // A job that passed its cap between two checks must still end within it: load the puncher
    // if that is what the last check would wait for.
    if (this.streams.some((s) => s.cap.plan(sizeOf(s.fd)) !== undefined)) await this.punch.load();
    this.check();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.streams) closeSync(s.fd);
    if (this.recordFd !== undefined) closeSync(this.recordFd);
  }
}

/** full.log: the supervisor writes it, so the cap is applied right after each write. */
export class FullLogCap {
  private readonly fd: number;
  private readonly cap: FileCap;
  private readonly punch: PunchAccess;
  private readonly diag: CapDiag;
  private size: number;
  /** Set while a punch waits for the puncher to load. */
  pending: Promise<void> | undefined;

  constructor(fd: number, cap: number, punch: PunchAccess, diag: CapDiag) {
    this.fd = fd;
    this.cap = new FileCap(cap);
    this.punch = punch;
    this.diag = diag;
    let size = 0;
    try {
      size = fstatSync(fd).size;
    } catch {}
    this.size = size;
  }

  /** Called after `n` more bytes were appended. */
  wrote(n: number): void {
    this.size += n;
    const target = this.cap.plan(this.size);
    if (target === undefined) return;
    const punch = this.punch.get();
    if (!punch) {
      // The last writes may come before the puncher is there: punch once it is.
      this.pending ??= this.punch.load().then(() => {
        this.pending = undefined;
        this.wrote(0);
      });
      return;
    }
    const errno = punch(this.fd, this.cap.end, target - this.cap.end);
    if (errno === 0) this.cap.end = target;
    else if (isPermanent(errno)) {
      this.cap.disabled = true;
      this.diag(`log cap: cannot punch holes in full.log (errno ${errno}); it is kept whole from here on`);
    }
  }
}
