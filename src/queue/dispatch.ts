// Starts queued jobs (X10) without a daemon: whichever agent-exec process gets here first (the
// supervisor of a job that just ended, or any command that reads the store) starts every queued
// job whose dependencies are done and whose queue has a free slot, under one lock, so no slot is
// ever filled twice.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Ctx } from "../commands/context.ts";
import { maskedValues, plannedEnv } from "../commands/define.ts";
import { checkStoredLaunch } from "../commands/launch-checks.ts";
import { isoNow } from "../core/time.ts";
import { atomicWrite } from "../store/atomic-write.ts";
import { tryReadMeta, tryReadState, writeState } from "../store/job-store.ts";
import { withFileLock, withJobLock } from "../store/lock.ts";
import { writeMasks } from "../store/masks.ts";
import { reconcile } from "../store/observe.ts";
import { type JobPaths, jobPaths } from "../store/paths.ts";
import {
  dispatchLock,
  freeSlot,
  markQueued,
  queuedIds,
  queueParallel,
  slotHolders,
  takeSlot,
  unmarkQueued,
} from "../store/queues.ts";
import { failedState, type MetaRecord, type StateRecord, TERMINAL } from "../store/records.ts";
import { readSecrets, writeEnvFileValues } from "../store/secrets.ts";
import { launchSupervisor } from "../supervisor/launch.ts";

/** What a queued job inherits when it starts: its submitter's environment and directory. */
interface Submitter {
  env: Record<string, string | undefined>;
  cwd: string;
}

const submitterFile = (p: JobPaths) => join(p.dir, "env.inherited.json");

/**
 * Puts a job (already written as `queued`) in line: keeps its submitter's environment and
 * directory (0600: an environment holds secrets), for whoever starts it later.
 */
export function enqueue(root: string, id: string, submitter: Submitter): void {
  atomicWrite(submitterFile(jobPaths(root, id)), JSON.stringify(submitter), 0o600);
  markQueued(root, id);
}

/** A state as it is now: a running one whose supervisor is gone is reconciled (D8). */
function current(paths: JobPaths): StateRecord | undefined {
  const raw = tryReadState(paths);
  return raw && raw.job.status === "running" ? reconcile(paths, raw).state : raw;
}

/**
 * Starts what can start. Cheap when nothing waits (one directory listing), so every command that
 * reads the store may call it. Returns the ids it started.
 */
export async function dispatch(root: string): Promise<string[]> {
  if (queuedIds(root).length === 0) return [];
  return withFileLock(dispatchLock(root), () => dispatchLocked(root));
}

async function dispatchLocked(root: string): Promise<string[]> {
  const started: string[] = [];
  const live = new Map<string, number>();
  /** Jobs holding a slot that are still live; a slot of an ended job is freed on the way. */
  const liveSlots = (queue: string): number => {
    const known = live.get(queue);
    if (known !== undefined) return known;
    let n = 0;
    for (const id of slotHolders(root, queue)) {
      const s = current(jobPaths(root, id));
      if (!s || TERMINAL.has(s.job.status)) freeSlot(root, queue, id);
      else n++;
    }
    live.set(queue, n);
    return n;
  };
  for (const id of queuedIds(root)) {
    const paths = jobPaths(root, id);
    const state = tryReadState(paths);
    const meta = tryReadMeta(paths);
    if (!state || !meta || state.job.status !== "queued") {
      unmarkQueued(root, id); // deleted, killed or started meanwhile
      continue;
    }
    const deps = dependencies(root, meta);
    if (deps.failed !== undefined) {
      end(paths, (s) => failedState(s, "dependency_failed", isoNow()));
      unmarkQueued(root, id);
      continue;
    }
    if (deps.waiting) continue;
    const queue = meta.queue;
    if (queue !== undefined && liveSlots(queue) >= queueParallel(root, queue)) continue;
    if (!(await claim(paths))) {
      unmarkQueued(root, id);
      continue;
    }
    if (queue !== undefined) {
      takeSlot(root, queue, id);
      live.set(queue, liveSlots(queue) + 1);
    }
    unmarkQueued(root, id);
    launch(root, id, paths, meta);
    started.push(id);
  }
  return started;
}

/**
 * Where the job's dependencies stand: `waiting` while one is not terminal; `failed` names an
 * `--after-ok` dependency that did not exit 0 (or was deleted, so its success cannot be known).
 */
function dependencies(root: string, meta: MetaRecord): { waiting: boolean; failed?: string } {
  let waiting = false;
  for (const [ids, ok] of [
    [meta.after ?? [], false],
    [meta.after_ok ?? [], true],
  ] as const) {
    for (const dep of ids) {
      const s = current(jobPaths(root, dep));
      if (!s) {
        if (ok) return { waiting: false, failed: dep };
        continue;
      }
      if (!TERMINAL.has(s.job.status)) waiting = true;
      else if (ok && !(s.job.status === "exited" && s.result.exit_code === 0)) return { waiting: false, failed: dep };
    }
  }
  return { waiting };
}

/** queued → running under the job lock; false when it is no longer queued. */
async function claim(paths: JobPaths): Promise<boolean> {
  try {
    return await withJobLock(paths.dir, () => {
      const s = tryReadState(paths);
      if (s?.job.status !== "queued") return false;
      const now = isoNow();
      writeState(paths, { ...s, job: { id: s.job.id, status: "running", started_at: now }, updated_at: now });
      return true;
    });
  } catch {
    return false; // deleted meanwhile
  }
}

/** Ends a queued job without running it (dependency failed, env files gone, ...). */
function end(paths: JobPaths, next: (s: StateRecord) => StateRecord): void {
  try {
    const s = tryReadState(paths);
    if (s && s.job.status === "queued") writeState(paths, next(s));
  } catch {}
}

/**
 * Launches a claimed job as `start` would, with its submitter's environment: env files read now
 * (D42), masked values refreshed (D28). A launch that cannot happen ends the job `failed`.
 */
function launch(root: string, id: string, paths: JobPaths, meta: MetaRecord): void {
  let submitter: Submitter = { env: {}, cwd: meta.cwd ?? "/" };
  try {
    submitter = JSON.parse(readFileSync(submitterFile(paths), "utf8"));
  } catch {}
  const ctx: Ctx = {
    root,
    env: submitter.env,
    cwd: submitter.cwd,
    interrupt: { fired: false, listen: () => () => {} },
  };
  try {
    const values = checkStoredLaunch(meta, ctx);
    if (values.length > 0) writeEnvFileValues(paths, values);
    const env = readSecrets(paths, meta);
    const mask = meta.mask ?? [];
    if (mask.length > 0)
      writeMasks(paths, maskedValues(mask, plannedEnv({ inheritEnv: meta.inherit_env, env }, values, ctx)));
    launchSupervisor(root, id, paths, env, submitter.env, meta.log_path);
  } catch {
    // launchSupervisor records a failed spawn itself; a failed check ends the job here.
    const s = tryReadState(paths);
    if (s && s.job.status === "running" && s.supervisor_pid === undefined) {
      writeState(paths, failedState(s, "spawn_failed", isoNow()));
    }
  }
}
