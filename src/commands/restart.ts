// `restart <id>`: stops the job if it runs, then starts the same definition again under the same
// id (X8): a new attempt, env files re-read, logs cleared, earlier cursors reset.
import { existsSync, truncateSync, unlinkSync } from "node:fs";
import { AgentExecError } from "../core/errors.ts";
import { isoNow, monoMs } from "../core/time.ts";
import { waitForTerminal } from "../core/wait-state.ts";
import { pidAlive, signalGroup } from "../process/signal.ts";
import { makeFifo } from "../process/stdin-probe.ts";
import { dispatch, enqueue } from "../queue/dispatch.ts";
import { readMeta, readState, resolveJob, writeState } from "../store/job-store.ts";
import { withJobLock } from "../store/lock.ts";
import { writeMasks } from "../store/masks.ts";
import { observe } from "../store/observe.ts";
import type { JobPaths } from "../store/paths.ts";
import { TERMINAL } from "../store/records.ts";
import { readSecrets, writeEnvFileValues } from "../store/secrets.ts";
import { JOB_ID_VAR } from "../supervisor/agent-env.ts";
import { maskEnvItems } from "../supervisor/command.ts";
import { launchSupervisor } from "../supervisor/launch.ts";
import type { Ctx, Outcome } from "./context.ts";
import { maskedValues, plannedEnv } from "./define.ts";
import { checkStoredLaunch } from "./launch-checks.ts";
import { type ObserveInput, observeLaunch } from "./run.ts";
import { startCommand } from "./start.ts";
import { chooseView } from "./view-choice.ts";

export interface RestartInput extends ObserveInput {
  jobId: string;
  /** The signal that stops a running job (default TERM). */
  signal: string;
  /** KILL what is still alive this long after the signal (default 5 s). */
  killAfterMs: number;
}

/** How long restart waits for the KILL to end the job, and for the old supervisor to leave. */
const SETTLE_MS = 10_000;

/**
 * A created job is started; a running one is stopped first (signal, then KILL after the grace);
 * a finished one starts over. The restarter's environment is the one the new attempt inherits.
 */
