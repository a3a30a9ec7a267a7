// Long timers (D29): delays past 2^31−1 ms must neither fire at once nor be lost.
import { expect, test } from "bun:test";
import { clampDelay, MAX_TIMER_MS, setLongInterval, setLongTimeout } from "../../src/core/timer.ts";

test("a delay past 2^31-1 ms does not fire at once; a short one fires", async () => {
  let huge = 0;
  const t = setLongTimeout(() => huge++, 3_000_000_000);
  const fired = await new Promise<boolean>((resolve) => {
    setLongTimeout(() => resolve(true), 20);
  });
  expect(fired).toBe(true);
  // Give a wrongly clamped (1 ms) timer many turns of the loop to fire.
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1));
  expect(huge).toBe(0);
  t.clear();
});

test("a long interval does not repeat every millisecond; a short one repeats until cleared", async () => {
  let huge = 0;
  const slow = setLongInterval(() => huge++, Number.MAX_SAFE_INTEGER);
  let n = 0;
  await new Promise<void>((resolve) => {
    const fast = setLongInterval(() => {
      if (++n === 3) {
        fast.clear();
        resolve();
      }
    }, 5);
  });
  expect(n).toBe(3);
  expect(huge).toBe(0);
  slow.clear();
});

test("delays handed to setTimeout stay within its range", () => {
  expect(clampDelay(0)).toBe(1);
  expect(clampDelay(3_000_000_000)).toBe(MAX_TIMER_MS);
  expect(clampDelay(250)).toBe(250);
});
