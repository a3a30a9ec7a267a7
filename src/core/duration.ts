// Duration flags (D34): a bare integer of milliseconds, or an integer with a unit.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The accepted forms, as usage errors name them. */
export const DURATION_FORMS = "a whole number of milliseconds, or one with a unit: 500ms, 30s, 10m, 2h, 1d";

/**
 * `1500` (ms), `500ms`, `30s`, `10m`, `2h` or `1d` as plain milliseconds; undefined for anything
 * else (signs, fractions, spaces, other units) or a value past Number.MAX_SAFE_INTEGER. A plain
 * number, so callers apply their own bounds (timers past 2^31-1 ms are their concern).
 */
export function parseDurationMs(text: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? "ms"] as number);
  return Number.isSafeInteger(ms) ? ms : undefined;
}
