// The `--max-log-bytes` value (X9): bytes, or a number with KiB, MiB or GiB.
import { usageError } from "../core/errors.ts";

/** Below this (other than 0) a cap is refused: half of it must still hold a few lines. */
export const MIN_LOG_CAP = 4096;
/** The cap of a job whose flag and config say nothing: 1 GiB per stream. */
export const DEFAULT_LOG_CAP = 1 << 30;

const UNITS: Record<string, number> = { "": 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/**
 * Parses a log cap: an integer, optionally followed by `KiB`, `MiB` or `GiB` (any case). 0 means
 * unlimited. Anything else, or a value below 4096 other than 0, is a usage error naming `source`
 * (the flag or the config key) and the value.
 */
export function parseLogCap(raw: string | number, source: string): number {
  const text = String(raw).trim();
  const m = /^(\d+)\s*([kmg]ib)?$/i.exec(text);
  const value = m ? Number(m[1]) * (UNITS[(m[2] ?? "").toLowerCase()] as number) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw usageError(
      `invalid value ${JSON.stringify(String(raw))} for '${source}': expected bytes, or a number with KiB, MiB or GiB (0 = unlimited)`,
    );
  }
  if (value !== 0 && value < MIN_LOG_CAP) {
    throw usageError(
      `invalid value ${JSON.stringify(String(raw))} for '${source}': a cap must be at least ${MIN_LOG_CAP} bytes (or 0 = unlimited)`,
    );
  }
  return value;
}
