// Pure path rules: where the jobs root is, what a job id may look like, and each file's path.
import { isAbsolute, join, resolve } from "node:path";

/** The files of one job directory. */
export interface JobPaths {
  dir: string;
  meta: string;
  state: string;
  stdout: string;
  stderr: string;
  full: string;
  supervisorLog: string;
  completionEvent: string;
  notificationEvents: string;
  killRequest: string;
  /** The supervisor's pid, written by the front-end that launched it (D30). */
  supervisorPid: string;
  /** The values of masked variables, to redact from what agent-exec shows (D28, 0600). */
  masks: string;
  /** Written by `kill` before it signals, so the end can say `killed_by` (X3). */
  killMark: string;
  /** The job's stdin: a copy of --stdin-file or --stdin - (X5). */
  stdinFile: string;
  /** An interactive job's input FIFO, written by `send`, read by the supervisor (X5). */
  stdinFifo: string;
  /** What the log cap dropped from each stream (X9), written by the supervisor. */
  logCap: string;
  /** The workload's exit status, written by its waiting parent (survives the supervisor). */
  exitStatus: string;
}

/**
 * Resolves the jobs root (§2.1): --root, then AGENT_EXEC_ROOT, then $XDG_DATA_HOME/agent-exec/jobs,
 * then $HOME/.local/share/agent-exec/jobs. Empty values count as unset. A relative root is made
 * absolute once, against `cwd` (D15), so every path we print or store is absolute.
 */
export function resolveRoot(flag: string | undefined, env: Record<string, string | undefined>, cwd: string): string {
  let root: string;
  if (flag) root = flag;
  else if (env.AGENT_EXEC_ROOT) root = env.AGENT_EXEC_ROOT;
  else if (env.XDG_DATA_HOME) root = join(env.XDG_DATA_HOME, "agent-exec", "jobs");
  else root = join(env.HOME || "/", ".local", "share", "agent-exec", "jobs");
  return isAbsolute(root) ? root : resolve(cwd, root);
}

/** The only characters a job id argument may hold (D1); ULIDs use a subset of them. */
const ID_ARG = /^[0-9A-Za-z]{1,26}$/;

/** True when `input` may be looked up at all: 1..26 chars of [0-9A-Za-z], so never a path. */
export function isValidIdArgument(input: string): boolean {
  return ID_ARG.test(input);
}

/** Paths of every file in `<root>/<id>/`. `id` must already be a validated directory name. */
export function jobPaths(root: string, id: string): JobPaths {
  const dir = join(root, id);
  return {
    dir,
    meta: join(dir, "meta.json"),
    state: join(dir, "state.json"),
    stdout: join(dir, "stdout.log"),
    stderr: join(dir, "stderr.log"),
    full: join(dir, "full.log"),
    supervisorLog: join(dir, "supervisor.log"),
    completionEvent: join(dir, "completion_event.json"),
    notificationEvents: join(dir, "notification_events.ndjson"),
    killRequest: join(dir, "kill.request"),
    supervisorPid: join(dir, "supervisor.pid"),
    masks: join(dir, "masks.json"),
    killMark: join(dir, "kill.mark"),
    stdinFile: join(dir, "stdin"),
    stdinFifo: join(dir, "stdin.fifo"),
    logCap: join(dir, "log_cap"),
    exitStatus: join(dir, "exit_status"),
  };
}
