// P7w: what the waiting parent (supervisor/waiter.ts) adds per running job: the PSS of the `sh`
// that leads each job's group and records its exit, with 50 `sleep` jobs running. P7 counts it
// with the workload (it is in the job's group), so it is measured here on its own.
import { memory } from "./proc.ts";
import { aeOk, cleanRoot, isTerminal, newRoot, readState, type State } from "./store.ts";
import { type Ctx, fmtMB, type Row, until, verdict } from "./util.ts";

/** P7w: PSS of the waiters of 50 running jobs, per job. */
export async function p7w(ctx: Ctx): Promise<Row[]> {
  const jobs = 50;
  const root = newRoot(ctx, "p7w");
  try {
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) {
      ids.push(aeOk(ctx, root, ["run", "--snapshot-after", "0", "--", "sleep", "600"]).job_id as string);
    }
    // The command's pid differs from the group's once the waiter has forked it.
    const states = await until("every job to record its waiter and command", 30_000, () => {
      const all = ids.map((id) => readState(root, id));
      if (all.some((s) => isTerminal(s))) throw new Error("a sleep job ended early");
      return all.every((s) => s?.pgid && s.pid && s.pid !== s.pgid) ? (all as State[]) : undefined;
    });
    let pss = 0;
    let rss = 0;
    let uss = 0;
    for (const s of states) {
      const m = memory(s.pgid as number);
      if (!m) throw new Error(`waiter ${s.pgid} gone`);
      pss += m.pss;
      rss += m.rss;
      uss += m.uss;
    }
    const per = pss / jobs;
    return [
      {
        id: "P7w",
        measure: `memory of the waiting parent (\`sh\`) per running job, ${jobs} \`sleep\` jobs`,
        ours: `${fmtMB(per)} PSS (USS ${fmtMB(uss / jobs)}, RSS ${fmtMB(rss / jobs)})`,
        budget: "≤ 2.5 MB",
        peer: "",
        verdict: verdict(per <= 2.5e6),
        figures: { jobs, per_job: { pss: per, rss: rss / jobs, uss: uss / jobs } },
      },
    ];
  } finally {
    await cleanRoot(root);
  }
}
