// `serve`: hosts the HTTP fetch handler on Bun.serve; safe by default (loopback, or a token).
import { isIP } from "node:net";
import { AgentExecError, usageError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { type Ctx, createInterrupt, type Outcome } from "./context.ts";

export interface ServeInput {
  bind?: string;
  port?: number;
  token?: string;
  insecure: boolean;
}

/** How long a graceful stop waits for requests in flight before it closes them. */
const DRAIN_MS = 10_000;

/** Parses `IP:PORT` or `[IPv6]:PORT`; hostnames are refused (they are ambiguous to bind). */
export function parseBind(bind: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(bind) ?? /^([^:]+):(\d+)$/.exec(bind);
  const host = m?.[1];
  const port = Number(m?.[2]);
  if (!host || isIP(host) === 0 || !Number.isInteger(port) || port > 65_535) {
    throw new AgentExecError(
      "invalid_input",
      `invalid --bind ${JSON.stringify(bind)}: use IP:PORT, e.g. 127.0.0.1:19263 or [::1]:19263`,
    );
  }
  return { host, port };
}

/** 127.0.0.0/8 and ::1 (also as ::ffff:127.x). */
export function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1" || /^::ffff:127\./i.test(host);
}

/**
 * Serves until SIGTERM/SIGINT, then stops accepting, lets requests in flight finish (bounded)
 * and returns. A non-loopback bind without a token is refused unless --insecure.
 */
export async function serveCommand(input: ServeInput, ctx: Ctx): Promise<Outcome> {
  if (input.bind !== undefined && input.port !== undefined) throw usageError("'--bind' cannot be used with '--port'");
  const { host, port } =
    input.port !== undefined ? { host: "127.0.0.1", port: input.port } : parseBind(input.bind ?? "127.0.0.1:19263");
  const token = input.token ?? (ctx.env.AGENT_EXEC_TOKEN || undefined);
  if (!isLoopback(host) && token === undefined && !input.insecure) {
    throw new AgentExecError(
      "invalid_input",
      `refusing to serve on ${host} without authentication: set --token or AGENT_EXEC_TOKEN, or pass --insecure`,
    );
  }
  const { interrupt: shutdown, fire } = createInterrupt();
  const { createFetchHandler } = await import("../http/server.ts");
  // Jobs and sinks started over HTTP must not inherit the server's token.
  const { AGENT_EXEC_TOKEN: _token, ...jobEnv } = ctx.env;
  const fetch = createFetchHandler({ root: ctx.root, env: jobEnv, cwd: ctx.cwd, token, shutdown });
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({ hostname: host, port, fetch, idleTimeout: 30, maxRequestBodySize: 2 << 20 });
  } catch (err) {
    throw new AgentExecError("internal_error", `cannot listen on ${host}:${port}: ${(err as Error).message}`);
  }
  log("info", `serving on http://${host.includes(":") ? `[${host}]` : host}:${server.port} (root ${ctx.root})`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      fire();
      log("info", "stopping: finishing requests in flight");
      const force = setTimeout(() => server.stop(true), DRAIN_MS);
      server.stop(false).then(() => {
        clearTimeout(force);
        resolve();
      });
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  return { payload: { type: "serve" }, text: "" };
}
