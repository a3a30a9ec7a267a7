// `start <id>`: launches a created job exactly once, then observes it like `run` (§3.3, D13).
import { submitRemote } from "../backend/choose.ts";
import { checkSlurmInstalled } from "../backend/slurm.ts";
import { AgentExecError } from "../core/errors.ts";
import { isoNow, monoMs } from "../core/time.ts";
import { dispatch, enqueue } from "../queue/dispatch.ts";
import { readMeta, readState, resolveJob, writeState } from "../store/job-store.ts";
import { withJobLock } from "../store/lock.ts";
import { writeMasks } from "../store/masks.ts";
import { readSecrets, writeEnvFileValues } from "../store/secrets.ts";
import { JOB_ID_VAR } from "../supervisor/agent-env.ts";
import { maskEnvItems } from "../supervisor/command.ts";
import { launchSupervisor } from "../supervisor/launch.ts";
import type { Ctx, Outcome } from "./context.ts";
import { maskedValues, plannedEnv } from "./define.ts";
import { checkStoredLaunch } from "./launch-checks.ts";
import { type ObserveInput, observeLaunch } from "./run.ts";
import { chooseView } from "./view-choice.ts";

export interface StartInput extends ObserveInput {
  jobId: string;
}

/**
 * Claims created→running under the job lock, so of two concurrent starts exactly one launches and
 * the other gets invalid_state. A failed check leaves the job `created`, ready for another try.
 */
export async function startCommand(input: StartInput, ctx: Ctx): Promise<Outcome> {
  const began = monoMs();
  // Chosen before anything starts, so a bad view (or config value) leaves the job as it was.
  input = { ...input, view: chooseView(input.view, ctx.env) };
  const job = resolveJob(ctx.root, input.jobId);
  const meta = readMeta(job.paths);
  const envFileValues = checkStoredLaunch(meta, ctx);
  // X13: a Slurm job waits as `queued` in Slurm's queue (its dependencies are Slurm's too).
  const remote = meta.backend === "slurm";
  if (remote) checkSlurmInstalled(ctx.env);
  const queued =
    remote || meta.queue !== undefined || (meta.after ?? []).length > 0 || (meta.after_ok ?? []).length > 0;
  await withJobLock(job.paths.dir, () => {
    const state = readState(job.paths);
    if (state.job.status !== "created") {
      throw new AgentExecError(
        "invalid_state",
        `invalid job state: job ${job.id} is ${state.job.status}; only a created job can be started`,
      );
    }
    const now = isoNow();
    // X10: a job with a queue or dependencies waits as `queued`; a dispatcher starts it.
    const job2 = queued
      ? { id: state.job.id, status: "queued" as const }
      : { id: state.job.id, status: "running" as const, started_at: now };
    writeState(job.paths, { ...state, job: job2, updated_at: now });
  });
  if (remote) {
    const env = readSecrets(job.paths, meta);
    try {
      submitRemote(
        {
          root: ctx.root,
          id: job.id,
          paths: job.paths,
          meta,
          choice: { kind: "slurm", ...(meta.slurm ? { slurm: meta.slurm } : {}) },
          env: ctx.env,
          runtimeEnv: env,
          envFileValues,
        },
        false,
      );
    } catch (err) {
      // Refused by the scheduler: the job stays `created`, ready for another try.
      const s = readState(job.paths);
      writeState(job.paths, { ...s, job: { id: s.job.id, status: "created" }, updated_at: isoNow() });
      throw err;
    }
    const shown = { env_vars: meta.env_vars, agent_env: meta.agent_env };
    return observeLaunch("start", job.id, job.paths, meta.tags, shown, input, ctx, began);
  }
  if (queued) {
    enqueue(ctx.root, job.id, { env: ctx.env, cwd: ctx.cwd });
    await dispatch(ctx.root);
    const shown = { env_vars: meta.env_vars, agent_env: meta.agent_env };
    return observeLaunch("start", job.id, job.paths, meta.tags, shown, input, ctx, began);
  }
  if (envFileValues.length > 0) writeEnvFileValues(job.paths, envFileValues);
  const env = readSecrets(job.paths, meta);
  // The starter's environment is the one the job inherits: redact what it gives a masked name.
  const planned = plannedEnv({ inheritEnv: meta.inherit_env, env }, envFileValues, ctx);
  const mask = meta.mask ?? [];
  if (mask.length > 0) writeMasks(job.paths, maskedValues(mask, planned));
  launchSupervisor(ctx.root, job.id, job.paths, env, ctx.env);
  const envVars = env.length > 0 ? maskEnvItems(env, meta.mask ?? []) : undefined;
  // The names the job really gets: the starter's environment may set some of them itself.
  const agentEnv = meta.agent_env?.filter((k) => k === JOB_ID_VAR || planned[k] === undefined);
  return observeLaunch(
    "start",
    job.id,
    job.paths,
    meta.tags,
    { env_vars: envVars, agent_env: agentEnv },
    input,
    ctx,
    began,
  );
}
