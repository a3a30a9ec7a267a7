// R11: the red-team findings of issue 12, made repeatable. An empty token must not open serve
// (D41); a FIFO or /dev/zero named as env file must neither freeze nor exhaust serve, and the
// request must be refused quickly (D42); MCP must answer bad lines and survive a 10 MB line
// (D45); env names and NUL bytes are refused on every front (D43); job files are private (D44).
// Loopback only; every process started is stopped.
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { startRawMcp } from "../../test/helpers/mcp-raw.ts";
import { Sandbox } from "../../test/helpers/sandbox.ts";
import { type AttackResult, BIN, call, Findings, rssOf, startServer } from "./common.ts";

const MiB = 1 << 20;

export interface R11Options {
  seed: number;
  /** How many hostile env-file requests go to serve at once (FIFO and /dev/zero, half each). */
  fileRequests: number;
  /** How many 10 MB lines MCP is sent. */
  bigLines: number;
}

/** Runs every hardening case; one verdict. */
export async function r11(opts: R11Options): Promise<AttackResult> {
  const f = new Findings("R11 hardening", opts.seed);
  await using sb = Sandbox.create();
  await emptyToken(f, sb);
  await hostileFiles(f, sb, opts.fileRequests);
  await mcpLines(f, sb, opts.bigLines);
  await namesAndBytes(f, sb);
  return f.result();
}

/** D41: `--token ""`, an empty AGENT_EXEC_TOKEN: a non-loopback bind is refused, never served. */
async function emptyToken(f: Findings, sb: Sandbox): Promise<void> {
  for (const [args, env] of [
    [["--token", ""], {}],
    [[], { AGENT_EXEC_TOKEN: "" }],
  ] as const) {
    f.runs++;
    const c = await call(sb, ["serve", "--bind", "0.0.0.0:0", ...args], { env, timeoutMs: 10_000 });
    f.check(
      c.exitCode === 1 && c.json?.error?.code === "invalid_input",
      () => `serve --bind 0.0.0.0:0 with an empty token (${JSON.stringify(args)}) was not refused: ${c.stdout}`,
    );
  }
}

/** D42: hostile env files over HTTP, many at once, while /health is polled. */
async function hostileFiles(f: Findings, sb: Sandbox, n: number): Promise<void> {
  const fifo = join(sb.dir, "env.fifo");
  Bun.spawnSync(["mkfifo", fifo]);
  const token = `tok-${crypto.randomUUID()}`;
  const server = await startServer(sb, { token });
  try {
    const before = rssOf(server.pid) ?? 0;
    const headers = { authorization: `Bearer ${token}` };
    let healthMax = 0;
    let healthFails = 0;
    let stop = false;
    const monitor = (async () => {
      while (!stop) {
        const began = performance.now();
        const ok = await fetch(`${server.base}/health`, { signal: AbortSignal.timeout(5000) })
          .then((r) => r.status === 200)
          .catch(() => false);
        healthMax = Math.max(healthMax, performance.now() - began);
        if (!ok) healthFails++;
        await Bun.sleep(50);
      }
    })();
    const began = performance.now();
    const answers = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const file = i % 2 === 0 ? fifo : "/dev/zero";
        const r = await fetch(`${server.base}/exec`, {
          method: "POST",
          headers,
          body: JSON.stringify({ command: ["true"], env_files: [file] }),
          signal: AbortSignal.timeout(20_000),
        }).catch((err: Error) => err);
        return { file, r: r instanceof Error ? r.message : r.status };
      }),
    );
    const secs = (performance.now() - began) / 1000;
    stop = true;
    await monitor;
    for (const a of answers) {
      f.runs++;
      f.check(a.r === 400, () => `POST /exec with env_files [${a.file}]: ${a.r} (expected 400 invalid_input)`);
    }
    const after = rssOf(server.pid) ?? 0;
    f.check(healthFails === 0, () => `/health failed ${healthFails}× while hostile env files were named`);
    f.check(after < before + 64 * MiB, () => `serve RSS grew from ${before / MiB} to ${after / MiB} MiB`);
    const jobs = existsSync(sb.root) ? readdirSync(sb.root).filter((e) => !e.startsWith(".")) : [];
    f.check(jobs.length === 0, () => `hostile env files left ${jobs.length} job directories`);
    f.fig(
      `${n} FIFO//dev/zero env files refused in ${secs.toFixed(1)} s; /health max ${Math.round(healthMax)} ms; RSS ${(before / MiB).toFixed(0)}→${(after / MiB).toFixed(0)} MiB`,
    );
    // D44: a job's directory and files are private.
    const ok = await fetch(`${server.base}/exec`, {
      method: "POST",
      headers,
      body: JSON.stringify({ command: ["true"], env: { SECRET: "s" }, wait: true }),
      signal: AbortSignal.timeout(20_000),
    })
      .then((r) => r.json() as Promise<{ job_id?: string }>)
      .catch((err: Error) => ({ error: err.message, job_id: undefined }));
    f.runs++;
    if (f.check(typeof ok.job_id === "string", () => `a plain /exec failed: ${JSON.stringify(ok)}`)) {
      const dir = join(sb.root, ok.job_id as string);
      const mode = (p: string) => statSync(p).mode & 0o777;
      f.check(mode(sb.root) === 0o700 && mode(dir) === 0o700, () => `root or job dir not 0700`);
      for (const name of readdirSync(dir)) {
        f.check(mode(join(dir, name)) === 0o600, () => `${name} is ${mode(join(dir, name)).toString(8)}, not 600`);
      }
    }
  } finally {
    await server.stop();
  }
}

