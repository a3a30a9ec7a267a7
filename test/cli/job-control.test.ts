// Job control for unattended runs (issue 15), black-box: the agent environment (X6), idempotent
// starts (X7) and restart in place (X8).
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectUsageError } from "../helpers/envelope.ts";
import { fx } from "../helpers/fixtures.ts";
import { pollUntil } from "../helpers/poll.ts";
import { type Json, Sandbox } from "../helpers/sandbox.ts";

const PRINT = 'printf "%s|%s|%s|%s|%s\\n" "$PAGER" "$GIT_TERMINAL_PROMPT" "$NO_COLOR" "$TERM" "$AGENT_EXEC_JOB_ID"';

describe("X6: an environment made for unattended runs", () => {
  test.concurrent("defaults where the environment sets nothing; the caller's and --env values win", async () => {
    await using sb = Sandbox.create();
    const r = await sb.ok(["run", "--wait", "--env", "NO_COLOR=0", "--", PRINT], { env: { PAGER: "less" } });
    expect(r.final_snapshot.stdout_tail).toBe(`less|0|0|dumb|${r.job_id}`);
    expect(r.agent_env).toEqual([
      "GIT_PAGER",
      "GH_PAGER",
      "GIT_TERMINAL_PROMPT",
      "TERM",
      "DEBIAN_FRONTEND",
      "AGENT_EXEC_JOB_ID",
    ]);
    expect(sb.meta(r.job_id).agent_env).toEqual(r.agent_env);
  });

  test.concurrent("--no-agent-env and agent_env = false keep only AGENT_EXEC_JOB_ID", async () => {
    await using sb = Sandbox.create();
    const off = await sb.ok(["run", "--wait", "--no-agent-env", "--", PRINT]);
    expect(off.final_snapshot.stdout_tail).toBe(`||1||${off.job_id}`);
    expect(off.agent_env).toEqual(["AGENT_EXEC_JOB_ID"]);
    const configDir = join(sb.env.XDG_CONFIG_HOME as string, "agent-exec");
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, "config.toml"), "agent_env = false\n");
    const cfg = await sb.ok(["run", "--wait", "--", PRINT]);
    expect(cfg.agent_env).toEqual(["AGENT_EXEC_JOB_ID"]);
    writeFileSync(join(configDir, "config.toml"), 'agent_env = "no"\n');
    expect((await sb.cli(["run", "--wait", "--", "true"])).json.error.code).toBe("internal_error");
  });
});

describe("X7: idempotent starts", () => {
  test.concurrent("20 concurrent run --key K start exactly one job; the others answer it", async () => {
    await using sb = Sandbox.create();
    const calls = Array.from({ length: 20 }, () =>
      sb.ok(["run", "--snapshot-after", "0", "--key", "dev:server/1", "--", ...fx.sleepForever()]),
    );
    const answers = await Promise.all(calls);
    const ids = new Set(answers.map((a: Json) => a.job_id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a: Json) => a.reused === true).length).toBe(19);
    expect(sb.entries().filter((e) => !e.startsWith("."))).toEqual([...ids]);
    const [id] = [...ids] as string[];
    expect((await sb.ok(["list", "--key", "dev:server/1"])).jobs.map((j: Json) => j.job_id)).toEqual([id]);
    expect((await sb.ok(["list", "--key", "other"])).jobs).toEqual([]);
    expect(await sb.ok(["status", id as string])).toMatchObject({ key: "dev:server/1" });
    // Once the holder is terminal, the key starts a new job.
    await sb.ok(["kill", id as string, "--signal", "KILL"]);
    const next = await sb.ok(["run", "--snapshot-after", "0", "--key", "dev:server/1", "--", "true"]);
    expect(next.job_id).not.toBe(id);
    expect(next.reused).toBeUndefined();
  });

  test.concurrent("create --key answers the live job; bad keys are usage errors that create nothing", async () => {
    await using sb = Sandbox.create();
    const a = await sb.ok(["create", "--key", "k1", "--", "true"]);
    const b = await sb.ok(["create", "--key", "k1", "--", "true"]);
    expect(b).toMatchObject({ job_id: a.job_id, state: "created", reused: true });
    for (const bad of ["", "a b", "x".repeat(129), "é", "a;b"]) {
      expectUsageError(await sb.cli(["run", "--key", bad, "--", "true"]));
      expectUsageError(await sb.cli(["create", "--key", bad, "--", "true"]));
    }
    expect(sb.entries().filter((e) => !e.startsWith("."))).toEqual([a.job_id]);
  });
});

describe("X8: restart in place", () => {
  test.concurrent("a running job: stopped, started again under its id, logs cleared, old cursors reset", async () => {
    await using sb = Sandbox.create();
    const envFile = join(sb.dir, "vars.env");
    writeFileSync(envFile, "WHO=first\n");
    const run = await sb.ok([
      "run",
      "--snapshot-after",
      "0",
      "--env-file",
      envFile,
      "--",
      "sh",
      "-c",
      'echo "hello $WHO"; exec sleep 30',
    ]);
    const id = run.job_id as string;
    await sb.stdoutMatch(id, /hello first/);
    const before = (await sb.ok(["tail", id])).cursor as string;
    writeFileSync(envFile, "WHO=second\n");
    const r = await sb.ok(["restart", id, "--until-match", "hello", "--wait-timeout-ms", "30000"]);
    expect(r).toMatchObject({ type: "restart", job_id: id, state: "running", attempt: 2, ready: true });
    expect(r.snapshot.stdout_tail).toBe("hello second");
    expect(r.cursor.split(".")[1]).toBe("2");
    const t = await sb.ok(["tail", id, "--since", before]);
    expect(t).toMatchObject({ stdout_tail: "hello second", cursor_reset: true });
    expect(await sb.ok(["status", id])).toMatchObject({ state: "running", attempt: 2 });
    expect(sb.entries()).toEqual([id]);
    await sb.ok(["kill", id, "--signal", "KILL"]);
    // A finished job starts over too.
    const again = await sb.ok(["restart", id, "--snapshot-after", "0"]);
    expect(again).toMatchObject({ state: "running", attempt: 3 });
    await sb.ok(["kill", id, "--signal", "KILL"]);
  });

  test.concurrent("a job that ignores TERM is KILLed after the grace", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.ignoreSigterm());
    await sb.stdoutMatch(id, /ready/);
    const r = await sb.ok(["restart", id, "--kill-after", "200", "--snapshot-after", "0"]);
    expect(r).toMatchObject({ attempt: 2, state: "running" });
    await pollUntil(() => /ready/.test(sb.file(id, "stdout.log").toString()) || undefined, { what: "the new run" });
    await sb.ok(["kill", id, "--signal", "KILL"]);
  });

  test.concurrent("a created job is started; bad input changes nothing", async () => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["create", "--", "sh", "-c", "echo made"])).job_id as string;
    const r = await sb.ok(["restart", id, "--wait"]);
    expect(r).toMatchObject({ type: "restart", state: "exited", attempt: 1, final_snapshot: { stdout_tail: "made" } });
    expectUsageError(await sb.cli(["restart", id, "--signal", "NOPE"]));
    expectUsageError(await sb.cli(["restart"]));
    expect((await sb.cli(["restart", "01HZZZZZZZZZZZZZZZZZZZZZZZ"])).json.error.code).toBe("job_not_found");
    expect(sb.state(id).job.status).toBe("exited");
  });
});
