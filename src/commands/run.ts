// `run`: defines a job, launches its supervisor, then observes it briefly or waits for it (§3.1).
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { AgentExecError } from "../core/errors.ts";
import { monoMs } from "../core/time.ts";
import { waitForTerminal } from "../core/wait-state.ts";
import { snapshot } from "../logs/tail.ts";
import { readMasks } from "../store/masks.ts";
import { observe } from "../store/observe.ts";
import type { JobPaths } from "../store/paths.ts";
import { TERMINAL } from "../store/records.ts";
import { maskEnvItems } from "../supervisor/command.ts";
import { launchSupervisor } from "../supervisor/launch.ts";
import type { Ctx, Outcome } from "./context.ts";
import { put } from "./context.ts";
import { type DefinitionInput, validateDefinition, writeNewJob } from "./define.ts";
import { addD26 } from "./job-view.ts";
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
  /** With wait: give up after this many ms (0 or absent = no limit); HTTP and MCP callers set it. */
  waitTimeoutMs?: number;
}

export interface RunInput extends DefinitionInput, ObserveInput {
  logPath?: string;
}

/** Validates, creates and launches a job, then reports what it observed (D5, D6). */
export async function runCommand(input: RunInput, ctx: Ctx): Promise<Outcome> {
  const began = monoMs();
  const def = validateDefinition(input, ctx);
  const logPath = input.logPath === undefined ? undefined : resolve(ctx.cwd, input.logPath);
  if (logPath !== undefined) checkLogPath(logPath);
  const job = await writeNewJob(def, ctx, "running");
  launchSupervisor(ctx.root, job.id, job.paths, input.env, ctx.env, logPath);
  const envVars = input.env.length > 0 ? maskEnvItems(input.env, input.mask) : undefined;
  return observeLaunch("run", job.id, job.paths, job.meta.tags, envVars, input, ctx, began);
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
 * (D6); with --wait it waits until the job is terminal or the caller is interrupted (D22).
 */
export async function observeLaunch(
  type: "run" | "start",
  id: string,
  paths: JobPaths,
  tags: string[],
  envVars: string[] | undefined,
  input: ObserveInput,
  ctx: Ctx,
  began: number,
): Promise<Outcome> {
  const phase = monoMs();
  const window = input.wait ? 0 : Math.min(input.snapshotAfterMs, SNAPSHOT_CAP_MS);
  let observed = observe(paths);
  if (input.wait) {
    const timeoutMs = input.waitTimeoutMs ?? 0;
    observed = (await waitForTerminal(paths, { timeoutMs, pollMs: input.waitPollMs, interrupt: ctx.interrupt }))
      .observed;
  } else if (window > 0) {
    observed = (await waitForTerminal(paths, { timeoutMs: window, pollMs: 15, interrupt: ctx.interrupt })).observed;
  }
  const waitedMs = window > 0 || input.wait ? Math.round(monoMs() - phase) : 0;
  const state = observed.state;
  const terminal = TERMINAL.has(state.job.status);
  const out: Record<string, unknown> = { type, job_id: id, state: state.job.status, tags };
  put(out, "env_vars", envVars);
  const tails = () => snapshot(paths.stdout, paths.stderr, input.tailLines, input.maxBytes, readMasks(paths));
  if (!input.wait && window > 0) out.snapshot = tails();
  out.stdout_log_path = paths.stdout;
  out.stderr_log_path = paths.stderr;
  out.waited_ms = waitedMs;
  out.elapsed_ms = Math.round(monoMs() - began);
  if (terminal) {
    put(out, "exit_code", state.result.exit_code);
    put(out, "finished_at", state.finished_at);
  }
  if (input.wait) out.final_snapshot = tails();
  addD26(out, state);
  if (input.wait && !terminal && !ctx.interrupt.fired) out.deadline_reached = true;
  const payload = out as Outcome["payload"];
  return input.wait && !terminal && ctx.interrupt.fired ? { payload, exitCode: INTERRUPTED_EXIT } : { payload };
}
