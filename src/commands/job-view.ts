// Fields shared by responses that describe a job's state (run, status, wait, kill, list entries).

import { readHandle } from "../backend/index.ts";
import { groupStopped } from "../process/signal.ts";
import { waitingForInput } from "../process/stdin-probe.ts";
import type { Observed } from "../store/observe.ts";
import type { JobPaths } from "../store/paths.ts";
import type { MetaRecord, StateRecord } from "../store/records.ts";
import { TERMINAL } from "../store/records.ts";
import { put } from "./context.ts";

/**
 * `waiting_for_input: true` while a running interactive job is blocked reading its stdin (X5), so
 * an agent that sees a prompt in the tail knows to `send` an answer instead of waiting.
 */
export function addInputWait(out: Record<string, unknown>, meta: MetaRecord, state: StateRecord): void {
  if (meta.stdin === "interactive" && state.job.status === "running" && waitingForInput(state.pgid)) {
    out.waiting_for_input = true;
  }
}

/**
 * Adds what explains a job's state: `timed_out` only when true, `reason` only for `failed` (D26),
 * and for a terminal job the evidence of X3: `signal` (a bare name) when a signal ended it,
 * `killed_by` when `kill` did, `duration_ms`, and `resources` where the platform told them; for a
 * running job, `paused` while its process group is stopped (X3b).
 */
export function addOutcome(out: Record<string, unknown>, state: StateRecord): Record<string, unknown> {
  const r = state.result;
  if (r.timed_out === true) out.timed_out = true;
  if (state.job.status === "failed") put(out, "reason", state.reason ?? "unknown");
  // X13: a Slurm-side end of a killed job says which (slurm_timeout, cancelled_before_start, …).
  else if (state.job.status === "killed") put(out, "reason", state.reason);
  if (!TERMINAL.has(state.job.status)) {
    if (state.job.status === "running" && groupStopped(state.pgid)) out.paused = true;
    return out;
  }
  put(out, "signal", r.signal);
  put(out, "killed_by", r.killed_by);
  put(out, "duration_ms", r.duration_ms);
  put(out, "resources", r.resources);
  return out;
}

/** `backend` of a remote job (X13): its kind, the scheduler's id, state and reason, as far as known. */
export function addBackend(out: Record<string, unknown>, remote: Observed["remote"], paths?: JobPaths): void {
  if (!remote && paths) {
    // An ended job: no scheduler call, just which backend ran it and under which id.
    const handle = readHandle(paths);
    if (handle) remote = { handle };
  }
  if (!remote) return;
  // The job's process group lives on a compute node: a pid on this machine says nothing about it.
  delete out.paused;
  const b: Record<string, unknown> = { kind: remote.handle.kind };
  put(b, "job_id", remote.handle.job_id);
  put(b, "partition", remote.handle.partition);
  if (remote.status) {
    b.state = remote.status.state;
    put(b, "reason", remote.status.reason);
  }
  out.backend = b;
}
