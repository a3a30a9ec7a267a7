// Process liveness as the tests need it: a zombie counts as dead, because PID 1 in a container may
// never reap the orphans a killed job leaves behind.
import { readdirSync, readFileSync } from "node:fs";

/** The state letter from /proc/<pid>/stat (R, S, Z, ...), or undefined when the pid is gone. */
export function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.charAt(stat.lastIndexOf(")") + 2);
  } catch {
    return undefined;
  }
}

/** True when `pid` names a process that is not a zombie. */
export function pidAlive(pid: number): boolean {
  const s = procState(pid);
  return s !== undefined && s !== "Z" && s !== "X";
}

/** The NUL-separated argv of a process, joined with spaces ("" when gone). */
export function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** Every numeric /proc entry. */
export function allPids(): number[] {
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** Live (non-zombie) pids whose command line contains `needle`. */
export function livePidsWithCmdline(needle: string): number[] {
  return allPids().filter((p) => p !== process.pid && cmdlineOf(p).includes(needle) && pidAlive(p));
}

/** Live pids whose environment holds `KEY=VALUE` exactly (how cleanup finds what a test started). */
export function livePidsWithEnv(entry: string): number[] {
  const out: number[] = [];
  for (const p of allPids()) {
    if (p === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${p}/environ`, "latin1").split("\0");
      if (env.includes(entry) && pidAlive(p)) out.push(p);
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return out;
}

/** SIGKILL, ignoring "no such process". Negative = a process group. */
export function killQuietly(pidOrNegPgid: number): void {
  if (pidOrNegPgid === 0 || pidOrNegPgid === -1 || pidOrNegPgid === 1) return;
  try {
    process.kill(pidOrNegPgid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
