// `status` (§3.4) and `wait` (§3.6, D21, D24): whole envelopes for every state, records written by
// the reference release (D25), unreadable records, deadlines and event-driven wake-up.
import { describe, expect, test } from "bun:test";
import { unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN } from "../helpers/bin.ts";
import { CURSOR, EVIDENCE, expectError, expectKeyOrder, expectSuccess, expectUsageError } from "../helpers/envelope.ts";
import { fakeId, writeFakeJob } from "../helpers/fake-job.ts";
import { fx } from "../helpers/fixtures.ts";
import { procState } from "../helpers/pid-alive.ts";
import { pollUntil } from "../helpers/poll.ts";
import { Sandbox, TS_MS } from "../helpers/sandbox.ts";

const STATUS_ORDER = ["job_id", "state", "command", "cwd", "exit_code", "created_at", "started_at", "finished_at"];

describe("status (§3.4)", () => {
  test.concurrent("a running job: state, created_at, started_at; nothing terminal", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever());
    await pollUntil(() => sb.state(id).pgid !== undefined || sb.state(id).pid !== undefined);
    const r = await sb.cli(["status", id]);
    const j = expectSuccess(r, "status");
    expect(j).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "status",
      job_id: id,
      state: "running",
      command: fx.sleepForever().join(" "),
      cwd: sb.meta(id).cwd,
      created_at: sb.meta(id).created_at,
      started_at: expect.stringMatching(TS_MS),
      cursor: CURSOR,
    });
    expect(j.created_at).toMatch(TS_MS);
    expectKeyOrder(j, STATUS_ORDER);
  });

  test.concurrent("an exited job, zero and non-zero: exit_code and finished_at from state.json", async () => {
    await using sb = Sandbox.create();
    for (const code of [0, 7]) {
      const id = (await sb.ok(["run", "--wait", "--", ...fx.exitWithCode(code)])).job_id;
      const st = sb.state(id);
      const j = expectSuccess(await sb.cli(["status", id]), "status");
      expect(j).toEqual({
        schema_version: "0.1",
        ok: true,
        type: "status",
        job_id: id,
        state: "exited",
        command: fx.exitWithCode(code).join(" "),
        cwd: sb.meta(id).cwd,
        exit_code: code,
        created_at: sb.meta(id).created_at,
        started_at: st.job.started_at,
        finished_at: st.finished_at,
        ...EVIDENCE,
        cursor: CURSOR,
      });
      expectKeyOrder(j, STATUS_ORDER);
      expect([j.created_at, j.started_at, j.finished_at].every((t) => TS_MS.test(t))).toBe(true);
      expect(j.created_at <= j.started_at && j.started_at <= j.finished_at).toBe(true);
    }
  });

  test.concurrent("a job killed by a signal: state killed, no exit_code", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever());
    await sb.stdoutMatch(id, /^ready/);
    await sb.ok(["kill", "--signal", "KILL", id]);
    const st = await sb.terminalState(id);
    expect(st).toMatchObject({ job: { status: "killed" }, result: { exit_code: null, signal: "KILL" } });
    expect(await sb.ok(["status", id])).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "status",
      job_id: id,
      state: "killed",
      command: fx.sleepForever().join(" "),
      cwd: sb.meta(id).cwd,
      created_at: sb.meta(id).created_at,
      started_at: st.job.started_at,
      finished_at: st.finished_at,
      signal: "KILL",
      killed_by: "agent-exec",
      ...EVIDENCE,
      cursor: CURSOR,
    });
  });

  test.concurrent("records written by the reference release stay readable (D25)", async () => {
    await using sb = Sandbox.create();
    const exited = fakeId("01HOLDEXITED");
    writeFakeJob(sb.root, {
      id: exited,
      status: "exited",
      exitCode: 2,
      createdAt: "2025-03-04T05:06:07Z",
      startedAt: "2025-03-04T05:06:08Z",
      finishedAt: "2025-03-04T05:06:09Z",
    });
    expect(await sb.ok(["status", exited])).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "status",
      job_id: exited,
      state: "exited",
      command: "echo fake",
      exit_code: 2,
      created_at: expect.stringMatching(/^2025-03-04T05:06:07(\.000)?Z$/),
      started_at: expect.stringMatching(/^2025-03-04T05:06:08(\.000)?Z$/),
      finished_at: expect.stringMatching(/^2025-03-04T05:06:09(\.000)?Z$/),
      duration_ms: expect.any(Number),
      cursor: CURSOR,
    });
    const killed = fakeId("01HOLDKILLED");
    writeFakeJob(sb.root, { id: killed, status: "killed", signal: "15", exitCode: null });
    expect(await sb.ok(["status", killed])).toMatchObject({ job_id: killed, state: "killed" });
    expect((await sb.ok(["status", killed])).exit_code).toBeUndefined();
    const created = fakeId("01HOLDCREATED");
    writeFakeJob(sb.root, { id: created, status: "created", createdAt: "2025-03-04T05:06:07Z" });
    expect(await sb.ok(["status", created])).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "status",
      job_id: created,
      state: "created",
      command: "echo fake",
      created_at: expect.stringMatching(/^2025-03-04T05:06:07(\.000)?Z$/),
      cursor: CURSOR,
    });
    expect(await sb.ok(["wait", "--timeout-ms", "50", created])).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "wait",
      job_id: created,
      state: "created",
      deadline_reached: true,
      cursor: CURSOR,
    });
    expect(await sb.ok(["tail", created])).toMatchObject({
      stdout_tail: "",
      stderr_tail: "",
      truncated: false,
      stdout_observed_bytes: 0,
      stderr_observed_bytes: 0,
    });
    for (const id of [exited, killed]) {
      expect(await sb.ok(["tail", id])).toMatchObject({ job_id: id, stdout_tail: "", truncated: false });
    }
  });

  test.concurrent("an unreadable or missing state.json or meta.json is internal_error", async () => {
    await using sb = Sandbox.create();
    const badState = fakeId("01HBADSTATE");
    writeFakeJob(sb.root, { id: badState, stateText: "{ not json" });
    const noState = fakeId("01HNOSTATE");
    writeFakeJob(sb.root, { id: noState, stateText: null });
    const wrongState = fakeId("01HWRONGSTATE");
    writeFakeJob(sb.root, { id: wrongState, stateText: JSON.stringify({ job: { id: wrongState, status: "bogus" } }) });
    const badMeta = fakeId("01HBADMETA");
    writeFakeJob(sb.root, { id: badMeta, metaText: "[]" });
    for (const id of [badState, noState, wrongState, badMeta]) {
      expectError(await sb.cli(["status", id]), "internal_error", 1);
    }
    for (const id of [badState, noState, wrongState]) {
      expectError(await sb.cli(["wait", "--timeout-ms", "100", id]), "internal_error", 1);
      expectError(await sb.cli(["kill", id]), "internal_error", 1);
    }
  });
});

