// Resolves the shell wrapper from --shell-wrapper, --config, the default config.toml, or the built-in (§8, D15).
import { join } from "node:path";
import { DEFAULT_LOG_CAP, parseLogCap } from "../logs/size.ts";
import { DEFAULT_WRAPPER } from "../supervisor/command.ts";
import { AgentExecError, errnoOf, usageError } from "./errors.ts";
import { CONFIG_FILE_CAP, readRegularFile } from "./read-file.ts";

/** `$XDG_CONFIG_HOME/agent-exec/config.toml`, else `~/.config/agent-exec/config.toml`, on every Unix. */
export function defaultConfigPath(env: Record<string, string | undefined>): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || "/", ".config");
  return join(base, "agent-exec", "config.toml");
}

/**
 * The parsed config file, or undefined when it does not exist (a missing file is silently ignored,
 * §8). Read afresh each time: `serve` and `mcp` live long, and the file may change under them.
 */
function readConfigDoc(path: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    // Only a regular file within the cap (D42): a FIFO or /dev/zero named as config must not hang us.
    text = readRegularFile(path, "config file", CONFIG_FILE_CAP).toString("utf8");
  } catch (err) {
    const cause = err instanceof AgentExecError ? err.cause : err;
    if (errnoOf(cause) === "ENOENT") return undefined; // a missing file is silently ignored (§8)
    throw err;
  }
  let doc: Record<string, unknown>;
  try {
    doc = Bun.TOML.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new AgentExecError("internal_error", `invalid config file ${path}: ${(err as Error).message}`);
  }
  return doc;
}

/** Reads `[shell].unix` from a config file; undefined when the file or the key is absent. */
export function readConfigWrapper(path: string): string[] | undefined {
  const shell = readConfigDoc(path)?.shell;
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

/**
 * A top-level boolean of the config file in effect (--config, else the default file), e.g.
 * `agent_env = false`; undefined when absent. Any other type is an internal_error naming the key.
 */
export function configBoolean(
  key: string,
  configPath: string | undefined,
  env: Record<string, string | undefined>,
): boolean | undefined {
  const path = configPath ?? defaultConfigPath(env);
  const v = readConfigDoc(path)?.[key];
  if (v === undefined || typeof v === "boolean") return v;
  throw new AgentExecError("internal_error", `invalid config file ${path}: ${key} must be true or false`);
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

/**
 * The log cap of a new job (X9): the flag, else `max_log_bytes` of the --config file or the
 * default config.toml, else 1 GiB. A bad value in either place is a usage error naming it.
 */
export function resolveLogCap(
  flag: string | number | undefined,
  configPath: string | undefined,
  env: Record<string, string | undefined>,
): number {
  if (flag !== undefined) return parseLogCap(flag, "--max-log-bytes (max_log_bytes)");
  const path = configPath ?? defaultConfigPath(env);
  const value = readConfigDoc(path)?.max_log_bytes;
  if (value === undefined) return DEFAULT_LOG_CAP;
  if (typeof value !== "number" && typeof value !== "string") {
    throw usageError(`invalid config file ${path}: max_log_bytes must be a number or a string such as "64MiB"`);
  }
  return parseLogCap(value, `max_log_bytes in ${path}`);
}

/**
 * `view` of the config file in effect (--config, else the default file): the default view of
 * tails on the CLI and HTTP (X14); undefined when absent. A value that is not a view is a usage
 * error naming it and the choices. A file that cannot be read or parsed gives no view: the view is
 * only how an answer looks, and readers such as `start` and `tail` must not fail on a config
 * they do not otherwise read (the commands that define jobs report the broken file).
 */
export function configView(
  configPath: string | undefined,
  env: Record<string, string | undefined>,
  choices: readonly string[],
): string | undefined {
  const path = configPath ?? defaultConfigPath(env);
  let v: unknown;
  try {
    v = readConfigDoc(path)?.view;
  } catch {
    return undefined;
  }
  if (v === undefined || (typeof v === "string" && choices.includes(v))) return v;
  throw usageError(`invalid view ${JSON.stringify(v)} in config file ${path}: expected one of ${choices.join(", ")}`);
}

/** The config file in effect (--config, else the default file) as a table, with its path (X13). */
export function readConfigTable(
  configPath: string | undefined,
  env: Record<string, string | undefined>,
): { doc: Record<string, unknown> | undefined; path: string } {
  const path = configPath ?? defaultConfigPath(env);
  return { doc: readConfigDoc(path), path };
}
