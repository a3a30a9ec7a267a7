// `kill` (§3.7, D10, D11) and `--timeout`/`--kill-after` (§4.5, D12): signal names, whole process
// trees gone (zombies count as gone), no orphan right after launch, observed outcomes.
import { describe, expect, test } from "bun:test";
import { BUN } from "../helpers/bin.ts";
import { CURSOR, EVIDENCE, expectError, expectKeyOrder, expectSuccess, expectUsageError } from "../helpers/envelope.ts";
import { fakeId, writeFakeJob } from "../helpers/fake-job.ts";
import { fixture, fx } from "../helpers/fixtures.ts";
import { livePidsWithCmdline, pidAlive } from "../helpers/pid-alive.ts";
import { pollUntil } from "../helpers/poll.ts";
import { readyBeforeTimeout } from "../helpers/ready-before-timeout.ts";
import { type Json, Sandbox, TS_MS } from "../helpers/sandbox.ts";

const marker = (): string => `tree-${crypto.randomUUID()}`;

/** Starts the 3-generation fixture and returns the job id and the three pids once all printed. */
async function startTree(sb: Sandbox, flags: string[] = []): Promise<{ id: string; pids: number[]; mark: string }> {
  const mark = marker();
  const id = await sb.start(fx.spawnGrandchild(mark), flags);
  const out = await pollUntil(() => sb.file(id, "stdout.log").toString(), {
    until: (s) => /gen3 \d+/.test(s),
    what: "all three generations printed their pids",
  });
  const pids = [1, 2, 3].map((g) => Number(out.match(new RegExp(`gen${g} (\\d+)`))?.[1]));
  expect(pids.every((p) => p > 1 && pidAlive(p))).toBe(true);
  return { id, pids, mark };
}

/**
 * `run --wait --timeout T [flags] -- command`, with T growing until the job printed `ready` before
 * its timeout fired (a TERM that lands before ignore-sigterm.sh set its trap proves nothing).
 */
async function runTimedOut(sb: Sandbox, command: string[], flags: string[] = []): Promise<{ j: Json; t: number }> {
  return readyBeforeTimeout("the job", async (t) => {
    const j = await sb.ok(["run", "--wait", "--timeout", String(t), ...flags, "--", ...command]);
    return /^ready \d+/.test(sb.file(j.job_id, "stdout.log").toString()) ? { j, t } : undefined;
  });
}

/**
 * Starts the 3-generation fixture with `--timeout T`, T growing until all three generations
 * printed their pids before the timeout fired; waits for the end of a too-short attempt first.
 */
async function startTreeTimed(sb: Sandbox): Promise<{ id: string; pids: number[]; mark: string }> {
  return readyBeforeTimeout("the 3-generation tree", async (t) => {
    const mark = marker();
    const id = await sb.start(fx.spawnGrandchild(mark), ["--timeout", String(t)]);
    const out = await pollUntil(
      () => ({ text: sb.file(id, "stdout.log").toString(), ended: sb.state(id).job.status !== "running" }),
      {
        until: (o) => /gen3 \d+/.test(o.text) || o.ended,
        timeoutMs: 60_000,
        what: "the tree printed or the job ended",
      },
    );
    if (!/gen3 \d+/.test(out.text)) {
      await sb.terminalState(id, undefined, 60_000);
      await pollUntil(() => livePidsWithCmdline(mark), { until: (l) => l.length === 0, what: `no ${mark} process` });
      return undefined;
    }
    return { id, pids: [1, 2, 3].map((g) => Number(out.text.match(new RegExp(`gen${g} (\\d+)`))?.[1])), mark };
  });
}

async function expectAllGone(pids: number[], mark: string): Promise<void> {
  await pollUntil(() => pids.filter(pidAlive), { until: (alive) => alive.length === 0, what: `pids ${pids} gone` });
  expect(livePidsWithCmdline(mark)).toEqual([]);
}

