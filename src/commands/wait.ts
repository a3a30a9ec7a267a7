// `wait <id>…`: blocks until the job is terminal, a readiness condition holds, the timeout elapses
// or the caller is interrupted (§3.6, X2, X3, X3b, X4).
import { usageError } from "../core/errors.ts";
import { checkReadiness, type Readiness, readyWatch, wantsReadiness } from "../core/readiness.ts";
import { type WaitOutcome, waitForTerminal } from "../core/wait-state.ts";
import { type ResolvedJob, resolveJob, tryReadMeta, tryReadState } from "../store/job-store.ts";
import type { ViewName } from "../views/types.ts";
import type { Ctx, Outcome } from "./context.ts";
import { put } from "./context.ts";
import { forwardedExit, WAIT_ENDED_EXIT } from "./exit-code.ts";
import { attemptOf, currentCursor, readJobTails } from "./job-output.ts";
import { addInputWait, addOutcome } from "./job-view.ts";
import { chooseView } from "./view-choice.ts";

export interface WaitInput {
  /** One or more job ids (or unique prefixes). */
  jobIds: string[];
  pollMs: number;
  timeoutMs: number;
  /** With several jobs: end when the first one ends (default: when all have). */
  any?: boolean;
  /** Bounds of `final_snapshot` (defaults 50 lines / 16 KiB). */
  tailLines?: number;
  maxBytes?: number;
  /** Drop the tails from the answer. */
  noOutput?: boolean;
  /** Exit with the job's code (X4). */
  forwardExit?: boolean;
  /** Readiness conditions (X2), one job only. */
  until?: Readiness;
  /** Scan for --until-match from this cursor. */
  since?: string;
  /** The view of `final_snapshot` (X14); absent = config.toml's `view`, else raw. */
  view?: ViewName;
}

/** Exit status when the wait itself was interrupted by SIGINT/SIGTERM (D22). */
export const INTERRUPTED_EXIT = 130;
/** `final_snapshot` bounds of a wait (X3). */
export const WAIT_TAIL_LINES = 50;
export const WAIT_MAX_BYTES = 16_384;

/**
 * Waits event-driven (D21). A deadline reached first is still a success with the non-terminal
 * state and `deadline_reached: true` (D24); an interrupt prints the current state and exits 130.
 */
export async function waitCommand(input: WaitInput, ctx: Ctx): Promise<Outcome> {
  if (input.jobIds.length === 0) throw usageError("'wait' needs at least one JOB_ID");
  const readiness = wantsReadiness(input.until) ? input.until : undefined;
  checkReadiness(readiness);
  if (readiness && input.jobIds.length > 1) throw usageError("--until-* conditions wait for one job only");
  if (input.since !== undefined && !readiness) throw usageError("'wait --since' goes with --until-match");
  // Chosen before the wait, so a bad view (or config value) fails at once, not at the end.
  input = { ...input, view: chooseView(input.view, ctx.env) };
  const jobs = input.jobIds.map((id) => resolveJob(ctx.root, id));
  if (jobs.length === 1) return waitOne(jobs[0] as ResolvedJob, input, readiness, ctx);
  return waitMany(jobs, input, ctx);
}

async function waitOne(
  job: ResolvedJob,
  input: WaitInput,
  readiness: Readiness | undefined,
  ctx: Ctx,
): Promise<Outcome> {
  let ready: ReturnType<typeof readyWatch> | undefined;
  if (readiness) {
    ready = readyWatch(
      readiness,
      { paths: job.paths, id: job.id, attempt: attemptOf(tryReadState(job.paths)) },
      input.since,
    );
  }
  const outcome = await waitForTerminal(job.paths, {
    timeoutMs: input.timeoutMs,
    pollMs: input.pollMs,
    interrupt: ctx.interrupt,
    ...(ready ? { ready } : {}),
  });
  const out = { type: "wait", ...waitAnswer(job, outcome, input, readiness !== undefined, ctx) };
  const exitCode = waitExit(outcome, input, ctx);
  return exitCode === undefined
    ? { payload: out as Outcome["payload"] }
    : { payload: out as Outcome["payload"], exitCode };
}

