// P8c: a job writing 1 GiB of 80-byte lines under `--max-log-bytes 64MiB` (X9): its wall time
// vs the same writer redirected to a file, and the disk the log takes in allocated blocks
// (st_blocks), sampled while it runs and at the end.
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseOne, timed } from "./proc.ts";
import { cleanRoot, newRoot, settleJob } from "./store.ts";
import { type Ctx, fmtMs, fmtRatio, fmtSize, MiB, type Row, stats, verdict } from "./util.ts";

const LINE = "0123456789 the quick brown fox jumps over the lazy dog 0123456789 abcdefghijklm";
const writer = (bytes: number) => `yes '${LINE}' | head -c ${bytes}`;
const CAP = 64 * MiB;
/** The budget of the issue: the cap plus 1 MiB per stream. */
const DISK_BUDGET = CAP + MiB;

const sync = () => Bun.spawnSync(["sync"]);
const allocated = (path: string) => {
  try {
    return statSync(path).blocks * 512;
  } catch {
    return 0;
  }
};

/** The writer redirected by sh to a file next to the job logs. */
function direct(ctx: Ctx, root: string, bytes: number): number {
  const out = join(root, "direct.out");
  rmSync(out, { force: true });
  sync();
  const r = timed(["sh", "-c", `${writer(bytes)} > ${out}`], ctx.env, 300_000);
  if (r.code !== 0 || statSync(out).size !== bytes) throw new Error("direct writer failed");
  rmSync(out, { force: true });
  return r.ms;
}

/** The writer as a capped job (`run --wait`), with the peak allocated size of its logs sampled every 5 ms. */
async function capped(ctx: Ctx, root: string, bytes: number) {
  sync();
  const peak = { stdout: 0, full: 0 };
  const sampler = setInterval(() => {
    for (const name of readdirSync(root)) {
      const dir = join(root, name);
      peak.stdout = Math.max(peak.stdout, allocated(join(dir, "stdout.log")));
      peak.full = Math.max(peak.full, allocated(join(dir, "full.log")));
    }
  }, 5);
  const t0 = performance.now();
  const proc = Bun.spawn(
    [ctx.bin, "--root", root, "run", "--wait", "--max-log-bytes", String(CAP), "--", "sh", "-c", writer(bytes)],
    { env: ctx.env, stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  const ms = performance.now() - t0;
  clearInterval(sampler);
  const j = parseOne({ ms, code: proc.exitCode, stdout, stderr }, "run --wait --max-log-bytes");
  const id = j.job_id as string;
  await settleJob(root, id);
  const dir = join(root, id);
  const size = statSync(join(dir, "stdout.log")).size;
  if (j.state !== "exited" || size !== bytes) throw new Error(`job ${id}: state ${j.state}, stdout.log ${size} bytes`);
  const end = { stdout: allocated(join(dir, "stdout.log")), full: allocated(join(dir, "full.log")) };
  rmSync(dir, { recursive: true, force: true });
  return { ms, peak, end };
}

/** P8c: throughput and disk use of a capped 1 GiB job (64 MiB under --quick). */
export async function p8c(ctx: Ctx): Promise<Row[]> {
  const bytes = ctx.quick ? 256 * MiB : 1024 * MiB;
  const runs = ctx.quick ? 2 : 3;
  const root = newRoot(ctx, "p8c");
  try {
    const job: number[] = [];
    const plain: number[] = [];
    const peaks: number[] = [];
    const ends: number[] = [];
    const fullEnds: number[] = [];
    for (let i = 0; i < runs; i++) {
      ctx.log(`P8c run ${i + 1}/${runs}`);
      const before = i % 2 ? direct(ctx, root, bytes) : undefined;
      const r = await capped(ctx, root, bytes);
      plain.push(before ?? direct(ctx, root, bytes));
      job.push(r.ms);
      peaks.push(r.peak.stdout);
      ends.push(r.end.stdout);
      fullEnds.push(r.end.full);
    }
    const js = stats(job);
    const ds = stats(plain);
    const ratio = js.median / ds.median;
    const peak = Math.max(...peaks);
    const end = Math.max(...ends);
    const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
    ctx.notes.push(
      `P8c: stdout.log allocated at the end ${mib(end)} (full.log ${mib(Math.max(...fullEnds))}), ` +
        `peak seen while running (sampled every 5 ms) ${mib(peak)}; cap ${mib(CAP)}, budget ${mib(DISK_BUDGET)}.`,
    );
    return [
      {
        id: "P8c",
        measure: `job writing ${fmtSize(bytes)} of 80-byte lines with --max-log-bytes 64MiB vs \`sh -c '… > file'\` (median of ${runs})`,
        ours: `${fmtRatio(ratio)} (${fmtMs(js.median)} vs ${fmtMs(ds.median)}); disk ${mib(end)} at end, ${mib(peak)} peak`,
        budget: "≤ 1.1×, disk ≤ 64 MiB + 1 MiB",
        peer: "",
        verdict: verdict(ratio <= 1.1 && end <= DISK_BUDGET),
        figures: {
          bytes,
          cap: CAP,
          job_ms: js,
          direct_ms: ds,
          ratio,
          stdout_allocated_end: ends,
          stdout_allocated_peak: peaks,
          full_allocated_end: fullEnds,
        },
      },
    ];
  } finally {
    await cleanRoot(root);
  }
}
