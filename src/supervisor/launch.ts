// Starts a job's supervisor: this same binary re-run in the hidden `_supervise` mode, detached.

import { AgentExecError } from "../core/errors.ts";
import { isoNow } from "../core/time.ts";
import { atomicWrite } from "../store/atomic-write.ts";
import { writeState } from "../store/job-store.ts";
import type { JobPaths } from "../store/paths.ts";
import { failedState, type StateRecord } from "../store/records.ts";
import { supervisorEnv } from "./env-var.ts";

/**
 * The argv that re-runs this program. A compiled binary runs its embedded entry (its modules live
 * under /$bunfs), so the executable alone suffices; from source it is `bun <entry file>`.
 */
export function selfArgv(env: Record<string, string | undefined> = {}): string[] {
  // In-process tests of the handlers run under the test runner, not the CLI: they name the CLI.
  if (env.AGENT_EXEC_SELF) return JSON.parse(env.AGENT_EXEC_SELF) as string[];
  const main = Bun.main;
  const compiled = main.startsWith("/$bunfs/") || main.startsWith("B:/~BUN/");
  return compiled ? [process.execPath] : [process.execPath, main];
}

/**
 * Launches the supervisor of a job whose state.json already says `running`, in its own session
 * with stdio on /dev/null (D7), so a Ctrl-C or hang-up at the caller's terminal never reaches it.
 * From this moment on only the supervisor writes state.json. A failed launch is recorded as
 * `failed` (the supervisor never ran, so no one else writes).
 */
export function launchSupervisor(
  root: string,
  id: string,
  paths: JobPaths,
  runtimeEnv: readonly string[],
  env: Record<string, string | undefined>,
  fullLogPath?: string,
): void {
  const cmd = [...selfArgv(env), "_supervise", root, id];
  if (fullLogPath) cmd.push("--log", fullLogPath);
  try {
    const proc = Bun.spawn({
      cmd,
      // Env values travel in the environment, never on a command line others can read (D7).
      env: supervisorEnv(env, runtimeEnv),
      stdio: ["ignore", "ignore", "ignore"],
      detached: true,
    });
    proc.unref();
    recordLaunchedPid(paths, proc.pid);
  } catch (err) {
    const now = isoNow();
    const launching: StateRecord = {
      job: { id, status: "running", started_at: now },
      result: { exit_code: null, signal: null, duration_ms: null },
      updated_at: now,
    };
    writeState(paths, failedState(launching, "spawn_failed", now));
    throw new AgentExecError("internal_error", `cannot start the supervisor: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Records the supervisor's pid before the caller gets its answer (D30), so a reader can tell a
 * supervisor killed in its first instant (before it wrote state.json) at once, not after the
 * launch grace. A file of its own, not state.json: the supervisor stays the only writer of state.json,
 * so nothing can overwrite what it recorded. Best effort: without it the grace still applies.
 */
function recordLaunchedPid(paths: JobPaths, pid: number): void {
  try {
    atomicWrite(paths.supervisorPid, `${pid}\n`);
  } catch {
    // The job directory vanished (a concurrent delete) or the disk is full.
  }
}
