// The checks of D5 that must pass before a job launches: cwd, env files, wrapper program.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { AgentExecError } from "../core/errors.ts";
import { ENV_FILE_CAP, readRegularFile } from "../core/read-file.ts";
import type { MetaRecord } from "../store/records.ts";
import { DEFAULT_WRAPPER, ENV_KEY, parseEnvFile } from "../supervisor/command.ts";
import type { Ctx } from "./context.ts";

/** The parsed pairs of each env file, in order: what the supervisor applies (D42). */
export type EnvFileValues = [string, string][][];

/**
 * Throws invalid_input unless `cwd` is a directory, every env file is a readable regular file
 * of valid lines (relative ones from the caller's cwd) and the wrapper is on PATH. Returns the
 * env files' pairs: the files are read here once, and the supervisor gets this result instead of
 * the paths, so nothing a caller names is ever opened twice or by a process that could hang on
 * it (D42). `cwdLabel` names the cwd in the message as the caller knows it.
 */
export function checkLaunchable(
  launch: { cwd: string; cwdLabel: string; envFiles: readonly string[]; wrapper: readonly string[] },
  ctx: Ctx,
): EnvFileValues {
  const w0 = launch.wrapper[0] ?? "";
  if (!Bun.which(w0, { PATH: ctx.env.PATH ?? "/usr/bin:/bin", cwd: ctx.cwd })) {
    throw new AgentExecError("invalid_input", `shell wrapper program not found on PATH: ${JSON.stringify(w0)}`);
  }
  let isDir = false;
  try {
    isDir = statSync(launch.cwd).isDirectory();
  } catch {}
  if (!isDir) throw new AgentExecError("invalid_input", `${launch.cwdLabel} is not an existing directory`);
  return launch.envFiles.map((f) => readEnvFile(f, ctx.cwd));
}

/** One env file, parsed; a key that is no variable name or a NUL byte is invalid_input (D43). */
function readEnvFile(f: string, cwd: string): [string, string][] {
  if (f.includes("\0")) throw new AgentExecError("usage_error", `--env-file ${JSON.stringify(f)} contains a NUL byte`);
  const pairs = parseEnvFile(readRegularFile(resolve(cwd, f), "--env-file", ENV_FILE_CAP).toString("utf8"));
  for (const [k, v] of pairs) {
    if (!ENV_KEY.test(k)) {
      throw new AgentExecError(
        "invalid_input",
        `--env-file ${JSON.stringify(f)}: invalid variable name ${JSON.stringify(k)} (use [A-Za-z_][A-Za-z0-9_]*)`,
      );
    }
    if (v.includes("\0")) {
      throw new AgentExecError(
        "invalid_input",
        `--env-file ${JSON.stringify(f)}: the value of ${k} contains a NUL byte`,
      );
    }
  }
  return pairs;
}

/** checkLaunchable for a job already defined: its stored cwd (else the caller's), env files and wrapper. */
export function checkStoredLaunch(meta: MetaRecord, ctx: Ctx): EnvFileValues {
  const cwd = meta.cwd ?? ctx.cwd;
  return checkLaunchable(
    {
      cwd,
      cwdLabel: `the job's cwd ${JSON.stringify(cwd)}`,
      envFiles: meta.env_files ?? [],
      wrapper: meta.shell_wrapper ?? DEFAULT_WRAPPER,
    },
    ctx,
  );
}
