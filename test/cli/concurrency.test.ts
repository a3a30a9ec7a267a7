// P9: 200 concurrent `run --snapshot-after 0` calls all succeed with distinct ids, and every job
// ends terminal with its own output (no job stuck `running`).
import { expect, test } from "bun:test";
import { expectSuccess } from "../helpers/envelope.ts";
import { pollUntil } from "../helpers/poll.ts";
import { type Json, Sandbox, TERMINAL_STATES, ULID } from "../helpers/sandbox.ts";

test("200 concurrent runs: all ok, distinct ids, every job terminal with its output", async () => {
  await using sb = Sandbox.create();
  const n = 200;
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => sb.cli(["run", "--snapshot-after", "0", "--", `echo job-${i}`])),
  );
  const ids = results.map((r) => {
    const j = expectSuccess(r, "run");
    expect(j.job_id).toMatch(ULID);
    return j.job_id as string;
  });
  expect(new Set(ids).size).toBe(n);
  expect(new Set(sb.entries())).toEqual(new Set(ids));

  const list = await pollUntil(() => sb.ok(["list", "--all", "--limit", "0"]), {
    timeoutMs: 30_000,
    intervalMs: 50,
    until: (j: Json) => j.jobs.length === n && j.jobs.every((e: Json) => TERMINAL_STATES.includes(e.state)),
    what: `all ${n} jobs terminal`,
  });
  expect(list.skipped).toBe(0);
  expect(list.jobs.every((e: Json) => e.state === "exited" && e.exit_code === 0)).toBe(true);
  const wrong = ids
    .map((id, i) => ({ i, out: sb.file(id, "stdout.log").toString() }))
    .filter(({ i, out }) => out !== `job-${i}\n`);
  expect(wrong).toEqual([]);
});
