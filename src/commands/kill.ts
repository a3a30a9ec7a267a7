// `kill <id>`: signals the job's whole process group and reports the outcome it observed (§3.7, D10, D11).
import { renameSync, unlinkSync } from "node:fs";
import { backendByKind, readHandle } from "../backend/index.ts";
import { AgentExecError } from "../core/errors.ts";
import { isoNow, monoMs } from "../core/time.ts";
import { waitForTerminal } from "../core/wait-state.ts";
import { logWriterGroups, signalGroup } from "../process/signal.ts";
import { atomicWrite } from "../store/atomic-write.ts";
import { readState, resolveJob, tryReadState, writeState } from "../store/job-store.ts";
import { withJobLock } from "../store/lock.ts";
import { observe } from "../store/observe.ts";
import type { JobPaths } from "../store/paths.ts";
import { unmarkQueued } from "../store/queues.ts";
import { type StateRecord, TERMINAL } from "../store/records.ts";
import type { Ctx, Outcome } from "./context.ts";
import { put } from "./context.ts";

export interface KillInput {
  jobId: string;
  /** A bare, validated signal name (TERM, KILL, USR1, ...). */
  signal: string;
}

/** How long kill waits for the job to end, or for a just-launched job's process group to exist. */
const OUTCOME_WAIT_MS = 2000;
/** Signals whose default action does not end a process: no point waiting for an end. */
const NON_TERMINATING = new Set(["CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "WINCH"]);

/**
 * Never writes a terminal state itself (the supervisor records what the signal did, D11): it
 * signals the group, waits up to 2 s for the end, and reports the state it then observes.
 * A finished job is a no-op success; a created one is invalid_state.
 */
export async function killCommand(input: KillInput, ctx: Ctx): Promise<Outcome> {
  const job = resolveJob(ctx.root, input.jobId);
  let { state, supervisorAlive } = observe(job.paths);
  if (state.job.status === "created") {
    throw new AgentExecError(
      "invalid_state",
      `invalid job state: job ${job.id} is created and has no process to signal; start it or delete it`,
    );
  }
  let sent = false;
  // X13: a remote job is signalled through its scheduler, never by a local pid.
  const handle = readHandle(job.paths);
  if (handle && !TERMINAL.has(state.job.status)) {
    const backend = backendByKind(handle.kind);
    const ending = !NON_TERMINATING.has(input.signal);
    if (ending) markKill(job.paths, input.signal);
    if (state.job.status === "queued" && ending) {
      // Still held by the scheduler (or its supervisor not yet up): remove it; the reader records
      // the scheduler's CANCELLED as `killed` (reason cancelled_before_start).
      backend.cancel(handle, ctx.root);
      sent = true;
    } else {
      sent = backend.signal(handle, input.signal, ctx.root);
    }
    state = ending
      ? (await waitForTerminal(job.paths, { timeoutMs: OUTCOME_WAIT_MS, pollMs: 50 })).observed.state
      : observe(job.paths).state;
  } else if (state.job.status === "queued" && !NON_TERMINATING.has(input.signal)) {
    // X10: a queued job has no process: it ends `killed` without ever running.
    state = await killQueued(ctx.root, job.paths, job.id);
  }
  if (!handle && !TERMINAL.has(state.job.status)) {
    if (!NON_TERMINATING.has(input.signal)) markKill(job.paths, input.signal);
    sent = await deliver(job.paths, input.signal, state.pgid, supervisorAlive);
    if (!NON_TERMINATING.has(input.signal)) {
      state = (await waitForTerminal(job.paths, { timeoutMs: OUTCOME_WAIT_MS, pollMs: 50 })).observed.state;
    } else {
      state = observe(job.paths).state;
    }
  }
  // D39: `signal` only when one was sent, so a finished job's answer cannot read as a delivery.
  const out: Record<string, unknown> = { type: "kill", job_id: job.id, signal_sent: sent };
  if (sent) out.signal = input.signal;
  out.state = state.job.status;
  if (TERMINAL.has(state.job.status)) put(out, "exit_code", state.result.exit_code);
  return { payload: out as Outcome["payload"] };
}

/** Ends a queued job as `killed` under its lock (a dispatcher may be starting it right now). */
async function killQueued(root: string, paths: JobPaths, id: string): Promise<StateRecord> {
  const state = await withJobLock(paths.dir, () => {
    const s = readState(paths);
    if (s.job.status !== "queued") return s; // started meanwhile: signal it as a running job
    const now = isoNow();
    const killed: StateRecord = {
      ...s,
      job: { ...s.job, status: "killed" },
      result: { exit_code: null, signal: null, duration_ms: null, killed_by: "agent-exec" },
      finished_at: now,
      updated_at: now,
    };
    writeState(paths, killed);
    return killed;
  });
  if (state.job.status === "killed") unmarkQueued(root, id);
  return state;
}

/**
 * Signals the job's process group. In the instant after launch the group does not exist yet:
 * then a kill.request file hands the signal to the supervisor, which applies it right after it
 * spawns the child; whichever side renames the request first delivers it, so it is sent once.
 * Returns whether a signal went out (or is the supervisor's to apply): false when the group was gone.
 */
async function deliver(
  paths: JobPaths,
  signal: string,
  pgid: number | undefined,
  supervisorAlive: boolean,
): Promise<boolean> {
  if (pgid !== undefined) return signalGroup(pgid, signal);
  if (!supervisorAlive) {
    // The supervisor died before it recorded the group: find the job by the logs it writes to.
    let sent = false;
    for (const g of logWriterGroups([paths.stdout, paths.stderr])) sent = signalGroup(g, signal) || sent;
    return sent;
  }
  atomicWrite(paths.killRequest, signal);
  const deadline = monoMs() + OUTCOME_WAIT_MS;
  while (monoMs() < deadline) {
    const s = tryReadState(paths);
    // Ended first: if the request is still ours to take, the supervisor never applied it.
    if (!s || TERMINAL.has(s.job.status)) return !claim(paths);
    if (s.pgid !== undefined) return claim(paths) ? signalGroup(s.pgid, signal) : true;
    await Bun.sleep(5);
  }
  return true; // still pending: the supervisor applies it right after it spawns the child
}

/**
 * Leaves the mark that lets the supervisor record `killed_by: "agent-exec"` when this signal ends
 * the job (X3). Its own file: state.json keeps its single writer. A failed write only loses that field.
 */
function markKill(paths: JobPaths, signal: string): void {
  try {
    atomicWrite(paths.killMark, signal);
  } catch {}
}

/** Takes the pending kill request; false when the supervisor took it first. */
function claim(paths: JobPaths): boolean {
  const mine = `${paths.killRequest}.${process.pid}`;
  try {
    renameSync(paths.killRequest, mine);
  } catch {
    return false;
  }
  unlinkSync(mine);
  return true;
}
