// `delete <id>` or `delete --all`: removes finished jobs; a running job is never removed (§3.12).
import { readdirSync } from "node:fs";
import { normalizeCwd } from "../core/cwd.ts";
import { AgentExecError, errnoOf } from "../core/errors.ts";
import { resolveJob, tryReadMeta, tryReadState } from "../store/job-store.ts";
import { withJobLock } from "../store/lock.ts";
import { reconcile } from "../store/observe.ts";
import { isValidIdArgument, type JobPaths, jobPaths } from "../store/paths.ts";
import { removeJobDir } from "../store/remove.ts";
import type { Ctx, Outcome } from "./context.ts";
import { REMOVAL_LIST_LIMIT, removalReport } from "./removal-report.ts";

export interface DeleteInput {
  jobId?: string;
  all: boolean;
  dryRun: boolean;
  /** At most this many entries in `jobs` (0 = all, D37). */
  limit?: number;
}

interface Entry {
  job_id: string;
  state: string;
  action: "deleted" | "would_delete" | "skipped";
  reason: string;
}

/** The state a job is in now (reconciled), or "unknown" when state.json is missing or malformed. */
export function currentState(paths: JobPaths): string {
  const raw = tryReadState(paths);
  if (!raw) return "unknown";
  return raw.job.status === "running" ? reconcile(paths, raw).state.job.status : raw.job.status;
}

/** Deletes one job (any state but running) or every finished job whose cwd is the caller's. */
export async function deleteCommand(input: DeleteInput, ctx: Ctx): Promise<Outcome> {
  const jobs: Entry[] = input.jobId === undefined ? await deleteAll(input.dryRun, ctx) : [await deleteOne(input, ctx)];
  const report = removalReport(jobs, input.limit ?? REMOVAL_LIST_LIMIT);
  return {
    payload: {
      type: "delete",
      root: ctx.root,
      dry_run: input.dryRun,
      deleted: report.deleted,
      would_delete: report.would_delete,
      skipped: report.skipped,
      jobs: report.jobs,
      truncated: report.truncated,
    },
  };
}

async function deleteOne(input: DeleteInput, ctx: Ctx): Promise<Entry> {
  const job = resolveJob(ctx.root, input.jobId as string);
  // Under the job lock: a `start` cannot turn the job running between our check and the removal.
  return withJobLock(job.paths.dir, () => {
    const state = currentState(job.paths);
    if (state === "running") {
      throw new AgentExecError("invalid_state", `invalid job state: job ${job.id} is running; kill it first`);
    }
    if (!input.dryRun) remove(job.paths);
    return { job_id: job.id, state, action: input.dryRun ? "would_delete" : "deleted", reason: "explicit_delete" };
  });
}

async function deleteAll(dryRun: boolean, ctx: Ctx): Promise<Entry[]> {
  const here = normalizeCwd(ctx.cwd, ctx.cwd);
  let names: string[];
  try {
    names = readdirSync(ctx.root).sort();
  } catch (err) {
    if (errnoOf(err) === "ENOENT") return [];
    throw new AgentExecError("internal_error", `cannot read jobs root ${ctx.root}: ${(err as Error).message}`);
  }
  const out: Entry[] = [];
  for (const name of names) {
    if (!isValidIdArgument(name)) continue;
    const paths = jobPaths(ctx.root, name);
    const meta = tryReadMeta(paths);
    if (!meta || meta.cwd !== here) continue;
    try {
      out.push(
        await withJobLock(paths.dir, (): Entry => {
          const state = currentState(paths);
          if (state === "unknown") return { job_id: name, state, action: "skipped", reason: "state_unreadable" };
          if (state === "running" || state === "created")
            return { job_id: name, state, action: "skipped", reason: state };
          if (!dryRun) remove(paths);
          return { job_id: name, state, action: dryRun ? "would_delete" : "deleted", reason: "terminal_in_cwd" };
        }),
      );
    } catch (err) {
      out.push({
        job_id: name,
        state: "unknown",
        action: "skipped",
        reason: `delete_failed: ${(err as Error).message}`,
      });
    }
  }
  return out;
}

function remove(paths: JobPaths): void {
  try {
    removeJobDir(paths.dir);
  } catch (err) {
    throw new AgentExecError("internal_error", `cannot delete ${paths.dir}: ${(err as Error).message}`);
  }
}
