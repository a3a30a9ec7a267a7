// R7 (quick): serve on loopback with a token: missing/wrong tokens get 401, bodies over 1 MiB get
// 413 (also chunked and 2 MiB), ~500 mixed requests with 20 in flight get their documented status
// with 0 errors while slow clients hold connections, memory stays flat; a client stalled in its
// headers is disconnected (it never made a request Bun.serve could answer), a stalled body gets 408.
// A failure names its seed; FAULT_SEED=<seed> replays the same attack.
import { describe, expect, test } from "bun:test";
import { defaultSeed } from "../../scripts/fault/common.ts";
import { r7Limits, r7Load, r7Slow } from "../../scripts/fault/r7.ts";

describe("R7: serve under attack", () => {
  test.concurrent("401 without or with a wrong token, 413 over 1 MiB", async () => {
    const result = await r7Limits(defaultSeed());
    expect(result.violations).toEqual([]);
  });

  test.concurrent("500 mixed requests, 20 in flight, slow clients alongside: 0 errors, memory flat", async () => {
    const result = await r7Load({ requests: 500, inFlight: 20, seed: defaultSeed() });
    expect(result.violations).toEqual([]);
  });

  test.concurrent("a client stalled in its headers is disconnected; a stalled body is answered 408", async () => {
    const result = await r7Slow(["stalled-headers", "stalled-body"], defaultSeed(), 20_000);
    expect(result.violations).toEqual([]);
  });
});
