// Queues, limits and dependencies without a daemon (X10), black-box.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expectError, expectUsageError } from "../helpers/envelope.ts";
import { fx } from "../helpers/fixtures.ts";
import { pidAlive } from "../helpers/pid-alive.ts";
import { pollUntil } from "../helpers/poll.ts";
import { type Json, Sandbox } from "../helpers/sandbox.ts";

const jobsOf = (sb: Sandbox) => sb.entries().filter((e) => !e.startsWith("."));

describe("X10: queues", () => {
  test.concurrent("20 concurrent submissions to a queue of 2: never more than 2 alive, all run once", async () => {
    await using sb = Sandbox.create();
    await sb.ok(["queue", "set", "shards", "--parallel", "2"]);
    const marks = join(sb.dir, "marks");
    const script = `echo "$AGENT_EXEC_JOB_ID" >> ${marks}; sleep 0.3`;
    const ids = (
      await Promise.all(
        Array.from({ length: 20 }, () => sb.ok(["run", "--snapshot-after", "0", "--queue", "shards", "--", script])),
      )
    ).map((r: Json) => r.job_id as string);
    let most = 0;
    // Sample the jobs' own process groups straight from disk: no command, so nothing dispatches
    // but the supervisors of jobs that end.
    await pollUntil(
      () => {
        const alive = ids.filter((id) => {
          const s = sb.state(id);
          return s.job.status === "running" && s.pgid !== undefined && pidAlive(s.pgid);
        }).length;
        most = Math.max(most, alive);
        return ids.every((id) => ["exited", "killed", "failed"].includes(sb.state(id).job.status));
      },
      { timeoutMs: 120_000, intervalMs: 10, what: "all 20 queued jobs to end" },
    );
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBeGreaterThanOrEqual(1);
    const ran = readFileSync(marks, "utf8").trim().split("\n");
    expect(ran.sort()).toEqual([...ids].sort());
    expect(ids.map((id) => sb.state(id).result.exit_code)).toEqual(ids.map(() => 0));
  });

  test.concurrent("the next queued job starts within a second of a free slot, with no other command", async () => {
    await using sb = Sandbox.create();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await sb.ok(["run", "--snapshot-after", "0", "--queue", "one", "--", "sleep", "0.3"])).job_id);
    }
    await pollUntil(() => ids.every((id) => sb.state(id).job.status === "exited"), {
      timeoutMs: 60_000,
      what: "the three jobs to end",
    });
    for (let i = 1; i < ids.length; i++) {
      const ended = Date.parse(sb.state(ids[i - 1] as string).finished_at);
      const started = Date.parse(sb.state(ids[i] as string).job.started_at);
      // The next one started after the previous ended (one slot), and soon after it.
      expect(started).toBeGreaterThanOrEqual(ended);
      expect(started - ended).toBeLessThan(1000);
    }
  });

  test.concurrent("queue list, list --queue, --state queued, kill and delete of a queued job", async () => {
    await using sb = Sandbox.create();
    const busy = (await sb.ok(["run", "--snapshot-after", "0", "--queue", "q", "--", ...fx.sleepForever()])).job_id;
    const waiting = (await sb.ok(["run", "--snapshot-after", "0", "--queue", "q", "--", "true"])).job_id;
    const other = (await sb.ok(["run", "--snapshot-after", "0", "--queue", "q", "--", "true"])).job_id;
    expect(sb.state(waiting).job.status).toBe("queued");
    expect(await sb.ok(["queue", "list"])).toMatchObject({
      type: "queue.list",
      queues: [{ name: "q", parallel: 1, running: 1, queued: 2 }],
    });
    expect((await sb.ok(["list", "--state", "queued"])).jobs.map((j: Json) => j.job_id).sort()).toEqual(
      [waiting, other].sort(),
    );
    expect((await sb.ok(["list", "--queue", "q"])).jobs).toHaveLength(3);
    expect(await sb.ok(["status", waiting])).toMatchObject({ state: "queued", queue: "q" });
    const killed = await sb.ok(["kill", waiting]);
    expect(killed).toMatchObject({ state: "killed" });
    expect(sb.state(waiting).result).toMatchObject({ exit_code: null, killed_by: "agent-exec" });
    expect((await sb.ok(["delete", other])).deleted).toBe(1);
    expect((await sb.ok(["gc", "--older-than", "0"])).jobs.find((j: Json) => j.job_id === busy)).toMatchObject({
      reason: "running",
    });
    await sb.ok(["kill", busy, "--signal", "KILL"]);
    // gc took the killed queued job (terminal, old enough for 0 s); the running one stayed.
    expect(jobsOf(sb)).toEqual([busy]);
  });

  test.concurrent("bad limits and names are usage errors; nothing is queued", async () => {
    await using sb = Sandbox.create();
    for (const p of ["0", "-1", "abc", "1.5", ""])
      expectUsageError(await sb.cli(["queue", "set", "q", "--parallel", p]));
    expectUsageError(await sb.cli(["queue", "set", "q"]));
    for (const name of ["a/b", "", "x".repeat(65), "..", "é"]) {
      expectUsageError(await sb.cli(["run", "--queue", name, "--", "true"]));
      expectUsageError(await sb.cli(["queue", "set", name, "--parallel", "1"]));
    }
    expect(jobsOf(sb)).toEqual([]);
  });
});

