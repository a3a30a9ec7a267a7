// The agent loop (issue 14), black-box: cursors (X1), readiness waits (X2), terminal evidence
// (X3), several and paused jobs (X3b) and --forward-exit (X4).
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BUN } from "../helpers/bin.ts";
import { CURSOR, expectUsageError } from "../helpers/envelope.ts";
import { fx } from "../helpers/fixtures.ts";
import { pollUntil } from "../helpers/poll.ts";
import { type Json, Sandbox } from "../helpers/sandbox.ts";

/** A TCP port that was free a moment ago (the OS picked it). */
function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

describe("X1: cursors", () => {
  test.concurrent("following with tail --since returns every line once, in order", async () => {
    await using sb = Sandbox.create();
    const run = await sb.ok([
      "run",
      "--snapshot-after",
      "0",
      "--",
      "sh",
      "-c",
      'i=1; while [ $i -le 40 ]; do echo "line $i"; i=$((i+1)); sleep 0.01; done',
    ]);
    let cursor = run.cursor as string;
    expect(cursor).toEqual(CURSOR);
    const seen: string[] = [];
    for (;;) {
      const t = await sb.ok(["tail", run.job_id, "--since", cursor, "--tail-lines", "0"]);
      expect({ out: t.stdout_omitted_bytes, err: t.stderr_omitted_bytes }).toEqual({ out: 0, err: 0 });
      if (t.stdout_tail !== "") seen.push(...t.stdout_tail.split("\n").filter((l: string) => l !== ""));
      cursor = t.cursor;
      if ((await sb.ok(["status", run.job_id])).state === "exited" && t.stdout_tail === "") break;
    }
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
  });

  test.concurrent("--since keeps the end of what is new and counts what it left out", async () => {
    await using sb = Sandbox.create();
    const first = await sb.ok(["run", "--wait", "--", "sh", "-c", "echo old"]);
    const id = first.job_id as string;
    // A cursor at the very start of this job's logs (attempt 1, offsets 0).
    const start = `${id}.1.0.0`;
    const t = await sb.ok(["tail", id, "--since", start, "--tail-lines", "5"]);
    expect(t).toMatchObject({ stdout_tail: "old", stdout_omitted_bytes: 0, truncated: false });
    const many = await sb.ok(["run", "--wait", "--", ...fx.printLines(100)]);
    const m = await sb.ok(["tail", many.job_id, "--since", `${many.job_id}.1.0.0`, "--tail-lines", "5"]);
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`);
    expect(m.stdout_tail).toBe(lines.slice(95).join("\n"));
    expect(m.stdout_omitted_bytes).toBe(Buffer.byteLength(`${lines.slice(0, 95).join("\n")}\n`));
    expect(m.truncated).toBe(true);
    // Nothing new after the returned cursor.
    const none = await sb.ok(["tail", many.job_id, "--since", m.cursor]);
    expect(none).toMatchObject({ stdout_tail: "", stderr_tail: "", stdout_omitted_bytes: 0, cursor: m.cursor });
  });

  test.concurrent("malformed and foreign cursors are usage errors; a cursor past the end resets", async () => {
    await using sb = Sandbox.create();
    const a = (await sb.ok(["run", "--wait", "--", "sh", "-c", "echo a"])).job_id as string;
    const b = await sb.ok(["run", "--wait", "--", "sh", "-c", "echo b"]);
    for (const bad of ["garbage", "", `${a}.1.x!.0`, `${a}.1.0`]) {
      const r = await sb.cli(["tail", a, "--since", bad]);
      expectUsageError(r);
    }
    const foreign = await sb.cli(["tail", a, "--since", b.cursor]);
    expectUsageError(foreign);
    expect(foreign.json.error.message).toContain(b.job_id);
    const past = await sb.ok(["tail", a, "--since", `${a}.1.zzzz.0`]);
    expect(past).toMatchObject({ stdout_tail: "a", cursor_reset: true });
  });
});

describe("X2: readiness", () => {
  test.concurrent("run --until-match answers in one call once the line is printed, split across writes", async () => {
    await using sb = Sandbox.create();
    const r = await sb.ok([
      "run",
      "--until-match",
      "listening on (\\d+)",
      "--wait-timeout-ms",
      "30000",
      "--",
      "sh",
      "-c",
      'echo booting; printf "listen"; sleep 0.3; printf "ing on 4321\\n"; sleep 30',
    ]);
    const readyCursor = r.ready_by?.cursor as string;
    expect(readyCursor).toEqual(CURSOR);
    expect(r).toMatchObject({
      state: "running",
      ready: true,
      ready_by: { kind: "match", line: "listening on 4321", stream: "stdout" },
      snapshot: { stdout_tail: "booting\nlistening on 4321" },
    });
    // The ready line's cursor: what comes after it is new.
    const next = await sb.ok(["tail", r.job_id, "--since", readyCursor]);
    expect(next.stdout_tail).toBe("");
    await sb.ok(["kill", r.job_id, "--signal", "KILL"]);
  });

  test.concurrent("wait finds a line printed before the call, on the stream asked for", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(["sh", "-c", "echo ready-out; echo ready-err >&2; sleep 30"]);
    await sb.stdoutMatch(id, /ready-out/);
    await pollUntil(() => sb.file(id, "stderr.log").toString().includes("ready-err") || undefined);
    const w = await sb.ok([
      "wait",
      id,
      "--until-match",
      "^ready-",
      "--until-stream",
      "stderr",
      "--timeout-ms",
      "20000",
    ]);
    expect(w).toMatchObject({ state: "running", ready: true, ready_by: { line: "ready-err", stream: "stderr" } });
    expect(w.deadline_reached).toBeUndefined();
    await sb.ok(["kill", id, "--signal", "KILL"]);
  });

  test.concurrent("--until-port and --until-file", async () => {
    await using sb = Sandbox.create();
    const port = freePort();
    const server = `setTimeout(() => Bun.serve({ hostname: "127.0.0.1", port: ${port}, fetch: () => new Response("ok") }), 300)`;
    const srv = await sb.ok(["run", "--snapshot-after", "0", "--", BUN, "-e", server]);
    const w = await sb.ok(["wait", srv.job_id, "--until-port", String(port), "--timeout-ms", "30000"]);
    expect(w).toMatchObject({ ready: true, ready_by: { kind: "port", port }, state: "running" });
    const flag = join(sb.dir, "flag");
    const f = await sb.ok([
      "run",
      "--until-file",
      flag,
      "--wait-timeout-ms",
      "30000",
      "--",
      "sh",
      "-c",
      `sleep 0.2; touch ${flag}; sleep 30`,
    ]);
    expect(f).toMatchObject({ ready: true, ready_by: { kind: "file", path: flag } });
    expect(existsSync(flag)).toBe(true);
    for (const id of [srv.job_id, f.job_id]) await sb.ok(["kill", id, "--signal", "KILL"]);
  });

  test.concurrent("a job that dies first answers with its end and tails; a deadline says so", async () => {
    await using sb = Sandbox.create();
    const dead = await sb.start(["sh", "-c", "echo boom >&2; exit 3"]);
    const w = await sb.ok(["wait", dead, "--until-match", "never printed", "--timeout-ms", "30000"]);
    expect(w).toMatchObject({ state: "exited", exit_code: 3, ready: false, final_snapshot: { stderr_tail: "boom" } });
    expect(w.ready_by).toBeUndefined();
    const slow = await sb.start(fx.sleepForever());
    const d = await sb.ok(["wait", slow, "--until-match", "never", "--timeout-ms", "200"]);
    expect(d).toMatchObject({ state: "running", ready: false, deadline_reached: true });
    await sb.ok(["kill", slow, "--signal", "KILL"]);
  });

  test.concurrent("bad conditions are usage errors and run creates nothing", async () => {
    await using sb = Sandbox.create();
    const bad: string[][] = [
      ["--until-match", "("],
      ["--until-port", "0"],
      ["--until-port", "70000"],
      ["--until-port", "http"],
      ["--until-file", ""],
      ["--until-stream", "stdout"],
      ["--until-host", "localhost"],
      ["--until-match", "x", "--until-stream", "both"],
      ["--forward-exit"],
      ["--wait-timeout-ms", "100"],
    ];
    for (const flags of bad) expectUsageError(await sb.cli(["run", ...flags, "--", "true"]));
    expect(sb.entries()).toEqual([]);
    const id = (await sb.ok(["run", "--wait", "--", "true"])).job_id;
    expectUsageError(await sb.cli(["wait", id, "--until-match", "x", "--since", "garbage"]));
    expectUsageError(await sb.cli(["wait", id, "--since", `${id}.1.0.0`]));
    expectUsageError(await sb.cli(["wait", id, id, "--until-match", "x"]));
  });
});

describe("X3: terminal answers carry the evidence", () => {
  test.concurrent("kill: signal and killed_by; every terminal answer: duration_ms and resources", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever());
    await sb.stdoutMatch(id, /^ready/);
    await sb.ok(["kill", id]);
    const evidence = {
      state: "killed",
      signal: "TERM",
      killed_by: "agent-exec",
      duration_ms: expect.any(Number),
      resources: { user_cpu_ms: expect.any(Number), system_cpu_ms: expect.any(Number) },
    };
    expect(await sb.ok(["status", id])).toMatchObject(evidence);
    expect(await sb.ok(["wait", id])).toMatchObject({
      ...evidence,
      final_snapshot: { stdout_tail: expect.stringMatching(/^ready/) },
    });
    expect((await sb.ok(["list", "--all"])).jobs[0]).toMatchObject(evidence);
    const timed = await sb.ok(["run", "--wait", "--timeout", "100", "--", ...fx.sleepForever()]);
    expect(timed).toMatchObject({ state: "killed", signal: "TERM", timed_out: true });
    expect(timed.killed_by).toBeUndefined();
    const done = await sb.ok(["run", "--wait", "--", "sh", "-c", "exit 0"]);
    expect(done.signal).toBeUndefined();
    const bare = await sb.ok(["wait", done.job_id, "--no-output"]);
    expect(bare.final_snapshot).toBeUndefined();
    expect(bare.cursor).toEqual(CURSOR);
  });
});

describe("X3b: several jobs, paused jobs", () => {
  test.concurrent("wait A B waits for both; --any answers with the first", async () => {
    await using sb = Sandbox.create();
    const fast = await sb.start(["sh", "-c", "exit 2"]);
    const slow = await sb.start(fx.sleepForever());
    const any = await sb.ok(["wait", slow, fast, "--any", "--timeout-ms", "30000"]);
    expect(any.first).toBe(fast);
    expect(any.jobs.map((j: Json) => [j.job_id, j.state])).toEqual([
      [slow, "running"],
      [fast, "exited"],
    ]);
    const both = await sb.ok(["wait", slow, fast, "--timeout-ms", "200"]);
    expect(both).toMatchObject({ deadline_reached: true, jobs: [{ state: "running" }, { state: "exited" }] });
    await sb.ok(["kill", slow]);
    const all = await sb.ok(["wait", slow, fast]);
    expect(all.deadline_reached).toBeUndefined();
    expect(all.jobs.map((j: Json) => j.state)).toEqual(["killed", "exited"]);
  });

  test.concurrent("paused while the group is stopped", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever());
    await sb.stdoutMatch(id, /^ready/);
    await sb.ok(["kill", id, "--signal", "STOP"]);
    await pollUntil(async () => (await sb.ok(["status", id])).paused === true || undefined, { what: "paused" });
    expect((await sb.ok(["list", "--all"])).jobs[0]).toMatchObject({ state: "running", paused: true });
    await sb.ok(["kill", id, "--signal", "CONT"]);
    await pollUntil(async () => (await sb.ok(["status", id])).paused === undefined || undefined, { what: "resumed" });
    await sb.ok(["kill", id, "--signal", "KILL"]);
  });
});

describe("X4: --forward-exit", () => {
  test.concurrent("the job's code, 128+N, 124, 125; several jobs give the first non-zero", async () => {
    await using sb = Sandbox.create();
    const code = async (args: string[]) => (await sb.cli(args)).exitCode;
    expect(await code(["run", "--wait", "--forward-exit", "--", "sh", "-c", "exit 3"])).toBe(3);
    expect(await code(["run", "--wait", "--forward-exit", "--", "true"])).toBe(0);
    expect(await code(["run", "--wait", "--forward-exit", "--timeout", "100", "--", ...fx.sleepForever()])).toBe(124);
    const victim = await sb.start(fx.sleepForever());
    await sb.stdoutMatch(victim, /^ready/);
    await sb.ok(["kill", victim, "--signal", "KILL"]);
    expect(await code(["wait", victim, "--forward-exit"])).toBe(137);
    const slow = await sb.start(fx.sleepForever());
    const r = await sb.cli(["wait", slow, "--forward-exit", "--timeout-ms", "100"]);
    expect({ code: r.exitCode, deadline: r.json.deadline_reached }).toEqual({ code: 125, deadline: true });
    const zero = (await sb.ok(["run", "--wait", "--", "true"])).job_id;
    const five = (await sb.ok(["run", "--wait", "--", "sh", "-c", "exit 5"])).job_id;
    expect(await code(["wait", zero, five, victim, "--forward-exit"])).toBe(5);
    const created = (await sb.ok(["create", "--", "true"])).job_id;
    expect(await code(["start", created, "--wait", "--forward-exit"])).toBe(0);
    await sb.ok(["kill", slow, "--signal", "KILL"]);
  });
});
