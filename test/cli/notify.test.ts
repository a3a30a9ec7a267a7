// Notifications (§6, D14): job.finished command and file sinks, output-match events, notify set,
// and delivery that never holds the job back.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectError } from "../helpers/envelope.ts";
import { pollUntil } from "../helpers/poll.ts";
import { type Json, Sandbox, TS_MS } from "../helpers/sandbox.ts";

const lines = (path: string): Json[] =>
  existsSync(path)
    ? readFileSync(path, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l))
    : [];

/** Polls completion_event.json until it records `n` deliveries. */
async function completion(sb: Sandbox, id: string, n: number): Promise<Json> {
  return pollUntil(
    () => {
      const p = join(sb.jobDir(id), "completion_event.json");
      if (!existsSync(p)) return undefined;
      const doc = JSON.parse(readFileSync(p, "utf8"));
      return doc.delivery_results.length === n ? doc : undefined;
    },
    { what: `completion_event.json of ${id} with ${n} deliveries` },
  );
}

describe("job.finished", () => {
  test.concurrent("the command sink gets the event on stdin, its env vars, and a path that already holds it", async () => {
    await using sb = Sandbox.create();
    const out = join(sb.dir, "sink");
    const cmd = `mkdir -p ${out}; cat > ${out}/stdin.json; env | grep '^AGENT_EXEC_' | sort > ${out}/env.txt; cp "$AGENT_EXEC_EVENT_PATH" ${out}/at-start.json`;
    const r = await sb.ok([
      "run",
      "--wait",
      "--notify-command",
      cmd,
      "--tag",
      "n",
      "--",
      "sh",
      "-c",
      "echo hi; exit 3",
    ]);
    const doc = await completion(sb, r.job_id, 1);
    const event = JSON.parse(readFileSync(join(out, "stdin.json"), "utf8"));
    expect(event).toEqual({
      schema_version: "0.1",
      event_type: "job.finished",
      job_id: r.job_id,
      state: "exited",
      command: ["sh", "-c", "echo hi; exit 3"],
      cwd: expect.any(String),
      started_at: expect.stringMatching(TS_MS),
      finished_at: expect.stringMatching(TS_MS),
      duration_ms: expect.any(Number),
      exit_code: 3,
      resources: expect.any(Object),
      stdout_log_path: join(sb.jobDir(r.job_id), "stdout.log"),
      stderr_log_path: join(sb.jobDir(r.job_id), "stderr.log"),
    });
    const env = readFileSync(join(out, "env.txt"), "utf8");
    expect(env).toContain(`AGENT_EXEC_EVENT_PATH=${join(sb.jobDir(r.job_id), "completion_event.json")}\n`);
    expect(env).toContain(`AGENT_EXEC_EVENT_TYPE=job.finished\n`);
    expect(env).toContain(`AGENT_EXEC_JOB_ID=${r.job_id}\n`);
    // D14: the event was in the file before the sink started.
    expect(JSON.parse(readFileSync(join(out, "at-start.json"), "utf8"))).toMatchObject(event);
    expect(doc).toMatchObject({ ...event, delivery_results: [{ sink_type: "command", target: cmd, success: true }] });
    expect(doc.delivery_results[0].attempted_at).toMatch(TS_MS);
  });

  test.concurrent("the file sink appends one NDJSON line; completion_event.json exists even without sinks", async () => {
    await using sb = Sandbox.create();
    const file = join(sb.dir, "events", "done.ndjson");
    const a = await sb.ok(["run", "--wait", "--notify-file", file, "--", "true"]);
    const doc = await completion(sb, a.job_id, 1);
    const { delivery_results: _results, ...event } = doc;
    expect(lines(file)).toEqual([event]);
    expect(doc.delivery_results).toEqual([
      { sink_type: "file", target: file, success: true, attempted_at: expect.any(String) },
    ]);
    const b = await sb.ok(["run", "--wait", "--", "true"]);
    const plain = await completion(sb, b.job_id, 0);
    expect(plain).toMatchObject({ event_type: "job.finished", state: "exited", exit_code: 0, delivery_results: [] });
  });

  test.concurrent("a timed-out job's event says timed_out and the signal name", async () => {
    await using sb = Sandbox.create();
    const file = join(sb.dir, "done.ndjson");
    const r = await sb.ok(["run", "--wait", "--timeout", "100", "--notify-file", file, "--", "sleep", "30"]);
    await completion(sb, r.job_id, 1);
    expect(lines(file)[0]).toMatchObject({ state: "killed", signal: "TERM", timed_out: true });
    expect(lines(file)[0].exit_code).toBeUndefined();
  });

  test.concurrent("a failing sink is recorded and changes nothing about the job", async () => {
    await using sb = Sandbox.create();
    const r = await sb.ok(["run", "--wait", "--notify-command", "exit 7", "--", "true"]);
    const doc = await completion(sb, r.job_id, 1);
    expect(doc.delivery_results[0]).toMatchObject({
      sink_type: "command",
      success: false,
      error: "exited with status 7",
    });
    expect(sb.state(r.job_id)).toMatchObject({ job: { status: "exited" }, result: { exit_code: 0 } });
  });

  test.concurrent("a hanging sink is killed at its timeout and never delays the terminal state", async () => {
    await using sb = Sandbox.create();
    const env = { AGENT_EXEC_SINK_TIMEOUT_MS: "500" };
    const began = performance.now();
    const r = await sb.ok(["run", "--wait", "--notify-command", "sleep 30", "--", "true"], { env });
    expect(r.state).toBe("exited");
    expect(performance.now() - began).toBeLessThan(5000);
    const doc = await completion(sb, r.job_id, 1);
    expect(doc.delivery_results[0]).toMatchObject({ success: false, error: expect.stringContaining("timed out") });
  });
});

