// The names of the variables that carry data from the front-end to the supervisor.
import { INTERNAL_ENV_PREFIX } from "./command.ts";

/** Holds the unmasked `--env` items as a JSON array; removed before the child is spawned. */
export const RUNTIME_ENV_VAR = `${INTERNAL_ENV_PREFIX}ENV`;

/** Names the variables of SUPERVISOR_RUNTIME_ENV the front-end added, comma-separated. */
export const ADDED_ENV_VAR = `${INTERNAL_ENV_PREFIX}ADDED`;

/**
 * JavaScriptCore options for the supervisor process only (Bun reads BUN_JSC_* at start-up); a
 * caller's own value of the same variable wins and is left to reach the job. None today, and why:
 * with the JIT off (BUN_JSC_useJIT=0) a supervisor kept about 1 MB less private memory (P7: 3.6
 * instead of 4.6 MB per job, measured), but bun:ffi cannot run without it, so the log cap's hole
 * punching (X9) failed with EOPNOTSUPP and logs grew unbounded; and the follower's CPU per byte of
 * heavy output nearly doubled (P8). A bounded disk comes first. Turning only the optimizing tiers
 * off kept FFI working but saved no memory (4.59 MB).
 */
export const SUPERVISOR_RUNTIME_ENV: Readonly<Record<string, string>> = {};

/** The supervisor's launch environment: the caller's, plus the runtime options it did not set itself. */
export function supervisorEnv(
  env: Record<string, string | undefined>,
  runtimeEnv: readonly string[],
): Record<string, string | undefined> {
  const added = Object.keys(SUPERVISOR_RUNTIME_ENV).filter((k) => env[k] === undefined);
  const out: Record<string, string | undefined> = { ...env, [RUNTIME_ENV_VAR]: JSON.stringify(runtimeEnv) };
  for (const k of added) out[k] = SUPERVISOR_RUNTIME_ENV[k];
  if (added.length > 0) out[ADDED_ENV_VAR] = added.join(",");
  return out;
}

/**
 * Undoes supervisorEnv on `env` (the supervisor's process.env), so the job and the notification
 * sinks see the caller's environment exactly.
 */
export function dropSupervisorEnv(env: Record<string, string | undefined>): void {
  for (const k of (env[ADDED_ENV_VAR] ?? "").split(",")) if (k in SUPERVISOR_RUNTIME_ENV) delete env[k];
  delete env[ADDED_ENV_VAR];
}
