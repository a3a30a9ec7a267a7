// Timers for any duration up to 2^53−1 ms (D29): setTimeout itself overflows past 2^31−1 ms.
import { monoMs } from "./time.ts";

/**
 * The longest delay one setTimeout honours. Past it, Node and Bun fire the timer after 1 ms, so
 * a 35-day `--timeout` would kill the job at once: longer delays are re-armed in slices.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending long timer. */
export interface LongTimer {
  /** Cancels the timer; calling it after the timer fired does nothing. */
  clear(): void;
}

/**
 * Calls `cb` once after `ms` milliseconds (any value up to 2^53−1), measured on the monotonic
 * clock. Each slice is at most MAX_TIMER_MS; a slice that fires early re-arms for what is left.
 */
export function setLongTimeout(cb: () => void, ms: number): LongTimer {
  const deadline = monoMs() + ms;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let cleared = false;
  const arm = (delay: number) => {
    timer = setTimeout(() => {
      if (cleared) return;
      const left = deadline - monoMs();
      if (left >= 1) return arm(left);
      cb();
    }, clampDelay(delay));
  };
  arm(ms);
  return {
    clear() {
      cleared = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/**
 * Calls `cb` every `ms` milliseconds (any value up to 2^53−1) until cleared. A plain setInterval
 * with an overflowing period would fire every millisecond.
 */
export function setLongInterval(cb: () => void, ms: number): LongTimer {
  let current: LongTimer | undefined;
  let cleared = false;
  const next = () => {
    current = setLongTimeout(() => {
      if (cleared) return;
      next();
      cb();
    }, ms);
  };
  next();
  return {
    clear() {
      cleared = true;
      current?.clear();
    },
  };
}

/** A delay safe to hand to setTimeout: at least 1 ms, at most MAX_TIMER_MS. */
export function clampDelay(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(1, ms));
}
