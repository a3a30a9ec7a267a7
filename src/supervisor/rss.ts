// The peak memory of a job's root process (X3), corrected for what rusage inherits from us.
//
// Why not wait4's max RSS alone: Bun spawns with vfork, so until exec the child shares the
// supervisor's memory, and the kernel carries that memory's high-water mark across exec into the
// child's rusage. A job smaller than the supervisor (most shells and small tools) would report the
// supervisor's ~30 MB. /proc/<pid>/status VmHWM belongs to the process's own memory since its last
// exec, so sampling it gives the real peak of the root process.
import { readFileSync } from "node:fs";

/** When the root process's VmHWM is sampled: soon after the spawn (short jobs), then every 200 ms. */
const FIRST_SAMPLES_MS = [2, 10, 30, 80];
const SAMPLE_MS = 200;

/** The Name and VmHWM (KiB) of a process, or undefined when unknown (not Linux, or gone). */
function memOf(pid: number | "self"): { name: string; hwmKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "latin1");
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    const name = /^Name:\s*(.*)$/m.exec(status);
    return hwm && name ? { name: name[1] as string, hwmKb: Number(hwm[1]) } : undefined;
  } catch {
    return undefined;
  }
}

/** Samples the root process's peak memory from its spawn to its exit. */
export class RssWatch {
  private peakKb = 0;
  /** What the child inherited in its rusage: our own peak when it was spawned. */
  private readonly inheritedKb: number;
  private readonly ownName: string;
  private readonly timers: ReturnType<typeof setTimeout>[] = [];
  private pid: number;

  constructor(pid: number) {
    this.pid = pid;
    const own = memOf("self");
    this.inheritedKb = own?.hwmKb ?? 0;
    this.ownName = own?.name ?? "";
    for (const ms of FIRST_SAMPLES_MS) this.timers.push(setTimeout(() => this.sample(), ms));
    this.timers.push(setInterval(() => this.sample(), SAMPLE_MS));
  }

  private sample(): void {
    const m = memOf(this.pid);
    // Still our name: the child has not exec'd yet and its memory is still ours.
    if (m && m.name !== this.ownName) this.peakKb = Math.max(this.peakKb, m.hwmKb);
  }

  /** Samples `pid` from now on (the command, once its waiting parent forked it). */
  follow(pid: number): void {
    this.pid = pid;
    this.sample();
  }

  /** Stops sampling; call once the child has exited. */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  /**
   * The peak to report, given wait4's value in KiB. Above what it inherited from us, wait4's value
   * is a real peak of the job (its root or a child it waited for); at or below it, only the sampled
   * peak is known, and none for a job too short to be sampled.
   */
  maxRssKb(rusageKb: number): number | undefined {
    if (rusageKb > this.inheritedKb) return rusageKb;
    return this.peakKb > 0 ? this.peakKb : undefined;
  }
}
