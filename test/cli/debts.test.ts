// Issue 11's defects, black-box: long durations (D29), a supervisor killed in its first instant
// (D30), gc reasons (D31), the one-line output event file (D27) and masked values (D28).
import { describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFakeJob } from "../helpers/fake-job.ts";
import { fx } from "../helpers/fixtures.ts";
import { pidAlive } from "../helpers/pid-alive.ts";
import { pollUntil } from "../helpers/poll.ts";
import { type Json, Sandbox } from "../helpers/sandbox.ts";

/** Past 2^31−1 ms: a timer given this much fires at once unless it is re-armed in slices. */
const HUGE = "3000000000";

describe("D29: durations past 2^31-1 ms are honoured", () => {
  test.concurrent("a 35-day timeout and grace do not kill a one-second job", async () => {
    await using sb = Sandbox.create();
    const r = await sb.ok([
      "run",
      "--wait",
      "--timeout",
      HUGE,
      "--kill-after",
      HUGE,
      "--",
      "sh",
      "-c",
      "sleep 1; echo survived",
    ]);
    expect(r).toMatchObject({ state: "exited", exit_code: 0, final_snapshot: { stdout_tail: "survived" } });
    expect(r.timed_out).toBeUndefined();
  });

  test.concurrent("a huge --progress-every does not rewrite state.json every millisecond", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever(), ["--progress-every", HUGE]);
    await sb.stdoutMatch(id, /^ready/);
    const first = sb.state(id).updated_at;
    // A runaway interval rewrites state.json (and updated_at) every millisecond: let a few
    // hundred milliseconds of status calls pass and check that nothing moved.
    for (let i = 0; i < 5; i++) await sb.ok(["status", id]);
    expect(sb.state(id).updated_at).toBe(first);
    await sb.ok(["kill", id, "--signal", "KILL"]);
  });

  test.concurrent("wait with a huge --timeout-ms and --poll-ms still ends with the job", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(["sh", "-c", "sleep 0.3"]);
    const r = await sb.ok(["wait", id, "--timeout-ms", HUGE, "--poll-ms", HUGE]);
    expect(r).toMatchObject({ state: "exited", exit_code: 0 });
    expect(r.deadline_reached).toBeUndefined();
  });
});

describe("D30: a supervisor killed in its first instant is judged at once", () => {
  test.concurrent("status reports the loss within seconds, not after the launch grace", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(["sleep", "30"]);
    // The front-end recorded the supervisor's pid before it answered: kill it right away, most
    // often before it wrote anything to state.json.
    const pid = Number(readFileSync(join(sb.jobDir(id), "supervisor.pid"), "utf8"));
    expect(pid).toBeGreaterThan(1);
    process.kill(pid, "SIGKILL");
    await pollUntil(() => !pidAlive(pid) || undefined, { what: `supervisor ${pid} gone` });
    // The launch grace is 10 s; the loss must show well before it.
    const st = await pollUntil(
      async () => {
        const s = await sb.ok(["status", id]);
        return s.state === "failed" || s.supervisor_alive === false ? s : undefined;
      },
      { timeoutMs: 5000, intervalMs: 50, what: "status to report the lost supervisor" },
    );
    if (st.state === "failed") expect(st.reason).toBe("supervisor_lost");
    else expect(st).toMatchObject({ state: "running", supervisor_alive: false });
  });

  test.concurrent("a healthy job launched a moment ago is running with its supervisor alive", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever());
    const st = await sb.ok(["status", id]);
    expect(st.state).toBe("running");
    expect(st.supervisor_alive).toBeUndefined();
    await sb.ok(["kill", id, "--signal", "KILL"]);
  });
});

describe("D31: gc skips every non-terminal job for its state, whatever its age", () => {
  test.concurrent("old running and created records are skipped as running and created", async () => {
    await using sb = Sandbox.create();
    const old = "2020-01-01T00:00:00Z";
    writeFakeJob(sb.root, { id: "01HZZZZZZZZZZZZZZZZZZZZZZ1", status: "running", createdAt: old, startedAt: old });
    writeFakeJob(sb.root, { id: "01HZZZZZZZZZZZZZZZZZZZZZZ2", status: "created", createdAt: old });
    const r = await sb.ok(["gc", "--older-than", "1s"]);
    const byId = Object.fromEntries(r.jobs.map((j: Json) => [j.job_id, j]));
    expect(byId["01HZZZZZZZZZZZZZZZZZZZZZZ1"]).toMatchObject({ action: "skipped", reason: "running" });
    expect(byId["01HZZZZZZZZZZZZZZZZZZZZZZ2"]).toMatchObject({
      state: "created",
      action: "skipped",
      reason: "created",
    });
    expect(r.deleted).toBe(0);
    expect(sb.entries().sort()).toEqual(["01HZZZZZZZZZZZZZZZZZZZZZZ1", "01HZZZZZZZZZZZZZZZZZZZZZZ2"]);
  });
});

