// `start` (§3.3): launching the stored definition, env files re-read at start, the atomic
// created→running claim (D13), and `created` as seen by list, wait and kill.
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  AGENT_ENV,
  CURSOR,
  EVIDENCE,
  expectError,
  expectKeyOrder,
  expectSuccess,
  expectUsageError,
  RUN_ORDER,
  snapshotOf,
} from "../../helpers/envelope.ts";
import { fx } from "../../helpers/fixtures.ts";
import { pollUntil } from "../../helpers/poll.ts";
import { Sandbox, TS_MS } from "../../helpers/sandbox.ts";
import { background, createJob, runToEnd } from "./util.ts";

describe("start (§3.3)", () => {
  test.concurrent("launches the stored definition; env files are read at start, not at create", async () => {
    await using sb = Sandbox.create();
    const work = join(sb.dir, "work");
    mkdirSync(work);
    const aEnv = join(sb.dir, "a.env");
    const bEnv = join(sb.dir, "b.env");
    writeFileSync(aEnv, "FROMFILE=before\n");
    writeFileSync(bEnv, "B=2\nA=from-file\n");
    const script =
      'printf "A=%s\\n" "$A"; printf "B=%s\\n" "$B"; printf "FROMFILE=%s\\n" "$FROMFILE"; ' +
      'printf "SEC=%s\\n" "$SEC"; if [ -n "$INHERITED" ]; then echo INHERITED=set; else echo INHERITED=unset; fi; printf "PWD=%s\\n" "$(pwd)"';
    const id = await createJob(
      sb,
      [script],
      [
        ...["--cwd", work, "--env", "A=1", "--env", "SEC=start-secret-2", "--mask", "SEC"],
        ...["--env-file", aEnv, "--env-file", bEnv, "--no-inherit-env", "--tag", "t1", "--tag", "t2"],
        ...["--timeout", "20000", "--shell-wrapper", "sh -c"],
      ],
    );
    writeFileSync(aEnv, "FROMFILE=after\n");
    const r = await sb.cli(["start", "--wait", id], { env: { INHERITED: "yes" } });
    const j = expectSuccess(r, "start");
    const out = [
      "A=1",
      "B=2",
      "FROMFILE=after",
      "SEC=***", // the job saw the value; what agent-exec shows is redacted (D28)
      "INHERITED=unset",
      `PWD=${realpathSync(work)}`,
    ].join("\n");
    expect(j).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "start",
      job_id: id,
      state: "exited",
      tags: ["t1", "t2"],
      env_vars: ["A=1", "SEC=***"],
      agent_env: AGENT_ENV,
      stdout_log_path: join(sb.root, id, "stdout.log"),
      stderr_log_path: join(sb.root, id, "stderr.log"),
      waited_ms: expect.any(Number),
      elapsed_ms: expect.any(Number),
      exit_code: 0,
      finished_at: expect.stringMatching(TS_MS),
      final_snapshot: snapshotOf(out, ""),
      ...EVIDENCE,
      cursor: CURSOR,
    });
    expectKeyOrder(j, RUN_ORDER);
    expect(j.elapsed_ms).toBeGreaterThanOrEqual(j.waited_ms);
    expect(sb.state(id)).toMatchObject({ job: { status: "exited" }, result: { exit_code: 0 } });
  });

  test.concurrent("without --wait: observed state and snapshot (D6); inherits the start caller's env", async () => {
    await using sb = Sandbox.create();
    const elsewhere = join(sb.dir, "elsewhere");
    mkdirSync(elsewhere);
    const id = await createJob(sb, ['printf "S=%s\\n" "$START_ONLY"; pwd; exit 3']);
    const r = await sb.cli(["start", "--snapshot-after", "10000", id], { cwd: elsewhere, env: { START_ONLY: "1" } });
    const j = expectSuccess(r, "start");
    expect(j).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "start",
      job_id: id,
      state: "exited",
      tags: [],
      agent_env: AGENT_ENV,
      snapshot: snapshotOf(`S=1\n${realpathSync(sb.cwd)}`, expect.any(String)),
      stdout_log_path: join(sb.root, id, "stdout.log"),
      stderr_log_path: join(sb.root, id, "stderr.log"),
      waited_ms: expect.any(Number),
      elapsed_ms: expect.any(Number),
      exit_code: 3,
      finished_at: expect.stringMatching(TS_MS),
      ...EVIDENCE,
      cursor: CURSOR,
    });
    expectKeyOrder(j, RUN_ORDER);
  });

  test.concurrent("--snapshot-after 0 answers at once with running; the job then runs", async () => {
    await using sb = Sandbox.create();
    const id = await createJob(sb, fx.sleepForever(), ["--tag", "svc"]);
    const j = expectSuccess(await sb.cli(["start", "--snapshot-after", "0", id]), "start");
    expect(j).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "start",
      job_id: id,
      state: "running",
      tags: ["svc"],
      agent_env: AGENT_ENV,
      stdout_log_path: join(sb.root, id, "stdout.log"),
      stderr_log_path: join(sb.root, id, "stderr.log"),
      waited_ms: 0,
      elapsed_ms: expect.any(Number),
      cursor: CURSOR,
    });
    await sb.stdoutMatch(id, /^ready \d+/);
    expect(sb.state(id).job).toMatchObject({ status: "running", started_at: expect.stringMatching(TS_MS) });
  });

  test.concurrent("an env file gone at start: invalid_input, the job stays created and can start later", async () => {
    await using sb = Sandbox.create();
    const envFile = join(sb.dir, "later.env");
    writeFileSync(envFile, "K=v1\n");
    const id = await createJob(sb, ['printf "K=%s\\n" "$K"'], ["--env-file", envFile]);
    rmSync(envFile);
    expectError(await sb.cli(["start", "--snapshot-after", "0", id]), "invalid_input", 1);
    expect(sb.state(id).job).toEqual({ id, status: "created" });
    writeFileSync(envFile, "K=v2\n");
    const j = await sb.ok(["start", "--wait", id]);
    expect(j).toMatchObject({ state: "exited", exit_code: 0, final_snapshot: { stdout_tail: "K=v2" } });
  });

  test.concurrent("anything but created: invalid_state naming the state; bad ids and flags", async () => {
    await using sb = Sandbox.create();
    const running = await sb.start(fx.sleepForever());
    const exited = await runToEnd(sb, ["true"]);
    for (const [id, state] of [
      [running, "running"],
      [exited, "exited"],
    ] as const) {
      const r = await sb.cli(["start", "--snapshot-after", "0", id]);
      expectError(r, "invalid_state", 1);
      expect(r.json.error.message).toContain(state);
      expect(sb.state(id).job.status).toBe(state);
    }
    expectError(await sb.cli(["start", "01ZZZZZZZZZZZZZZZZZZZZZZZZ"]), "job_not_found", 1);
    expectUsageError(await sb.cli(["start"]));
    expectUsageError(await sb.cli(["start", "--snapshot-after", "abc", exited]));
    expectUsageError(await sb.cli(["start", "--env", "A=1", exited]));
  });

  test.concurrent("concurrent starts: exactly one launches, the others get invalid_state (D13)", async () => {
    await using sb = Sandbox.create();
    const jobs = await Promise.all(
      [0, 1, 2].map(async (n) => {
        const file = join(sb.dir, `ran-${n}`);
        return { file, id: await createJob(sb, [`echo ran >> ${file}`]) };
      }),
    );
    await Promise.all(
      jobs.map(async ({ id, file }) => {
        const results = await Promise.all([0, 1, 2, 3, 4].map(() => sb.cli(["start", "--snapshot-after", "0", id])));
        const oks = results.filter((r) => r.exitCode === 0);
        expect({ id, oks: oks.length }).toEqual({ id, oks: 1 });
        for (const r of results.filter((x) => x.exitCode !== 0)) expectError(r, "invalid_state", 1);
        expect(await sb.ok(["wait", "--timeout-ms", "20000", id])).toMatchObject({ state: "exited", exit_code: 0 });
        expect(readFileSync(file, "utf8")).toBe("ran\n");
      }),
    );
  });
});

