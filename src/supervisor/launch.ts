// Starts a job's supervisor: this same binary re-run in the hidden `_supervise` mode, detached.

import { AgentExecError } from "../core/errors.ts";
import { isoNow } from "../core/time.ts";
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
