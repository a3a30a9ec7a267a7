// The route table of the HTTP API: each route parses its query or body strictly (D36) and calls the
// handler of the CLI command of the same name; /follow and /events answer with event streams (X11).
import { toDefinition } from "../api/fields.ts";
import type { Ctx, Outcome } from "../commands/context.ts";
import { createCommand } from "../commands/create.ts";
import { deleteCommand } from "../commands/delete.ts";
import { killCommand } from "../commands/kill.ts";
import { queueListCommand, queueSetCommand } from "../commands/queue.ts";
import { sendCommand, sendData } from "../commands/send.ts";
import { statusCommand } from "../commands/status.ts";
import { tagSetCommand } from "../commands/tag.ts";
import { tailCommand } from "../commands/tail.ts";
import { AgentExecError } from "../core/errors.ts";
import { readJson } from "./body.ts";
import { eventsRoute, followRoute } from "./follow-route.ts";
import {
  CreateBody,
  DeleteQuery,
  ExecBody,
  KillBody,
  parseBody,
  parseQuery,
  type QueryKind,
  QueueBody,
  RestartBody,
  SendBody,
  StartBody,
  TagBody,
  TailQuery,
  WaitManyQuery,
  WaitQuery,
} from "./request.ts";
import { execRoute, LIST_QUERY, listRoute, restartRoute, signalOf, startRoute, waitRoute } from "./route-calls.ts";

export { DEFAULT_WAIT_MS, MAX_WAIT_MS } from "./route-calls.ts";

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

const TAIL_QUERY: Record<string, QueryKind> = { tail_lines: "uint", max_bytes: "uint", since: "str", view: "str" };
const WAIT_QUERY: Record<string, QueryKind> = {
  view: "str",
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
    handle: async (m, req, _url, ctx) => startRoute(id(m), parseBody(StartBody, await readJson(req, true)), ctx),
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
        {
          jobId: id(m),
          tailLines: q.tail_lines ?? 50,
          maxBytes: q.max_bytes ?? 65_536,
          since: q.since,
          ...(q.view === undefined ? {} : { view: q.view }),
        },
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
    query: ["since", "view"],
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
    method: "POST",
    match: /^\/send\/([^/]*)$/,
    handle: async (m, req, _url, ctx) => {
      const b = parseBody(SendBody, await readJson(req, false));
      if (b.data !== undefined && b.text !== undefined) {
        throw new AgentExecError("invalid_request", "invalid request: give text or data, not both");
      }
      const sent =
        b.data !== undefined
          ? { data: Buffer.from(b.data, "base64"), eof: b.eof === true }
          : sendData(b.text, b.newline, b.eof);
      return sendCommand({ jobId: id(m), ...sent }, ctx);
    },
  },
  { method: "GET", match: /^\/queues$/, handle: (_m, _r, _u, ctx) => queueListCommand(ctx) },
  {
    method: "POST",
    match: /^\/queues\/([^/]*)$/,
    handle: async (m, req, _url, ctx) => {
      const b = parseBody(QueueBody, await readJson(req, false));
      let name: string;
      try {
        name = decodeURIComponent(m[1] as string);
      } catch {
        throw new AgentExecError("invalid_request", `invalid request: invalid queue name ${JSON.stringify(m[1])}`);
      }
      return queueSetCommand({ name, parallel: b.parallel }, ctx);
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