describe("kill (§3.7, D11)", () => {
  test.concurrent("TERMs the whole group and reports the observed outcome", async () => {
    await using sb = Sandbox.create();
    const { id, pids, mark } = await startTree(sb);
    const r = await sb.cli(["kill", id]);
    const j = expectSuccess(r, "kill");
    expect(j).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "kill",
      job_id: id,
      signal_sent: true,
      signal: "TERM",
      state: "killed",
    });
    expectKeyOrder(j, ["job_id", "signal_sent", "signal", "state"]);
    await expectAllGone(pids, mark);
    const st = await sb.terminalState(id);
    expect(st).toMatchObject({
      job: { id, status: "killed" },
      result: { exit_code: null, signal: "TERM" },
      finished_at: expect.stringMatching(TS_MS),
    });
    expect(await sb.ok(["status", id])).toMatchObject({ state: "killed", finished_at: st.finished_at });
  });

  test.concurrent.each([
    ["int", "INT"],
    ["SIGINT", "INT"],
    ["2", "INT"],
    ["HUP", "HUP"],
    ["sighup", "HUP"],
    ["Kill", "KILL"],
    ["9", "KILL"],
    ["SIGTERM", "TERM"],
  ])("--signal %p is sent as %s, the bare name everywhere (D10)", async (given, name) => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever());
    await sb.stdoutMatch(id, /^ready/);
    expect(await sb.ok(["kill", "--signal", given, id])).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "kill",
      job_id: id,
      signal_sent: true,
      signal: name,
      state: "killed",
    });
    expect((await sb.terminalState(id)).result).toMatchObject({ exit_code: null, signal: name });
  });

  test.concurrent("an unknown signal is a usage error and the job keeps running", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever());
    const pid = Number((await sb.stdoutMatch(id, /^ready (\d+)/m))[1]);
    for (const sig of ["FOO", "SIGFOO", "999", "", "SIG", "TERM2", "1.5"]) {
      expectUsageError(await sb.cli(["kill", "--signal", sig, id]));
    }
    expect(pidAlive(pid)).toBe(true);
    expect(sb.state(id).job.status).toBe("running");
  });

  test.concurrent("a TERM the job ignores: never escalated, state observed as running, nothing recorded", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.ignoreSigterm());
    const pid = Number((await sb.stdoutMatch(id, /^ready (\d+)$/m))[1]);
    expect(await sb.ok(["kill", id])).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "kill",
      job_id: id,
      signal_sent: true,
      signal: "TERM",
      state: "running",
    });
    expect(pidAlive(pid)).toBe(true);
    expect(sb.state(id).job.status).toBe("running");
    expect((await sb.ok(["status", id])).state).toBe("running");
    expect(await sb.ok(["kill", "--signal", "KILL", id])).toMatchObject({ signal: "KILL", state: "killed" });
    expect((await sb.terminalState(id)).result.signal).toBe("KILL");
  });

  test.concurrent("killing a finished job is a no-op success: signal_sent false, no signal (D39)", async () => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["run", "--wait", "--", ...fx.exitWithCode(3)])).job_id;
    const before = sb.file(id, "state.json").toString();
    expect(await sb.ok(["kill", id])).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "kill",
      job_id: id,
      signal_sent: false,
      state: "exited",
      exit_code: 3,
    });
    const again = await sb.ok(["kill", "--signal", "KILL", id]);
    expect(again).toMatchObject({ signal_sent: false, state: "exited" });
    expect(again).not.toHaveProperty("signal");
    expect(sb.file(id, "state.json").toString()).toBe(before);
    const old = fakeId("01HOLDKILLED");
    writeFakeJob(sb.root, { id: old, status: "killed", signal: "15", exitCode: null });
    const k = await sb.ok(["kill", old]);
    expect(k).toMatchObject({ job_id: old, signal_sent: false, state: "killed" });
    expect(k).not.toHaveProperty("signal");
  });

  test.concurrent("a created job cannot be killed: invalid_state", async () => {
    await using sb = Sandbox.create();
    const id = fakeId("01HCREATED");
    writeFakeJob(sb.root, { id, status: "created" });
    expectError(await sb.cli(["kill", id]), "invalid_state", 1);
    expect(sb.state(id).job.status).toBe("created");
  });

  test.concurrent("kill right after run --snapshot-after 0 leaves no orphan", async () => {
    await using sb = Sandbox.create();
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        const mark = marker();
        const id = await sb.start(fx.spawnGrandchild(mark));
        const k = await sb.ok(["kill", id]);
        expect(k).toMatchObject({ job_id: id, signal: "TERM", state: "killed" });
        // Whatever had started of the tree must be gone, and nothing may appear later.
        await pollUntil(() => livePidsWithCmdline(mark), { until: (l) => l.length === 0, what: `no ${mark} process` });
        const st = await sb.terminalState(id);
        expect(st.job.status).toBe("killed");
        expect(livePidsWithCmdline(mark)).toEqual([]);
      }),
    );
  });
});

