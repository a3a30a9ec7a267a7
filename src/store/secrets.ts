// The unmasked `--env` items of a job, kept where only the owner can read them (mode 0600), for
// `start` and `restart`.
import { readFileSync } from "node:fs";
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
