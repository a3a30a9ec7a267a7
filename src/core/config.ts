// Resolves the shell wrapper from --shell-wrapper, --config, the default config.toml, or the built-in (§8, D15).
import { join } from "node:path";
import { DEFAULT_WRAPPER } from "../supervisor/command.ts";
import { AgentExecError, errnoOf } from "./errors.ts";
import { CONFIG_FILE_CAP, readRegularFile } from "./read-file.ts";

/** `$XDG_CONFIG_HOME/agent-exec/config.toml`, else `~/.config/agent-exec/config.toml`, on every Unix. */
export function defaultConfigPath(env: Record<string, string | undefined>): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || "/", ".config");
  return join(base, "agent-exec", "config.toml");
}

/** Reads `[shell].unix` from a config file; undefined when the file or the key is absent. */
export function readConfigWrapper(path: string): string[] | undefined {
  let text: string;
  try {
    // Only a regular file within the cap (D42): a FIFO or /dev/zero named as config must not hang us.
    text = readRegularFile(path, "config file", CONFIG_FILE_CAP).toString("utf8");
  } catch (err) {
    const cause = err instanceof AgentExecError ? err.cause : err;
    if (errnoOf(cause) === "ENOENT") return undefined; // a missing file is silently ignored (§8)
    throw err;
  }
  let doc: unknown;
  try {
    doc = Bun.TOML.parse(text);
  } catch (err) {
    throw new AgentExecError("internal_error", `invalid config file ${path}: ${(err as Error).message}`);
  }
  const shell = (doc as { shell?: unknown }).shell;
  if (shell === undefined) return undefined;
  const unix = (shell as { unix?: unknown }).unix;
  if (unix === undefined) return undefined;
  if (!Array.isArray(unix) || !unix.every((w) => typeof w === "string")) {
    throw new AgentExecError("internal_error", `invalid config file ${path}: [shell].unix must be an array of strings`);
  }
  if (unix.length === 0) {
    throw new AgentExecError("internal_error", `invalid config file ${path}: [shell].unix must not be empty`);
  }
  return unix;
}

/** The wrapper argv with §8's precedence: flag, --config file, default file, built-in. */
export function resolveWrapper(
  flag: string | undefined,
  configPath: string | undefined,
  env: Record<string, string | undefined>,
): string[] {
  if (flag !== undefined) {
    const words = flag.split(/\s+/).filter((w) => w !== "");
    if (words.length === 0) throw new AgentExecError("internal_error", "--shell-wrapper must not be empty");
    return words;
  }
  if (configPath !== undefined) {
    const fromFlag = readConfigWrapper(configPath);
    if (fromFlag) return fromFlag;
  } else {
    const fromDefault = readConfigWrapper(defaultConfigPath(env));
    if (fromDefault) return fromDefault;
  }
  return [...DEFAULT_WRAPPER];
}
