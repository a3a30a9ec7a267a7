// `tag set <id> [--tag T]...`: replaces a job's tags under the job lock (§3.9, D13).
import { readMeta, resolveJob, writeMeta } from "../store/job-store.ts";
import { bumpListGeneration } from "../store/list-cache.ts";
import { withJobLock } from "../store/lock.ts";
import { dedupe } from "../store/tags.ts";
import type { Ctx, Outcome } from "./context.ts";
import { checkTags } from "./define.ts";

export interface TagSetInput {
  jobId: string;
  tags: string[];
}

/** Replaces (deduplicated, first seen first) or, with no tags, clears the list. Any state. */
export async function tagSetCommand(input: TagSetInput, ctx: Ctx): Promise<Outcome> {
  checkTags(input.tags);
  const job = resolveJob(ctx.root, input.jobId);
  const tags = dedupe(input.tags);
  await withJobLock(job.paths.dir, () => {
    const meta = readMeta(job.paths);
    writeMeta(job.paths, { ...meta, tags });
    bumpListGeneration(ctx.root);
  });
  return { payload: { type: "tag.set", job_id: job.id, tags } };
}
