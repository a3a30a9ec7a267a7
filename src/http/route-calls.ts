// The calls behind the HTTP routes: wire fields (bodies, queries) -> the handlers' inputs, with
// the server's bounds applied (every wait capped at MAX_WAIT_MS).
import { resolve } from "node:path";
import { jobCwd, toDefinition, toList, toObserve, toReadiness } from "../api/fields.ts";
import type { Ctx, Outcome } from "../commands/context.ts";
import { listCommand } from "../commands/list.ts";
import { restartCommand } from "../commands/restart.ts";
import { runCommand } from "../commands/run.ts";
import { startCommand } from "../commands/start.ts";
import { WAIT_MAX_BYTES, WAIT_TAIL_LINES, waitCommand } from "../commands/wait.ts";
import { AgentExecError } from "../core/errors.ts";
import { normalizeSignal } from "../process/signal-names.ts";
import { isValidTagPattern } from "../store/tags.ts";
import {
  type ExecBody,
  ListQuery,
  parseQuery,
  type QueryKind,
  type RestartBody,
  type StartBody,
  type WaitQuery,
} from "./request.ts";

/** A /wait (or /exec, /start, /restart that waits) never blocks longer than this, whatever it asks for. */
export const MAX_WAIT_MS = 600_000;
/** The bound of a wait that names none. */
export const DEFAULT_WAIT_MS = 30_000;

/** A wait bound as asked for (0 or absent = the default), capped at MAX_WAIT_MS. */
export const bound = (ms: number | undefined) => Math.min(ms || DEFAULT_WAIT_MS, MAX_WAIT_MS);

/** The signal of a body, as a bare name (default TERM); an unknown one is invalid_request. */
export function signalOf(given: string | undefined): string {
  const signal = normalizeSignal(given ?? "TERM");
  if (!signal) {
    throw new AgentExecError("invalid_request", `invalid request: signal: unknown signal ${JSON.stringify(given)}`);
  }
  return signal;
}

/** The query parameters of GET /list (D40 tags, X7 key). */
export const LIST_QUERY: Record<string, QueryKind> = {
  state: "str",
  tag: "list",
  all: "bool",
  cwd: "str",
  limit: "uint",
  key: "str",
  queue: "str",
};

/** POST /start/{id}: start a created job, observe it as run does. */
export function startRoute(jobId: string, b: StartBody, ctx: Ctx): Promise<Outcome> {
  const until = toReadiness(b, jobCwd(ctx.root, jobId, ctx.cwd));
  return startCommand({ jobId, ...toObserve(b, until, b.wait ?? false, bound(b.wait_timeout_ms)) }, ctx);
}

/** GET /wait/{id} and /wait?ids=: one job, or several (X3b); a relative until_file means the job's cwd. */
export function waitRoute(ids: string[], q: WaitQuery, ctx: Ctx): Promise<Outcome> {
  const until =
    ids.length === 1 ? toReadiness(q, jobCwd(ctx.root, ids[0] as string, ctx.cwd)) : toReadiness(q, ctx.cwd);
  return waitCommand(
    {
      jobIds: ids,
      timeoutMs: bound(q.timeout_ms),
      pollMs: q.poll_ms ?? 200,
      any: q.any ?? false,
      tailLines: q.tail_lines ?? WAIT_TAIL_LINES,
      maxBytes: q.max_bytes ?? WAIT_MAX_BYTES,
      noOutput: q.no_output ?? false,
      until,
      since: q.since,
      ...(q.view === undefined ? {} : { view: q.view }),
    },
    ctx,
  );
}

/** GET /list: without cwd=, every job (an HTTP caller has no cwd of its own). */
export function listRoute(url: URL, ctx: Ctx): Promise<Outcome> {
  const q = parseQuery(url, LIST_QUERY, ListQuery);
  for (const t of q.tag ?? []) {
    if (!isValidTagPattern(t))
      throw new AgentExecError(
        "invalid_request",
        `invalid request: query tag=${JSON.stringify(t)} is not a tag pattern`,
      );
  }
  if (q.all && q.cwd !== undefined)
    throw new AgentExecError("invalid_request", "invalid request: all and cwd cannot be combined");
  return listCommand(toList({ ...q, tags: q.tag }), ctx);
}

/** POST /exec: run, with the server's wait bound. */
export async function execRoute(b: ExecBody, ctx: Ctx): Promise<Outcome> {
  // A relative until_file means the job's directory, as the job itself would see it.
  const until = toReadiness(b, resolve(ctx.cwd, b.cwd ?? "."));
  return runCommand(
    {
      ...toDefinition(b),
      ...toObserve(b, until, b.wait ?? false, bound(b.wait_timeout_ms)),
    },
    ctx,
  );
}

/** POST /restart/{id}: stop, then run again under the same id (X8). */
export function restartRoute(jobId: string, b: RestartBody, ctx: Ctx): Promise<Outcome> {
  const until = toReadiness(b, jobCwd(ctx.root, jobId, ctx.cwd));
  return restartCommand(
    {
      jobId,
      signal: signalOf(b.signal),
      killAfterMs: Math.min(b.kill_after_ms ?? 5000, MAX_WAIT_MS),
      ...toObserve(b, until, b.wait ?? false, bound(b.wait_timeout_ms)),
    },
    ctx,
  );
}
