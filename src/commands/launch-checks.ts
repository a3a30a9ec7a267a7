// The checks of D5 that must pass before a job launches: cwd, env files, wrapper program.
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { AgentExecError, errnoOf } from "../core/errors.ts";
import type { Ctx } from "./context.ts";

/**
 * Throws invalid_input unless `cwd` is a directory, every env file is readable (relative ones
 * from the caller's cwd, where the supervisor will read them) and the wrapper is on PATH.
 * `cwdLabel` names the cwd in the message as the caller knows it.
 */
export function checkLaunchable(
  launch: { cwd: string; cwdLabel: string; envFiles: readonly string[]; wrapper: readonly string[] },
  ctx: Ctx,
): void {
  const w0 = launch.wrapper[0] ?? "";
  if (!Bun.which(w0, { PATH: ctx.env.PATH ?? "/usr/bin:/bin", cwd: ctx.cwd })) {
    throw new AgentExecError("invalid_input", `shell wrapper program not found on PATH: ${JSON.stringify(w0)}`);
  }
  let isDir = false;
  try {
    isDir = statSync(launch.cwd).isDirectory();
  } catch {}
  if (!isDir) throw new AgentExecError("invalid_input", `${launch.cwdLabel} is not an existing directory`);
  for (const f of launch.envFiles) {
    try {
      readFileSync(resolve(ctx.cwd, f));
    } catch (err) {
      throw new AgentExecError(
        "invalid_input",
        `cannot read --env-file ${JSON.stringify(f)}: ${errnoOf(err) ?? (err as Error).message}`,
      );
    }
  }
}
