// P5 and P8: tailing a huge log, and the cost of capturing a huge output vs a plain redirect.
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { childrenOf, cpuMs, parseOne, timed } from "./proc.ts";
import { aeOk, cleanRoot, isTerminal, newRoot, readState, settleJob } from "./store.ts";
import { type Ctx, fmtMs, fmtRatio, fmtSize, MiB, type Row, stats, verdict } from "./util.ts";

/** 79 printable chars + newline: an 80-byte line, like ordinary build or test output. */
const LINE = "0123456789 the quick brown fox jumps over the lazy dog 0123456789 abcdefghijklm";
const lineWriter = (bytes: number) => `yes '${LINE}' | head -c ${bytes}`;
const flatWriter = (bytes: number) => `head -c ${bytes} /dev/zero | tr '\\0' a`;

const bigSize = (ctx: Ctx) => (ctx.quick ? 64 * MiB : 1024 * MiB);

/** A finished job whose stdout.log holds bigSize() bytes of lines; P8 leaves one behind for P5. */
let kept: { root: string; id: string; size: number } | undefined;

/** Flushes dirty pages so one run's writeback does not land in the next run's timing. */
const sync = () => Bun.spawnSync(["sync"]);

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

/** The writer redirected by sh straight to a file on the same filesystem as the job logs. */
function directRun(ctx: Ctx, root: string, writer: string, bytes: number): { ms: number; cpuMs: number } {
  const out = join(root, "direct.out");
  rmSync(out, { force: true });
  sync();
  const d = timed(["sh", "-c", `${writer} > ${out}`], ctx.env, 300_000);
  if (d.code !== 0 || fileSize(out) !== bytes) throw new Error(`direct writer wrote ${fileSize(out)} bytes`);
  rmSync(out, { force: true });
  return { ms: d.ms, cpuMs: d.cpuMs ?? Number.NaN };
}

/**
 * Follows the CPU use of the one job under `root` while it runs (sampled every 50 ms): its
 * supervisor, and its process tree from the group leader down (the writer).
 */
function followCpu(root: string) {
  let sup: number | undefined;
  let leader: number | undefined;
  let supMs = 0;
  const tree = new Map<number, number>();
  const sample = () => {
    if (!sup || !leader) {
      for (const name of readdirSync(root)) {
        const st = readState(root, name);
        if (st?.supervisor_pid && st.pgid && !isTerminal(st)) {
          sup = st.supervisor_pid;
          leader = st.pgid;
        }
      }
    }
    if (sup) supMs = Math.max(supMs, cpuMs(sup) ?? 0);
    const stack = leader ? [leader] : [];
    while (stack.length) {
      const pid = stack.pop()!;
      const ms = cpuMs(pid);
      if (ms !== undefined) tree.set(pid, Math.max(tree.get(pid) ?? 0, ms));
      stack.push(...childrenOf(pid));
    }
  };
  const timer = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(timer);
      return { supervisorCpuMs: supMs, writerCpuMs: [...tree.values()].reduce((a, b) => a + b, 0) };
    },
  };
}

