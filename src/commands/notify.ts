// `notify set <id>`: changes notification settings under the job lock; never runs a sink (§3.10).
import { statSync } from "node:fs";
import { checkPattern, mergeNotification, type NotifyFlags } from "../notify/config.ts";
import { readMeta, resolveJob, writeMeta } from "../store/job-store.ts";
import { bumpListGeneration } from "../store/list-cache.ts";
import { withJobLock } from "../store/lock.ts";
import type { JobPaths } from "../store/paths.ts";
import type { MetaRecord } from "../store/records.ts";
import type { Ctx, Outcome } from "./context.ts";
import { absoluteSinkFiles } from "./define.ts";

export interface NotifySetInput {
  jobId: string;
  flags: NotifyFlags;
}

const sizeOf = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

/** The current end of both logs: output-match settings saved now apply only to lines after it. */
function logEnds(p: JobPaths): { stdout: number; stderr: number } {
  return { stdout: sizeOf(p.stdout), stderr: sizeOf(p.stderr) };
}

/**
 * Merges the flags into meta.notification (§3.10). An invalid regex is rejected before anything
 * is written (D14). A running job's supervisor notices the new meta.json and applies it to every
 * later line and to the completion event; on a finished job the change has no effect.
 */
export async function notifySetCommand(input: NotifySetInput, ctx: Ctx): Promise<Outcome> {
  const job = resolveJob(ctx.root, input.jobId);
  const flags = absoluteSinkFiles(input.flags, ctx.cwd);
  const saved = await withJobLock(job.paths.dir, () => {
    const meta = readMeta(job.paths);
    const notification = mergeNotification(meta.notification, flags);
    checkPattern(notification?.on_output_match);
    const next: MetaRecord = { ...meta };
    delete next.notification;
    if (notification) next.notification = notification;
    if (JSON.stringify(notification?.on_output_match) !== JSON.stringify(meta.notification?.on_output_match)) {
      next.output_match_since = logEnds(job.paths);
    }
    writeMeta(job.paths, next);
    bumpListGeneration(ctx.root);
    return notification;
  });
  return { payload: { type: "notify.set", job_id: job.id, notification: saved ?? {} } };
}
