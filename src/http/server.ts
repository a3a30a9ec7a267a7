// The HTTP API as a plain fetch function: routes -> the CLI's own handlers -> the same envelopes (§7, D17).
import { createHash, timingSafeEqual } from "node:crypto";
import { type Ctx, type Interrupt, NEVER, type Outcome } from "../commands/context.ts";
import { deleteCommand } from "../commands/delete.ts";
import { killCommand } from "../commands/kill.ts";
import { LIST_STATES, listCommand } from "../commands/list.ts";
import { runCommand } from "../commands/run.ts";
import { statusCommand } from "../commands/status.ts";
import { tailCommand } from "../commands/tail.ts";
import { waitCommand } from "../commands/wait.ts";
import { AgentExecError, ERROR_TABLE, toAgentExecError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { errorEnvelope, successEnvelope } from "../core/output.ts";
import { monoMs } from "../core/time.ts";
import { normalizeSignal } from "../process/signal-names.ts";
import { isValidTagPattern } from "../store/tags.ts";
import { boolQuery, checkQuery, ExecBody, KillBody, parseBody, uintQuery } from "./request.ts";

/** Bodies larger than this are refused with 413 (D17). */
export const MAX_BODY = 1 << 20;
/** A /wait (or /exec with wait) never blocks longer than this, whatever it asks for. */
export const MAX_WAIT_MS = 600_000;
const DEFAULT_WAIT_MS = 30_000;

export interface ServerOptions {
  root: string;
  env: Record<string, string | undefined>;
  cwd: string;
  /** When set, every route but /health needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Fires when the server shuts down, so long waits answer at once. */
  shutdown?: Interrupt;
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const fail = (status: number, code: AgentExecError["code"], message: string): Response =>
  json(status, errorEnvelope(new AgentExecError(code, message)));

/** Constant-time token comparison (hashing first makes the lengths equal). */
function tokenMatches(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Reads a JSON body of at most MAX_BODY bytes; empty, oversized or malformed bodies are errors. */
async function readJson(req: Request, optional: boolean): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY) throw new PayloadTooLarge();
  // A client that stops sending its body gets 408 instead of holding a request open.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RequestTimeout()), BODY_TIMEOUT_MS);
  });
  const buf = await Promise.race([req.arrayBuffer(), stalled]).finally(() => clearTimeout(timer));
  if (buf.byteLength > MAX_BODY) throw new PayloadTooLarge();
  if (buf.byteLength === 0) {
    if (optional) return {};
    throw new AgentExecError("invalid_request", "invalid request: request body is required (JSON)");
  }
  try {
    return JSON.parse(new TextDecoder().decode(buf));
  } catch (err) {
    throw new AgentExecError("invalid_request", `invalid request: invalid JSON: ${(err as Error).message}`);
  }
}

class PayloadTooLarge extends Error {}
class RequestTimeout extends Error {}

/** How long a request body may take to arrive. */
export const BODY_TIMEOUT_MS = 10_000;

type Route = {
  method: string;
  match: RegExp;
  /** The query parameters the route reads; any other is refused (D36). */
  query?: readonly string[];
  handle: (m: RegExpExecArray, req: Request, url: URL, ctx: Ctx) => Promise<Outcome>;
};

/** The id segment of a route, decoded; malformed %-escapes cannot name a job (D1). */
function id(m: RegExpExecArray): string {
  try {
    return decodeURIComponent(m[1] as string);
  } catch {
    throw new AgentExecError("job_not_found", `job not found: invalid job id ${JSON.stringify(m[1])}`);
  }
}