describe("job.output.matched", () => {
  test.concurrent("one event per matching line, stream and regex filters, every delivery recorded", async () => {
    await using sb = Sandbox.create();
    const file = join(sb.dir, "matches.ndjson");
    const script = "echo 'ERR1 out'; echo 'fine'; echo 'ERR2 err' >&2; echo 'ERR33 out'";
    const r = await sb.ok([
      "run",
      "--wait",
      ...["--output-pattern", "ERR[0-9] ", "--output-match-type", "regex", "--output-stream", "stdout"],
      ...["--output-file", file, "--notify-file", join(sb.dir, "done.ndjson")],
      "--",
      "sh",
      "-c",
      script,
    ]);
    await completion(sb, r.job_id, 1); // job.finished follows the last match event
    expect(lines(file)).toEqual([
      {
        schema_version: "0.1",
        event_type: "job.output.matched",
        job_id: r.job_id,
        pattern: "ERR[0-9] ",
        match_type: "regex",
        stream: "stdout",
        line: "ERR1 out",
        stdout_log_path: join(sb.jobDir(r.job_id), "stdout.log"),
        stderr_log_path: join(sb.jobDir(r.job_id), "stderr.log"),
      },
    ]);
    const recorded = lines(join(sb.jobDir(r.job_id), "notification_events.ndjson"));
    expect(recorded).toEqual([
      { ...lines(file)[0], delivery_results: [expect.objectContaining({ sink_type: "file", success: true })] },
    ]);
  });

  test.concurrent("the output command sink finds its event at AGENT_EXEC_EVENT_PATH", async () => {
    await using sb = Sandbox.create();
    const out = join(sb.dir, "seen.ndjson");
    const cmd = `cat "$AGENT_EXEC_EVENT_PATH" | tr -d '\\n' >> ${out}; echo >> ${out}; echo " $AGENT_EXEC_EVENT_TYPE" >> ${out}`;
    const r = await sb.ok([
      "run",
      "--wait",
      "--output-pattern",
      "HIT",
      "--output-command",
      cmd,
      "--",
      "sh",
      "-c",
      "echo HIT a; echo HIT b",
    ]);
    await pollUntil(() => lines(join(sb.jobDir(r.job_id), "notification_events.ndjson")).length === 2 || undefined);
    const text = readFileSync(out, "utf8").split("\n");
    expect(JSON.parse(text[0] as string)).toMatchObject({ event_type: "job.output.matched", line: "HIT a" });
    expect(text[1]).toBe(" job.output.matched");
    expect(JSON.parse(text[2] as string)).toMatchObject({ line: "HIT b" });
  });

  test.concurrent("an invalid regex is rejected when it is given (run, create, notify set) and creates nothing", async () => {
    await using sb = Sandbox.create();
    const bad = ["--output-pattern", "(", "--output-match-type", "regex"];
    expectError(await sb.cli(["run", ...bad, "--", "true"]), "invalid_input", 1);
    expectError(await sb.cli(["create", ...bad, "--", "true"]), "invalid_input", 1);
    expect(sb.entries()).toEqual([]);
    const id = (await sb.ok(["create", "--", "true"])).job_id;
    expectError(await sb.cli(["notify", "set", id, ...bad]), "invalid_input", 1);
    expect(sb.meta(id).notification).toBeUndefined();
  });

  test.concurrent("100 000 matching lines with a file sink: the job finishes, no log byte lost, every event recorded", async () => {
    await using sb = Sandbox.create();
    const file = join(sb.dir, "hits.ndjson");
    const r = await sb.ok([
      "run",
      "--wait",
      "--output-pattern",
      "HIT",
      "--output-file",
      file,
      "--notify-file",
      join(sb.dir, "d"),
      "--",
      "sh",
      "-c",
      "yes HIT | head -n 100000",
    ]);
    expect(r).toMatchObject({ state: "exited", exit_code: 0 });
    expect(sb.file(r.job_id, "stdout.log").length).toBe(400_000);
    await completion(sb, r.job_id, 1);
    expect(readFileSync(file, "utf8").split("\n").length - 1).toBe(100_000);
    expect(readFileSync(join(sb.jobDir(r.job_id), "notification_events.ndjson"), "utf8").split("\n").length - 1).toBe(
      100_000,
    );
  }, 60_000);
});

