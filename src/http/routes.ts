// The route table of the HTTP API: each route parses its query or body strictly (D36) and calls the
// handler of the CLI command of the same name; /follow and /events answer with event streams (X11).
import { resolve } from "node:path";
import { jobCwd, toDefinition, toObserve, toReadiness } from "../api/fields.ts";
import type { Ctx, Outcome } from "../commands/context.ts";
import { createCommand } from "../commands/create.ts";
import { deleteCommand } from "../commands/delete.ts";
import { killCommand } from "../commands/kill.ts";
import { listCommand } from "../commands/list.ts";
import { restartCommand } from "../commands/restart.ts";
import { runCommand } from "../commands/run.ts";
import { startCommand } from "../commands/start.ts";
import { statusCommand } from "../commands/status.ts";
import { tagSetCommand } from "../commands/tag.ts";
import { tailCommand } from "../commands/tail.ts";
import { WAIT_MAX_BYTES, WAIT_TAIL_LINES, waitCommand } from "../commands/wait.ts";
import { AgentExecError } from "../core/errors.ts";
import { normalizeSignal } from "../process/signal-names.ts";
import { isValidTagPattern } from "../store/tags.ts";
import { readJson } from "./body.ts";
import { eventsRoute, followRoute } from "./follow-route.ts";
import {
  CreateBody,
  DeleteQuery,
  ExecBody,
  KillBody,
  ListQuery,
  parseBody,
  parseQuery,
  type QueryKind,
  RestartBody,
  StartBody,
  TagBody,
  TailQuery,
  WaitManyQuery,
  WaitQuery,
} from "./request.ts";

/** A /wait (or /exec, /start, /restart that waits) never blocks longer than this, whatever it asks for. */
export const MAX_WAIT_MS = 600_000;
/** The bound of a wait that names none. */
export const DEFAULT_WAIT_MS = 30_000;

/** One route: method, path pattern, the query parameters it reads (any other is refused, D36). */
export interface Route {
  method: string;
  match: RegExp;
  query?: readonly string[];
  handle: (m: RegExpExecArray, req: Request, url: URL, ctx: Ctx) => Promise<Outcome | Response>;
}

/** The id segment of a route, decoded; malformed %-escapes cannot name a job (D1). */
function id(m: RegExpExecArray): string {
  try {
    return decodeURIComponent(m[1] as string);
  } catch {
    throw new AgentExecError("job_not_found", `job not found: invalid job id ${JSON.stringify(m[1])}`);
  }
}

/** A wait bound as asked for (0 or absent = the default), capped at MAX_WAIT_MS. */
const bound = (ms: number | undefined) => Math.min(ms || DEFAULT_WAIT_MS, MAX_WAIT_MS);

/** The signal of a body, as a bare name (default TERM); an unknown one is invalid_request. */
function signalOf(given: string | undefined): string {
  const signal = normalizeSignal(given ?? "TERM");
  if (!signal) {
    throw new AgentExecError("invalid_request", `invalid request: signal: unknown signal ${JSON.stringify(given)}`);
  }
  return signal;
}

const TAIL_QUERY: Record<string, QueryKind> = { tail_lines: "uint", max_bytes: "uint", since: "str" };
const WAIT_QUERY: Record<string, QueryKind> = {
  timeout_ms: "uint",
  poll_ms: "uint",
  any: "bool",
  tail_lines: "uint",
  max_bytes: "uint",
  no_output: "bool",
  since: "str",
  until_match: "str",
  until_stream: "str",
  until_port: "uint",
  until_host: "str",
  until_file: "str",
};
const LIST_QUERY: Record<string, QueryKind> = {
  state: "str",
  tag: "list",
  all: "bool",
  cwd: "str",
  limit: "uint",
  key: "str",
};

