// Diagnostics on stderr only, at the level chosen by AGENT_EXEC_LOG, RUST_LOG or -v (D16).
import { writeSync } from "node:fs";

const LEVELS = ["error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LEVELS)[number];

let threshold = 1; // warn

/** Parses a level name, or a RUST_LOG-style filter such as `agent_exec=debug,info`. */
export function parseLevel(spec: string | undefined): number | undefined {
  if (!spec) return undefined;
  let found: number | undefined;
  for (const part of spec.toLowerCase().split(",")) {
    const name = part.includes("=") ? part.slice(part.lastIndexOf("=") + 1) : part;
    const idx = LEVELS.indexOf(name.trim() as LogLevel);
    if (idx >= 0) found = Math.max(found ?? 0, idx);
    else if (name.trim() === "off") found = found ?? -1;
  }
  return found;
}

/** Sets the level: AGENT_EXEC_LOG wins, then RUST_LOG, then the -v count. */
export function configureLog(env: Record<string, string | undefined>, verbose: number): void {
  threshold = parseLevel(env.AGENT_EXEC_LOG) ?? parseLevel(env.RUST_LOG) ?? Math.min(1 + verbose, 4);
}

/** Writes one free-text line to stderr (never starting with `{`). */
export function log(level: LogLevel, message: string): void {
  const idx = LEVELS.indexOf(level);
  if (idx > threshold) return;
  writeStderr(`${new Date().toISOString()} ${level.toUpperCase()} agent-exec: ${message}\n`);
}

/** Writes text to stderr, best effort (a closed stderr must not turn into a failure). */
export function writeStderr(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // stderr gone: diagnostics are best effort.
  }
}