/** The writer as a job (`run --wait`), whole process; the job dir is removed unless `keep`. */
async function asJob(ctx: Ctx, root: string, writer: string, bytes: number, keep: boolean) {
  sync();
  const cpu = followCpu(root);
  const t0 = performance.now();
  const proc = Bun.spawn([ctx.bin, "--root", root, "run", "--wait", "--", "sh", "-c", writer], {
    env: ctx.env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const killer = setTimeout(() => proc.kill("SIGKILL"), 300_000);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  const ms = performance.now() - t0;
  clearTimeout(killer);
  const used = cpu.stop();
  const j = parseOne({ ms, code: proc.exitCode, stdout, stderr }, "run --wait");
  const id = j.job_id as string;
  const got = fileSize(join(root, id, "stdout.log"));
  if (j.state !== "exited" || got !== bytes) throw new Error(`job ${id}: state ${j.state}, stdout.log ${got} bytes`);
  const st = await settleJob(root, id);
  if (keep) kept = { root, id, size: bytes };
  else rmSync(join(root, id), { recursive: true, force: true });
  return { ms, childMs: st.result.duration_ms ?? Number.NaN, ...used };
}

const budgeted = (kind: string) => kind === "lines";

/** P8: line-oriented writer (budgeted) and a writer without newlines (for information). */
export async function p8(ctx: Ctx): Promise<Row[]> {
  const bytes = bigSize(ctx);
  const root = newRoot(ctx, "p8");
  let keepRoot = false;
  try {
    const rows: Row[] = [];
    for (const [kind, writer, runs] of [
      ["lines", lineWriter(bytes), 3],
      ["no-newline", flatWriter(bytes), 2],
    ] as const) {
      const job: number[] = [];
      const child: number[] = [];
      const direct: number[] = [];
      const cpu = { direct: [] as number[], writer: [] as number[], supervisor: [] as number[] };
      for (let i = 0; i < runs; i++) {
        ctx.log(`P8 ${kind} run ${i + 1}/${runs}`);
        const keep = kind === "lines" && i === runs - 1;
        const d1 = i % 2 ? directRun(ctx, root, writer, bytes) : undefined;
        const r = await asJob(ctx, root, writer, bytes, keep);
        const d = d1 ?? directRun(ctx, root, writer, bytes);
        job.push(r.ms);
        child.push(r.childMs);
        direct.push(d.ms);
        cpu.direct.push(d.cpuMs);
        cpu.writer.push(r.writerCpuMs);
        cpu.supervisor.push(r.supervisorCpuMs);
        keepRoot ||= keep;
      }
      const js = stats(job);
      const ds = stats(direct);
      const cs = stats(child);
      const ratio = js.median / ds.median;
      ctx.notes.push(
        `${budgeted(kind) ? "P8" : "P8b"}: the writer itself ran ${fmtMs(cs.median)} under the job (state.json duration_ms) ` +
          `vs ${fmtMs(ds.median)} alone; the other ${fmtMs(js.median - cs.median)} of the job's ${fmtMs(js.median)} are ` +
          "run's start-up, the supervisor's start-up and the full.log catch-up before the end is published. " +
          `CPU (medians): writer alone ${fmtMs(stats(cpu.direct).median)}, writer under the job ${fmtMs(stats(cpu.writer).median)} ` +
          `(sampled every 50 ms), supervisor ${fmtMs(stats(cpu.supervisor).median)}.`,
      );
      rows.push({
        id: budgeted(kind) ? "P8" : "P8b",
        measure: `job writing ${fmtSize(bytes)} to stdout vs \`sh -c '… > file'\`, ${kind === "lines" ? "80-byte lines" : "no newline"} (median of ${runs})`,
        ours: `${fmtRatio(ratio)} (${fmtMs(js.median)} vs ${fmtMs(ds.median)})`,
        budget: budgeted(kind) ? "≤ 1.1×" : "(info)",
        peer: budgeted(kind) ? "ref 23×" : "",
        verdict: budgeted(kind) ? verdict(ratio <= 1.1) : "INFO",
        figures: {
          writer,
          bytes,
          job_ms: js,
          job_child_duration_ms: cs,
          direct_ms: ds,
          ratio,
          cpu_ms: { direct: stats(cpu.direct), writer_in_job: stats(cpu.writer), supervisor: stats(cpu.supervisor) },
        },
      });
    }
    return rows;
  } finally {
    if (!keepRoot) await cleanRoot(root);
  }
}

/** P5: `tail` of a job with a huge stdout.log vs one with a 1 KiB stdout.log, interleaved. */
export async function p5(ctx: Ctx): Promise<Row[]> {
  const bytes = bigSize(ctx);
  const root = newRoot(ctx, "p5");
  const big = kept;
  kept = undefined;
  try {
    let bigJob: { root: string; id: string };
    if (big && big.size === bytes) bigJob = big;
    else {
      ctx.log(`P5: writing a ${fmtSize(bytes)} log through a job`);
      const r = aeOk(ctx, root, ["run", "--wait", "--", "sh", "-c", lineWriter(bytes)], 300_000);
      bigJob = { root, id: r.job_id as string };
      await settleJob(root, bigJob.id);
    }
    const small = aeOk(ctx, root, ["run", "--wait", "--", "sh", "-c", lineWriter(1024)]).job_id as string;
    await settleJob(root, small);
    const argv = {
      big: [ctx.bin, "--root", bigJob.root, "tail", bigJob.id],
      small: [ctx.bin, "--root", root, "tail", small],
    };
    const t = { big: [] as number[], small: [] as number[] };
    const n = ctx.quick ? 30 : 100;
    for (let i = -3; i < n; i++) {
      for (const which of i % 2 ? (["big", "small"] as const) : (["small", "big"] as const)) {
        const r = timed(argv[which], ctx.env);
        const out = parseOne(r, `tail (${which})`);
        const want = which === "big" ? bytes : 1024;
        if (out.ok !== true || out.stdout_observed_bytes !== want)
          throw new Error(`tail ${which}: ${r.stdout.slice(0, 300)}`);
        if (i >= 0) t[which].push(r.ms);
      }
    }
    const b = stats(t.big);
    const s = stats(t.small);
    const ratio = b.median / s.median;
    return [
      {
        id: "P5",
        measure: `\`tail\` on a ${fmtSize(bytes)} stdout.log vs a 1 KiB one (median of ${n}, interleaved)`,
        ours: `${fmtRatio(ratio)} (${fmtMs(b.median)} vs ${fmtMs(s.median)})`,
        budget: "ratio ≤ 1.5",
        peer: "ref 1.5 s, ratio 347",
        verdict: verdict(ratio <= 1.5),
        figures: { bytes, big_ms: b, small_ms: s, ratio },
      },
    ];
  } finally {
    if (big) await cleanRoot(big.root);
    await cleanRoot(root);
  }
}
