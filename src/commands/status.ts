// `status <id>`: the job's persisted state, reconciled against a dead supervisor (§3.4, D8).
import { omittedFields } from "../logs/cap-record.ts";
import { nudgeQueue } from "../queue/nudge.ts";
import { readMeta, resolveJob } from "../store/job-store.ts";
import { observe } from "../store/observe.ts";
import { addCommandFields } from "./command-display.ts";
import type { Ctx, Outcome } from "./context.ts";
import { put } from "./context.ts";
import { attemptOf, currentCursor } from "./job-output.ts";
import { addBackend, addInputWait, addOutcome } from "./job-view.ts";

export interface StatusInput {
  jobId: string;
}

/** Reports state, exit code and timestamps of one job. */
export async function statusCommand(input: StatusInput, ctx: Ctx): Promise<Outcome> {
  const job = resolveJob(ctx.root, input.jobId);
  await nudgeQueue(ctx.root);
  const meta = readMeta(job.paths);
  const { state, supervisorAlive, remote } = observe(job.paths);
  const out: Record<string, unknown> = { type: "status", job_id: job.id, state: state.job.status };
  addCommandFields(out, meta);
  put(out, "exit_code", state.result.exit_code);
  out.created_at = meta.created_at;
  put(out, "started_at", state.job.started_at);
  put(out, "finished_at", state.finished_at);
  put(out, "key", meta.key);
  put(out, "queue", meta.queue);
  put(out, "after", meta.after);
  put(out, "after_ok", meta.after_ok);
  put(out, "attempt", state.attempt);
  addOutcome(out, state);
  addBackend(out, remote, job.paths);
  if (!supervisorAlive) out.supervisor_alive = false;
  addInputWait(out, meta, state);
  Object.assign(out, omittedFields(job.paths.logCap));
  out.cursor = currentCursor(job.paths, job.id, attemptOf(state));
  return { payload: out as Outcome["payload"] };
}
