// The supervisor (§4.1, D7, D8): detached in its own session with no caller stdio, the job leading
// its own process group, and a SIGKILLed supervisor that neither kills the job nor loses output.
import { describe, expect, test } from "bun:test";
import { readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN } from "../helpers/bin.ts";
import { CURSOR, expectSuccess } from "../helpers/envelope.ts";
import { fx } from "../helpers/fixtures.ts";
import { pidAlive } from "../helpers/pid-alive.ts";
import { pollUntil } from "../helpers/poll.ts";
import { Sandbox, TS_MS } from "../helpers/sandbox.ts";

/** ppid, pgrp and session of a process from /proc/<pid>/stat. */
function statIds(pid: number): { ppid: number; pgrp: number; session: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(f[1]), pgrp: Number(f[2]), session: Number(f[3]) };
}

describe("launch topology (§4.1, D7)", () => {
  test.concurrent("the supervisor has its own session and no caller stdio; the job has its own group", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever());
    const pid = Number((await sb.stdoutMatch(id, /^ready (\d+)$/m))[1]);
    const st = await pollUntil(() => sb.state(id), {
      until: (s) => s.supervisor_pid > 1 && s.pgid > 1 && s.pid === pid,
      what: "state.json with supervisor_pid, pgid and the job pid",
    });
    const sup = st.supervisor_pid as number;
    expect(pidAlive(sup)).toBe(true);
    const supIds = statIds(sup);
    expect(supIds.session).toBe(sup);
    expect(supIds.session).not.toBe(statIds(process.pid).session);
    for (const fd of [0, 1, 2]) {
      const target = readlinkSync(`/proc/${sup}/fd/${fd}`);
      expect({ fd, ok: target === "/dev/null" || target.startsWith(sb.jobDir(id)) }).toEqual({ fd, ok: true });
    }
    // The command's waiting parent (which records its exit) leads the job's group and session;
    // `pid` is the command itself.
    const jobIds = statIds(pid);
    const waiter = st.pgid as number;
    expect(jobIds).toEqual({ ppid: waiter, pgrp: waiter, session: waiter });
    expect(statIds(waiter)).toEqual({ ppid: sup, pgrp: waiter, session: waiter });
    expect(supIds.pgrp).not.toBe(waiter);
  });
});

describe("supervisor loss (D8)", () => {
  test.concurrent("SIGKILL of the supervisor: the job runs on, its output is complete, the state reconciles", async () => {
    await using sb = Sandbox.create();
    const go = join(sb.dir, "go");
    const n = 2000;
    const id = await sb.start(fx.printLinesAfterFile(go, n));
    await sb.stdoutMatch(id, /^waiting$/m);
    const st = await pollUntil(() => sb.state(id), {
      until: (s) => s.supervisor_pid > 1 && s.pid > 1,
      what: "state.json with supervisor_pid and pid",
    });
    const jobPid = st.pid as number;
    process.kill(st.supervisor_pid, "SIGKILL");
    await pollUntil(() => !pidAlive(st.supervisor_pid), { what: "supervisor gone" });
    expect(pidAlive(jobPid)).toBe(true);

    // While the job lives: still running, without its supervisor.
    const status = expectSuccess(await sb.cli(["status", id]), "status");
    expect(status).toEqual({
      command: expect.any(String),
      cwd: sb.meta(id).cwd,
      schema_version: "0.1",
      ok: true,
      type: "status",
      job_id: id,
      state: "running",
      created_at: expect.stringMatching(TS_MS),
      started_at: expect.stringMatching(TS_MS),
      supervisor_alive: false,
      cursor: CURSOR,
    });
    expect(await sb.ok(["wait", "--timeout-ms", "50", id])).toMatchObject({ state: "running", deadline_reached: true });
    expect((await sb.ok(["list", "--all"])).jobs).toEqual([expect.objectContaining({ job_id: id, state: "running" })]);

    // A waiter started now must end once the job does (no job is running forever).
    const waiter = Bun.spawn([BIN, "--root", sb.root, "wait", id], { cwd: sb.cwd, env: sb.env, stdout: "pipe" });
    const waited = new Response(waiter.stdout).text();
    writeFileSync(go, "");
    await pollUntil(() => !pidAlive(jobPid), { what: "job process gone" });

    const expected = `waiting\n${Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join("")}`;
    expect(sb.file(id, "stdout.log").toString()).toBe(expected);

    // The command is gone; its waiting parent records the exit a moment later (then the group
    // is gone too): poll for the reconciled end instead of reading it in that instant.
    const after = await pollUntil(
      async () => {
        const s = await sb.ok(["status", id]);
        return s.state === "running" ? undefined : s;
      },
      { what: "the reconciled end" },
    );
    expect(["exited", "failed"]).toContain(after.state);
    if (after.state === "failed") expect(after).toMatchObject({ reason: "supervisor_lost" });
    else expect(after).toMatchObject({ exit_code: 0 });
    expect(after.supervisor_alive).toBeUndefined();
    expect(after.finished_at).toMatch(TS_MS);
    expect(sb.state(id).job.status).toBe(after.state);

    expect(await waiter.exited).toBe(0);
    expect(JSON.parse(await waited)).toMatchObject({ type: "wait", job_id: id, state: after.state });
    expect((await sb.ok(["list", "--all"])).jobs).toEqual([
      expect.objectContaining({ job_id: id, state: after.state }),
    ]);
    expect(await sb.ok(["tail", id, "--tail-lines", "1"])).toMatchObject({ stdout_tail: `line ${n}` });
  });
});