/** The route table. Every route calls the same handler as the CLI command of the same name. */
const ROUTES: Route[] = [
  {
    method: "POST",
    match: /^\/exec$/,
    handle: async (_m, req, _url, ctx) => execRoute(parseBody(ExecBody, await readJson(req, false)), ctx),
  },
  { method: "GET", match: /^\/status\/([^/]*)$/, handle: (m, _r, _u, ctx) => statusCommand({ jobId: id(m) }, ctx) },
  {
    method: "GET",
    match: /^\/tail\/([^/]*)$/,
    query: ["tail_lines", "max_bytes"],
    handle: (m, _r, url, ctx) =>
      tailCommand(
        { jobId: id(m), tailLines: uintQuery(url, "tail_lines", 50), maxBytes: uintQuery(url, "max_bytes", 65_536) },
        ctx,
      ),
  },
  {
    method: "GET",
    match: /^\/wait\/([^/]*)$/,
    query: ["timeout_ms", "poll_ms"],
    handle: (m, _r, url, ctx) =>
      waitCommand(
        {
          jobIds: [id(m)],
          timeoutMs: Math.min(uintQuery(url, "timeout_ms", DEFAULT_WAIT_MS) || DEFAULT_WAIT_MS, MAX_WAIT_MS),
          pollMs: uintQuery(url, "poll_ms", 200),
        },
        ctx,
      ),
  },
  {
    method: "POST",
    match: /^\/kill\/([^/]*)$/,
    handle: async (m, req, _url, ctx) => {
      const body = parseBody(KillBody, await readJson(req, true));
      const signal = normalizeSignal(body.signal ?? "TERM");
      if (!signal)
        throw new AgentExecError(
          "invalid_request",
          `invalid request: signal: unknown signal ${JSON.stringify(body.signal)}`,
        );
      return killCommand({ jobId: id(m), signal }, ctx);
    },
  },
  {
    method: "GET",
    match: /^\/list$/,
    query: ["state", "tag", "all", "cwd", "limit"],
    handle: (_m, _r, url, ctx) => listRoute(url, ctx),
  },
  {
    method: "POST",
    match: /^\/delete\/([^/]*)$/,
    query: ["dry_run"],
    handle: (m, _r, url, ctx) => deleteCommand({ jobId: id(m), all: false, dryRun: boolQuery(url, "dry_run") }, ctx),
  },
];

function listRoute(url: URL, ctx: Ctx): Promise<Outcome> {
  const q = url.searchParams;
  const state = q.get("state") ?? undefined;
  if (state !== undefined && !(LIST_STATES as readonly string[]).includes(state)) {
    throw new AgentExecError(
      "invalid_request",
      `invalid request: query state=${JSON.stringify(state)}: expected one of ${LIST_STATES.join(", ")}`,
    );
  }
  const tags = q.getAll("tag");
  for (const t of tags) {
    if (!isValidTagPattern(t))
      throw new AgentExecError(
        "invalid_request",
        `invalid request: query tag=${JSON.stringify(t)} is not a tag pattern`,
      );
  }
  const all = boolQuery(url, "all");
  const cwd = q.get("cwd") ?? undefined;
  if (all && cwd !== undefined)
    throw new AgentExecError("invalid_request", "invalid request: all and cwd cannot be combined");
  // Over HTTP the caller has no cwd of its own: without cwd=, list every job.
  return listCommand(
    {
      all: all || cwd === undefined,
      cwd,
      state: state as (typeof LIST_STATES)[number] | undefined,
      limit: uintQuery(url, "limit", 50),
      tags,
    },
    ctx,
  );
}

async function execRoute(b: ExecBody, ctx: Ctx): Promise<Outcome> {
  const env = Object.entries(b.env ?? {}).map(([k, v]) => `${k}=${v}`);
  return runCommand(
    {
      command: b.command,
      cwd: b.cwd,
      env,
      envFiles: b.env_files ?? [],
      inheritEnv: b.inherit_env ?? true,
      mask: b.mask ?? [],
      tags: b.tags ?? [],
      timeoutMs: b.timeout_ms ?? 0,
      killAfterMs: b.kill_after_ms ?? 0,
      progressEveryMs: b.progress_every_ms ?? 0,
      maxLogBytes: b.max_log_bytes,
      notify: {
        notifyCommand: b.notify_command,
        notifyFile: b.notify_file,
        outputPattern: b.output_pattern,
        outputMatchType: b.output_match_type,
        outputStream: b.output_stream,
        outputCommand: b.output_command,
        outputFile: b.output_file,
      },
      snapshotAfterMs: b.snapshot_after_ms ?? 0,
      tailLines: b.tail_lines ?? 50,
      maxBytes: b.max_bytes ?? 65_536,
      wait: b.wait ?? false,
      waitPollMs: 200,
      waitTimeoutMs: Math.min(b.wait_timeout_ms || DEFAULT_WAIT_MS, MAX_WAIT_MS),
    },
    ctx,
  );
}