describe("--timeout and --kill-after (§4.5, D12)", () => {
  test.concurrent("a timeout TERMs the group: killed, TERM, timed_out everywhere", async () => {
    await using sb = Sandbox.create();
    const { j, t } = await runTimedOut(sb, fx.sleepForever());
    expect(j).toMatchObject({ state: "killed", timed_out: true, finished_at: expect.stringMatching(TS_MS) });
    expect(j.exit_code).toBeUndefined();
    expect(j.final_snapshot.stdout_tail).toMatch(/^ready \d+$/);
    const id = j.job_id;
    expect(sb.state(id)).toMatchObject({
      job: { status: "killed" },
      result: { exit_code: null, signal: "TERM", timed_out: true },
    });
    expect(sb.meta(id)).toMatchObject({ timeout_ms: t, kill_after_ms: 0 });
    expect(await sb.ok(["status", id])).toMatchObject({ state: "killed", timed_out: true });
    expect(await sb.ok(["wait", id])).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "wait",
      job_id: id,
      state: "killed",
      timed_out: true,
      signal: "TERM",
      ...EVIDENCE,
      final_snapshot: expect.any(Object),
      cursor: CURSOR,
    });
    expect((await sb.ok(["list", "--all"])).jobs).toEqual([expect.objectContaining({ job_id: id, timed_out: true })]);
  });

  test.concurrent("a job ignoring TERM is KILLed after --kill-after, not before", async () => {
    await using sb = Sandbox.create();
    const { j, t } = await runTimedOut(sb, fx.ignoreSigterm(), ["--kill-after", "700"]);
    expect(j).toMatchObject({ state: "killed", timed_out: true });
    const st = sb.state(j.job_id);
    expect(st.result).toMatchObject({ exit_code: null, signal: "KILL", timed_out: true });
    expect(st.result.duration_ms).toBeGreaterThanOrEqual(t + 700 - 10);
    expect(sb.meta(j.job_id)).toMatchObject({ timeout_ms: t, kill_after_ms: 700 });
  });

  test.concurrent("without --kill-after a job ignoring TERM is KILLed at once", async () => {
    await using sb = Sandbox.create();
    const { j } = await runTimedOut(sb, fx.ignoreSigterm());
    expect(j).toMatchObject({ state: "killed", timed_out: true });
    expect(sb.state(j.job_id).result).toMatchObject({ signal: "KILL", timed_out: true });
  });

  test.concurrent("a descendant ignoring TERM is KILLed after --kill-after once the root is gone", async () => {
    await using sb = Sandbox.create();
    const ignorer = `sh ${fixture("ignore-sigterm.sh")} ${BUN} ${fixture("sleep-forever.ts")}`;
    const id = await sb.start(
      [`${ignorer} & exec ${BUN} ${fixture("sleep-forever.ts")}`],
      ["--timeout", "3000", "--kill-after", "300"],
    );
    // The ignorer prints its pid twice (before and after its exec), the root once.
    const pids = await pollUntil(
      () => [
        ...new Set(
          (
            sb
              .file(id, "stdout.log")
              .toString()
              .match(/ready \d+/g) ?? []
          ).map((l) => Number(l.slice(6))),
        ),
      ],
      { until: (p) => p.length === 2, what: "both processes ready" },
    );
    const st = await sb.terminalState(id);
    expect(st.result).toMatchObject({ signal: "TERM", timed_out: true });
    await pollUntil(() => pids.filter(pidAlive), { until: (a) => a.length === 0, what: "both processes gone" });
  });

  test.concurrent("a job that ends before its timeout: exited, no timed_out anywhere", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok(["run", "--wait", "--timeout", "60000", "--kill-after", "60000", "--", "echo", "quick"]);
    expect(j).toMatchObject({ state: "exited", exit_code: 0 });
    expect(j.timed_out).toBeUndefined();
    expect(sb.state(j.job_id).result.timed_out).toBeUndefined();
    expect((await sb.ok(["status", j.job_id])).timed_out).toBeUndefined();
  });

  test.concurrent("the whole 3-generation tree is gone after a timeout", async () => {
    await using sb = Sandbox.create();
    const { id, pids, mark } = await startTreeTimed(sb);
    const st = await sb.terminalState(id);
    expect(st).toMatchObject({ job: { status: "killed" }, result: { signal: "TERM", timed_out: true } });
    await expectAllGone(pids, mark);
  });
});