describe("wait (§3.6)", () => {
  test.concurrent("a finished job: returns at once with state and exit_code", async () => {
    await using sb = Sandbox.create();
    const ok = (await sb.ok(["run", "--wait", "--", "true"])).job_id;
    const r = await sb.cli(["wait", ok]);
    expect(expectSuccess(r, "wait")).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "wait",
      job_id: ok,
      state: "exited",
      exit_code: 0,
      ...EVIDENCE,
      final_snapshot: expect.objectContaining({ stdout_tail: "", stderr_tail: "" }),
      cursor: CURSOR,
    });
    expectKeyOrder(r.json, ["job_id", "state", "exit_code"]);
    // A deadline that was not reached is not reported.
    expect(await sb.ok(["wait", "--timeout-ms", "60000", ok])).toEqual(r.json);
    const five = (await sb.ok(["run", "--wait", "--", ...fx.exitWithCode(5)])).job_id;
    expect(await sb.ok(["wait", "--poll-ms", "0", five])).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "wait",
      job_id: five,
      state: "exited",
      exit_code: 5,
      ...EVIDENCE,
      final_snapshot: expect.objectContaining({ stdout_tail: "exiting 5" }),
      cursor: CURSOR,
    });
  });

  test.concurrent("waits for a running job to end, then reports its exit", async () => {
    await using sb = Sandbox.create();
    const go = join(sb.dir, "go");
    const id = await sb.start(["sh", "-c", `while [ ! -e '${go}' ]; do sleep 0.02; done; exit 4`]);
    const waiting = sb.ok(["wait", id]);
    writeFileSync(go, "");
    expect(await waiting).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "wait",
      job_id: id,
      state: "exited",
      exit_code: 4,
      ...EVIDENCE,
      final_snapshot: expect.any(Object),
      cursor: CURSOR,
    });
  });

  test.concurrent("--timeout-ms on a job that never ends: ok, state running, deadline_reached, exit 0 (D24)", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever());
    const t0 = performance.now();
    const r = await sb.cli(["wait", "--timeout-ms", "150", "--poll-ms", "60000", id]);
    expect(expectSuccess(r, "wait")).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "wait",
      job_id: id,
      state: "running",
      deadline_reached: true,
      cursor: CURSOR,
    });
    // The deadline, not the 60 s poll interval, ends the wait.
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
    expect(sb.state(id).job.status).toBe("running");
  });

  test.concurrent("wakes up promptly when the job ends, even with a 60 s poll interval (D21)", async () => {
    await using sb = Sandbox.create();
    const go = join(sb.dir, "go");
    const id = await sb.start(fx.printLinesAfterFile(go, 3));
    await sb.stdoutMatch(id, /^waiting$/m);
    const proc = Bun.spawn([BIN, "--root", sb.root, "wait", "--poll-ms", "60000", id], {
      cwd: sb.cwd,
      env: sb.env,
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = new Response(proc.stdout).text();
    // Let the waiter reach its idle wait: sleeping on three checks in a row.
    let idle = 0;
    await pollUntil(
      () => {
        idle = procState(proc.pid) === "S" ? idle + 1 : 0;
        return idle;
      },
      { until: (n) => n >= 3, what: "the waiter idle" },
    );
    const t0 = performance.now();
    writeFileSync(go, "");
    const code = await proc.exited;
    const waitedMs = performance.now() - t0;
    expect({ code, json: JSON.parse(await out) }).toEqual({
      code: 0,
      json: {
        schema_version: "0.1",
        ok: true,
        type: "wait",
        job_id: id,
        state: "exited",
        exit_code: 0,
        ...EVIDENCE,
        final_snapshot: expect.objectContaining({ stdout_tail: "waiting\nline 1\nline 2\nline 3" }),
        cursor: CURSOR,
      },
    });
    expect(waitedMs).toBeLessThan(10_000);
    expect(sb.file(id, "stdout.log").toString()).toBe("waiting\nline 1\nline 2\nline 3\n");
    unlinkSync(go);
  });

  test.concurrent("a killed job: state killed, no exit_code", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever());
    await sb.stdoutMatch(id, /^ready/);
    await sb.ok(["kill", id]);
    expect(await sb.ok(["wait", id])).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "wait",
      job_id: id,
      state: "killed",
      signal: "TERM",
      killed_by: "agent-exec",
      ...EVIDENCE,
      final_snapshot: expect.any(Object),
      cursor: CURSOR,
    });
  });

  test.concurrent.each([
    ["--timeout-ms", "-1"],
    ["--timeout-ms", "soon"],
    ["--poll-ms", "abc"],
    ["--poll-ms", "-200"],
  ])("wait %s %s is a usage error", async (flag, value) => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["run", "--wait", "--", "true"])).job_id;
    expectUsageError(await sb.cli(["wait", flag, value, id]));
  });
});
