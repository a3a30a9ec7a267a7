// R2: SIGKILL the supervisor at random moments (before the child starts, while it writes, after it
// exits). Must hold: every job ends terminal (never `running` forever), `wait` ends, the job itself
// survives its supervisor (D8), and stdout.log holds every byte the job wrote, already when the
// terminal state is first seen (D9).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pidAlive } from "../../test/helpers/pid-alive.ts";
import { Sandbox } from "../../test/helpers/sandbox.ts";
import {
  type AttackResult,
  call,
  describeCall,
  Findings,
  groupMembers,
  pause,
  pidsWithArgv,
  pool,
  Rng,
  readJsonFile,
  sigkill,
  TERMINAL,
} from "./common.ts";

export type R2Phase = "before-child" | "writing" | "after-exit";
export const R2_PHASES: readonly R2Phase[] = ["before-child", "writing", "after-exit"];

export interface R2Options {
  runs: number;
  concurrency: number;
  seed: number;
  /** Lines the job prints (it also sleeps 20 ms every 40 lines, so it writes for a while). */
  lines?: number;
  /** Force the phases (in order, cycling) instead of drawing them. */
  phases?: readonly R2Phase[];
}

/** The job: prints numbered lines to stdout and the same bytes to a side file we compare against. */
const JOB = `side=$1; n=$2; i=0
: > "$side"; echo started > "$side.started"
while [ "$i" -lt "$n" ]; do
  l="line $i abcdefghijklmnopqrstuvwxyz0123456789"
  echo "$l"; echo "$l" >> "$side"
  i=$((i + 1))
  if [ $((i % 40)) -eq 0 ]; then sleep 0.02; fi
done
echo end > "$side.end"`;

interface RunOutcome {
  phase: R2Phase;
  killed: boolean;
  childStarted: boolean;
  state?: string;
  reason?: string;
  terminalMs?: number;
}

/**
 * How long a check waits for what it needs (the supervisor to appear, the job to finish, its group
 * to empty): generous, for a loaded 2-core machine where one process start can take seconds; a
 * check that holds stops waiting at once.
 */
const WAIT_MS = 60_000;

export async function r2(opts: R2Options): Promise<AttackResult> {
  const f = new Findings("R2", opts.seed);
  const rng = new Rng(opts.seed);
  const lines = opts.lines ?? 400;
  const plans = Array.from({ length: opts.runs }, (_, i) => ({
    i,
    phase: opts.phases ? (opts.phases[i % opts.phases.length] as R2Phase) : rng.pick(R2_PHASES),
    rng: rng.fork(),
  }));
  const outcomes = await pool(plans, opts.concurrency, (p) => oneRun(f, p.i, p.phase, p.rng, lines));
  f.runs = outcomes.length;
  for (const ph of R2_PHASES) {
    const of = outcomes.filter((o) => o.phase === ph);
    if (of.length === 0) continue;
    const states = new Map<string, number>();
    for (const o of of) {
      const k = o.state === "failed" ? `failed/${o.reason}` : (o.state ?? "none");
      states.set(k, (states.get(k) ?? 0) + 1);
    }
    const started = of.filter((o) => o.childStarted).length;
    f.fig(`${ph}: ${of.length} (${[...states].map(([k, n]) => `${n} ${k}`).join(", ")}; child started in ${started})`);
  }
  const ms = outcomes.flatMap((o) => (o.terminalMs === undefined ? [] : [o.terminalMs]));
  if (ms.length) f.fig(`terminal ≤ ${Math.round(Math.max(...ms))} ms after the kill`);
  return f.result();
}

