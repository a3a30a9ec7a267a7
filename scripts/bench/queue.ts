// P10–P12: queues (X10) and input (X5).
//   P10: 200 jobs of `true` through a queue of parallel 2, side by side with task-spooler
//        (`tsp -S 2`, Debian's task-spooler) running the same 200.
//   P11: from a queued job's slot freeing (the previous job's finished_at) to its start (its
//        started_at, written by the dispatcher), median.
//   P12: `send` round trip: a job echoing each line back, 100 lines, median per line.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { aeOk, newRoot, readState } from "./store.ts";
import { type Ctx, fmtMs, fmtRatio, type Row, stats, until } from "./util.ts";

const TSP = "/usr/bin/tsp";

/** P10 and P11. */
export async function p10(ctx: Ctx): Promise<Row[]> {
  const n = ctx.quick ? 60 : 200;
  const root = newRoot(ctx, "p10");
  aeOk(ctx, root, ["queue", "set", "bench", "--parallel", "2"]);
  const t0 = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(aeOk(ctx, root, ["run", "--snapshot-after", "0", "--queue", "bench", "--", "true"]).job_id as string);
  }
  await until(
    `${n} queued jobs to end`,
    600_000,
    () => (ids.every((id) => readState(root, id)?.job.status === "exited") ? true : undefined),
    5,
  );
  const ours = performance.now() - t0;
  const states = ids.map((id) => readState(root, id));
  const ranOnce = states.every((s) => s?.result.exit_code === 0 && s.job.started_at);
  // P11: each job after the first two waited for a slot; its start follows an end.
  const ends = states.map((s) => Date.parse(s?.finished_at ?? "")).sort((a, b) => a - b);
  const gaps: number[] = [];
  for (const s of states.slice(2)) {
    const start = Date.parse(s?.job.started_at ?? "");
    const freed = ends.filter((e) => e <= start).at(-1);
    if (freed !== undefined) gaps.push(start - freed);
  }
  const gap = stats(gaps);
  let peer = "tsp not installed (apt-get install task-spooler)";
  let ratio: number | undefined;
  try {
    const tspMs = runTsp(n);
    ratio = ours / tspMs;
    peer = `tsp -S 2: ${fmtMs(tspMs)}`;
  } catch (err) {
    if (!String(err).includes("ENOENT")) peer = `tsp failed: ${String(err).slice(0, 80)}`;
  }
  return [
    {
      id: "P10",
      measure: `${n} jobs of \`true\` through a queue of parallel 2 (submit and run, each once)`,
      ours: `${fmtMs(ours)}${ratio === undefined ? "" : ` = ${fmtRatio(ratio)} tsp`}${ranOnce ? "" : " (NOT all ran once)"}`,
      budget: "≤ 1.5× tsp -S 2",
      peer,
      verdict: !ranOnce ? "MISS" : ratio === undefined ? "INFO" : ratio <= 1.5 ? "PASS" : "MISS",
      figures: { jobs: n, ours_ms: ours, ratio_to_tsp: ratio, ran_once: ranOnce },
    },
    {
      id: "P11",
      measure: "next queued job starts after a slot frees (finished_at → started_at)",
      ours: `median ${fmtMs(gap.median)} (p90 ${fmtMs(gap.p90)}, n=${gap.n})`,
      budget: "≤ 50 ms median",
      peer: "",
      verdict: gap.median <= 50 ? "PASS" : "MISS",
      figures: { start_after_free_ms: gap },
    },
  ];
}

/** Task-spooler with its own socket and 2 slots: queue n `true`, wait for all. */
function runTsp(n: number): number {
  const dir = mkdtempSync(join(process.env.TMPDIR ?? "/tmp", "bench-tsp-"));
  const env = { ...process.env, TS_SOCKET: join(dir, "sock"), TS_SAVELIST: join(dir, "list"), TMPDIR: dir };
  const run = (args: string[]) => {
    const r = Bun.spawnSync([TSP, ...args], { env, stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`tsp ${args.join(" ")}: ${r.stderr.toString()}`);
    return r.stdout.toString();
  };
  try {
    run(["-S", "2"]);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) run(["true"]);
    run(["-w"]); // waits for the last job
    // -w waits for the last queued one; make sure every one finished.
    for (;;) {
      const list = run(["-l"]);
      if (!/running|queued/.test(list)) break;
      Bun.sleepSync(5);
    }
    return performance.now() - t0;
  } finally {
    try {
      run(["-K"]);
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  }
}

/** P12: send round trip. */
export async function p12(ctx: Ctx): Promise<Row[]> {
  const lines = ctx.quick ? 30 : 100;
  const root = newRoot(ctx, "p12");
  const id = aeOk(ctx, root, ["run", "--snapshot-after", "0", "--interactive", "--", "cat"]).job_id as string;
  const out = join(root, id, "stdout.log");
  await until("the job to run", 30_000, () => (readState(root, id)?.pgid ? true : undefined));
  const times: number[] = [];
  for (let i = 0; i < lines; i++) {
    const text = `line ${i}`;
    const t0 = performance.now();
    aeOk(ctx, root, ["send", id, text, "--newline"]);
    await until("the echo", 10_000, () => (readFileSync(out, "utf8").includes(`${text}\n`) ? true : undefined), 1);
    times.push(performance.now() - t0);
  }
  aeOk(ctx, root, ["send", id, "--eof"]);
  const s = stats(times);
  return [
    {
      id: "P12",
      measure: `\`send\` round trip (a job echoing each line back), ${lines} lines`,
      ours: `median ${fmtMs(s.median)} (p90 ${fmtMs(s.p90)})`,
      budget: "≤ 20 ms median",
      peer: "",
      verdict: s.median <= 20 ? "PASS" : "MISS",
      figures: { round_trip_ms: s },
    },
  ];
}
