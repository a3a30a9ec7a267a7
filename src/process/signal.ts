// Process-group signalling and liveness checks; with signal-names.ts, the only place that knows the OS.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { errnoOf } from "../core/errors.ts";

/**
 * Sends `signal` (a bare name) to the whole process group `pgid`. A group that is already gone
 * counts as success, because the outcome the caller wants (nothing left to signal) holds.
 * Returns false when nothing was there.
 */
export function signalGroup(pgid: number, signal: string): boolean {
  if (!(pgid > 1)) return false; // never -0 or -1: those mean "our group" and "every process"
  try {
    process.kill(-pgid, `SIG${signal}` as NodeJS.Signals);
    return true;
  } catch (err) {
    if (errnoOf(err) === "ESRCH") return false;
    throw err;
  }
}

/**
 * Linux: the fields of /proc/<pid>/stat after the command name (state letter first, then ppid,
 * pgrp, ...), or undefined elsewhere or when the process is gone.
 */
function procStat(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/**
 * Sends `signal` to every live member of group `pgid` but `except` (Linux, from /proc): the KILL
 * that ends what a timeout's TERM left alive must spare the job's waiting parent, or the
 * command's end would go unrecorded. Elsewhere, the whole group.
 */
export function signalGroupExcept(pgid: number, signal: string, except: number): void {
  if (!hasProc) {
    signalGroup(pgid, signal);
    return;
  }
  for (const name of readdirSync("/proc")) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57 || Number(name) === except) continue;
    const fields = procStat(name);
    if (!fields || Number(fields[2]) !== pgid || fields[0] === "Z") continue;
    try {
      process.kill(Number(name), `SIG${signal}` as NodeJS.Signals);
    } catch {
      // Gone meanwhile.
    }
  }
}

/** Linux: the state letter of a process (R, S, Z, ...), or undefined elsewhere or when gone. */
function procState(pid: number): string | undefined {
  return procStat(pid)?.[0];
}

const hasProc = process.platform === "linux";

/**
 * True when `pid` names a live process. A zombie is not alive: an orphaned job can sit unreaped
 * under an init that does not reap (as in some containers), and it must not look like it runs.
 */
export function pidAlive(pid: number | undefined): boolean {
  if (pid === undefined || !(pid > 1)) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (errnoOf(err) !== "EPERM") return false;
  }
  return !hasProc || procState(pid) !== "Z";
}

/**
 * Linux: true while the leader of process group `pgid` is stopped (SIGSTOP, SIGTSTP, ...): `kill
 * --signal STOP` stops the whole group, and the leader is the job's root process. Elsewhere: false.
 */
export function groupStopped(pgid: number | undefined): boolean {
  if (!hasProc || pgid === undefined || !(pgid > 1)) return false;
  const s = procState(pgid);
  return s === "T" || s === "t";
}

/**
 * True when any non-zombie process is still in process group `pgid`, not counting `except` (the
 * job's waiting parent, which ends by itself once the command has).
 */
export function groupAlive(pgid: number | undefined, except?: number): boolean {
  if (pgid === undefined || !(pgid > 1)) return false;
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if (errnoOf(err) !== "EPERM") return false;
  }
  if (!hasProc) return true;
  // kill(-pgid, 0) also succeeds for a group of zombies; look for one member that is not.
  if (except !== pgid && procState(pgid) !== undefined && procState(pgid) !== "Z") return true;
  for (const name of readdirSync("/proc")) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const fields = procStat(name); // undefined when the process left while we looked
    if (fields && Number(fields[2]) === pgid && fields[0] !== "Z" && Number(name) !== except) return true;
  }
  return false;
}

/**
 * Linux: the process groups of live processes that have one of `paths` open as their stdout or
 * stderr. The job's processes write straight into its log files, so this finds them even before
 * their process group is on record (a supervisor killed right after spawning the job).
 * Elsewhere: none.
 */
export function logWriterGroups(paths: readonly string[]): number[] {
  if (!hasProc) return [];
  const groups = new Set<number>();
  for (const name of readdirSync("/proc")) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    for (const fd of ["1", "2"]) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${name}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!paths.includes(target)) continue;
      const fields = procStat(name);
      if (fields && fields[0] !== "Z") groups.add(Number(fields[2]));
      break;
    }
  }
  return [...groups];
}
