// Resolves the shell wrapper from --shell-wrapper, --config, the default config.toml, or the built-in (§8, D15).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_LOG_CAP, parseLogCap } from "../logs/size.ts";
import { DEFAULT_WRAPPER } from "../supervisor/command.ts";
import { AgentExecError, errnoOf, usageError } from "./errors.ts";

/** `$XDG_CONFIG_HOME/agent-exec/config.toml`, else `~/.config/agent-exec/config.toml`, on every Unix. */
export function defaultConfigPath(env: Record<string, string | undefined>): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || "/", ".config");
  return join(base, "agent-exec", "config.toml");
}

/** Parses a config file; undefined when it is absent (§8: silently ignored). */
function readConfigDoc(path: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (errnoOf(err) === "ENOENT") return undefined; // a missing file is silently ignored (§8)
    throw new AgentExecError("internal_error", `cannot read config file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = Bun.TOML.parse(text);
  } catch (err) {
    throw new AgentExecError("internal_error", `invalid config file ${path}: ${(err as Error).message}`);
  }
  return doc as Record<string, unknown>;
}

/** Reads `[shell].unix` from a config file; undefined when the file or the key is absent. */
export function readConfigWrapper(path: string): string[] | undefined {
  const doc = readConfigDoc(path);
  if (doc === undefined) return undefined;
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
