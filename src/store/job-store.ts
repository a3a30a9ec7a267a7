// Reads and writes job records under the root; every read is checked, every write is atomic.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { AgentExecError, errnoOf } from "../core/errors.ts";
import { atomicWrite, prettyJson } from "./atomic-write.ts";
import { isValidIdArgument, type JobPaths, jobPaths } from "./paths.ts";
import { checkMeta, checkState, type MetaRecord, type StateRecord } from "./records.ts";

/** Parses a JSON file; undefined when it is missing, unreadable or not JSON. */
function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

/** meta.json of a job, or undefined when it is missing or malformed. */
export function tryReadMeta(p: JobPaths): MetaRecord | undefined {
  return checkMeta(readJson(p.meta));
}

/** state.json of a job, or undefined when it is missing or malformed (the job is `unknown`). */
export function tryReadState(p: JobPaths): StateRecord | undefined {
  return checkState(readJson(p.state));
}

/** meta.json of a job; a missing or malformed file is an internal_error naming the file. */
export function readMeta(p: JobPaths): MetaRecord {
  const meta = tryReadMeta(p);
  if (!meta) throw unreadable(p, p.meta);
  return meta;
}

/** state.json of a job; a missing or malformed file is an internal_error naming the file. */
export function readState(p: JobPaths): StateRecord {
  const state = tryReadState(p);
  if (!state) throw unreadable(p, p.state);
  return state;
}

/**
 * A record that cannot be read: job_not_found when its whole directory is gone (a `delete` or
 * `gc` won a race with us), else internal_error naming the file.
 */
function unreadable(p: JobPaths, path: string): AgentExecError {
  if (!existsSync(p.dir)) return new AgentExecError("job_not_found", `job not found: ${p.dir} was deleted`);
  return new AgentExecError("internal_error", `unreadable job record: ${path} is missing or malformed`, {
    details: { file: path },
  });
}

/** Atomically replaces state.json, keys in the contract's order (§2.5) then ours. */
export function writeState(p: JobPaths, state: StateRecord): void {
  const { job, result } = state;
  const ordered: Record<string, unknown> = {
    job: { id: job.id, status: job.status, ...(job.started_at ? { started_at: job.started_at } : {}) },
    result: {
      exit_code: result.exit_code,
      signal: result.signal,
      duration_ms: result.duration_ms,
      ...(result.timed_out ? { timed_out: true } : {}),
      ...(result.resources ? { resources: result.resources } : {}),
      ...(result.killed_by ? { killed_by: result.killed_by } : {}),
    },
  };
  if (state.pid !== undefined) ordered.pid = state.pid;
  if (state.finished_at !== undefined) ordered.finished_at = state.finished_at;
  ordered.updated_at = state.updated_at;
  if (state.reason !== undefined) ordered.reason = state.reason;
  if (state.supervisor_pid !== undefined) ordered.supervisor_pid = state.supervisor_pid;
  if (state.pgid !== undefined) ordered.pgid = state.pgid;
  if (state.attempt !== undefined) ordered.attempt = state.attempt;
  // state.json is what every reader trusts: on a full disk it is still written, in place.
  atomicWrite(p.state, prettyJson(ordered), 0o600, true);
}

/** Atomically replaces meta.json. */
export function writeMeta(p: JobPaths, meta: MetaRecord): void {
  atomicWrite(p.meta, prettyJson(meta));
}

/** A resolved job: its full id (the directory name) and its paths. */
export interface ResolvedJob {
  id: string;
  paths: JobPaths;
}

const isDir = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/**
 * Finds a job by full id or unique prefix, case-insensitively (D1). The argument is checked
 * before any filesystem access, so `''`, `.`, `..`, `a/b` or a NUL can never name a path.
 * Directories without a readable meta.json never match a prefix.
 */
export function resolveJob(root: string, input: string): ResolvedJob {
  if (!isValidIdArgument(input)) {
    throw new AgentExecError(
      "job_not_found",
      `job not found: invalid job id ${JSON.stringify(input)} (expected 1 to 26 letters or digits)`,
    );
  }
  const upper = input.toUpperCase();
  for (const name of upper === input ? [input] : [upper, input]) {
    const paths = jobPaths(root, name);
    if (isDir(paths.dir)) return { id: name, paths };
  }
  let names: string[];
  try {
    names = readdirSync(root);
  } catch (err) {
    if (errnoOf(err) === "ENOENT") throw new AgentExecError("job_not_found", `job not found: ${input}`);
    throw new AgentExecError("internal_error", `cannot read jobs root ${root}: ${(err as Error).message}`);
  }
  const matches = names
    .filter((n) => n.toUpperCase().startsWith(upper) && isValidIdArgument(n))
    .filter((n) => tryReadMeta(jobPaths(root, n)) !== undefined)
    .sort();
  const only = matches[0];
  if (only === undefined) throw new AgentExecError("job_not_found", `job not found: ${input}`);
  if (matches.length > 1) {
    const shown = matches.slice(0, 5).join(", ");
    const more = matches.length > 5 ? `, ... and ${matches.length - 5} more` : "";
    throw new AgentExecError("ambiguous_job_id", `ambiguous job ID prefix '${input}': matches ${shown}${more}`, {
      details: { candidates: matches.slice(0, 20) },
    });
  }
  return { id: only, paths: jobPaths(root, only) };
}
