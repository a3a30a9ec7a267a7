// Queues on disk (X10), beside the job directories and never taken for jobs (names start with "."):
//   .queue-<name>.json   the queue's limit: {"parallel": N}
//   .queued/<id>         a job waiting for a slot or a dependency
//   .slots/<name>/<id>   a job the queue started; it holds a slot until it is terminal
//   .dispatch.lock       held by whichever process starts queued jobs
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AgentExecError, errnoOf, usageError } from "../core/errors.ts";
import { atomicWrite } from "./atomic-write.ts";
import { isValidIdArgument } from "./paths.ts";

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Throws a usage error unless `name` is 1–64 chars of [A-Za-z0-9._-]. */
export function checkQueueName(name: string): void {
  if (!NAME.test(name) || name === "." || name === "..") {
    throw usageError(`invalid queue name ${JSON.stringify(name)}: use 1 to 64 characters of A-Z a-z 0-9 . _ -`);
  }
}

/** A queue's limit when nobody set one: one job at a time. */
export const DEFAULT_PARALLEL = 1;

const configFile = (root: string, name: string) => join(root, `.queue-${name}.json`);
const queuedDir = (root: string) => join(root, ".queued");
const slotDir = (root: string, name: string) => join(root, ".slots", name);

/** The lock file of the dispatcher. */
export const dispatchLock = (root: string) => join(root, ".dispatch.lock");

/** The queue's limit (`queue set --parallel`), or the default. */
export function queueParallel(root: string, name: string): number {
  try {
    const v = JSON.parse(readFileSync(configFile(root, name), "utf8")).parallel;
    return Number.isInteger(v) && v >= 1 ? v : DEFAULT_PARALLEL;
  } catch {
    return DEFAULT_PARALLEL;
  }
}

/** Sets the queue's limit. */
export function setQueueParallel(root: string, name: string, parallel: number): void {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  atomicWrite(configFile(root, name), `${JSON.stringify({ parallel })}\n`, 0o600);
}

/** Every queue that has a limit on record or a job in a slot. */
export function knownQueues(root: string): string[] {
  const names = new Set<string>();
  for (const f of listDir(root)) {
    const m = /^\.queue-(.+)\.json$/.exec(f);
    if (m && NAME.test(m[1] as string)) names.add(m[1] as string);
  }
  for (const d of listDir(join(root, ".slots"))) if (NAME.test(d)) names.add(d);
  return [...names].sort();
}

/** Marks a job as waiting (queued). */
export function markQueued(root: string, id: string): void {
  mkdirSync(queuedDir(root), { recursive: true, mode: 0o700 });
  writeFileSync(join(queuedDir(root), id), "", { mode: 0o600 });
}

/** The job no longer waits (started, killed, failed, deleted). */
export function unmarkQueued(root: string, id: string): void {
  rmSync(join(queuedDir(root), id), { force: true });
}

/** The waiting jobs, oldest first (ULIDs sort by creation time). */
export function queuedIds(root: string): string[] {
  return listDir(queuedDir(root)).filter(isValidIdArgument).sort();
}

/** Gives job `id` a slot of queue `name`. */
export function takeSlot(root: string, name: string, id: string): void {
  mkdirSync(slotDir(root, name), { recursive: true, mode: 0o700 });
  writeFileSync(join(slotDir(root, name), id), "", { mode: 0o600 });
}

/** The jobs that hold a slot of queue `name` (some may have ended since: the caller checks). */
export function slotHolders(root: string, name: string): string[] {
  return listDir(slotDir(root, name)).filter(isValidIdArgument);
}

/** Frees job `id`'s slot of queue `name`. */
export function freeSlot(root: string, name: string, id: string): void {
  rmSync(join(slotDir(root, name), id), { force: true });
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (errnoOf(err) === "ENOENT" || errnoOf(err) === "ENOTDIR") return [];
    throw new AgentExecError("internal_error", `cannot read ${dir}: ${(err as Error).message}`);
  }
}
