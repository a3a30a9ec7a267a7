// Lock files: per job for read-modify-write of meta.json and the created→running claim (D13), and
// per idempotency key (X7).
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { AgentExecError, errnoOf } from "../core/errors.ts";
import { monoMs } from "../core/time.ts";
import { pidAlive } from "../process/signal.ts";

/** How long a caller waits for a busy lock before it gives up with a retryable error. */
const LOCK_WAIT_MS = 5000;

/**
 * Runs `fn` while holding `<dir>/.lock`, created with O_EXCL and holding our pid. A lock whose
 * holder died (SIGKILL mid-write) is broken, so a crash never wedges the job.
 */
export async function withJobLock<T>(dir: string, fn: () => T | Promise<T>): Promise<T> {
  return withFileLock(join(dir, ".lock"), fn, `job not found: ${dir}`);
}

/**
 * Runs `fn` while holding the lock file `path` (O_EXCL, holding our pid; a dead holder's lock is
 * broken). When the lock's directory is missing: job_not_found with `missing`, if given.
 */
export async function withFileLock<T>(path: string, fn: () => T | Promise<T>, missing?: string): Promise<T> {
  const deadline = monoMs() + LOCK_WAIT_MS;
  let delay = 1;
  for (;;) {
    try {
      const fd = openSync(path, "wx", 0o600);
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if (errnoOf(err) === "ENOENT" && missing !== undefined) throw new AgentExecError("job_not_found", missing);
      if (errnoOf(err) !== "EEXIST") throw err;
    }
    if (holderDead(path)) {
      breakLock(path);
      continue;
    }
    if (monoMs() > deadline) {
      throw new AgentExecError("internal_error", `busy: another agent-exec holds ${path}; try again`, {
        retryable: true,
      });
    }
    await Bun.sleep(delay);
    delay = Math.min(delay * 2, 20);
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(path);
    } catch {}
  }
}

function holderDead(path: string): boolean {
  let text: string;
  let age: number;
  try {
    text = readFileSync(path, "utf8");
    age = Date.now() - statSync(path).mtimeMs;
  } catch {
    return false; // released meanwhile: just retry
  }
  // An empty file is a holder between open and write, or one killed right there: judge by age.
  if (text === "") return age > 2000;
  const pid = Number(text);
  return !Number.isInteger(pid) || !pidAlive(pid);
}

/** Removes a dead holder's lock. Two breakers may race; unlinking an already-new lock is avoided by re-reading. */
function breakLock(path: string): void {
  try {
    const before = readFileSync(path, "utf8");
    const pid = Number(before);
    if (Number.isInteger(pid) && pidAlive(pid)) return;
    unlinkSync(path);
  } catch {}
}
