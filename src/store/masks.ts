// The values of a job's masked variables (D28), kept where only the owner can read them (0600),
// so every later reader (tail, wait, serve, mcp, the supervisor's events) can redact them.
import { readFileSync } from "node:fs";
import { maskBytes } from "../logs/redact.ts";
import { atomicWrite } from "./atomic-write.ts";
import type { JobPaths } from "./paths.ts";

/** Stores the values to redact (merged with what is already stored), or nothing when there are none. */
export function writeMasks(p: JobPaths, values: readonly string[]): void {
  const all = [...new Set([...readMaskValues(p), ...values.filter((v) => v !== "")])];
  if (all.length === 0) return;
  atomicWrite(p.masks, JSON.stringify(all), 0o600);
}

/** The stored values as strings ([] for a job without masked values, or an unreadable file). */
function readMaskValues(p: JobPaths): string[] {
  let text: string;
  try {
    text = readFileSync(p.masks, "utf8");
  } catch {
    return []; // The common case: no masked values, one failed open.
  }
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

/** The stored values as bytes, longest first, ready for redactBytes/redactText. */
export function readMasks(p: JobPaths): Buffer[] {
  return maskBytes(readMaskValues(p));
}