/** The route table. Every route calls the same handler as the CLI command of the same name. */
export const ROUTES: Route[] = [
  {
    method: "POST",
    match: /^\/exec$/,
    handle: async (_m, req, _url, ctx) => execRoute(parseBody(ExecBody, await readJson(req, false)), ctx),
  },
  {
    method: "POST",
    match: /^\/create$/,
    handle: async (_m, req, _url, ctx) =>
      createCommand(toDefinition(parseBody(CreateBody, await readJson(req, false))), ctx),
  },
  {
    method: "POST",
    match: /^\/start\/([^/]*)$/,
    handle: async (m, req, _url, ctx) => {
      const b = parseBody(StartBody, await readJson(req, true));
      const jobId = id(m);
      const until = toReadiness(b, jobCwd(ctx.root, jobId, ctx.cwd));
      return startCommand({ jobId, ...toObserve(b, until, b.wait ?? false, bound(b.wait_timeout_ms)) }, ctx);
    },
  },
  {
    method: "POST",
    match: /^\/restart\/([^/]*)$/,
    handle: async (m, req, _url, ctx) => restartRoute(id(m), parseBody(RestartBody, await readJson(req, true)), ctx),
  },
  { method: "GET", match: /^\/status\/([^/]*)$/, handle: (m, _r, _u, ctx) => statusCommand({ jobId: id(m) }, ctx) },
  {
    method: "GET",
    match: /^\/tail\/([^/]*)$/,
    query: Object.keys(TAIL_QUERY),
    handle: (m, _r, url, ctx) => {
      const q = parseQuery(url, TAIL_QUERY, TailQuery);
      return tailCommand(
        { jobId: id(m), tailLines: q.tail_lines ?? 50, maxBytes: q.max_bytes ?? 65_536, since: q.since },
        ctx,
      );
    },
  },
  {
    method: "GET",
    match: /^\/wait\/([^/]*)$/,
    query: Object.keys(WAIT_QUERY),
    handle: (m, _r, url, ctx) => waitRoute([id(m)], parseQuery(url, WAIT_QUERY, WaitQuery), ctx),
  },
  {
    method: "GET",
    match: /^\/wait$/,
    query: ["ids", ...Object.keys(WAIT_QUERY)],
    handle: (_m, _r, url, ctx) => {
      const { ids, ...q } = parseQuery(url, { ids: "list", ...WAIT_QUERY }, WaitManyQuery);
      return waitRoute(ids, q, ctx);
    },
  },
  {
    method: "GET",
    match: /^\/follow\/([^/]*)$/,
    query: ["since"],
    handle: async (m, req, url, ctx) => followRoute(id(m), req, url, ctx),
  },
  { method: "GET", match: /^\/events$/, handle: async (_m, req, _url, ctx) => eventsRoute(req, ctx) },
  {
    method: "POST",
    match: /^\/kill\/([^/]*)$/,
    handle: async (m, req, _url, ctx) => {
      const body = parseBody(KillBody, await readJson(req, true));
      return killCommand({ jobId: id(m), signal: signalOf(body.signal) }, ctx);
    },
  },
  {
    method: "POST",
    match: /^\/tag\/([^/]*)$/,
    handle: async (m, req, _url, ctx) => {
      const body = parseBody(TagBody, await readJson(req, false));
      return tagSetCommand({ jobId: id(m), tags: body.tags }, ctx);
    },
  },
  {
    method: "GET",
    match: /^\/list$/,
    query: Object.keys(LIST_QUERY),
    handle: (_m, _r, url, ctx) => listRoute(url, ctx),
  },
  {
    method: "POST",
    match: /^\/delete\/([^/]*)$/,
    query: ["dry_run"],
    handle: (m, _r, url, ctx) =>
      deleteCommand(
        { jobId: id(m), all: false, dryRun: parseQuery(url, { dry_run: "bool" }, DeleteQuery).dry_run ?? false },
        ctx,
      ),
  },
];

function waitRoute(ids: string[], q: WaitQuery, ctx: Ctx): Promise<Outcome> {
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
    },
    ctx,
  );
}

function listRoute(url: URL, ctx: Ctx): Promise<Outcome> {
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
  // Over HTTP the caller has no cwd of its own: without cwd=, list every job.
  return listCommand(
    {
      all: q.all || q.cwd === undefined,
      cwd: q.cwd,
      state: q.state,
      limit: q.limit ?? 50,
      tags: q.tag ?? [],
      ...(q.key === undefined ? {} : { key: q.key }),
    },
    ctx,
  );
}

async function execRoute(b: ExecBody, ctx: Ctx): Promise<Outcome> {
  // A relative until_file means the job's directory, as the job itself would see it.
  const until = toReadiness(b, resolve(ctx.cwd, b.cwd ?? "."));
  return runCommand(
    {
      ...toDefinition(b),
      ...toObserve(b, until, b.wait ?? false, bound(b.wait_timeout_ms)),
      ...(b.log === undefined ? {} : { logPath: b.log }),
    },
    ctx,
  );
}

function restartRoute(jobId: string, b: RestartBody, ctx: Ctx): Promise<Outcome> {
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
