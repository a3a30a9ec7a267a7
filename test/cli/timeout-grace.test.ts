// --kill-after is a grace, not a wait: a job that ends on TERM lets its supervisor finish at once.
import { expect, test } from "bun:test";
import { pidAlive } from "../helpers/pid-alive.ts";
import { pollUntil } from "../helpers/poll.ts";
import { Sandbox } from "../helpers/sandbox.ts";

test.concurrent("after a timeout whose TERM ended the job, the supervisor exits without waiting out the grace", async () => {
  await using sb = Sandbox.create();
  const r = await sb.ok(["run", "--wait", "--timeout", "100", "--kill-after", "60000", "--", "sleep", "30"]);
  expect(r).toMatchObject({ state: "killed", timed_out: true });
  const sup = sb.state(r.job_id).supervisor_pid as number;
  await pollUntil(() => !pidAlive(sup) || undefined, {
    timeoutMs: 5000,
    what: `supervisor ${sup} gone well before the 60 s grace`,
  });
});
