// Reads a job's state and reconciles a `running` record whose supervisor is gone (D8).
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { backendByKind, readHandle } from "../backend/index.ts";
import type { BackendHandle, RemoteStatus } from "../backend/types.ts";
import { isoNow, parseTimestamp } from "../core/time.ts";
import { groupAlive, logWriterGroups, pidAlive } from "../process/signal.ts";
import { readExitStatus } from "./exit-status.ts";
import { readState, tryReadState, writeState } from "./job-store.ts";
import type { JobPaths } from "./paths.ts";
import { failedState, type StateRecord } from "./records.ts";

/** How long a fresh `running` record may lack a supervisor pid (the supervisor is still starting). */
const LAUNCH_GRACE_MS = 10_000;

/** A job's state as observed now. */
export interface Observed {
  state: StateRecord;
  /** false only while the job runs without its supervisor. */
  supervisorAlive: boolean;
  /** A remote job's status in its scheduler's words (X13), when the scheduler was asked. */
  remote?: { handle: BackendHandle; status?: RemoteStatus };
}

/**
 * True when `pid` is alive and, where /proc tells, is one of our supervisors: a recycled pid
 * must not keep a dead job `running`.
 */
function supervisorAlive(pid: number, jobId: string): boolean {
  if (!pidAlive(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "latin1");
    // Empty while the launched process is still between fork and exec (seen in most reads made
    // right after Bun.spawn returns); a zombie is already excluded by pidAlive.
    if (cmdline === "") return true;
    return cmdline.includes("\0_supervise\0") && cmdline.includes(`\0${jobId}\0`);
  } catch {
    return true; // No /proc (macOS): trust the pid.
  }
}

/** The pid in supervisor.pid (D30), or undefined when there is none yet. */
function readLaunchedPid(paths: JobPaths): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(paths.supervisorPid, "latin1"), 10);
    return pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads state.json (an unreadable file is an internal_error) and, for a `running` job whose
 * supervisor died: keeps `running` with supervisorAlive=false while the job's processes live;
 * otherwise persists `failed` with reason `supervisor_lost`, so no job is `running` forever.
 */
export function observe(paths: JobPaths): Observed {
  const state = readState(paths);
  return reconcile(paths, state);
}

/** Same as observe(), for a state that was already read. */
export function reconcile(paths: JobPaths, state: StateRecord): Observed {
  if (state.job.status !== "running" && state.job.status !== "queued") return { state, supervisorAlive: true };
  // X13: a remote job's liveness is the scheduler's answer, never a pid on this machine.
  const handle = readHandle(paths);
  if (handle) return reconcileRemote(paths, state, handle);
  if (state.job.status !== "running") return { state, supervisorAlive: true };
  const sup = state.supervisor_pid;
  if (sup !== undefined) {
    if (supervisorAlive(sup, state.job.id)) return { state, supervisorAlive: true };
  } else if (state.pid === undefined) {
    // Written by the front-end just before it launched the supervisor, which has not written
    // state.json yet. The front-end recorded its pid (D30): judge that pid at once. Only when
    // that record is missing (a launch in progress, or an older release) does the grace apply.
    const launched = readLaunchedPid(paths);
    if (launched !== undefined) {
      if (supervisorAlive(launched, state.job.id)) return { state, supervisorAlive: true };
    } else {
      const age = Date.now() - parseTimestamp(state.updated_at);
      if (!(age > LAUNCH_GRACE_MS)) return { state, supervisorAlive: true };
    }
  } else if (pidAlive(state.pid)) {
    // A record from the reference release: `pid` is all there is to go on.
    return { state, supervisorAlive: true };
  }
  // The supervisor is gone, and a dead supervisor writes nothing more: re-read to catch the end it
  // may have written just before it exited, then decide.
  const fresh = tryReadState(paths) ?? state;
  if (fresh.job.status !== "running") return { state: fresh, supervisorAlive: true };
  // A supervisor that came up since the first read (a slow launch) is alive after all.
  if (
    fresh.supervisor_pid !== undefined &&
    fresh.supervisor_pid !== sup &&
    supervisorAlive(fresh.supervisor_pid, fresh.job.id)
  ) {
    return { state: fresh, supervisorAlive: true };
  }
  // The process group is on record once the job runs; in the instant between the spawn and that
  // record, the job is found by the log files it writes to.
  const alive =
    fresh.pgid !== undefined ? groupAlive(fresh.pgid) : logWriterGroups([paths.stdout, paths.stderr]).length > 0;
  if (alive) return { state: fresh, supervisorAlive: false };
  // The command's waiting parent recorded its end (or `kill` sent the KILL that ended the whole
  // group, waiter included): the end is known after all. Only otherwise is the supervisor's loss
  // the answer.
  const end = endWithoutSupervisor(paths, fresh) ?? failedState(fresh, "supervisor_lost", isoNow());
  try {
    writeState(paths, end);
  } catch {
    // Cannot persist it now (a full or read-only disk): report it anyway; a later reader retries.
  }
  return { state: end, supervisorAlive: true };
}

