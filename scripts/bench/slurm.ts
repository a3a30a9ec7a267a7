// S1–S4: the Slurm backend (X13), against the local single-node Slurm (scripts/slurm/start.sh).
//   S1: `run --backend slurm --snapshot-after 0 -- true` vs `sbatch --wrap true` alone, median.
//   S2: `status` of a Slurm job (a scheduler question per call) vs `status` of a local job, median.
//   S3: `list` of 200 Slurm jobs: scheduler calls made (AGENT_EXEC_SLURM_TRACE), and its time.
//   S4: `wait` returning after a Slurm job ends (its finished_at to wait's exit), median.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { timed } from "./proc.ts";
import { aeOk, newRoot } from "./store.ts";
import { type Ctx, fmtMs, fmtRatio, type Row, stats, verdict } from "./util.ts";

/** A Slurm job that stays PENDING (more CPUs per task than any node has) until cancelled. */
const PENDING_RUN = [
  "run",
  "--backend",
  "slurm",
  "--snapshot-after",
  "0",
  "--slurm-arg=--cpus-per-task=64",
  "--",
  "true",
];

function slurmUp(env: Record<string, string>): boolean {
  const r = timed(["sinfo", "-h", "-o", "%t"], env, 10_000);
  return r.code === 0 && /idle|mix|alloc/.test(r.stdout);
}

export async function slurm(ctx: Ctx): Promise<Row[]> {
  let up = false;
  try {
    up = slurmUp(ctx.env);
  } catch {}
  if (!up) {
    return [
      {
        id: "S1",
        measure: "Slurm backend",
        ours: "not measured",
        budget: "-",
        peer: "no Slurm answering: run scripts/slurm/start.sh (root) first",
        verdict: "INFO",
        figures: {},
      },
    ];
  }
  const n = ctx.quick ? 5 : 20;
  const root = newRoot(ctx, "slurm");
  const cancel: string[] = [];
  const rows: Row[] = [];
  try {
    // S1
    const ours: number[] = [];
    const peer: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = aeOk(ctx, root, ["run", "--backend", "slurm", "--snapshot-after", "0", "--", "true"]);
      ours.push(r.ms);
      const s = timed(["sbatch", "--parsable", "--output=/dev/null", "--wrap", "true"], ctx.env);
      peer.push(s.ms);
      cancel.push(s.stdout.trim());
    }
    const o = stats(ours).median;
    const p = stats(peer).median;
    // Context: the same run with the local backend (the CLI's own start-up and job files).
    const localRuns: number[] = [];
    for (let i = 0; i < n; i++) localRuns.push(aeOk(ctx, root, ["run", "--snapshot-after", "0", "--", "true"]).ms);
    const l = stats(localRuns).median;
    rows.push({
      id: "S1",
      measure: "`run --backend slurm --snapshot-after 0 -- true`, median",
      ours: `${fmtMs(o)} = ${fmtRatio(o / p)} sbatch`,
      budget: "≤ 1.5× sbatch --wrap true",
      peer: `sbatch --wrap true: ${fmtMs(p)}; local run: ${fmtMs(l)}`,
      verdict: verdict(o / p <= 1.5),
      figures: { runs: n, ours_ms: o, sbatch_ms: p, ratio: o / p, local_run_ms: l },
    });

    // S2: a pending Slurm job makes every status ask the scheduler.
    const pending = aeOk(ctx, root, PENDING_RUN);
    const local = aeOk(ctx, root, ["run", "--snapshot-after", "0", "--", "sleep 600"]);
    const sl: number[] = [];
    const lo: number[] = [];
    for (let i = 0; i < n; i++) {
      sl.push(aeOk(ctx, root, ["status", pending.job_id as string]).ms);
      lo.push(aeOk(ctx, root, ["status", local.job_id as string]).ms);
    }
    const a = stats(sl).median;
    const b = stats(lo).median;
    rows.push({
      id: "S2",
      measure: "`status` of a pending Slurm job vs a running local one, median",
      ours: `${fmtMs(a)} = ${fmtRatio(a / b)} local`,
      budget: "≤ 2× local status",
      peer: `local status: ${fmtMs(b)}`,
      verdict: verdict(a / b <= 2),
      figures: { slurm_ms: a, local_ms: b, ratio: a / b },
    });
    aeOk(ctx, root, ["kill", pending.job_id as string]);
    aeOk(ctx, root, ["kill", local.job_id as string]);

    // S3: 200 pending Slurm jobs, one list.
    const many = ctx.quick ? 50 : 200;
    const listRoot = newRoot(ctx, "slurm-list");
    for (let i = 0; i < many; i++) {
      const r = aeOk(ctx, listRoot, PENDING_RUN);
      const backend = r.backend as { job_id?: string } | undefined;
      if (backend?.job_id) cancel.push(backend.job_id);
    }
    const trace = join(ctx.work, "slurm-trace");
    rmSync(trace, { force: true });
    // Without the answer the last `run` kept for a second: this list must ask the scheduler itself.
    rmSync(join(listRoot, ".slurm-poll.json"), { force: true });
    const listed = timed([ctx.bin, "--root", listRoot, "list", "--all", "--limit", "0"], {
      ...ctx.env,
      AGENT_EXEC_SLURM_TRACE: trace,
    });
    const calls = existsSync(trace) ? readFileSync(trace, "utf8").trim().split("\n").filter(Boolean).length : 0;
    const jobs = (JSON.parse(listed.stdout).jobs as unknown[]).length;
    rows.push({
      id: "S3",
      measure: `\`list\` of ${many} pending Slurm jobs`,
      ours: `${calls} scheduler call(s), ${fmtMs(listed.ms)}, ${jobs} jobs`,
      budget: "one scheduler call",
      peer: "-",
      verdict: verdict(calls === 1 && jobs === many),
      figures: { jobs: many, scheduler_calls: calls, list_ms: listed.ms },
    });

    // S4
    const lags: number[] = [];
    for (let i = 0; i < (ctx.quick ? 3 : 10); i++) {
      const r = aeOk(ctx, root, ["run", "--backend", "slurm", "--snapshot-after", "0", "--", "sleep 0.5"]);
      aeOk(ctx, root, ["wait", r.job_id as string, "--timeout-ms", "60000"]);
      const returnedAt = Date.now(); // wait's process has exited (spawnSync returned)
      const status = aeOk(ctx, root, ["status", r.job_id as string]);
      lags.push(Math.max(0, returnedAt - Date.parse(status.finished_at as string)));
    }
    const lag = stats(lags).median;
    rows.push({
      id: "S4",
      measure: "`wait` returning after a Slurm job ends (finished_at → wait exits), median",
      ours: fmtMs(lag),
      budget: "≤ 1 s",
      peer: "-",
      verdict: verdict(lag <= 1000),
      figures: { lags_ms: lags, median_ms: lag },
    });
  } finally {
    if (cancel.length > 0) timed(["scancel", ...cancel], ctx.env);
  }
  return rows;
}
