// `queue set NAME --parallel N` and `queue list` (X10).
import { nudgeQueue } from "../queue/nudge.ts";
import { tryReadMeta, tryReadState } from "../store/job-store.ts";
import { jobPaths } from "../store/paths.ts";
import {
  checkQueueName,
  knownQueues,
  queuedIds,
  queueParallel,
  setQueueParallel,
  slotHolders,
} from "../store/queues.ts";
import { TERMINAL } from "../store/records.ts";
import type { Ctx, Outcome } from "./context.ts";

/** Sets how many jobs of the queue run at once; jobs it now has room for start at once. */
export async function queueSetCommand(input: { name: string; parallel: number }, ctx: Ctx): Promise<Outcome> {
  checkQueueName(input.name);
  setQueueParallel(ctx.root, input.name, input.parallel);
  await nudgeQueue(ctx.root);
  return { payload: { type: "queue.set", queue: input.name, parallel: input.parallel } as Outcome["payload"] };
}

/** Each queue: its limit, its running jobs and its waiting ones. */
export async function queueListCommand(ctx: Ctx): Promise<Outcome> {
  await nudgeQueue(ctx.root);
  const queued = new Map<string, number>();
  for (const id of queuedIds(ctx.root)) {
    const q = tryReadMeta(jobPaths(ctx.root, id))?.queue;
    if (q !== undefined) queued.set(q, (queued.get(q) ?? 0) + 1);
  }
  const names = new Set([...knownQueues(ctx.root), ...queued.keys()]);
  const queues = [...names].sort().map((name) => ({
    name,
    parallel: queueParallel(ctx.root, name),
    running: slotHolders(ctx.root, name).filter((id) => {
      const s = tryReadState(jobPaths(ctx.root, id));
      return s !== undefined && !TERMINAL.has(s.job.status);
    }).length,
    queued: queued.get(name) ?? 0,
  }));
  return { payload: { type: "queue.list", root: ctx.root, queues } as Outcome["payload"] };
}
