// serve from the binary: bind rules, bearer auth over real HTTP, and a graceful stop (§7, issue 5).
import { describe, expect, test } from "bun:test";
import { BIN } from "../helpers/bin.ts";
import { expectError, expectUsageError } from "../helpers/envelope.ts";
import { pollUntil } from "../helpers/poll.ts";
import { Sandbox } from "../helpers/sandbox.ts";

/** Starts `serve` with -v and returns the process and the port it logged. */
async function serve(sb: Sandbox, args: string[]) {
  const proc = Bun.spawn([BIN, "--root", sb.root, "-v", "serve", ...args], {
    env: sb.env,
    stdout: "pipe",
    stderr: "pipe",
  });
  let err = "";
  const reader = (async () => {
    for await (const chunk of proc.stderr) err += new TextDecoder().decode(chunk);
  })();
  const port = await pollUntil(() => Number(/serving on http:\/\/[^ ]*:(\d+)/.exec(err)?.[1]) || undefined, {
    what: "the serving line on stderr",
  });
  return { proc, port, stderr: () => err, reader };
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

  test.concurrent("with a token: /health is open, the rest needs the bearer; SIGTERM exits 0 with nothing on stdout", async () => {
    await using sb = Sandbox.create();
    const s = await serve(sb, ["--port", "0", "--token", "tok-1"]);
    const base = `http://127.0.0.1:${s.port}`;
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ schema_version: "0.1", ok: true, type: "health" });
    expect((await fetch(`${base}/list`)).status).toBe(401);
    expect((await fetch(`${base}/list`, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    const ok = await fetch(`${base}/list`, { headers: { authorization: "Bearer tok-1" } });
    expect(ok.status).toBe(200);
    // The access line is written after the response is sent: wait for it, do not race it.
    await pollUntil(s.stderr, { until: (e) => /GET \/list 200 \d+ms/.test(e), what: "the access log line" });
    s.proc.kill("SIGTERM");
    expect(await s.proc.exited).toBe(0);
    expect(await new Response(s.proc.stdout).text()).toBe("");
  });

  test.concurrent("AGENT_EXEC_TOKEN works as the token; --insecure allows an open bind", async () => {
    await using sb = Sandbox.create();
    const bySetting = Bun.spawn([BIN, "--root", sb.root, "-v", "serve", "--port", "0"], {
      env: { ...sb.env, AGENT_EXEC_TOKEN: "from-env" },
      stdout: "pipe",
      stderr: "pipe",
    });
    let err = "";
    (async () => {
      for await (const c of bySetting.stderr) err += new TextDecoder().decode(c);
    })();
    const port = await pollUntil(() => Number(/:(\d+) \(root/.exec(err)?.[1]) || undefined);
    expect((await fetch(`http://127.0.0.1:${port}/list`)).status).toBe(401);
    expect(
      (await fetch(`http://127.0.0.1:${port}/list`, { headers: { authorization: "Bearer from-env" } })).status,
    ).toBe(200);
    bySetting.kill("SIGTERM");
    expect(await bySetting.exited).toBe(0);
    const insecure = await serve(sb, ["--bind", "0.0.0.0:0", "--insecure"]);
    insecure.proc.kill("SIGINT");
    expect(await insecure.proc.exited).toBe(0);
  });
});

describe("run --log", () => {
  test.concurrent("a --log that cannot be written is invalid_input and creates no job (D5)", async () => {
    await using sb = Sandbox.create();
    expectError(await sb.cli(["run", "--log", "/proc/no-such-dir/full.log", "--", "true"]), "invalid_input", 1);
    expect(sb.entries()).toEqual([]);
  });
});
