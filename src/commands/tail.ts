// `tail <id> [--since CURSOR]`: the end of a job's stdout and stderr, read from the file end only
// (§3.5, §5), or only what is new since a cursor (X1).
import { resolveJob, tryReadMeta, tryReadState } from "../store/job-store.ts";
import type { ViewName } from "../views/types.ts";
import type { Ctx, Outcome } from "./context.ts";
import { attemptOf, readJobTails } from "./job-output.ts";
import { addInputWait } from "./job-view.ts";
import { chooseView } from "./view-choice.ts";

export interface TailInput {
  jobId: string;
  tailLines: number;
  maxBytes: number;
  /** A cursor from an earlier response: show only what was written after it. */
  since?: string;
  /** The view of the tails (X14); absent = config.toml's `view`, else raw. */
  view?: ViewName;
}

/** Tails both logs of a job in any state, masked values redacted (D28), with the cursor of X1. */
export async function tailCommand(input: TailInput, ctx: Ctx): Promise<Outcome> {
  const view = chooseView(input.view, ctx.env);
  const job = resolveJob(ctx.root, input.jobId);
  const state = tryReadState(job.paths);
  const { snapshot: s, cursor, cursorReset } = readJobTails(job.paths, job.id, attemptOf(state), { ...input, view });
  const payload: Record<string, unknown> = {
    type: "tail",
    job_id: job.id,
    stdout_tail: s.stdout_tail,
    stderr_tail: s.stderr_tail,
    truncated: s.truncated,
    encoding: s.encoding,
    stdout_log_path: job.paths.stdout,
    stderr_log_path: job.paths.stderr,
    stdout_observed_bytes: s.stdout_observed_bytes,
    stderr_observed_bytes: s.stderr_observed_bytes,
    stdout_included_bytes: s.stdout_included_bytes,
    stderr_included_bytes: s.stderr_included_bytes,
  };
  if (s.stdout_omitted_bytes !== undefined) {
    payload.stdout_omitted_bytes = s.stdout_omitted_bytes;
    payload.stderr_omitted_bytes = s.stderr_omitted_bytes;
  }
  if (s.view !== undefined) {
    payload.view = s.view;
    payload.stdout_view_dropped_lines = s.stdout_view_dropped_lines;
    payload.stderr_view_dropped_lines = s.stderr_view_dropped_lines;
    if (s.tests) payload.tests = s.tests;
  }
  payload.cursor = cursor;
  if (cursorReset) payload.cursor_reset = true;
  // A prompt in the tail, and the job blocked on it (X5): only interactive jobs can be.
  const meta = state?.job.status === "running" ? tryReadMeta(job.paths) : undefined;
  if (meta && state) addInputWait(payload, meta, state);
  return { payload: payload as Outcome["payload"] };
}