describe("D27: the output-match event file is one line of JSON", () => {
  test.concurrent("AGENT_EXEC_EVENT_PATH holds exactly the event, on one line", async () => {
    await using sb = Sandbox.create();
    const copy = join(sb.dir, "event-copy.json");
    const r = await sb.ok([
      "run",
      "--wait",
      "--output-pattern",
      "hello",
      "--output-command",
      `cat "$AGENT_EXEC_EVENT_PATH" > ${copy}`,
      "--",
      "sh",
      "-c",
      "echo hello world",
    ]);
    const text = (await pollUntil(
      () => {
        try {
          return readFileSync(copy, "utf8") || undefined;
        } catch {
          return undefined;
        }
      },
      { what: "the output command's copy of the event file" },
    )) as string;
    expect(text.endsWith("\n")).toBe(true);
    expect(text.trimEnd().includes("\n")).toBe(false);
    expect(JSON.parse(text)).toMatchObject({
      event_type: "job.output.matched",
      job_id: r.job_id,
      line: "hello world",
      stream: "stdout",
    });
  });
});

describe("D28: masked values never appear in what agent-exec shows", () => {
  const SECRET = "s3cr3t-value";

  test.concurrent("snapshot, final_snapshot and tail show *** while the log keeps the bytes (0600)", async () => {
    await using sb = Sandbox.create();
    const cmd = ["sh", "-c", 'echo "token=$S"; echo "$S" >&2; sleep 0.2; echo "again $S done"'];
    const run = await sb.ok(["run", "--snapshot-after", "5000", "--env", `S=${SECRET}`, "--mask", "S", "--", ...cmd]);
    expect(JSON.stringify(run)).not.toContain(SECRET);
    const id = run.job_id;
    await sb.terminalState(id);
    const tail = await sb.ok(["tail", id]);
    expect(tail).toMatchObject({ stdout_tail: "token=***\nagain *** done", stderr_tail: "***" });
    const waited = await sb.ok(["run", "--wait", "--env", `S=${SECRET}`, "--mask", "S", "--", ...cmd]);
    expect(waited.final_snapshot).toMatchObject({ stdout_tail: "token=***\nagain *** done", stderr_tail: "***" });
    expect(JSON.stringify(waited)).not.toContain(SECRET);
    // On disk: the raw bytes, readable by the owner alone.
    expect(sb.file(id, "stdout.log").toString()).toContain(`token=${SECRET}`);
    for (const f of ["stdout.log", "stderr.log", "full.log"]) {
      expect({ f, mode: statSync(join(sb.jobDir(id), f)).mode & 0o777 }).toEqual({ f, mode: 0o600 });
    }
  });

  test.concurrent("a value cut by the read window's start is still hidden", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(["sh", "-c", 'printf "%s tail-end" "$S"'], ["--env", `S=${SECRET}`, "--mask", "S"]);
    await sb.terminalState(id);
    // The window of 12 bytes starts 3 bytes into the secret ("r3t-value tail-end" has 18).
    for (const maxBytes of ["12", "14", "16", "17", "18", "19", "40"]) {
      const t = await sb.ok(["tail", id, "--max-bytes", maxBytes]);
      expect({ maxBytes, leak: /r3t|value|3cr/.test(t.stdout_tail) }).toEqual({ maxBytes, leak: false });
    }
    const full = await sb.ok(["tail", id, "--max-bytes", "40"]);
    expect(full.stdout_tail).toBe("*** tail-end");
  });

  test.concurrent("values that are substrings of each other, from --env and an env file", async () => {
    await using sb = Sandbox.create();
    const envFile = join(sb.dir, "vars.env");
    await Bun.write(envFile, "LONG=abcdef-long\n");
    const r = await sb.ok([
      "run",
      "--wait",
      "--env",
      "SHORT=abcdef",
      "--env-file",
      envFile,
      "--mask",
      "SHORT",
      "--mask",
      "LONG",
      "--",
      "sh",
      "-c",
      'echo "[$SHORT] [$LONG] [xabcdefx]"',
    ]);
    expect(r.final_snapshot.stdout_tail).toBe("[***] [***] [x***x]");
  });

  test.concurrent("a matched line in an output event is redacted; matching still sees the raw line", async () => {
    await using sb = Sandbox.create();
    const events = join(sb.dir, "events.ndjson");
    await sb.ok([
      "run",
      "--wait",
      "--env",
      `S=${SECRET}`,
      "--mask",
      "S",
      "--output-pattern",
      SECRET,
      "--output-file",
      events,
      "--",
      "sh",
      "-c",
      'echo "key is $S"',
    ]);
    const line = (await pollUntil(
      () => {
        try {
          return readFileSync(events, "utf8").trim() || undefined;
        } catch {
          return undefined;
        }
      },
      { what: "the output event in the file sink" },
    )) as string;
    expect(JSON.parse(line).line).toBe("key is ***");
    expect(line).not.toContain(SECRET);
  });
});
