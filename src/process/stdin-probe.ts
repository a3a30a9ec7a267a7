// Input plumbing that needs the OS (X5): making a FIFO, and telling whether a job's processes are
// blocked reading its stdin.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { AgentExecError } from "../core/errors.ts";

/**
 * Creates a FIFO only its owner can open. Node has no mkfifo(3), so this runs mkfifo(1), which
 * every Unix has; only interactive jobs pay for the process.
 */
export function makeFifo(path: string): void {
  const r = Bun.spawnSync(["mkfifo", "-m", "600", path], { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) {
    throw new AgentExecError("internal_error", `cannot create the input FIFO ${path}: ${r.stderr.toString().trim()}`);
  }
}

/** The number of read(2) on this machine: what /proc/<pid>/syscall shows for a blocked read. */
const READ_SYSCALL = process.arch === "arm64" ? 63 : process.arch === "x64" ? 0 : -1;

/**
 * Linux: true when a process of group `pgid` is blocked in read(2) on its fd 0, and that fd 0 is
 * the same pipe (or socket) the job's root process got as stdin. It sees a `read` on stdin (shells' `read`,
 * Python's input(), most prompts); it cannot see a program that waits in poll/select/epoll first
 * (e.g. Node's readline) or reads its input from another descriptor (a tty it opened itself).
 * Elsewhere: false.
 */
export function waitingForInput(pgid: number | undefined): boolean {
  if (process.platform !== "linux" || READ_SYSCALL < 0 || pgid === undefined || !(pgid > 1)) return false;
  let pipe: string;
  try {
    pipe = readlinkSync(`/proc/${pgid}/fd/0`);
  } catch {
    return false;
  }
  // Bun hands a "pipe" stdin over as one end of a socketpair: either kind is the job's input.
  if (!pipe.startsWith("pipe:") && !pipe.startsWith("socket:")) return false;
  for (const name of readdirSync("/proc")) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid || fields[0] !== "S") continue;
      if (readlinkSync(`/proc/${name}/fd/0`) !== pipe) continue;
      const [nr, fd] = readFileSync(`/proc/${name}/syscall`, "latin1").split(" ");
      if (Number(nr) === READ_SYSCALL && Number(fd) === 0) return true;
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return false;
}
