// `list`: the jobs of the current directory (or all), filtered, newest first, bounded (§3.8, D19).
import { type Dirent, readdirSync, statSync } from "node:fs";
import { normalizeCwd } from "../core/cwd.ts";
import { AgentExecError, errnoOf } from "../core/errors.ts";
import { parseTimestamp } from "../core/time.ts";
import { nudgeQueue } from "../queue/nudge.ts";
import { tryReadMeta, tryReadState } from "../store/job-store.ts";
import { type JobFacts, ListCache } from "../store/list-cache.ts";
import { reconcile } from "../store/observe.ts";
import { type JobPaths, jobPaths } from "../store/paths.ts";
import { tagMatches } from "../store/tags.ts";
import { addCommandFields } from "./command-display.ts";
import type { Ctx, Outcome } from "./context.ts";
import { put } from "./context.ts";
import { addBackend, addOutcome } from "./job-view.ts";

export const LIST_STATES = ["created", "queued", "running", "exited", "killed", "failed", "unknown"] as const;

export interface ListInput {
  all: boolean;
  cwd?: string;
  state?: (typeof LIST_STATES)[number];
  /** Any of these states matches (D40: `--state` is repeatable); combined with `state`. */
  states?: (typeof LIST_STATES)[number][];
  limit: number;
  tags: string[];
  /** Only the job started with this idempotency key (X7). */
  key?: string;
  /** Only the jobs of this queue (X10). */
  queue?: string;
}

/** A job's summary, from the cache when its directory is unchanged, else from its files. */
function factsOf(root: string, name: string, cache: ListCache): JobFacts | null {
  // A plain concatenation: the hit path runs 10 000 times for a big store, and path.join of
  // every job file (jobPaths) would cost more than the lookup itself.
  const mtimeOf = (): number => {
    try {
      return statSync(`${root}/${name}`).mtimeMs;
    } catch {
      return Number.NaN;
    }
  };
  const cached = cache.get(name, mtimeOf);
  if (cached !== undefined) return cached;
  // Take the mtime before reading: a write that lands meanwhile then fails the next check.
  const mtime = mtimeOf();
  const facts = readFacts(jobPaths(root, name));
  cache.set(name, mtime, facts);
  return facts;
}

function readFacts(paths: JobPaths): JobFacts | null {
  const meta = tryReadMeta(paths);
  if (!meta) return null;
  const raw = tryReadState(paths);
  const seen = raw && (raw.job.status === "running" || raw.job.status === "queued") ? reconcile(paths, raw) : undefined;
  const state = seen ? seen.state : raw;
  const status = state ? state.job.status : "unknown";
  const summary: Record<string, unknown> = { job_id: meta.job.id, state: status };
  addCommandFields(summary, meta);
  if (state) put(summary, "exit_code", state.result.exit_code);
  summary.created_at = meta.created_at;
  if (state) {
    put(summary, "started_at", state.job.started_at);
    put(summary, "finished_at", state.finished_at);
    summary.updated_at = state.updated_at;
  }
  summary.tags = meta.tags;
  put(summary, "key", meta.key);
  put(summary, "queue", meta.queue);
  if (state) addOutcome(summary, state);
  addBackend(summary, seen?.remote, paths);
  return {
    id: meta.job.id,
    cwd: meta.cwd,
    tags: meta.tags,
    status,
    started: parseTimestamp(state?.job.started_at),
    summary,
  };
}

interface Row {
  summary: Record<string, unknown>;
  started: number;
  id: string;
}

/** Lists jobs; unreadable records are counted in `skipped`, never fatal. */
export async function listCommand(input: ListInput, ctx: Ctx): Promise<Outcome> {
  const cwdFilter = input.all ? undefined : normalizeCwd(input.cwd ?? ctx.cwd, ctx.cwd);
  await nudgeQueue(ctx.root);
  let entries: Dirent[];
  try {
    entries = readdirSync(ctx.root, { withFileTypes: true });
  } catch (err) {
    if (errnoOf(err) === "ENOENT")
      return { payload: { type: "list", root: ctx.root, jobs: [], truncated: false, skipped: 0 } };
    throw new AgentExecError("internal_error", `cannot read jobs root ${ctx.root}: ${(err as Error).message}`);
  }
  const wanted: ReadonlySet<string> = new Set([...(input.state ? [input.state] : []), ...(input.states ?? [])]);
  const rows: Row[] = [];
  let skipped = 0;
  const cache = new ListCache(ctx.root, entries.length);
  for (const entry of entries) {
    // Queues, keys and tombstones live beside the jobs under dot names: never jobs.
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const facts = factsOf(ctx.root, entry.name, cache);
    if (!facts) {
      skipped++;
      continue;
    }
    if (cwdFilter !== undefined && facts.cwd !== cwdFilter) continue;
    if (!input.tags.every((p) => tagMatches(p, facts.tags))) continue;
    if (wanted.size > 0 && !wanted.has(facts.status)) continue;
    if (input.key !== undefined && facts.summary.key !== input.key) continue;
    if (input.queue !== undefined && facts.summary.queue !== input.queue) continue;
    rows.push({ summary: facts.summary, started: facts.started, id: facts.id });
  }
  cache.save();
  // Newest start first; never-started (created, unknown) last; ties by id, descending.
  rows.sort((a, b) => {
    const an = Number.isNaN(a.started);
    const bn = Number.isNaN(b.started);
    if (an !== bn) return an ? 1 : -1;
    if (!an && a.started !== b.started) return b.started - a.started;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
  const truncated = input.limit > 0 && rows.length > input.limit;
  const kept = truncated ? rows.slice(0, input.limit) : rows;
  return {
    payload: { type: "list", root: ctx.root, jobs: kept.map((r) => r.summary), truncated, skipped },
  };
}
