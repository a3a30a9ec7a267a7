// `start <id>`: launches a created job exactly once, then observes it like `run` (§3.3, D13).
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { AgentExecError } from "../core/errors.ts";
import { isoNow, monoMs } from "../core/time.ts";
import { readMeta, readState, resolveJob, writeState } from "../store/job-store.ts";
import { withJobLock } from "../store/lock.ts";
import type { MetaRecord } from "../store/records.ts";
import { readSecrets } from "../store/secrets.ts";
import { DEFAULT_WRAPPER, maskEnvItems } from "../supervisor/command.ts";
import { launchSupervisor } from "../supervisor/launch.ts";
import type { Ctx, Outcome } from "./context.ts";
import { type ObserveInput, observeLaunch } from "./run.ts";

export interface StartInput extends ObserveInput {
  jobId: string;
}

/** The launch-time checks of D5 for a stored definition: cwd, env files, wrapper program. */
function checkLaunchable(meta: MetaRecord, ctx: Ctx): void {
  const cwd = meta.cwd ?? ctx.cwd;
  let isDir = false;
  try {
    isDir = statSync(cwd).isDirectory();
  } catch {}
  if (!isDir) throw new AgentExecError("invalid_input", `the job's cwd is not an existing directory: ${cwd}`);
  for (const f of meta.env_files ?? []) {
    try {
      // The supervisor runs in our cwd, so a relative env file is read from here, as it will be.
      readFileSync(resolve(ctx.cwd, f));
    } catch (err) {
      throw new AgentExecError("invalid_input", `cannot read env file ${f}: ${(err as Error).message}`);
    }
  }
  const w0 = (meta.shell_wrapper ?? DEFAULT_WRAPPER)[0] ?? "";
  if (!Bun.which(w0, { PATH: ctx.env.PATH ?? "/usr/bin:/bin" })) {
    throw new AgentExecError("invalid_input", `shell wrapper program not found on PATH: ${JSON.stringify(w0)}`);
  }
}

/**
 * Claims created→running under the job lock, so of two concurrent starts exactly one launches and
 * the other gets invalid_state. A failed check leaves the job `created`, ready for another try.
 */
export async function startCommand(input: StartInput, ctx: Ctx): Promise<Outcome> {
  const began = monoMs();
  const job = resolveJob(ctx.root, input.jobId);
  const meta = readMeta(job.paths);
  checkLaunchable(meta, ctx);
  await withJobLock(job.paths.dir, () => {
    const state = readState(job.paths);
    if (state.job.status !== "created") {
      throw new AgentExecError(
        "invalid_state",
        `invalid job state: job ${job.id} is ${state.job.status}; only a created job can be started`,
      );
    }
    const now = isoNow();
    writeState(job.paths, { ...state, job: { id: state.job.id, status: "running", started_at: now }, updated_at: now });
  });
  const env = readSecrets(job.paths, meta);
  launchSupervisor(ctx.root, job.id, job.paths, env, ctx.env);
  const envVars = env.length > 0 ? maskEnvItems(env, meta.mask ?? []) : undefined;
  return observeLaunch("start", job.id, job.paths, meta.tags, envVars, input, ctx, began);
}
