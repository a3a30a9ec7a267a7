// The HTTP API as a plain fetch function: routes -> the CLI's own handlers -> the same envelopes (§7, D17).
import { createHash, timingSafeEqual } from "node:crypto";
import { type Ctx, type Interrupt, NEVER } from "../commands/context.ts";
import { AgentExecError, ERROR_TABLE, toAgentExecError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { errorEnvelope, successEnvelope } from "../core/output.ts";
import { monoMs } from "../core/time.ts";
import { BODY_TIMEOUT_MS, MAX_BODY, PayloadTooLarge, RequestTimeout } from "./body.ts";
import { checkQuery } from "./request.ts";
import { MAX_WAIT_MS, ROUTES } from "./routes.ts";

export { BODY_TIMEOUT_MS, MAX_BODY } from "./body.ts";
export { MAX_WAIT_MS } from "./routes.ts";

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

/** What the handler uses of Bun's server (absent when tests call the handler directly). */
export interface ServerHooks {
  timeout(request: Request, seconds: number): void;
}

/**
 * The server as a function from Request to Response. Tests call it directly; `serve` hands it
 * to Bun.serve. Errors are mapped to statuses in one place, from the error table.
 */
export function createFetchHandler(options: ServerOptions): (req: Request, server?: ServerHooks) => Promise<Response> {
  // An empty token is no token (D41): it would otherwise match an empty credential.
  const opts = { ...options, token: options.token || undefined };
  const ctx: Ctx = { root: opts.root, env: opts.env, cwd: opts.cwd, interrupt: opts.shutdown ?? NEVER };
  return async (req, server) => {
    const began = monoMs();
    const url = new URL(req.url);
    // Waits may legitimately outlast the idle timeout that protects us from idle connections.
    if (/^\/(wait|exec|start|restart)\b/.test(url.pathname)) server?.timeout(req, Math.ceil(MAX_WAIT_MS / 1000) + 30);
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
    const outcome = await r.handle(r.match.exec(path) as RegExpExecArray, req, url, ctx);
    // An event stream (X11) is its own response; every other route answers with an envelope.
    if (outcome instanceof Response) return outcome;
    return json(200, successEnvelope(outcome.payload));
  } catch (caught) {
    if (caught instanceof PayloadTooLarge) return fail(413, "invalid_request", `request body over ${MAX_BODY} bytes`);
    if (caught instanceof RequestTimeout) {
      const res = fail(408, "invalid_request", `request body not received within ${BODY_TIMEOUT_MS} ms`);
      res.headers.set("connection", "close"); // the rest of the body will never be read
      return res;
    }
    let err = toAgentExecError(caught);
    if (err.code === "internal_error") log("warn", `${req.method} ${path}: ${err.message}`);
    // What the CLI calls a usage error (a bad value, a cursor of another job) is a bad request
    // here (D36, D43): the reference's code, so HTTP clients see one code for every bad input.
    if (err.code === "usage_error") {
      err = new AgentExecError("invalid_request", `invalid request: ${err.message}`, {
        cause: err,
        ...(err.details ? { details: err.details } : {}),
      });
    }
    return json(ERROR_TABLE[err.code].http, errorEnvelope(err));
  }
}
