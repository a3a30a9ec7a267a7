// P7: memory per running job (PSS of everything but the workload), with a bare Bun floor for context.
import { referenceBinary } from "./fixtures.ts";
import { cpuNs, inotifyFds, memory, processes, signal } from "./proc.ts";
import { aeOk, cleanRoot, isTerminal, newRoot, readState, type State } from "./store.ts";
import { type Ctx, fmtMB, type Row, until, verdict } from "./util.ts";

/**
 * Samples every pid's main-thread CPU time until each has, at least once, been idle for
 * `quietMs` (its start-up is over; periodic timers may still wake it later). Returns how many
 * never got there before the deadline.
 */
async function settleAll(pids: number[], quietMs: number, timeoutMs: number): Promise<number> {
  const last = new Map<number, { cpu: number | undefined; since: number }>();
  const settled = new Set<number>();
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const now = performance.now();
    for (const pid of pids) {
      if (settled.has(pid)) continue;
      const cpu = cpuNs(pid);
      const prev = last.get(pid);
      if (!prev || prev.cpu !== cpu) last.set(pid, { cpu, since: now });
      else if (now - prev.since >= quietMs) settled.add(pid);
    }
    if (settled.size === pids.length || now > deadline) return pids.length - settled.size;
    await Bun.sleep(5);
  }
}

/** Memory summed over `pids`. */
function sumMemory(pids: Iterable<number>) {
  const sum = { pss: 0, rss: 0, uss: 0, count: 0 };
  for (const pid of pids) {
    const m = memory(pid);
    if (!m) continue;
    sum.pss += m.pss;
    sum.rss += m.rss;
    sum.uss += m.uss;
    sum.count++;
  }
  return sum;
}