describe("notify set (§3.10)", () => {
  test.concurrent("merge rules: command replaced, notify_file kept, '' clears output matching; never runs a sink", async () => {
    await using sb = Sandbox.create();
    const file = join(sb.dir, "f.ndjson");
    const id = (await sb.ok(["create", "--notify-file", file, "--", "true"])).job_id;
    const a = await sb.ok([
      "notify",
      "set",
      id,
      "--command",
      "echo one",
      "--output-pattern",
      "X",
      "--output-stream",
      "stderr",
    ]);
    expect(a).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "notify.set",
      job_id: id,
      notification: {
        notify_command: "echo one",
        notify_file: file,
        on_output_match: { pattern: "X", match_type: "contains", stream: "stderr" },
      },
    });
    const b = await sb.ok(["notify", "set", id, "--output-pattern", ""]);
    expect(b.notification).toEqual({ notify_command: "echo one", notify_file: file });
    expect(sb.meta(id).notification).toEqual(b.notification);
    expect(existsSync(file)).toBe(false);
  });

  test.concurrent("set during a run: honoured for later lines only (no replay) and for the completion event", async () => {
    await using sb = Sandbox.create();
    const go = join(sb.dir, "go");
    const hits = join(sb.dir, "hits.ndjson");
    const done = join(sb.dir, "done.ndjson");
    const script = `echo 'HIT early'; while [ ! -f ${go} ]; do sleep 0.02; done; echo 'HIT late'`;
    const id = await sb.start(["sh", "-c", script]);
    await sb.stdoutMatch(id, /HIT early/);
    await sb.ok(["notify", "set", id, "--output-pattern", "HIT", "--output-file", hits, "--command", `cat > ${done}`]);
    writeFileSync(go, "");
    await sb.terminalState(id);
    await completion(sb, id, 1);
    expect(lines(hits).map((e) => e.line)).toEqual(["HIT late"]);
    expect(JSON.parse(readFileSync(done, "utf8"))).toMatchObject({ event_type: "job.finished", job_id: id });
  });

  test.concurrent("set before start (create → notify set → start) applies from the first line", async () => {
    await using sb = Sandbox.create();
    const hits = join(sb.dir, "hits.ndjson");
    const id = (await sb.ok(["create", "--", "sh", "-c", "echo HIT 1; echo HIT 2"])).job_id;
    await sb.ok(["notify", "set", id, "--output-pattern", "HIT", "--output-file", hits]);
    await sb.ok(["start", "--wait", id]);
    await pollUntil(() => lines(hits).length === 2 || undefined);
    expect(lines(hits).map((e) => e.line)).toEqual(["HIT 1", "HIT 2"]);
  });
});