/** Several jobs: every one (or, with --any, the first) ends, or the deadline comes first. */
async function waitMany(jobs: ResolvedJob[], input: WaitInput, ctx: Ctx): Promise<Outcome> {
  const { createInterrupt } = await import("./context.ts");
  // One interrupt ends every wait: the caller's, or (with --any) the first job's end.
  const { interrupt: stop, fire } = createInterrupt();
  const unlisten = ctx.interrupt.listen(fire);
  let first: string | undefined;
  const outcomes = await Promise.all(
    jobs.map(async (job) => {
      const o = await waitForTerminal(job.paths, { timeoutMs: input.timeoutMs, pollMs: input.pollMs, interrupt: stop });
      if (o.terminal && first === undefined) {
        first = job.id;
        if (input.any) fire();
      }
      return o;
    }),
  );
  unlisten();
  const entries = jobs.map((job, i) => waitAnswer(job, outcomes[i] as WaitOutcome, input, false, ctx));
  const done = input.any ? first !== undefined : outcomes.every((o) => o.terminal);
  const out: Record<string, unknown> = { type: "wait", jobs: entries };
  if (input.any) put(out, "first", first);
  if (!done && !ctx.interrupt.fired) out.deadline_reached = true;
  if (!done && ctx.interrupt.fired) return { payload: out as Outcome["payload"], exitCode: INTERRUPTED_EXIT };
  if (!input.forwardExit) return { payload: out as Outcome["payload"] };
  // X4: the first non-zero code in argument order; with --any, the first job's.
  const codes = outcomes.map((o) => forwardedExit(o.observed.state, o.terminal));
  let code = WAIT_ENDED_EXIT;
  if (done) code = (input.any ? codes[jobs.findIndex((j) => j.id === first)] : codes.find((c) => c !== 0)) ?? 0;
  return { payload: out as Outcome["payload"], exitCode: code };
}

/** The single-job wait answer (X2, X3): state, cause, readiness, tails and cursor. */
function waitAnswer(
  job: ResolvedJob,
  outcome: WaitOutcome,
  input: WaitInput,
  readiness: boolean,
  ctx: Ctx,
): Record<string, unknown> {
  const { observed, terminal, readyBy } = outcome;
  const state = observed.state;
  const out: Record<string, unknown> = { job_id: job.id, state: state.job.status };
  put(out, "exit_code", state.result.exit_code);
  addOutcome(out, state);
  if (readiness) {
    out.ready = readyBy !== undefined;
    put(out, "ready_by", readyBy);
  }
  if (!terminal) {
    if (!observed.supervisorAlive) out.supervisor_alive = false;
    const meta = tryReadMeta(job.paths);
    if (meta) addInputWait(out, meta, state);
    if (readyBy === undefined && !ctx.interrupt.fired) out.deadline_reached = true;
  }
  if (terminal && !input.noOutput) {
    const tails = readJobTails(job.paths, job.id, attemptOf(state), {
      tailLines: input.tailLines ?? WAIT_TAIL_LINES,
      maxBytes: input.maxBytes ?? WAIT_MAX_BYTES,
      ...(input.view ? { view: input.view } : {}),
    });
    out.final_snapshot = tails.snapshot;
    out.cursor = tails.cursor;
  } else {
    out.cursor = currentCursor(job.paths, job.id, attemptOf(state));
  }
  return out;
}

/** The exit status of a single-job wait: 130 when interrupted, X4's code with --forward-exit. */
function waitExit(outcome: WaitOutcome, input: WaitInput, ctx: Ctx): number | undefined {
  const ended = outcome.terminal || outcome.readyBy !== undefined;
  if (!ended && ctx.interrupt.fired) return INTERRUPTED_EXIT;
  if (!input.forwardExit) return undefined;
  // Ready before the end: the wait did what was asked, the job runs on.
  if (!outcome.terminal && outcome.readyBy !== undefined) return 0;
  return forwardedExit(outcome.observed.state, outcome.terminal);
}
