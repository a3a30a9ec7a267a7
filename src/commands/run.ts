// `run`: defines a job, launches its supervisor, then observes it briefly or waits for it (§3.1).
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { submitRemote } from "../backend/choose.ts";
import { AgentExecError } from "../core/errors.ts";
import { checkReadiness, type Readiness, readyWatch, wantsReadiness } from "../core/readiness.ts";
import { monoMs } from "../core/time.ts";
import { type WaitOutcome, waitForTerminal } from "../core/wait-state.ts";
import { encodeCursor } from "../logs/cursor.ts";
import { dispatch, enqueue } from "../queue/dispatch.ts";
import { readMeta } from "../store/job-store.ts";
import { withKey } from "../store/keys.ts";
import { observe } from "../store/observe.ts";
import { type JobPaths, jobPaths } from "../store/paths.ts";
import { TERMINAL } from "../store/records.ts";
import { launchSupervisor } from "../supervisor/launch.ts";
import type { ViewName } from "../views/types.ts";
import type { Ctx, Outcome } from "./context.ts";
import { put } from "./context.ts";
import { type DefinitionInput, isQueued, validateDefinition, writeNewJob } from "./define.ts";
import { forwardedExit } from "./exit-code.ts";
import { attemptOf, type JobTails, readJobTails } from "./job-output.ts";
import { addBackend, addOutcome } from "./job-view.ts";
import { chooseView } from "./view-choice.ts";
import { INTERRUPTED_EXIT } from "./wait.ts";

/** The most `--snapshot-after` may hold a plain `run` (§3.1.2). */
export const SNAPSHOT_CAP_MS = 10_000;

/** How `run` and `start` observe the job they launched. */
export interface ObserveInput {
  snapshotAfterMs: number;
  tailLines: number;
  maxBytes: number;
  wait: boolean;
  waitPollMs: number;
  /** Bound of --wait or --until-* (0 or absent with --wait = no limit); HTTP and MCP callers set it. */
  waitTimeoutMs?: number;
  /** Readiness conditions (X2): answer as soon as one holds. */
  until?: Readiness;
  /** Exit with the job's code (X4); needs `wait`. */
  forwardExit?: boolean;
  /** The view of `snapshot`/`final_snapshot` (X14); absent = config.toml's `view`, else raw. */
  view?: ViewName;
}

export interface RunInput extends DefinitionInput, ObserveInput {
  logPath?: string;
}

/** Validates, creates and launches a job, then reports what it observed (D5, D6). */
export async function runCommand(input: RunInput, ctx: Ctx): Promise<Outcome> {
  const began = monoMs();
  checkReadiness(input.until);
  const configPath = input.config === undefined ? undefined : resolve(ctx.cwd, input.config);
  input = { ...input, view: chooseView(input.view, ctx.env, configPath) };
  const def = validateDefinition(input, ctx);
  const logPath = input.logPath === undefined ? undefined : resolve(ctx.cwd, input.logPath);
  if (logPath !== undefined) checkLogPath(logPath);
  // X10: a job in a queue or with dependencies waits as `queued` until a dispatcher starts it.
  // X13: a Slurm job waits as `queued` in Slurm's own queue (dependencies included) until its
  // supervisor starts on a node.
  const remote = def.backend.kind !== "local";
  const queued = !remote && isQueued(def);
  const launch = remote
    ? (id: string) => {
        const paths = jobPaths(ctx.root, id);
        submitRemote(
          {
            root: ctx.root,
            id,
            paths,
            meta: readMeta(paths),
            choice: def.backend,
            env: ctx.env,
            runtimeEnv: input.env,
            envFileValues: def.envFileValues,
            ...(logPath === undefined ? {} : { fullLogPath: logPath }),
          },
          true,
        );
      }
    : queued
      ? (id: string) => enqueue(ctx.root, id, { env: ctx.env, cwd: ctx.cwd })
      : (id: string) => launchSupervisor(ctx.root, id, jobPaths(ctx.root, id), input.env, ctx.env, logPath);
  const extra = logPath === undefined ? {} : { log_path: logPath };
  const create = async () => (await writeNewJob(def, ctx, queued || remote ? "queued" : "running", extra)).id;
  let id: string;
  let reused = false;
  if (input.key === undefined) {
    id = await create();
    launch(id);
  } else {
    // X7: a live job with this key answers instead of a new one.
    ({ id, reused } = await withKey(ctx.root, input.key, create, launch));
  }
  if (queued) await dispatch(ctx.root);
  const paths = jobPaths(ctx.root, id);
  const meta = readMeta(paths);
  const shown = { reused, env_vars: meta.env_vars, agent_env: meta.agent_env };
  return observeLaunch("run", id, paths, meta.tags, shown, input, ctx, began);
}