/** The signal `kill` sent last (kill.mark), if it sent one. */
function killMark(paths: JobPaths): string | undefined {
  try {
    return readFileSync(paths.killMark, "latin1").trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The terminal state of a job whose supervisor died, from what outlived it: the waiter's record
 * (exit code or signal, and when), or a KILL that `kill` sent to the group (which ends the waiter
 * before it can write). Undefined when neither tells.
 */
function endWithoutSupervisor(paths: JobPaths, state: StateRecord): StateRecord | undefined {
  const mark = killMark(paths);
  const recorded = readExitStatus(paths.exitStatus);
  if (!recorded && mark !== "KILL") return undefined;
  const signal = recorded ? recorded.signal : "KILL";
  const at = recorded?.at ?? Date.now();
  const finishedAt = new Date(at).toISOString();
  const started = state.job.started_at === undefined ? Number.NaN : parseTimestamp(state.job.started_at);
  return {
    ...state,
    job: { ...state.job, status: signal ? "killed" : "exited" },
    result: {
      exit_code: signal ? null : (recorded?.exitCode ?? null),
      signal,
      duration_ms: Number.isFinite(started) ? Math.max(0, Math.round(at - started)) : null,
      ...(signal && mark !== undefined ? { killed_by: "agent-exec" } : {}),
    },
    finished_at: finishedAt,
    updated_at: isoNow(),
  };
}

/** Slurm-side ends that are not the command's own: our state and reason (X13). */
const REMOTE_ENDS: Record<string, { status: "failed" | "killed"; reason: string }> = {
  TIMEOUT: { status: "killed", reason: "slurm_timeout" },
  PREEMPTED: { status: "killed", reason: "slurm_preempted" },
  DEADLINE: { status: "killed", reason: "slurm_deadline" },
  NODE_FAIL: { status: "failed", reason: "slurm_node_fail" },
  BOOT_FAIL: { status: "failed", reason: "slurm_node_fail" },
  OUT_OF_MEMORY: { status: "failed", reason: "slurm_out_of_memory" },
  UNKNOWN: { status: "failed", reason: "slurm_job_gone" },
};

/**
 * A queued or running remote job: the scheduler (batched, cached ~1 s) says whether its supervisor
 * is still held, running, or over. Over while state.json is not terminal means the supervisor
 * never ran or died before it could record the end: the end is written here from what the
 * scheduler and the job directory tell.
 */
function reconcileRemote(paths: JobPaths, state: StateRecord, handle: BackendHandle): Observed {
  const status = handle.job_id
    ? backendByKind(handle.kind).poll([handle], dirname(paths.dir)).get(handle.job_id)
    : undefined;
  const remote = { handle, ...(status ? { status } : {}) };
  if (!status?.ended) return { state, supervisorAlive: true, remote };
  const fresh = tryReadState(paths) ?? state;
  if (fresh.job.status !== "running" && fresh.job.status !== "queued")
    return { state: fresh, supervisorAlive: true, remote };
  const now = isoNow();
  let end: StateRecord | undefined = fresh.job.status === "running" ? endWithoutSupervisor(paths, fresh) : undefined;
  if (!end) {
    const cancelled = status.state === "CANCELLED";
    // --kill-on-invalid-dep: Slurm cancels a job whose --after-ok can never hold (X10's dependency_failed).
    const depFailed = cancelled && fresh.job.status === "queued" && /Dependency/i.test(status.reason ?? "");
    const mapped = depFailed ? { status: "failed" as const, reason: "dependency_failed" } : REMOTE_ENDS[status.state];
    const st = mapped?.status ?? (cancelled ? "killed" : "failed");
    const reason =
      mapped?.reason ??
      (cancelled ? (fresh.job.status === "queued" ? "cancelled_before_start" : "slurm_cancelled") : "supervisor_lost");
    const mark = killMark(paths);
    end = {
      ...fresh,
      job: { ...fresh.job, status: st },
      result: {
        exit_code: null,
        signal: null,
        duration_ms: null,
        ...(status.state === "TIMEOUT" ? { timed_out: true } : {}),
        ...(st === "killed" && mark !== undefined ? { killed_by: "agent-exec" } : {}),
      },
      finished_at: now,
      updated_at: now,
      reason,
    };
  }
  try {
    writeState(paths, end);
  } catch {}
  return { state: end, supervisorAlive: true, remote };
}
