// Timed process runs and what /proc tells about a process (liveness, CPU time, memory, lineage).
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface Ran {
  ms: number;
  /** CPU of the process and the descendants it waited for (getrusage), in ms. */
  cpuMs?: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv to completion and returns its whole-process wall time (spawn to reaped). */
export function timed(argv: string[], env: Record<string, string>, timeoutMs = 120_000): Ran {
  const t0 = performance.now();
  const r = Bun.spawnSync(argv, { env, stdout: "pipe", stderr: "pipe", stdin: "ignore", timeout: timeoutMs });
  const ms = performance.now() - t0;
  if (r.exitedDueToTimeout) throw new Error(`${argv.slice(0, 4).join(" ")} … did not finish in ${timeoutMs} ms`);
  const cpuMs = Number(r.resourceUsage?.cpuTime.total ?? 0n) / 1000;
  return { ms, cpuMs, code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** Parses the single JSON object a command printed; throws with context when it is not one. */
export function parseOne(r: Ran, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(r.stdout) as unknown;
    if (typeof v === "object" && v !== null) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new Error(
    `${what}: exit ${r.code}, stdout ${JSON.stringify(r.stdout.slice(0, 300))}, stderr ${r.stderr.slice(0, 300)}`,
  );
}

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, session, ...]. */
function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "latin1");
    return s.slice(s.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** True while `pid` exists and is not a zombie. */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined || !(pid > 1)) return false;
  const f = statFields(pid);
  return f !== undefined && f[0] !== "Z";
}

/** Nanoseconds of CPU the process's main thread has used (/proc/<pid>/schedstat), or undefined when gone. */
export function cpuNs(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, "latin1").split(" ")[0]);
  } catch {
    return undefined;
  }
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  state: string;
  cmdline: string;
}

/** Every live (non-zombie) process, as /proc shows it now. */
export function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const f = statFields(pid);
    if (!f || f[0] === "Z") continue;
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "latin1");
    } catch {
      continue;
    }
    out.push({ pid, state: f[0] as string, ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]), cmdline });
  }
  return out;
}

/** PSS, RSS and private (USS) bytes of one process from /proc/<pid>/smaps_rollup. */
export function memory(pid: number): { pss: number; rss: number; uss: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, "latin1");
  } catch {
    return undefined;
  }
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { pss: kb("Pss"), rss: kb("Rss"), uss: kb("Private_Clean") + kb("Private_Dirty") };
}

/** Sends `sig` to a pid or (negative) group, ignoring "no such process". */
export function signal(target: number, sig: NodeJS.Signals): void {
  if (target === 0 || target === -1 || target === 1 || target === -1 * process.pid) return;
  try {
    process.kill(target, sig);
  } catch {
    // gone already
  }
}

/**
 * Waits until the main thread of `pid` stops using CPU: its CPU time unchanged for `quietMs`
 * (sampled every ms). Returns false when the process left or the deadline came first.
 */
export async function settle(pid: number, quietMs: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let last = cpuNs(pid);
  let since = performance.now();
  while (performance.now() < deadline) {
    await Bun.sleep(1);
    const now = cpuNs(pid);
    if (now === undefined || !alive(pid)) return false;
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) {
      return true;
    }
  }
  return false;
}

/** How many inotify instances the process holds open (0 means its file watching fell back to polling). */
export function inotifyFds(pid: number): number {
  let n = 0;
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === "anon_inode:inotify") n++;
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // gone
  }
  return n;
}

const TICK_MS = 1000 / (Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100);

/** CPU time (user + system, all threads) the process has used so far, in ms; undefined when gone. */
export function cpuMs(pid: number): number | undefined {
  const f = statFields(pid);
  if (!f) return undefined;
  // After the command name: state(0) ppid(1) ... utime(11) stime(12).
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** Direct children of `pid` (Linux /proc/<pid>/task/<pid>/children). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "latin1").split(" ").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
