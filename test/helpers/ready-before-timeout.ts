// Timeout tests on a loaded machine: a job's --timeout starts at spawn, and starting a login shell
// and a few Bun processes can take longer than the short timeout a quick test wants. Rather than a
// fixed window, an attempt that was not ready before its timeout fired proves nothing and is
// repeated with a longer one, so a quiet machine stays fast and a busy one stays green.

/** Timeouts tried in turn, in ms: the last is generous enough for a heavily loaded 2-core machine. */
export const GROWING_TIMEOUTS: readonly number[] = [300, 2000, 10_000, 30_000];

/**
 * Calls `attempt` with each timeout in turn until it returns a value (the job was ready before
 * the timeout fired). `attempt` returns undefined for a run that proves nothing, after making sure
 * nothing of it is left. Throws when even the longest timeout was too short.
 */
export async function readyBeforeTimeout<T>(
  what: string,
  attempt: (timeoutMs: number) => Promise<T | undefined>,
): Promise<T> {
  for (const t of GROWING_TIMEOUTS) {
    const out = await attempt(t);
    if (out !== undefined) return out;
  }
  throw new Error(`${what}: never ready before its timeout, even with ${GROWING_TIMEOUTS.at(-1)} ms`);
}
