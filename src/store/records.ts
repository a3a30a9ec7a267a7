// The persisted record types (meta.json, state.json) and fast structural checks for reading them.
//
// Why not zod here: status/tail/wait/list run on every agent poll, and importing zod costs ~4 ms of
// a ~7 ms process (measured, compiled with bytecode). These guards check exactly what the zod
// schemas in store/job-schema.ts declare; test/unit/records.test.ts proves the two agree.

export const JOB_STATUSES = ["created", "queued", "running", "exited", "killed", "failed"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL: ReadonlySet<string> = new Set(["exited", "killed", "failed"]);

/** Output-match notification settings (§6.1). */
export interface OutputMatchConfig {
  pattern: string;
  match_type: "contains" | "regex";
  stream: "stdout" | "stderr" | "either";
  command?: string;
  file?: string;
}

/** `meta.notification` (§6.1). */
export interface NotificationConfig {
  notify_command?: string;
  notify_file?: string;
  on_output_match?: OutputMatchConfig;
}

/** meta.json: the job definition (§2.4). Optional fields take their documented defaults on read. */
export interface MetaRecord {
  job: { id: string };
  schema_version: string;
  command: string[];
  created_at: string;
  root: string;
  env_keys: string[];
  env_vars?: string[];
  env_vars_runtime?: string[];
  mask?: string[];
  cwd?: string;
  notification?: NotificationConfig;
  tags: string[];
  inherit_env: boolean;
  env_files?: string[];
  timeout_ms: number;
  kill_after_ms: number;
  progress_every_ms: number;
  shell_wrapper?: string[];
  /** The variables the job gets from us (X6): agent defaults its env lacks, and AGENT_EXEC_JOB_ID. */
  agent_env?: string[];
  /** The idempotency key the job was started with (X7). */
  key?: string;
  /** `run --log PATH`: where full.log lines go (kept for `restart`). */
  log_path?: string;
  /** The queue the job runs in (X10). */
  queue?: string;
  /** Jobs that must be terminal before this one starts (X10). */
  after?: string[];
  /** Jobs that must have exited 0 before this one starts; else it fails `dependency_failed` (X10). */
  after_ok?: string[];
  /** Where the job's stdin comes from (X5): a copied file, or `send` (interactive); else /dev/null. */
  stdin?: "file" | "interactive";
  /** D35: the command as `status` and `list` show it, masked values redacted, at most 200 chars. */
  command_display?: string;
  /** True when `command_display` was cut. */
  command_display_truncated?: boolean;
  /** Bytes kept per log (X9): head and rolling tail, half each; 0 or absent = unlimited. */
  max_log_bytes?: number;
  /**
   * Log sizes when the output-match settings were last saved by `notify set`: lines that start
   * before these offsets were written earlier and are never matched (no replay).
   */
  output_match_since?: { stdout: number; stderr: number };
  /** X13: where the supervisor runs; absent = local. */
  backend?: "local" | "slurm";
  slurm?: { partition?: string; args: string[] };
}

/** What the job's root process used (X3). */
export interface Resources {
  /** Absent when it could not be told apart from what rusage inherits from the supervisor. */
  max_rss_kb?: number;
  user_cpu_ms: number;
  system_cpu_ms: number;
}

/** state.json (§2.5 plus D26 and our supervisor fields). */
export interface StateRecord {
  job: { id: string; status: JobStatus; started_at?: string };
  result: {
    exit_code: number | null;
    signal: string | null;
    duration_ms: number | null;
    timed_out?: boolean;
    /** Of the job's root process and the children it waited for, where the platform tells (X3). */
    resources?: Resources;
    /** "agent-exec" when a `kill` ended the job (X3). */
    killed_by?: string;
  };
  /** Which run of the job this is: 1, then one more per restart (X8). Absent means 1. */
  attempt?: number;
  pid?: number;
  finished_at?: string;
  updated_at: string;
  /** Why a job `failed`: supervisor_lost, spawn_failed, ... */
  reason?: string;
  /** The supervisor's pid, so readers can tell a dead supervisor (D8). */
  supervisor_pid?: number;
  /** The job's process group id (the root child leads its own group), once it is known. */
  pgid?: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const isInt = (v: unknown): v is number => Number.isInteger(v);
const isStrArr = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const optStr = (v: unknown) => v === undefined || isStr(v);
const optInt = (v: unknown) => v === undefined || isInt(v);
const optStrArr = (v: unknown) => v === undefined || isStrArr(v);
const nullable = (v: unknown, check: (x: unknown) => boolean) => v === null || check(v);

/** Returns the state record, or undefined when the value does not have the required shape. */
export function checkState(v: unknown): StateRecord | undefined {
  if (!isObj(v) || !isObj(v.job) || !isObj(v.result)) return undefined;
  const { job, result } = v;
  if (!isStr(job.id) || !(JOB_STATUSES as readonly unknown[]).includes(job.status) || !optStr(job.started_at)) {
    return undefined;
  }
  // Upstream always writes the three result keys; tolerate their absence as null (D25 leniency).
  if (!nullable(result.exit_code ?? null, isInt) || !nullable(result.signal ?? null, isStr)) return undefined;
  if (!nullable(result.duration_ms ?? null, isInt)) return undefined;
  if (result.timed_out !== undefined && typeof result.timed_out !== "boolean") return undefined;
  if (!optStr(result.killed_by) || !(result.resources === undefined || checkResources(result.resources))) {
    return undefined;
  }
  if (!optInt(v.attempt)) return undefined;
  if (!isStr(v.updated_at) || !optStr(v.finished_at) || !optInt(v.pid) || !optStr(v.reason)) return undefined;
  if (!optInt(v.supervisor_pid) || !optInt(v.pgid)) return undefined;
  return v as unknown as StateRecord;
}

function checkResources(v: unknown): boolean {
  return isObj(v) && optInt(v.max_rss_kb) && isInt(v.user_cpu_ms) && isInt(v.system_cpu_ms);
}

/** Returns the meta record with defaults filled in, or undefined when it lacks a required field. */
export function checkMeta(v: unknown): MetaRecord | undefined {
  if (!isObj(v) || !isObj(v.job) || !isStr(v.job.id) || !isStr(v.schema_version)) return undefined;
  if (!isStrArr(v.command) || v.command.length === 0 || !isStr(v.created_at) || !isStr(v.root)) return undefined;
  if (!isStrArr(v.env_keys) || !optStrArr(v.env_vars) || !optStrArr(v.env_vars_runtime) || !optStrArr(v.mask)) {
    return undefined;
  }
  if (!optStr(v.cwd) || !optStrArr(v.tags) || !optStrArr(v.env_files) || !optStrArr(v.shell_wrapper)) return undefined;
  if (!optStrArr(v.agent_env) || !optStr(v.key) || !optStr(v.log_path)) return undefined;
  if (v.stdin !== undefined && v.stdin !== "file" && v.stdin !== "interactive") return undefined;
  if (!optStr(v.queue) || !optStrArr(v.after) || !optStrArr(v.after_ok)) return undefined;
  if (v.inherit_env !== undefined && typeof v.inherit_env !== "boolean") return undefined;
  if (!optStr(v.command_display)) return undefined;
  if (v.command_display_truncated !== undefined && typeof v.command_display_truncated !== "boolean") return undefined;
  if (!optInt(v.timeout_ms) || !optInt(v.kill_after_ms) || !optInt(v.progress_every_ms)) return undefined;
  if (!optInt(v.max_log_bytes)) return undefined;
  if (v.notification !== undefined && !checkNotification(v.notification)) return undefined;
  const since = v.output_match_since;
  if (since !== undefined && !(isObj(since) && isInt(since.stdout) && isInt(since.stderr))) return undefined;
  const meta = v as unknown as MetaRecord;
  meta.tags ??= [];
  meta.inherit_env ??= true;
  meta.timeout_ms ??= 0;
  meta.kill_after_ms ??= 0;
  meta.progress_every_ms ??= 0;
  return meta;
}

function checkNotification(v: unknown): boolean {
  if (!isObj(v) || !optStr(v.notify_command) || !optStr(v.notify_file)) return false;
  const m = v.on_output_match;
  if (m === undefined) return true;
  if (!isObj(m) || !isStr(m.pattern) || !optStr(m.command) || !optStr(m.file)) return false;
  if (m.match_type !== undefined && m.match_type !== "contains" && m.match_type !== "regex") return false;
  if (m.stream !== undefined && m.stream !== "stdout" && m.stream !== "stderr" && m.stream !== "either") return false;
  m.match_type ??= "contains";
  m.stream ??= "either";
  return true;
}

/** `state` ended as `failed` with `reason` at `now`: no exit code, no signal, no duration. */
export function failedState(state: StateRecord, reason: string, now: string): StateRecord {
  return {
    ...state,
    job: { ...state.job, status: "failed" },
    result: { exit_code: null, signal: null, duration_ms: null },
    finished_at: now,
    updated_at: now,
    reason,
  };
}