/** D45: MCP gets malformed lines, an unknown method and 10 MB lines, and must answer each and live. */
async function mcpLines(f: Findings, sb: Sandbox, bigLines: number): Promise<void> {
  mkdirSync(sb.root, { recursive: true });
  const {
    proc,
    write: send,
    replies,
    drained: reader,
  } = startRawMcp([BIN, "--root", sb.root, "mcp"], {
    cwd: sb.cwd,
    env: sb.env,
  });
  const awaitReplies = async (n: number) => {
    const deadline = performance.now() + 30_000;
    while (replies.length < n && performance.now() < deadline && proc.exitCode === null) await Bun.sleep(25);
  };
  try {
    const expected: number[] = [];
    send("{oops\n");
    expected.push(-32700);
    send('{"jsonrpc":"2.0","id":5,"method":"nope"}\n');
    expected.push(-32601);
    const mb = new Uint8Array(MiB).fill(0x7b);
    for (let i = 0; i < bigLines; i++) {
      for (let j = 0; j < 10; j++) send(mb);
      send("\n");
      expected.push(-32600);
    }
    send(
      `${JSON.stringify({ jsonrpc: "2.0", id: 9, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "r11", version: "1" } } })}\n`,
    );
    await awaitReplies(expected.length + 1);
    for (const [i, code] of expected.entries()) {
      f.runs++;
      f.check(
        replies[i]?.error?.code === code,
        () => `MCP reply #${i + 1}: ${JSON.stringify(replies[i])} (expected ${code})`,
      );
    }
    f.check(
      replies.some((r) => r.id === 9 && !r.error),
      () => `MCP did not answer initialize after the bad lines (exit ${proc.exitCode})`,
    );
    f.check(proc.exitCode === null, () => `MCP exited (${proc.exitCode}) on bad input`);
    f.fig(`MCP: ${expected.length} bad lines (${bigLines}× 10 MB) answered, still serving`);
  } finally {
    proc.stdin.end();
    const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await proc.exited;
    clearTimeout(t);
    await reader;
  }
}

/** D43 on the CLI: env names that are no variable names are usage errors (HTTP and MCP above and in tests). */
async function namesAndBytes(f: Findings, sb: Sandbox): Promise<void> {
  for (const item of ["=v", "A-B=v", "1X=v"]) {
    f.runs++;
    const c = await call(sb, ["run", "--env", item, "--", "true"], { timeoutMs: 10_000 });
    f.check(
      c.exitCode === 2 && c.json?.error?.code === "usage_error",
      () => `run --env ${item}: exit ${c.exitCode} ${c.stdout.slice(0, 200)}`,
    );
  }
}
