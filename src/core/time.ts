// The two clocks: wall time for stored timestamps, monotonic time for durations and deadlines.

/** UTC RFC 3339 with milliseconds, e.g. 2026-11-21T05:00:00.123Z (D2). */
export function isoNow(): string {
  return new Date().toISOString();
}

/** Monotonic milliseconds, for durations and deadlines only. */
export function monoMs(): number {
  return performance.now();
}

/** Milliseconds since the epoch of a stored timestamp (whole-second or ms precision), or NaN. */
export function parseTimestamp(ts: string | undefined): number {
  return ts === undefined ? Number.NaN : Date.parse(ts);
}
