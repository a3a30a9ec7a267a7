// The unmasked `--env` items of a job, kept where only the owner can read them (mode 0600), for
// `start` and `restart`; and the parsed env files handed to the supervisor (D42).
import { readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { atomicWrite } from "./atomic-write.ts";
import type { JobPaths } from "./paths.ts";
import type { MetaRecord } from "./records.ts";

const secretsPath = (p: JobPaths) => join(p.dir, "env.runtime.json");

/** Stores the env items `start` will apply. Never in meta.json, never on a command line. */
export function writeSecrets(p: JobPaths, items: readonly string[]): void {
  atomicWrite(secretsPath(p), JSON.stringify(items), 0o600);
}

/**
 * The env items to apply at start: our 0600 file, or `env_vars_runtime` of a job created by the
 * reference release (which kept them in meta.json), or none.
 */
export function readSecrets(p: JobPaths, meta: MetaRecord): string[] {
  try {
    const items = JSON.parse(readFileSync(secretsPath(p), "utf8"));
    if (Array.isArray(items) && items.every((i) => typeof i === "string")) return items;
  } catch {}
  return meta.env_vars_runtime ?? [];
}

const envFilesPath = (p: JobPaths) => join(p.dir, "env-files.runtime.json");

/**
 * The parsed env files of a job about to launch (D42): the front-end read them once, and the
 * supervisor applies this instead of opening the caller's paths again.
 */
export function writeEnvFileValues(p: JobPaths, values: readonly (readonly [string, string])[][]): void {
  atomicWrite(envFilesPath(p), JSON.stringify(values), 0o600);
}

/** The supervisor's side: reads and removes the file; undefined when the launcher wrote none. */
export function takeEnvFileValues(p: JobPaths): [string, string][][] | undefined {
  let values: unknown;
  try {
    values = JSON.parse(readFileSync(envFilesPath(p), "utf8"));
  } catch {
    return undefined;
  }
  try {
    unlinkSync(envFilesPath(p));
  } catch {}
  const isPair = (x: unknown) => Array.isArray(x) && x.length === 2 && x.every((s) => typeof s === "string");
  if (!Array.isArray(values) || !values.every((f) => Array.isArray(f) && f.every(isPair))) return undefined;
  return values as [string, string][][];
}
