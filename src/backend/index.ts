// Which backend a job runs on: <jobdir>/backend.json (absent = local, every job before X13).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { atomicWrite } from "../store/atomic-write.ts";
import type { JobPaths } from "../store/paths.ts";
import { localBackend } from "./local.ts";
import { slurmBackend } from "./slurm.ts";
import type { Backend, BackendHandle, BackendKind } from "./types.ts";

export const backendFile = (paths: JobPaths): string => join(paths.dir, "backend.json");

export function backendByKind(kind: BackendKind): Backend {
  return kind === "slurm" ? slurmBackend : localBackend;
}

/** The job's backend handle; undefined for a local job. Its own file: state.json keeps one writer. */
export function readHandle(paths: JobPaths): BackendHandle | undefined {
  const f = backendFile(paths);
  if (!existsSync(f)) return undefined;
  try {
    const h = JSON.parse(readFileSync(f, "utf8")) as BackendHandle;
    return h.kind === "slurm" ? h : undefined;
  } catch {
    return undefined;
  }
}

export function writeHandle(paths: JobPaths, handle: BackendHandle): void {
  atomicWrite(backendFile(paths), JSON.stringify(handle));
}
