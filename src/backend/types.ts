// The backend seam (X13): where a job's supervisor runs. The commands never ask "local or
// remote?"; they hand a job to its backend and ask the backend about it. Four verbs and a record
// of what the backend can do (compare submitit's submission/watcher split and Ray's job client).
//
// A Kubernetes Jobs backend would fit without touching a command (designed, not built: no control
// plane runs on our machines):
//   submit  → `kubectl create -f -` of a batch/v1 Job (backoffLimit 0, restartPolicy Never,
//             activeDeadlineSeconds from the timeout) whose one container execs
//             `agent-exec _supervise <root> <id> --slurm` (the flag means "remote: start from queued,
//             forward signals") with the jobs root on a shared volume at the same path; --env values
//             in a Secret; handle.job_id = the Job's name.
//   poll    → one `kubectl get jobs,pods -l agent-exec/job -o json`, cached ~1 s: a Pending pod is
//             PENDING with its condition's reason (Unschedulable, ImagePullBackOff); Job conditions
//             map to the same ends (DeadlineExceeded → TIMEOUT, an OOMKilled container →
//             OUT_OF_MEMORY, an evicted pod → PREEMPTED, a lost node → NODE_FAIL).
//   signal  → `kubectl exec <pod> -- kill -SIG 1` (the supervisor is PID 1 and forwards it);
//             KILL → `kubectl delete pod --grace-period=0`.
//   cancel  → `kubectl delete job <name>`.
//   capabilities: liveness "scheduler", resources true, inputProbe false, nativeDependencies false
//             (Kubernetes has no Job dependencies: --after would stay with the local dispatcher).
import type { JobPaths } from "../store/paths.ts";

export type BackendKind = "local" | "slurm";
export const BACKEND_KINDS: readonly BackendKind[] = ["local", "slurm"];

/** What a job asks of the Slurm backend (run/create flags and config.toml `[slurm]`). */
export interface SlurmOptions {
  partition?: string;
  /** Extra sbatch arguments, verbatim, after ours. */
  args: string[];
}

/** Everything a backend needs to start a job whose directory is already written. */
export interface SubmitSpec {
  root: string;
  id: string;
  paths: JobPaths;
  /** The job's --env items (travel in the environment, never on a command line). */
  runtimeEnv: readonly string[];
  /** The caller's environment. */
  env: Record<string, string | undefined>;
  cwd: string;
  fullLogPath?: string;
  /** agent-exec's own timeout plus its grace (0 = none): a scheduler's limit must not be shorter. */
  timeoutMs: number;
  killAfterMs: number;
  slurm?: SlurmOptions;
  /** Dependencies already translated into the backend's own job ids. */
  after: string[];
  afterOk: string[];
}

/** The handle a backend gives back, persisted in <jobdir>/backend.json (never in state.json). */
export interface BackendHandle {
  kind: BackendKind;
  /** The scheduler's id of the job (Slurm job id, Kubernetes Job name); absent for local. */
  job_id?: string;
  partition?: string;
}

/** What the scheduler says about a job right now, in its own words. */
export interface RemoteStatus {
  /** Scheduler state (PENDING, RUNNING, COMPLETED, TIMEOUT, …), or UNKNOWN when it forgot the job. */
  state: string;
  reason?: string;
  /** True when the scheduler holds the job but has not started it. */
  pending: boolean;
  /** True when the scheduler says the job (its supervisor) is over. */
  ended: boolean;
}

export interface Capabilities {
  /** Liveness comes from a local pid (local) or from the scheduler (remote). */
  liveness: "pid" | "scheduler";
  /** `resources` (rusage) reported at the end. */
  resources: boolean;
  /** `waiting_for_input` can be probed (the job's processes are on this machine). */
  inputProbe: boolean;
  /** Dependencies (--after/--after-ok) handed to the scheduler instead of the local dispatcher. */
  nativeDependencies: boolean;
}

export interface Backend {
  readonly kind: BackendKind;
  readonly capabilities: Capabilities;
  /** Starts the job's supervisor; throws an AgentExecError (and leaves nothing running) on refusal. */
  submit(spec: SubmitSpec): BackendHandle;
  /**
   * Asks about many jobs at once (one scheduler call, cached ~1 s, in `cacheDir` too when given:
   * the jobs root). Keyed by handle.job_id.
   */
  poll(handles: readonly BackendHandle[], cacheDir?: string): Map<string, RemoteStatus>;
  /** Sends a signal to the job (its process group); false when there was nothing to signal. */
  signal(handle: BackendHandle, signal: string, cacheDir?: string): boolean;
  /** Ends a job the scheduler has not started (or removes it altogether). */
  cancel(handle: BackendHandle, cacheDir?: string): void;
}