describe("created as seen by the other commands", () => {
  test.concurrent("list --state created shows exactly the created jobs", async () => {
    await using sb = Sandbox.create();
    const c1 = await createJob(sb, ["true"], ["--tag", "a"]);
    const c2 = await createJob(sb, ["true"]);
    const done = await runToEnd(sb, ["true"]);
    const j = await sb.ok(["list", "--state", "created"]);
    expect(j.jobs.map((x: { job_id: string }) => x.job_id).sort()).toEqual([c1, c2].sort());
    expect(j.jobs.find((x: { job_id: string }) => x.job_id === c1)).toEqual({
      job_id: c1,
      state: "created",
      command: "true",
      cwd: sb.meta(c1).cwd,
      created_at: sb.meta(c1).created_at,
      updated_at: expect.stringMatching(TS_MS),
      tags: ["a"],
    });
    const all = await sb.ok(["list"]);
    expect(all.jobs.map((x: { job_id: string }) => x.job_id).sort()).toEqual([c1, c2, done].sort());
    // Entries without started_at sort last (§3.8).
    expect(all.jobs[0].job_id).toBe(done);
  });

  test.concurrent("wait waits through created: it is still pending when the job starts, then reports the end", async () => {
    await using sb = Sandbox.create();
    const id = await createJob(sb, fx.exitWithCode(4));
    // A bounded wait on a created job reaches its deadline with the state still created (D24).
    expect(await sb.ok(["wait", "--timeout-ms", "300", id])).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "wait",
      job_id: id,
      state: "created",
      deadline_reached: true,
      cursor: CURSOR,
    });
    const pending = background(sb, ["wait", "--timeout-ms", "30000", id]);
    const observed = await pollUntil(() => sb.state(id).job.status, { until: (s) => s === "created" });
    expect({ observed, waitDone: pending.done }).toEqual({ observed: "created", waitDone: false });
    await sb.ok(["start", "--snapshot-after", "0", id]);
    const r = await pending.result;
    expect(expectSuccess(r, "wait")).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "wait",
      job_id: id,
      state: "exited",
      exit_code: 4,
      ...EVIDENCE,
      final_snapshot: expect.objectContaining({ stdout_tail: "exiting 4" }),
      cursor: CURSOR,
    });
  });

  test.concurrent("kill of a created job is invalid_state and changes nothing", async () => {
    await using sb = Sandbox.create();
    const id = await createJob(sb, ["true"]);
    const before = readFileSync(join(sb.root, id, "state.json"), "utf8");
    expectError(await sb.cli(["kill", id]), "invalid_state", 1);
    expect(readFileSync(join(sb.root, id, "state.json"), "utf8")).toBe(before);
  });
});