/**
 * The server as a function from Request to Response. Tests call it directly; `serve` hands it
 * to Bun.serve. Errors are mapped to statuses in one place, from the error table.
 */
/** What the handler uses of Bun's server (absent when tests call the handler directly). */
export interface ServerHooks {
  timeout(request: Request, seconds: number): void;
}

export function createFetchHandler(options: ServerOptions): (req: Request, server?: ServerHooks) => Promise<Response> {
  // An empty token is no token (D41): it would otherwise match an empty credential.
  const opts = { ...options, token: options.token || undefined };
  const ctx: Ctx = { root: opts.root, env: opts.env, cwd: opts.cwd, interrupt: opts.shutdown ?? NEVER };
  return async (req, server) => {
    const began = monoMs();
    const url = new URL(req.url);
    // Waits may legitimately outlast the idle timeout that protects us from idle connections.
    if (/^\/(wait|exec)\b/.test(url.pathname)) server?.timeout(req, Math.ceil(MAX_WAIT_MS / 1000) + 30);
    const res = await route(req, url, ctx, opts);
    log("info", `${req.method} ${url.pathname} ${res.status} ${Math.round(monoMs() - began)}ms`);
    return res;
  };
}

/** The request's Host header names this machine's loopback (or no host at all). */
function loopbackHost(req: Request): boolean {
  const host = (req.headers.get("host") ?? "").toLowerCase().replace(/:\d+$/, "");
  return host === "" || host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function route(req: Request, url: URL, ctx: Ctx, opts: ServerOptions): Promise<Response> {
  const path = url.pathname;
  // A web page must never drive the API: browsers mark every cross-site request with Origin
  // (a text/plain POST needs no preflight), and without a token a DNS-rebound name would pass
  // for loopback, so a foreign Host is refused too. CLI, agents and scripts send neither.
  if (req.headers.get("origin") !== null) {
    return fail(403, "forbidden", "requests from web pages (with an Origin header) are not accepted");
  }
  if (opts.token === undefined && !loopbackHost(req)) {
    return fail(403, "forbidden", "without a token only loopback Host names are accepted (set --token)");
  }
  if (path === "/health") {
    return req.method === "GET"
      ? json(200, successEnvelope({ type: "health" }))
      : fail(405, "invalid_request", `method ${req.method} not allowed on /health`);
  }
  if (opts.token !== undefined) {
    // The scheme name is case-insensitive (RFC 7235 §2.1); a missing credential never matches.
    const given = /^bearer +(.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1];
    if (given === undefined || !tokenMatches(given, opts.token)) {
      const res = fail(401, "unauthorized", "unauthorized: send Authorization: Bearer <token>");
      res.headers.set("www-authenticate", "Bearer");
      return res;
    }
  }
  const candidates = ROUTES.filter((r) => r.match.test(path));
  if (candidates.length === 0) return fail(404, "invalid_request", `no route for ${path}`);
  const r = candidates.find((c) => c.method === req.method);
  if (!r) {
    const res = fail(
      405,
      "invalid_request",
      `method ${req.method} not allowed on ${path}; use ${candidates.map((c) => c.method).join(", ")}`,
    );
    res.headers.set("allow", candidates.map((c) => c.method).join(", "));
    return res;
  }
  try {
    checkQuery(url, r.query ?? []);
    const { payload } = await r.handle(r.match.exec(path) as RegExpExecArray, req, url, ctx);
    return json(200, successEnvelope(payload));
  } catch (caught) {
    if (caught instanceof PayloadTooLarge) return fail(413, "invalid_request", `request body over ${MAX_BODY} bytes`);
    if (caught instanceof RequestTimeout) {
      const res = fail(408, "invalid_request", `request body not received within ${BODY_TIMEOUT_MS} ms`);
      res.headers.set("connection", "close"); // the rest of the body will never be read
      return res;
    }
    const err = toAgentExecError(caught);
    if (err.code === "internal_error") log("warn", `${req.method} ${path}: ${err.message}`);
    return json(err.code === "usage_error" ? 400 : ERROR_TABLE[err.code].http, errorEnvelope(err));
  }
}