describe("X10: dependencies", () => {
  test.concurrent("a diamond of --after-ok runs in order; a failed dependency fails its dependents", async () => {
    await using sb = Sandbox.create();
    const log = join(sb.dir, "order");
    const step = (name: string, code = 0) => ["sh", "-c", `sleep 0.1; echo ${name} >> ${log}; exit ${code}`];
    const a = (await sb.ok(["run", "--snapshot-after", "0", "--", ...step("a")])).job_id;
    const b = (await sb.ok(["run", "--snapshot-after", "0", "--after-ok", a, "--", ...step("b")])).job_id;
    const c = (await sb.ok(["run", "--snapshot-after", "0", "--after-ok", a, "--", ...step("c")])).job_id;
    const d = (await sb.ok(["run", "--snapshot-after", "0", "--after-ok", `${b},${c}`, "--", ...step("d")])).job_id;
    const w = await sb.ok(["wait", d, "--timeout-ms", "60000"]);
    expect(w).toMatchObject({ state: "exited", exit_code: 0 });
    const order = readFileSync(log, "utf8").trim().split("\n");
    expect(order[0]).toBe("a");
    expect(order.slice(1, 3).sort()).toEqual(["b", "c"]);
    expect(order[3]).toBe("d");
    expect(sb.meta(d).after_ok.sort()).toEqual([b, c].sort());

    const bad = (await sb.ok(["run", "--snapshot-after", "0", "--", ...step("bad", 3)])).job_id;
    const never = (await sb.ok(["run", "--snapshot-after", "0", "--after-ok", bad, "--", ...step("never")])).job_id;
    const anyway = (await sb.ok(["run", "--snapshot-after", "0", "--after", bad, "--", ...step("anyway")])).job_id;
    expect(await sb.ok(["wait", never, "--timeout-ms", "60000"])).toMatchObject({
      state: "failed",
      reason: "dependency_failed",
    });
    expect(await sb.ok(["wait", anyway, "--timeout-ms", "60000"])).toMatchObject({ state: "exited", exit_code: 0 });
    expect(readFileSync(log, "utf8")).not.toContain("never");
  });

  test.concurrent("a dependency on a missing or ambiguous job is an error; nothing is created", async () => {
    await using sb = Sandbox.create();
    const r = await sb.cli(["run", "--after", "01HZZZZZZZZZZZZZZZZZZZZZZZ", "--", "true"]);
    expectError(r, "job_not_found", 1);
    expectUsageError(await sb.cli(["run", "--after", ",", "--", "true"]));
    expect(jobsOf(sb)).toEqual([]);
    expect(readdirSync(sb.dir)).not.toContain(".queued");
  });
});