/** Everything a set of jobs runs besides their workload: the supervisors, their sessions and descendants. */
function overhead(states: State[]): { overhead: Set<number>; workload: Set<number> } {
  const procs = processes();
  const groups = new Set(states.map((s) => s.pgid));
  const sups = new Set(states.map((s) => s.supervisor_pid));
  // Sessions the supervisors lead (never a session they merely belong to, such as the bench's own).
  const supSessions = new Set(procs.filter((p) => sups.has(p.pid) && p.sid === p.pid).map((p) => p.sid));
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const overheadSet = new Set<number>();
  const workload = new Set<number>();
  const stack = [...sups].filter((p): p is number => p !== undefined);
  for (const p of procs) if (supSessions.has(p.sid)) stack.push(p.pid);
  while (stack.length) {
    const pid = stack.pop()!;
    const p = byPid.get(pid);
    if (!p || overheadSet.has(pid) || workload.has(pid)) continue;
    if (groups.has(p.pgid)) workload.add(pid);
    else overheadSet.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  for (const p of procs) if (groups.has(p.pgid)) workload.add(p.pid);
  return { overhead: overheadSet, workload };
}

/** Budget (issue 11): PSS per running job, MB = 10^6 bytes. */
const P7_MB = 2.5;
/** What src/supervisor/env-var.ts gives every supervisor (SUPERVISOR_RUNTIME_ENV). */
const NO_JIT = { BUN_JSC_useJIT: "0" };

/** P7: PSS of everything but the workload, 50 concurrent `sleep` jobs; a bare Bun process for context. */
export async function p7(ctx: Ctx): Promise<Row[]> {
  const jobs = 50;
  const root = newRoot(ctx, "p7");
  let idle: Bun.Subprocess[] = [];
  try {
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) {
      ids.push(aeOk(ctx, root, ["run", "--snapshot-after", "0", "--", "sleep", "600"]).job_id as string);
    }
    const states = await until("every job to record its supervisor and group", 30_000, () => {
      const all = ids.map((id) => readState(root, id));
      if (all.some((s) => isTerminal(s))) throw new Error("a sleep job ended early");
      return all.every((s) => s?.pgid && s.supervisor_pid) ? (all as State[]) : undefined;
    });
    const sups = states.map((s) => s.supervisor_pid!);
    const busy = await settleAll(sups, 100, 3000);
    const noInotify = sups.filter((pid) => inotifyFds(pid) === 0).length;
    const { overhead: sup, workload } = overhead(states);
    const o = sumMemory(sup);
    const w = sumMemory(workload);
    await cleanRoot(root);

    // The floors: the same number of do-nothing Bun binaries compiled the same way, with and
    // without the JIT (our supervisors run without it), and of Bun binaries that load node:fs and
    // spawn and wait for a child, the least any supervisor written on Bun does.
    const idleBin = await referenceBinary("idle");
    const waiterBin = await referenceBinary("waiter");
    const floor = async (bin: string, env: Record<string, string>) => {
      idle = Array.from({ length: jobs }, () => Bun.spawn([bin], { env, stdio: ["ignore", "ignore", "ignore"] }));
      const pids = idle.map((p) => p.pid);
      await settleAll(pids, 100, 3000);
      const m = sumMemory(pids);
      for (const p of processes()) if (pids.includes(p.ppid)) signal(-p.pgid, "SIGKILL");
      for (const p of idle) signal(p.pid, "SIGKILL");
      await Promise.all(idle.map((p) => p.exited));
      idle = [];
      return m;
    };
    const bare = await floor(idleBin, ctx.env);
    const bareNoJit = await floor(idleBin, { ...ctx.env, ...NO_JIT });
    const waiter = await floor(waiterBin, { ...ctx.env, ...NO_JIT });
    const per = o.pss / jobs;
    if (busy) ctx.notes.push(`P7: ${busy} supervisors never went 100 ms without CPU before memory was read.`);
    if (noInotify)
      ctx.notes.push(`P7: ${noInotify} of ${jobs} supervisors hold no inotify instance (polling fallback).`);
    ctx.notes.push(
      `P7: ${o.count} non-workload processes for ${jobs} jobs; per job PSS ${fmtMB(per)}, USS ${fmtMB(o.uss / jobs)}, ` +
        `RSS ${fmtMB(o.rss / jobs)}; workload (${w.count} processes) PSS ${fmtMB(w.pss / jobs)} per job; ` +
        `${jobs} idle Bun binaries: PSS ${fmtMB(bare.pss / jobs)}, USS ${fmtMB(bare.uss / jobs)}, RSS ${fmtMB(bare.rss / jobs)} each; ` +
        `the same without the JIT: PSS ${fmtMB(bareNoJit.pss / jobs)}, USS ${fmtMB(bareNoJit.uss / jobs)}; ` +
        `Bun binaries that load node:fs, spawn a child and wait for it, without the JIT: PSS ${fmtMB(waiter.pss / jobs)}, ` +
        `USS ${fmtMB(waiter.uss / jobs)}. MB = 10^6 bytes.`,
    );
    return [
      {
        id: "P7",
        measure: `memory per running job, ${jobs} \`sleep\` jobs (PSS of all but the workload)`,
        ours: `${fmtMB(per)} PSS (${(per / 1048576).toFixed(2)} MiB; RSS ${fmtMB(o.rss / jobs)})`,
        budget: `≤ ${P7_MB} MB`,
        peer: `idle Bun ${fmtMB(bare.pss / jobs)}, Bun supervisor floor ${fmtMB(waiter.pss / jobs)} PSS; ref 1.5 MB`,
        verdict: verdict(per <= P7_MB * 1e6),
        figures: {
          jobs,
          overhead_processes: o.count,
          per_job: { pss: per, rss: o.rss / jobs, uss: o.uss / jobs },
          workload_per_job: { pss: w.pss / jobs, rss: w.rss / jobs },
          idle_bun_per_process: { pss: bare.pss / jobs, rss: bare.rss / jobs, uss: bare.uss / jobs },
          idle_bun_no_jit_per_process: {
            pss: bareNoJit.pss / jobs,
            rss: bareNoJit.rss / jobs,
            uss: bareNoJit.uss / jobs,
          },
          spawn_and_wait_no_jit_per_process: { pss: waiter.pss / jobs, rss: waiter.rss / jobs, uss: waiter.uss / jobs },
          still_busy: busy,
          supervisors_without_inotify: noInotify,
        },
      },
    ];
  } finally {
    for (const p of idle) signal(p.pid, "SIGKILL");
    await cleanRoot(root);
  }
}