/** `--log PATH` must be writable (its parent directories are created), checked before any job exists (D5). */
function checkLogPath(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    closeSync(openSync(path, "a"));
  } catch (err) {
    throw new AgentExecError("invalid_input", `cannot write --log ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}

/**
 * The snapshot/wait phase shared by run and start (§3.1.2). Without --wait it watches up to
 * min(snapshot_after, 10 s), ending early when the job ends, and reports the observed state
 * (D6); with --wait it waits until the job is terminal or the caller is interrupted (D22). With
 * --until-* it also ends as soon as the job is ready (X2), bounded by --wait-timeout-ms (or, without
 * --wait, the snapshot window).
 */
export async function observeLaunch(
  type: "run" | "start" | "restart",
  id: string,
  paths: JobPaths,
  tags: string[],
  shown: { reused?: boolean; env_vars?: string[]; agent_env?: string[] },
  input: ObserveInput,
  ctx: Ctx,
  began: number,
): Promise<Outcome> {
  const phase = monoMs();
  const readiness = wantsReadiness(input.until) ? input.until : undefined;
  const snapshotWindow = Math.min(input.snapshotAfterMs, SNAPSHOT_CAP_MS);
  const window = input.wait ? 0 : readiness ? (input.waitTimeoutMs ?? snapshotWindow) : snapshotWindow;
  const observing = input.wait || readiness !== undefined || window > 0;
  let outcome: WaitOutcome = { observed: observe(paths), terminal: false };
  if (observing) {
    // The run just launched: a restart's is attempt 2 or later, and its match cursor must say so.
    const attempt = attemptOf(outcome.observed.state);
    const ready = readiness ? readyWatch(readiness, { paths, id, attempt }, undefined) : undefined;
    outcome = await waitForTerminal(paths, {
      // A bound of 0 means "no limit" to a wait; without --wait it means "look once".
      timeoutMs: input.wait ? (input.waitTimeoutMs ?? 0) : Math.max(window, 1),
      pollMs: input.wait ? input.waitPollMs : 15,
      interrupt: ctx.interrupt,
      ...(ready ? { ready } : {}),
    });
  }
  const waitedMs = observing ? Math.round(monoMs() - phase) : 0;
  const { observed, readyBy } = outcome;
  const state = observed.state;
  const terminal = TERMINAL.has(state.job.status);
  const bounds = { tailLines: input.tailLines, maxBytes: input.maxBytes, view: chooseView(input.view, ctx.env) };
  const out: Record<string, unknown> = { type, job_id: id, state: state.job.status, tags };
  if (shown.reused) out.reused = true;
  put(out, "env_vars", shown.env_vars);
  put(out, "agent_env", shown.agent_env);
  let tails: JobTails | undefined;
  // Ready while it runs on: what it printed so far, as a snapshot; a final one only at the end.
  const readyRunning = readyBy !== undefined && !terminal;
  if ((!input.wait && observing) || readyRunning) {
    tails = readJobTails(paths, id, attemptOf(state), bounds);
    out.snapshot = tails.snapshot;
  }
  out.stdout_log_path = paths.stdout;
  out.stderr_log_path = paths.stderr;
  out.waited_ms = waitedMs;
  out.elapsed_ms = Math.round(monoMs() - began);
  if (terminal) {
    put(out, "exit_code", state.result.exit_code);
    put(out, "finished_at", state.finished_at);
  }
  if (input.wait && !readyRunning) {
    tails = readJobTails(paths, id, attemptOf(state), bounds);
    out.final_snapshot = tails.snapshot;
  }
  addOutcome(out, state);
  addBackend(out, observed.remote, paths);
  if (readiness) {
    out.ready = readyBy !== undefined;
    put(out, "ready_by", readyBy);
  }
  const ended = terminal || readyBy !== undefined;
  if ((input.wait || readiness) && !ended && !ctx.interrupt.fired) out.deadline_reached = true;
  // An answer that showed no output points its cursor at the start of this run's logs, so
  // following it with `tail --since` misses nothing the job printed before the answer.
  out.cursor = tails?.cursor ?? encodeCursor({ jobId: id, attempt: attemptOf(state), stdout: 0, stderr: 0 });
  const payload = out as Outcome["payload"];
  if (!ended && (input.wait || readiness) && ctx.interrupt.fired) return { payload, exitCode: INTERRUPTED_EXIT };
  if (input.forwardExit) return { payload, exitCode: terminal || !readyBy ? forwardedExit(state, terminal) : 0 };
  return { payload };
}
