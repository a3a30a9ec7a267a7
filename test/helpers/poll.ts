// pollUntil: wait for a condition with a deadline instead of sleeping a fixed time.

export interface PollOptions<T> {
  /** Give up after this long (default 30 s: generous for a loaded 2-core machine; passing tests stop as soon as the check holds). */
  timeoutMs?: number;
  /** Pause between checks (default 25 ms). */
  intervalMs?: number;
  /** When the value counts as done (default: truthy). */
  until?: (value: T) => boolean;
  /** What we were waiting for, for the failure message. */
  what?: string;
}

/**
 * Calls `check` until `until(value)` holds and returns that value. On timeout it throws with the
 * last value seen (or the last error thrown by `check`), so a failure says what was observed.
 */
export async function pollUntil<T>(check: () => T | Promise<T>, opts: PollOptions<T> = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 25;
  const until = opts.until ?? ((v: T) => Boolean(v));
  const deadline = performance.now() + timeoutMs;
  let last: unknown = "<never checked>";
  for (;;) {
    try {
      const value = await check();
      if (until(value)) return value;
      last = value;
    } catch (err) {
      last = err instanceof Error ? `threw: ${err.message}` : err;
    }
    if (performance.now() >= deadline) {
      throw new Error(
        `pollUntil: ${opts.what ?? "condition"} not met within ${timeoutMs} ms; last value: ${describe(last)}`,
      );
    }
    await Bun.sleep(intervalMs);
  }
}

function describe(v: unknown): string {
  if (typeof v === "string") return v;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
