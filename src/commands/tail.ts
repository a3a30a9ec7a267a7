// `tail <id>`: the end of a job's stdout and stderr, read from the file end only (§3.5, §5).
import { snapshot } from "../logs/tail.ts";
import { resolveJob } from "../store/job-store.ts";
import { readMasks } from "../store/masks.ts";
import type { Ctx, Outcome } from "./context.ts";

export interface TailInput {
  jobId: string;
  tailLines: number;
  maxBytes: number;
}

/** Tails both logs of a job in any state, masked values redacted (D28). */
export async function tailCommand(input: TailInput, ctx: Ctx): Promise<Outcome> {
  const job = resolveJob(ctx.root, input.jobId);
  const s = snapshot(job.paths.stdout, job.paths.stderr, input.tailLines, input.maxBytes, readMasks(job.paths));
  return {
    payload: {
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
    },
  };
}
