// serve from the binary: bind rules, bearer auth over real HTTP, the line it prints, a graceful stop
// (§7, issue 5; D38, D41, D44).
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN } from "../helpers/bin.ts";
import { expectError, expectUsageError } from "../helpers/envelope.ts";
import { pollUntil } from "../helpers/poll.ts";
import { Sandbox } from "../helpers/sandbox.ts";

/**
 * Starts `serve -v` and returns the process and the port from the one JSON line it prints on
 * stdout once it accepts connections (D38); stderr is drained alongside.
 */
async function serve(sb: Sandbox, args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([BIN, "--root", sb.root, "-v", "serve", ...args], {
    env: { ...sb.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let err = "";
  let out = "";
  const readers = Promise.all([
    (async () => {
      for await (const chunk of proc.stderr) err += new TextDecoder().decode(chunk);
    })(),
    (async () => {
      for await (const chunk of proc.stdout) out += new TextDecoder().decode(chunk);
    })(),
  ]);
  const line = await pollUntil(() => (out.includes("\n") ? JSON.parse(out.slice(0, out.indexOf("\n"))) : undefined), {
    what: `the serve line on stdout (stderr: ${err})`,
  });
  return { proc, port: line.port as number, line, stderr: () => err, stdout: () => out, readers };
}

/** SIGTERM, then the exit code once both pipes are drained. */
async function stop(s: Awaited<ReturnType<typeof serve>>): Promise<number> {
  s.proc.kill("SIGTERM");
  const code = await s.proc.exited;
  await s.readers;
  return code;
}

describe("serve", () => {
  test.concurrent("refuses a non-loopback bind without a token, and bad binds", async () => {
    await using sb = Sandbox.create();
    const open = await sb.cli(["serve", "--bind", "0.0.0.0:0"]);
    expectError(open, "invalid_input", 1);
    expect(open.json.error.message).toContain("--token");
    expectError(await sb.cli(["serve", "--bind", "localhost:8080"]), "invalid_input", 1);
    expectUsageError(await sb.cli(["serve", "--bind", "127.0.0.1:1", "--port", "2"]));
    expectUsageError(await sb.cli(["serve", "--port", "70000"]));
  });

  test.concurrent("an empty token is no token: a non-loopback bind is refused, whatever the source (D41)", async () => {
    await using sb = Sandbox.create();
    const emptyFile = join(sb.dir, "empty.token");
    writeFileSync(emptyFile, "\n", { mode: 0o600 });
    for (const [args, env, source] of [
      [["--token", ""], {}, "--token"],
      [["--token-file", emptyFile], {}, "--token-file"],
      [[], { AGENT_EXEC_TOKEN: "" }, "AGENT_EXEC_TOKEN"],
    ] as const) {
      const r = await sb.cli(["serve", "--bind", "0.0.0.0:0", ...args], { env });
      expectError(r, "invalid_input", 1);
      expect(r.json.error.message).toContain(`${source} is empty`);
    }
    expect(sb.entries()).toEqual([]);
  });

  test.concurrent("--token-file: the token from a 0600 file; refused when others can read it, or not a file (D41)", async () => {
    await using sb = Sandbox.create();
    const file = join(sb.dir, "serve.token");
    writeFileSync(file, "tok-from-file\n", { mode: 0o600 });
    const s = await serve(sb, ["--bind", "0.0.0.0:0", "--token-file", file]);
    const base = `http://127.0.0.1:${s.port}`;
    expect((await fetch(`${base}/list`)).status).toBe(401);
    expect((await fetch(`${base}/list`, { headers: { authorization: "Bearer tok-from-file" } })).status).toBe(200);
    // The scheme name is case-insensitive (RFC 7235).
    expect((await fetch(`${base}/list`, { headers: { authorization: "bearer tok-from-file" } })).status).toBe(200);
    expect((await fetch(`${base}/list`, { headers: { authorization: "BEARER tok-from-file" } })).status).toBe(200);
    expect(await stop(s)).toBe(0);

    chmodSync(file, 0o644);
    const shared = await sb.cli(["serve", "--port", "0", "--token-file", file]);
    expectError(shared, "invalid_input", 1);
    expect(shared.json.error.message).toContain("chmod 600");
    const dir = join(sb.dir, "a-dir");
    mkdirSync(dir);
    const notFile = await sb.cli(["serve", "--port", "0", "--token-file", dir]);
    expectError(notFile, "invalid_input", 1);
    expect(notFile.json.error.message).toContain("not a regular file");
    expectUsageError(await sb.cli(["serve", "--port", "0", "--token", "a", "--token-file", file]));
  });

  test.concurrent("--help recommends --token-file or AGENT_EXEC_TOKEN over --token (D41)", async () => {
    await using sb = Sandbox.create();
    const help = await sb.cli(["serve", "--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("--token-file");
    expect(help.stdout).toMatch(/--token <token>.*ps.*prefer --token-file or AGENT_EXEC_TOKEN/);
  });

  test.concurrent("prints one JSON line when it accepts connections, then nothing more on stdout (D38)", async () => {
    await using sb = Sandbox.create();
    const s = await serve(sb, ["--port", "0", "--token", "tok-1"]);
    expect(s.line).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "serve",
      url: `http://127.0.0.1:${s.port}`,
      host: "127.0.0.1",
      port: expect.any(Number),
      root: sb.root,
    });
    expect(s.port).toBeGreaterThan(0);
    expect((await fetch(`${s.line.url}/health`)).status).toBe(200);
    expect(await stop(s)).toBe(0);
    expect(s.stdout()).toBe(`${JSON.stringify(s.line)}\n`);
  });

  test.concurrent("with a token: /health is open, the rest needs the bearer; SIGTERM exits 0", async () => {
    await using sb = Sandbox.create();
    const s = await serve(sb, ["--port", "0", "--token", "tok-1"]);
    const base = `http://127.0.0.1:${s.port}`;
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ schema_version: "0.1", ok: true, type: "health" });
    expect((await fetch(`${base}/list`)).status).toBe(401);
    expect((await fetch(`${base}/list`, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    expect((await fetch(`${base}/list`, { headers: { authorization: "Bearer " } })).status).toBe(401);
    const ok = await fetch(`${base}/list`, { headers: { authorization: "Bearer tok-1" } });
    expect(ok.status).toBe(200);
    // The request line is logged after the answer is sent: wait for it.
    await pollUntil(() => /GET \/list 200 \d+ms/.test(s.stderr()), { what: "the request log line" });
    expect(await stop(s)).toBe(0);
  });

  test.concurrent("AGENT_EXEC_TOKEN works as the token; --insecure allows an open bind", async () => {
    await using sb = Sandbox.create();
    const bySetting = await serve(sb, ["--port", "0"], { AGENT_EXEC_TOKEN: "from-env" });
    const base = `http://127.0.0.1:${bySetting.port}`;
    expect((await fetch(`${base}/list`)).status).toBe(401);
    expect((await fetch(`${base}/list`, { headers: { authorization: "Bearer from-env" } })).status).toBe(200);
    expect(await stop(bySetting)).toBe(0);
    const insecure = await serve(sb, ["--bind", "0.0.0.0:0", "--insecure"]);
    insecure.proc.kill("SIGINT");
    expect(await insecure.proc.exited).toBe(0);
  });

  test.concurrent("a root that others can read gets a warning; one agent-exec creates is 0700 (D44)", async () => {
    await using sb = Sandbox.create();
    mkdirSync(sb.root, { recursive: true, mode: 0o755 });
    chmodSync(sb.root, 0o755);
    const s = await serve(sb, ["--port", "0"]);
    await pollUntil(() => /WARN .*jobs root .* accessible to other users \(mode 755\)/.test(s.stderr()), {
      what: "the root warning",
    });
    expect(await stop(s)).toBe(0);
    await using fresh = Sandbox.create();
    const t = await serve(fresh, ["--port", "0"]);
    const run = await fetch(`http://127.0.0.1:${t.port}/exec`, {
      method: "POST",
      body: JSON.stringify({ command: ["true"], wait: true }),
    });
    expect(run.status).toBe(200);
    expect(await stop(t)).toBe(0);
    expect(t.stderr()).not.toContain("accessible to other users");
  });
});

describe("run --log", () => {
  test.concurrent("a --log that cannot be written is invalid_input and creates no job (D5)", async () => {
    await using sb = Sandbox.create();
    expectError(await sb.cli(["run", "--log", "/proc/no-such-dir/full.log", "--", "true"]), "invalid_input", 1);
    expect(sb.entries()).toEqual([]);
  });
});
