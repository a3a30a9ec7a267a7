// Picks a new job's backend (flag, else config.toml `backend`/`[slurm]`, else local) and hands a
// remote job to its scheduler (X13).
import { rmSync } from "node:fs";
import { readConfigTable } from "../core/config.ts";
import { AgentExecError } from "../core/errors.ts";
import { tryReadState } from "../store/job-store.ts";
import { type JobPaths, jobPaths } from "../store/paths.ts";
import type { MetaRecord } from "../store/records.ts";
import { writeEnvFileValues } from "../store/secrets.ts";
import { readHandle, writeHandle } from "./index.ts";
import { checkSlurmArgs, checkSlurmInstalled, slurmBackend } from "./slurm.ts";
import { BACKEND_KINDS, type BackendKind, type SlurmOptions } from "./types.ts";

export interface BackendFlags {
  backend?: string;
  slurmPartition?: string;
  slurmArgs?: string[];
}

export interface BackendChoice {
  kind: BackendKind;
  slurm?: SlurmOptions;
}

function asStrings(v: unknown, what: string, path: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new AgentExecError("internal_error", `invalid config file ${path}: ${what} must be an array of strings`);
  }
  return v;
}

/** The backend of a new job, checked before anything is created (D5). */
export function chooseBackend(
  flags: BackendFlags,
  configPath: string | undefined,
  env: Record<string, string | undefined>,
): BackendChoice {
  const { doc, path } = readConfigTable(configPath, env);
  const fromConfig = doc?.backend;
  if (fromConfig !== undefined && typeof fromConfig !== "string") {
    throw new AgentExecError("internal_error", `invalid config file ${path}: backend must be a string`);
  }
  const kind = flags.backend ?? fromConfig ?? "local";
  if (!(BACKEND_KINDS as readonly string[]).includes(kind)) {
    throw new AgentExecError("usage_error", `unknown backend ${JSON.stringify(kind)}: use local or slurm`);
  }
  const slurmFlags = flags.slurmPartition !== undefined || (flags.slurmArgs ?? []).length > 0;
  if (kind !== "slurm") {
    if (slurmFlags) throw new AgentExecError("usage_error", "--slurm-partition and --slurm-arg need --backend slurm");
    return { kind: "local" };
  }
  const table = (doc?.slurm ?? {}) as Record<string, unknown>;
  const partition = flags.slurmPartition ?? (typeof table.partition === "string" ? table.partition : undefined);
  const args = [...(asStrings(table.args, "[slurm].args", path) ?? []), ...(flags.slurmArgs ?? [])];
  checkSlurmArgs(args);
  checkSlurmInstalled(env);
  return { kind: "slurm", slurm: { ...(partition ? { partition } : {}), args } };
}

/** A remote job's dependencies as its scheduler's job ids; a local dependency cannot be one. */
export function remoteDependencies(root: string, ids: readonly string[]): string[] {
  return ids.map((id) => {
    const h = readHandle(jobPaths(root, id));
    if (!h?.job_id) {
      const s = tryReadState(jobPaths(root, id));
      throw new AgentExecError(
        "invalid_input",
        `--after/--after-ok of a Slurm job must name Slurm jobs; ${id} is a local job${s ? ` (${s.job.status})` : ""}`,
      );
    }
    return h.job_id;
  });
}

export interface RemoteLaunch {
  root: string;
  id: string;
  paths: JobPaths;
  meta: MetaRecord;
  choice: BackendChoice;
  env: Record<string, string | undefined>;
  runtimeEnv: readonly string[];
  envFileValues?: [string, string][][];
  fullLogPath?: string;
}

/**
 * Submits a job already written as `queued`. A refused submission removes the job directory
 * (a failed call leaves no job behind) and reports the scheduler's own message.
 */
export function submitRemote(l: RemoteLaunch, removeOnFailure: boolean): void {
  try {
    if (l.envFileValues && l.envFileValues.length > 0) writeEnvFileValues(l.paths, l.envFileValues);
    const handle = slurmBackend.submit({
      root: l.root,
      id: l.id,
      paths: l.paths,
      runtimeEnv: l.runtimeEnv,
      env: l.env,
      cwd: l.meta.cwd ?? "/",
      ...(l.fullLogPath ? { fullLogPath: l.fullLogPath } : {}),
      timeoutMs: l.meta.timeout_ms ?? 0,
      killAfterMs: l.meta.kill_after_ms ?? 0,
      ...(l.choice.slurm ? { slurm: l.choice.slurm } : {}),
      after: remoteDependencies(l.root, l.meta.after ?? []),
      afterOk: remoteDependencies(l.root, l.meta.after_ok ?? []),
    });
    writeHandle(l.paths, handle);
  } catch (err) {
    if (removeOnFailure) rmSync(l.paths.dir, { recursive: true, force: true });
    throw err;
  }
}
