// `serve`: hosts the HTTP fetch handler on Bun.serve; safe by default (loopback, or a token).
import { statSync } from "node:fs";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { AgentExecError, usageError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { successEnvelope, writeStdout } from "../core/output.ts";
import { readRegularFile, TOKEN_FILE_CAP } from "../core/read-file.ts";
import { type Ctx, createInterrupt, type Outcome } from "./context.ts";

export interface ServeInput {
  bind?: string;
  port?: number;
  token?: string;
  tokenFile?: string;
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
 * The token from --token, --token-file or AGENT_EXEC_TOKEN, in that order (D41). An empty one is
 * no token: `--token "$UNSET"` must never turn authentication off. `source` names where an empty
 * token came from, so the refusal can say so.
 */
export function resolveToken(
  input: Pick<ServeInput, "token" | "tokenFile">,
  ctx: Pick<Ctx, "env" | "cwd">,
): { token?: string; source?: string } {
  if (input.token !== undefined && input.tokenFile !== undefined) {
    throw usageError("'--token' cannot be used with '--token-file'");
  }
  if (input.token !== undefined) return input.token === "" ? { source: "--token" } : { token: input.token };
  if (input.tokenFile !== undefined) {
    const token = readTokenFile(input.tokenFile, ctx.cwd);
    return token === "" ? { source: "--token-file" } : { token };
  }
  const fromEnv = ctx.env.AGENT_EXEC_TOKEN;
  if (fromEnv === undefined) return {};
  return fromEnv === "" ? { source: "AGENT_EXEC_TOKEN" } : { token: fromEnv };
}

/**
 * The token in a file only its owner can read (as ssh insists on for keys): a token readable by
 * group or others is already leaked, so it is refused. Surrounding whitespace (the final newline
 * of `echo tok > file`) is not part of it.
 */
function readTokenFile(path: string, cwd: string): string {
  const data = readRegularFile(resolve(cwd, path), "--token-file", TOKEN_FILE_CAP, (st) => {
    if ((st.mode & 0o077) !== 0) {
      throw new AgentExecError(
        "invalid_input",
        `--token-file ${JSON.stringify(path)} can be read by others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`,
      );
    }
  });
  return data.toString("utf8").trim();
}

/**
 * D44: job logs and records hold secrets. A root that others may enter or read (one made by an
 * older version, or by hand under a loose umask) is left as it is but named on stderr.
 */
function warnIfRootShared(root: string): void {
  try {
    const mode = statSync(root).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      log("warn", `jobs root ${root} is accessible to other users (mode ${mode.toString(8)}): chmod 700 it`);
    }
  } catch {
    // No root yet: the first job creates it 0700.
  }
}

/**
 * Serves until SIGTERM/SIGINT, then stops accepting, lets requests in flight finish (bounded)
 * and returns. A non-loopback bind without a token is refused unless --insecure.
 */
export async function serveCommand(input: ServeInput, ctx: Ctx): Promise<Outcome> {
  if (input.bind !== undefined && input.port !== undefined) throw usageError("'--bind' cannot be used with '--port'");
  const { host, port } =
    input.port !== undefined ? { host: "127.0.0.1", port: input.port } : parseBind(input.bind ?? "127.0.0.1:19263");
  const { token, source } = resolveToken(input, ctx);
  if (!isLoopback(host) && token === undefined && !input.insecure) {
    const empty = source === undefined ? "" : ` (${source} is empty, and an empty token is no token)`;
    throw new AgentExecError(
      "invalid_input",
      `refusing to serve on ${host} without authentication${empty}: set --token-file or AGENT_EXEC_TOKEN, or pass --insecure`,
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
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${server.port}`;
  // The one line on stdout, printed only once connections are accepted (D38): a program that
  // started `serve --port 0` reads it to learn the port. Nothing else is ever printed there.
  writeStdout(
    `${JSON.stringify(successEnvelope({ type: "serve", url, host, port: server.port as number, root: ctx.root }))}\n`,
  );
  log("info", `serving on ${url} (root ${ctx.root})`);
  warnIfRootShared(ctx.root);
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
