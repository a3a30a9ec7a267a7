// The command's exit survives its supervisor: a SIGKILLed supervisor no longer turns a job that
// exited into `failed`/`supervisor_lost`; readers reconcile to `exited`/`killed` from the record
// the job's waiting parent wrote. `supervisor_lost` stays for an end that is truly unknown.
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { killQuietly, pidAlive } from "../helpers/pid-alive.ts";
import { pollUntil } from "../helpers/poll.ts";
import { type Json, Sandbox, TS_MS } from "../helpers/sandbox.ts";

/** Starts `script` (argv mode), waits until it runs with its pid on record, and SIGKILLs its supervisor. */
async function startOrphaned(sb: Sandbox, script: string): Promise<{ id: string; st: Json }> {
  const id = await sb.start(["sh", "-c", script]);
  await sb.stdoutMatch(id, /^started$/m);
  const st = await pollUntil(() => sb.state(id), {
    until: (s) => s.supervisor_pid > 1 && s.pgid > 1 && s.pid > 1 && s.pid !== s.pgid,
    what: "state.json with supervisor_pid, pgid and the command's pid",
  });
  process.kill(st.supervisor_pid, "SIGKILL");
  await pollUntil(() => !pidAlive(st.supervisor_pid), { what: "supervisor gone" });
  return { id, st };
}

/** Polls `status` until the job is terminal. */
const terminalStatus = (sb: Sandbox, id: string) =>
  pollUntil(() => sb.ok(["status", id]), {
    until: (s) => ["exited", "killed", "failed"].includes(s.state),
    timeoutMs: 20_000,
    what: "a terminal status",
  });

describe("without its supervisor", () => {
  for (const code of [0, 7]) {
    test.concurrent(`a command that exits ${code} ends as exited ${code}, with its duration`, async () => {
      await using sb = Sandbox.create();
      const go = join(sb.dir, "go");
      const { id } = await startOrphaned(sb, `echo started; while [ ! -e ${go} ]; do sleep 0.05; done; exit ${code}`);
      expect(await sb.ok(["status", id])).toMatchObject({ state: "running", supervisor_alive: false });
      writeFileSync(go, "");
      const st = await terminalStatus(sb, id);
      expect(st).toMatchObject({ state: "exited", exit_code: code, finished_at: expect.stringMatching(TS_MS) });
      expect(st.reason).toBeUndefined();
      expect(st.duration_ms).toBeGreaterThan(0);
      expect(sb.state(id)).toMatchObject({ job: { status: "exited" }, result: { exit_code: code, signal: null } });
      expect(await sb.ok(["wait", id])).toMatchObject({ state: "exited", exit_code: code });
    });
  }

  for (const signal of ["TERM", "KILL"]) {
    test.concurrent(`\`kill --signal ${signal}\` ends it as killed by ${signal}`, async () => {
      await using sb = Sandbox.create();
      const { id, st } = await startOrphaned(sb, "echo started; exec sleep 600");
      await sb.ok(["kill", "--signal", signal, id]);
      await pollUntil(() => !pidAlive(st.pid), { what: "the command gone" });
      expect(await terminalStatus(sb, id)).toMatchObject({ state: "killed", signal, killed_by: "agent-exec" });
    });
  }

  test.concurrent("the end is truly unknown (the whole group SIGKILLed by someone else): supervisor_lost", async () => {
    await using sb = Sandbox.create();
    const { id, st } = await startOrphaned(sb, "echo started; exec sleep 600");
    killQuietly(-st.pgid);
    await pollUntil(() => !pidAlive(st.pid), { what: "the command gone" });
    expect(await terminalStatus(sb, id)).toMatchObject({ state: "failed", reason: "supervisor_lost" });
  });
});

describe("with its supervisor, through the waiting parent", () => {
  test.concurrent("a crash is a signal, a chosen 128+N an exit code, and the waiter adds nothing to stderr", async () => {
    await using sb = Sandbox.create();
    const crash = await sb.ok(["run", "--wait", "--", "sh", "-c", "echo before >&2; kill -SEGV $$"]);
    expect(crash).toMatchObject({ state: "killed", signal: "SEGV" });
    expect(crash.exit_code).toBeUndefined();
    expect(sb.file(crash.job_id, "stderr.log").toString()).toBe("before\n");
    const chosen = await sb.ok(["run", "--wait", "--", "sh", "-c", "exit 130"]);
    expect(chosen).toMatchObject({ state: "exited", exit_code: 130 });
    // A long grace: TERM ends it, and no KILL may race the waiter's record.
    const term = await sb.ok(["run", "--wait", "--timeout", "300", "--kill-after", "60000", "--", "sleep", "600"]);
    expect(term).toMatchObject({ state: "killed", signal: "TERM", timed_out: true });
  });

  test.concurrent("pid is the command's own pid (argv mode execs it); the group is the waiter's", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(["sh", "-c", "echo pid $$; exec sleep 600"]);
    const pid = Number((await sb.stdoutMatch(id, /^pid (\d+)$/m))[1]);
    const st = await pollUntil(() => sb.state(id), { until: (s) => s.pid === pid, what: "state.pid = the command" });
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    expect(Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2])).toBe(st.pgid);
    await sb.ok(["kill", id]);
    expect(await terminalStatus(sb, id)).toMatchObject({ state: "killed", signal: "TERM" });
  });
});
