// D22: SIGINT/SIGTERM to a waiting front-end (`run --wait`, `wait`) stops the waiting only: the job
// keeps running, one JSON response with the current state is printed, and the exit status is 130.
import { describe, expect, test } from "bun:test";
import { BIN } from "../helpers/bin.ts";
import { CURSOR } from "../helpers/envelope.ts";
import { fx } from "../helpers/fixtures.ts";
import { pidAlive, procState } from "../helpers/pid-alive.ts";
import { pollUntil } from "../helpers/poll.ts";
import { Sandbox } from "../helpers/sandbox.ts";

/** Spawns the binary with stdout/stderr captured; the caller signals it. */
function spawnCli(sb: Sandbox, args: string[]) {
  const proc = Bun.spawn([BIN, "--root", sb.root, ...args], {
    cwd: sb.cwd,
    env: sb.env,
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { proc, out };
}

/** Polls until the process has been sleeping on three checks in a row (it reached its idle wait). */
async function untilIdle(pid: number): Promise<void> {
  let idle = 0;
  await pollUntil(
    () => {
      idle = procState(pid) === "S" ? idle + 1 : 0;
      return idle;
    },
    { until: (n) => n >= 4, what: `process ${pid} idle` },
  );
}

describe("interrupted front-end (D22)", () => {
  test.concurrent.each(["SIGINT", "SIGTERM"] as const)(
    "%s to wait: job keeps running, JSON printed, exit 130",
    async (sig) => {
      await using sb = Sandbox.create();
      const id = await sb.start(fx.sleepForever());
      const pid = Number((await sb.stdoutMatch(id, /^ready (\d+)$/m))[1]);
      const { proc, out } = spawnCli(sb, ["wait", id]);
      await untilIdle(proc.pid);
      proc.kill(sig);
      const [stdout, , code] = await out;
      expect({ code, json: JSON.parse(stdout), lines: stdout.split("\n").length }).toEqual({
        code: 130,
        json: { schema_version: "0.1", ok: true, type: "wait", job_id: id, state: "running", cursor: CURSOR },
        lines: 2,
      });
      expect(pidAlive(pid)).toBe(true);
      expect((await sb.ok(["status", id])).state).toBe("running");
    },
  );

  test.concurrent.each(["SIGINT", "SIGTERM"] as const)(
    "%s to run --wait: job keeps running, JSON printed, exit 130",
    async (sig) => {
      await using sb = Sandbox.create();
      const { proc, out } = spawnCli(sb, ["run", "--wait", "--", ...fx.sleepForever()]);
      const id = (await pollUntil(() => sb.entries()[0], { what: "the job directory" })) as string;
      const pid = Number((await sb.stdoutMatch(id, /^ready (\d+)$/m))[1]);
      await untilIdle(proc.pid);
      proc.kill(sig);
      const [stdout, , code] = await out;
      expect({ code, lines: stdout.split("\n").length }).toEqual({ code: 130, lines: 2 });
      expect(JSON.parse(stdout)).toMatchObject({
        schema_version: "0.1",
        ok: true,
        type: "run",
        job_id: id,
        state: "running",
      });
      expect(pidAlive(pid)).toBe(true);
      const st = sb.state(id);
      expect(st.job.status).toBe("running");
      expect(pidAlive(st.supervisor_pid)).toBe(true);
    },
  );
});
