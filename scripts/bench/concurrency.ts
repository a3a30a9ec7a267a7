// P9: 200 concurrent launches, every job followed to its end with a deadline.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseOne, signal } from "./proc.ts";
import { cleanRoot, isTerminal, newRoot, readState } from "./store.ts";
import { type Ctx, fmtMs, type Row, verdict } from "./util.ts";

/** P9: 200 concurrent `run --snapshot-after 0`, then every job followed to its end with a deadline. */
export async function p9(ctx: Ctx): Promise<Row[]> {
  const n = 200;
  const root = newRoot(ctx, "p9");
  try {
    const t0 = performance.now();
    const procs = Array.from({ length: n }, (_, i) =>
      Bun.spawn([ctx.bin, "--root", root, "run", "--snapshot-after", "0", "--", "sh", "-c", `echo p9-${i}`], {
        env: ctx.env,
        stdout: "pipe",
        stderr: "pipe",
        stdin: "ignore",
      }),
    );
    const killer = setTimeout(() => {
      for (const p of procs) signal(p.pid, "SIGKILL");
    }, 60_000);
    const outs = await Promise.all(
      procs.map(async (p) => {
        const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
        await p.exited;
        return { stdout, stderr, code: p.exitCode };
      }),
    );
    clearTimeout(killer);
    const launchedMs = performance.now() - t0;
    const ids: (string | undefined)[] = [];
    const failures: string[] = [];
    for (const [i, o] of outs.entries()) {
      try {
        const j = parseOne({ ms: 0, ...o }, "run");
        if (j.ok === true && o.code === 0 && typeof j.job_id === "string") ids.push(j.job_id);
        else throw new Error(o.stdout.slice(0, 200));
      } catch (err) {
        ids.push(undefined);
        failures.push(`#${i}: ${(err as Error).message.slice(0, 200)}`);
      }
    }
    const ok = ids.filter((id) => id !== undefined).length;
    const distinct = new Set(ids.filter((id) => id !== undefined)).size;
    // Follow every job to a terminal state, bounded.
    const deadline = performance.now() + 60_000;
    const pending = new Set(ids.flatMap((id, i) => (id ? [i] : [])));
    while (pending.size && performance.now() < deadline) {
      for (const i of pending) if (isTerminal(readState(root, ids[i]!))) pending.delete(i);
      if (pending.size) await Bun.sleep(20);
    }
    const terminalMs = performance.now() - t0;
    let outputOk = 0;
    let exitedZero = 0;
    const stuck: string[] = [];
    for (const [i, id] of ids.entries()) {
      if (!id) continue;
      const st = readState(root, id);
      if (!isTerminal(st)) stuck.push(`${id}:${st?.job.status ?? "no state"}`);
      if (st?.job.status === "exited" && st.result.exit_code === 0) exitedZero++;
      let log = "";
      try {
        log = readFileSync(join(root, id, "stdout.log"), "utf8");
      } catch {
        // counted as wrong output
      }
      if (log === `p9-${i}\n`) outputOk++;
    }
    const terminal = ok - stuck.length;
    if (failures.length) ctx.notes.push(`P9 failed runs: ${failures.slice(0, 5).join(" | ")}`);
    if (stuck.length) ctx.notes.push(`P9 jobs not terminal after 60 s: ${stuck.slice(0, 10).join(", ")}`);
    ctx.notes.push(
      `P9: all ${n} \`run\` calls returned after ${fmtMs(launchedMs)}; every job terminal after ${fmtMs(terminalMs)}.`,
    );
    const pass = ok === n && distinct === n && terminal === n && outputOk === n && exitedZero === n;
    return [
      {
        id: "P9",
        measure: `${n} concurrent \`run --snapshot-after 0\``,
        ours: `${ok} ok, ${distinct} distinct ids, ${terminal} terminal (${exitedZero} exit 0), ${outputOk} with their output`,
        budget: `all ${n}`,
        peer: "ref 3 of 200 stuck `running`",
        verdict: verdict(pass),
        figures: {
          n,
          ok,
          distinct,
          terminal,
          exited_zero: exitedZero,
          output_ok: outputOk,
          launched_ms: launchedMs,
          terminal_ms: terminalMs,
          stuck,
          failures,
        },
      },
    ];
  } finally {
    await cleanRoot(root);
  }
}
