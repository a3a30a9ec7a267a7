// `wait <id>`: blocks until the job is terminal, the timeout elapses, or the caller is interrupted (§3.6).
import { waitForTerminal } from "../core/wait-state.ts";
import { resolveJob } from "../store/job-store.ts";
import type { Ctx, Outcome } from "./context.ts";
import { put } from "./context.ts";
import { addD26 } from "./job-view.ts";

export interface WaitInput {
  jobId: string;
  pollMs: number;
  timeoutMs: number;
}

/** Exit status when the wait itself was interrupted by SIGINT/SIGTERM (D22). */
export const INTERRUPTED_EXIT = 130;

/**
 * Waits event-driven (D21). A deadline reached first is still a success with the non-terminal
 * state and `deadline_reached: true` (D24); an interrupt prints the current state and exits 130.
 */
export async function waitCommand(input: WaitInput, ctx: Ctx): Promise<Outcome> {
  const job = resolveJob(ctx.root, input.jobId);
  const { observed, terminal } = await waitForTerminal(job.paths, {
    timeoutMs: input.timeoutMs,
    pollMs: input.pollMs,
    interrupt: ctx.interrupt,
  });
  const state = observed.state;
  const out: Record<string, unknown> = { type: "wait", job_id: job.id, state: state.job.status };
  put(out, "exit_code", state.result.exit_code);
  addD26(out, state);
  if (!terminal) {
    if (!observed.supervisorAlive) out.supervisor_alive = false;
    if (ctx.interrupt.fired) return { payload: out as Outcome["payload"], exitCode: INTERRUPTED_EXIT };
    out.deadline_reached = true;
  }
  return { payload: out as Outcome["payload"] };
}
