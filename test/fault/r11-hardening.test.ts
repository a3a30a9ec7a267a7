// R11 (quick): the findings of issue 12 (D41–D45) replayed against the binary; R12 (quick): serve
// under oversized and chunked bodies, a slowloris client, parallel /wait long-polls and a flood of
// mixed requests, with /health answering throughout. The long variants: `npm run test:fault`.
// A failure names its seed; FAULT_SEED=<seed> replays the same attack.
import { describe, expect, test } from "bun:test";
import { defaultSeed } from "../../scripts/fault/common.ts";
import { r11 } from "../../scripts/fault/r11.ts";
import { r12 } from "../../scripts/fault/r12.ts";

describe("R11/R12: hardening", () => {
  test.concurrent("empty tokens, hostile env files, bad MCP lines, env names: refused, and everything keeps serving", async () => {
    const result = await r11({ seed: defaultSeed(), fileRequests: 10, bigLines: 1 });
    expect(result.violations).toEqual([]);
  });

  test.concurrent("serve resources: 100 parallel /wait, 500 mixed requests, /health throughout, RSS bounded", async () => {
    const result = await r12({ seed: defaultSeed(), waits: 100, requests: 500, inFlight: 20 });
    expect(result.violations).toEqual([]);
  });
});