export async function restartCommand(input: RestartInput, ctx: Ctx): Promise<Outcome> {
  const began = monoMs();
  // Chosen before anything stops or starts, so a bad view (or config value) changes nothing.
  input = { ...input, view: chooseView(input.view, ctx.env) };
  const job = resolveJob(ctx.root, input.jobId);
  const first = observe(job.paths).state;
  if (first.job.status === "created") {
    const started = await startCommand(input, ctx);
    return { ...started, payload: { ...started.payload, type: "restart", attempt: 1 } as Outcome["payload"] };
  }
  const meta = readMeta(job.paths);
  if (meta.backend === "slurm") {
    // X13: not yet: a restart would have to resubmit through Slurm, not launch here.
    throw new AgentExecError(
      "invalid_state",
      `restart of a Slurm job is not supported yet: submit it again with run --backend slurm (job ${job.id})`,
    );
  }
  if (first.job.status === "queued") {
    // X10: a queued job keeps its place; there is nothing to stop or clear yet.
    const shown = { env_vars: meta.env_vars, agent_env: meta.agent_env };
    const out = await observeLaunch("restart", job.id, job.paths, meta.tags, shown, input, ctx, began);
    return { ...out, payload: { ...out.payload, attempt: first.attempt ?? 1 } as Outcome["payload"] };
  }
  // A job of a queue runs again through it (its old id puts it first in line).
  const queued = meta.queue !== undefined;
  const envFileValues = checkStoredLaunch(meta, ctx);
  await stop(job.paths, input);
  const attempt = await withJobLock(job.paths.dir, () => {
    const state = readState(job.paths);
    if (!TERMINAL.has(state.job.status)) {
      throw new AgentExecError(
        "invalid_state",
        `invalid job state: job ${job.id} is still ${state.job.status} after the stop; try again`,
        { retryable: true },
      );
    }
    clearRun(job.paths);
    // An interactive job's input FIFO went with its last run (the relay removes it): a new one.
    if (meta.stdin === "interactive" && !existsSync(job.paths.stdinFifo)) makeFifo(job.paths.stdinFifo);
    const next = (state.attempt ?? 1) + 1;
    const now = isoNow();
    writeState(job.paths, {
      job: queued ? { id: job.id, status: "queued" } : { id: job.id, status: "running", started_at: now },
      result: { exit_code: null, signal: null, duration_ms: null },
      updated_at: now,
      attempt: next,
    });
    return next;
  });
  if (queued) {
    enqueue(ctx.root, job.id, { env: ctx.env, cwd: ctx.cwd });
    await dispatch(ctx.root);
    const shown = { env_vars: meta.env_vars, agent_env: meta.agent_env };
    const out = await observeLaunch("restart", job.id, job.paths, meta.tags, shown, input, ctx, began);
    return { ...out, payload: { ...out.payload, attempt } as Outcome["payload"] };
  }
  // Env files re-read now, and handed over parsed (D42).
  if (envFileValues.length > 0) writeEnvFileValues(job.paths, envFileValues);
  const env = readSecrets(job.paths, meta);
  const planned = plannedEnv({ inheritEnv: meta.inherit_env, env }, envFileValues, ctx);
  if ((meta.mask ?? []).length > 0) writeMasks(job.paths, maskedValues(meta.mask ?? [], planned));
  launchSupervisor(ctx.root, job.id, job.paths, env, ctx.env, meta.log_path);
  const shown = {
    env_vars: env.length > 0 ? maskEnvItems(env, meta.mask ?? []) : undefined,
    agent_env: meta.agent_env?.filter((k) => k === JOB_ID_VAR || planned[k] === undefined),
  };
  const out = await observeLaunch("restart", job.id, job.paths, meta.tags, shown, input, ctx, began);
  return { ...out, payload: { ...out.payload, attempt } as Outcome["payload"] };
}

/**
 * Ends the current run: the signal to the job's process group, KILL after the grace, then waits
 * for the end to be recorded (by the supervisor, or by reconciliation when it is gone) and for the
 * old supervisor to leave, so it never follows the new run's logs.
 */
async function stop(paths: JobPaths, input: RestartInput): Promise<void> {
  let { state } = observe(paths);
  if (!TERMINAL.has(state.job.status) && state.pgid !== undefined) {
    signalGroup(state.pgid, input.signal);
    state = (await waitForTerminal(paths, { timeoutMs: Math.max(1, input.killAfterMs), pollMs: 50 })).observed.state;
    if (!TERMINAL.has(state.job.status) && state.pgid !== undefined) {
      signalGroup(state.pgid, "KILL");
      state = (await waitForTerminal(paths, { timeoutMs: SETTLE_MS, pollMs: 50 })).observed.state;
    }
  } else if (!TERMINAL.has(state.job.status)) {
    // Launched a moment ago: its group is not on record yet. Wait for it (or its end) briefly.
    state = (await waitForTerminal(paths, { timeoutMs: 2000, pollMs: 20 })).observed.state;
    if (!TERMINAL.has(state.job.status)) return stop(paths, input);
  }
  const sup = state.supervisor_pid;
  const deadline = monoMs() + SETTLE_MS;
  while (sup !== undefined && pidAlive(sup) && monoMs() < deadline) await Bun.sleep(20);
}

/** Clears what belonged to the previous run: its logs and its kill mark. */
function clearRun(paths: JobPaths): void {
  for (const log of [paths.stdout, paths.stderr, paths.full]) {
    try {
      truncateSync(log, 0);
    } catch {}
  }
  for (const file of [paths.killMark, paths.supervisorPid, paths.killRequest, paths.logCap, paths.exitStatus]) {
    try {
      unlinkSync(file);
    } catch {}
  }
}
