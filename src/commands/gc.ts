// `gc`: deletes finished jobs older than a duration; running and created jobs are never touched (§3.11).
import { readdirSync } from "node:fs";
import { AgentExecError, errnoOf } from "../core/errors.ts";
import { parseTimestamp } from "../core/time.ts";
import { tryReadState } from "../store/job-store.ts";
import { withJobLock } from "../store/lock.ts";
import { reconcile } from "../store/observe.ts";
import { isValidIdArgument, jobPaths } from "../store/paths.ts";
import { TERMINAL } from "../store/records.ts";
import { dirSize, removeJobDir } from "../store/remove.ts";
import type { Ctx, Outcome } from "./context.ts";
import { REMOVAL_LIST_LIMIT, removalReport } from "./removal-report.ts";

export interface GcInput {
  /** The flag text, verbatim; undefined means the default 30d. */
  olderThan?: string;
  dryRun: boolean;
  /** At most this many entries in `jobs` (0 = all, D37). */
  limit?: number;
}

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, "": 1000 };

/** `30d`, `24h`, `60m`, `3600s` or a bare number of seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)([dhms]?)$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

interface GcEntry {
  job_id: string;
  state: string;
  action: "deleted" | "would_delete" | "skipped";
  reason: string;
  bytes: number;
}

/** Walks the root in id order and deletes (or, dry, reports) each eligible job. */
export async function gcCommand(input: GcInput, ctx: Ctx, now = Date.now()): Promise<Outcome> {
  const text = input.olderThan ?? "30d";
  const ageMs = parseDuration(text);
  if (ageMs === undefined) {
    throw new AgentExecError(
      "invalid_input",
      `invalid --older-than ${JSON.stringify(text)}: use a number with d, h, m or s (e.g. 30d, 24h, 60m, 3600s)`,
    );
  }
  const cutoff = now - ageMs;
  const jobs: GcEntry[] = [];
  let skippedEntries = 0;
  let names: string[] = [];
  try {
    names = readdirSync(ctx.root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if (errnoOf(err) !== "ENOENT") {
      throw new AgentExecError("internal_error", `cannot read jobs root ${ctx.root}: ${(err as Error).message}`);
    }
  }
  for (const name of names) {
    if (!isValidIdArgument(name)) continue;
    const paths = jobPaths(ctx.root, name);
    try {
      jobs.push(
        await withJobLock(paths.dir, (): GcEntry => {
          const skip = (state: string, reason: string): GcEntry => ({
            job_id: name,
            state,
            action: "skipped",
            reason,
            bytes: 0,
          });
          const raw = tryReadState(paths);
          if (!raw) return skip("unknown", "state_unreadable");
          // D31: a job that was not terminal when gc read it is skipped for that reason, whatever
          // its age. A running job whose supervisor is gone is still reconciled (D8), so the
          // loss is on record, and a later gc takes it once it is old enough.
          if (!TERMINAL.has(raw.job.status)) {
            if (raw.job.status === "running") reconcile(paths, raw);
            return skip(raw.job.status, raw.job.status);
          }
          const state = raw;
          const status = state.job.status;
          const stamp = state.finished_at ?? state.updated_at;
          if (!stamp) return skip(status, "no_timestamp");
          if (!(parseTimestamp(stamp) < cutoff)) return skip(status, "too_recent");
          const bytes = dirSize(paths.dir);
          const reason = `older_than_${text}`;
          if (input.dryRun) return { job_id: name, state: status, action: "would_delete", reason, bytes };
          try {
            removeJobDir(paths.dir);
          } catch (err) {
            return {
              job_id: name,
              state: status,
              action: "skipped",
              reason: `delete_failed: ${(err as Error).message}`,
              bytes,
            };
          }
          return { job_id: name, state: status, action: "deleted", reason, bytes };
        }),
      );
    } catch {
      skippedEntries++; // it vanished or became unreadable while we looked
    }
  }
  const report = removalReport(jobs, input.limit ?? REMOVAL_LIST_LIMIT, skippedEntries);
  return {
    payload: {
      type: "gc",
      root: ctx.root,
      dry_run: input.dryRun,
      older_than: text,
      older_than_source: input.olderThan === undefined ? "default" : "flag",
      deleted: report.deleted,
      would_delete: report.would_delete,
      skipped: report.skipped,
      freed_bytes: jobs.filter((j) => j.action !== "skipped").reduce((n, j) => n + j.bytes, 0),
      jobs: report.jobs,
      truncated: report.truncated,
    },
  };
}