async function oneRun(f: Findings, i: number, phase: R2Phase, rng: Rng, lines: number): Promise<RunOutcome> {
  await using sb = Sandbox.create();
  const side = join(sb.dir, "side");
  const tag = `run ${i} (${phase})`;
  const out: RunOutcome = { phase, killed: false, childStarted: false };
  // The front-end runs in the background; the killer watches for the moment it aims at.
  const runCall = call(sb, ["run", "--snapshot-after", "0", "--", "/bin/sh", "-c", JOB, "r2", side, String(lines)]);
  let supPid: number | undefined;
  try {
    if (phase === "before-child") {
      // The supervisor process is visible in /proc before it has written anything.
      const needle = `_supervise\0${sb.root}\0`;
      const deadline = performance.now() + WAIT_MS;
      while (supPid === undefined && performance.now() < deadline) {
        supPid = pidsWithArgv(needle)[0];
        if (supPid === undefined) await Bun.sleep(1);
      }
      await pause(rng.int(0, 4));
    } else {
      const mark = phase === "writing" ? `${side}.started` : `${side}.end`;
      const deadline = performance.now() + WAIT_MS;
      while (!existsSync(mark) && performance.now() < deadline) await Bun.sleep(2);
      const sup = readJsonFile(join(sb.root, await idOf(runCall), "state.json"))?.supervisor_pid;
      supPid = typeof sup === "number" ? sup : pidsWithArgv(`_supervise\0${sb.root}\0`)[0];
      await pause(phase === "writing" ? rng.int(0, 300) : rng.int(0, 30));
    }
    if (!f.check(supPid !== undefined, () => `${tag}: never saw the supervisor`)) return out;
    out.killed = sigkill(supPid);
    const killedAt = performance.now();
    const r = await runCall;
    if (!f.check(r.exitCode === 0 && r.json?.ok === true, () => `${tag}: run failed: ${describeCall(r)}`)) return out;
    const id = r.json.job_id as string;

    // `wait` must end, with a terminal state (the launch grace of a silent supervisor is 10 s).
    const w = await call(sb, ["wait", "--timeout-ms", "25000", "--poll-ms", "50", id], { timeoutMs: 40_000 });
    const stdoutAtTerminal = sb.file(id, "stdout.log");
    out.terminalMs = performance.now() - killedAt;
    out.state = w.json?.state;
    out.reason = w.json?.reason;
    if (
      !f.check(
        w.exitCode === 0 && TERMINAL.has(w.json?.state) && w.json?.deadline_reached !== true,
        () => `${tag}: job ${id} not terminal 25 s after the supervisor was killed: ${describeCall(w)}`,
      )
    )
      return out;
    const st = sb.state(id);
    f.check(
      st.job.status === w.json.state,
      () => `${tag}: wait said ${w.json.state}, state.json says ${st.job.status}`,
    );

    out.childStarted = existsSync(`${side}.started`);
    if (out.childStarted) {
      // D8: the job must outlive its supervisor and finish on its own.
      const deadline = performance.now() + WAIT_MS;
      while (!existsSync(`${side}.end`) && performance.now() < deadline) await Bun.sleep(10);
      f.check(existsSync(`${side}.end`), () => `${tag}: job ${id} did not finish: it died with its supervisor (D8)`);
      const wrote = readFileSync(side);
      const logged = sb.file(id, "stdout.log");
      f.check(
        logged.equals(wrote),
        () => `${tag}: job ${id}: stdout.log (${logged.length} B) differs from what the job wrote (${wrote.length} B)`,
      );
      f.check(
        stdoutAtTerminal.equals(wrote),
        () =>
          `${tag}: job ${id} was published ${w.json.state} while it was still writing (stdout.log ${stdoutAtTerminal.length} of ${wrote.length} B, D9/D8); state.json: ${JSON.stringify(st)}`,
      );
      if (st.job.status === "exited")
        f.check(st.result.exit_code === 0, () => `${tag}: exit code ${st.result.exit_code}`);
      f.check(st.job.status !== "killed", () => `${tag}: job ${id} recorded killed; nothing signalled it`);
    } else {
      f.check(
        st.job.status === "failed" && typeof st.reason === "string",
        () => `${tag}: the job never started, yet state is ${JSON.stringify(st)}`,
      );
      f.check(sb.file(id, "stdout.log").length === 0, () => `${tag}: output without a started child`);
    }
    if (st.job.status === "failed") {
      f.check(typeof st.reason === "string" && st.reason.length > 0, () => `${tag}: failed without a reason`);
    }
    // No process of the job remains once it is terminal and finished.
    if (typeof st.pgid === "number") {
      const deadline = performance.now() + WAIT_MS;
      while (groupMembers(st.pgid).length > 0 && performance.now() < deadline) await Bun.sleep(20);
      f.check(groupMembers(st.pgid).length === 0, () => `${tag}: processes of group ${st.pgid} still alive`);
    }
    const s = await call(sb, ["status", id]);
    f.check(
      s.json?.ok === true && s.json.state === st.job.status,
      () => `${tag}: status disagrees with state.json: ${describeCall(s)}`,
    );
    return out;
  } finally {
    if (supPid !== undefined && pidAlive(supPid)) sigkill(supPid);
    await runCall.catch(() => undefined);
  }
}

/** The job id once the backgrounded `run` has printed it. */
async function idOf(runCall: Promise<{ json: { job_id?: string } | undefined }>): Promise<string> {
  const r = await runCall;
  return r.json?.job_id ?? "unknown";
}
