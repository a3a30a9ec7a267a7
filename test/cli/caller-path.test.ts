// D33: a job runs with its own PATH (the caller's, or --env PATH) even though the default wrapper
// is a login shell whose profile resets PATH; with --no-inherit-env and no --env PATH the
// profile's PATH stands. The decoy tool lives only in the test's own temp dir.
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Json, Sandbox } from "../helpers/sandbox.ts";

const PROFILE_PATH = "/usr/bin:/bin:/profile-was-here";

/** A sandbox whose login profile resets PATH (as /etc/profile does for root on Debian), and a tool dir. */
function world(): { sb: Sandbox; bin: string } {
  const sb = Sandbox.create();
  writeFileSync(join(sb.env.HOME as string, ".profile"), `PATH=${PROFILE_PATH}\nexport PATH\n`);
  const bin = join(sb.dir, "venv", "bin");
  mkdirSync(bin, { recursive: true });
  const tool = join(bin, "decoy-tool-d33");
  writeFileSync(tool, '#!/bin/sh\necho decoy-ok "$@"\n');
  chmodSync(tool, 0o755);
  return { sb, bin };
}

/** What the job printed, whether `run --wait` answered from the first or the final snapshot. */
const printed = (j: Json): string => j.final_snapshot?.stdout_tail ?? j.snapshot?.stdout_tail;

/** `run --wait` of a job whose output must be `out`, exit 0. */
async function expectRun(sb: Sandbox, args: string[], out: string, env?: Record<string, string>): Promise<void> {
  const j = await sb.ok(["run", "--wait", ...args], { env });
  expect({ state: j.state, exit_code: j.exit_code, out: printed(j) }).toEqual({ state: "exited", exit_code: 0, out });
}

describe("the caller's PATH (D33)", () => {
  test.concurrent("argv mode: a tool first on the caller's PATH is found after the profile ran", async () => {
    const { sb, bin } = world();
    await using _ = sb;
    await expectRun(sb, ["--", "decoy-tool-d33", "a b"], "decoy-ok a b", { PATH: `${bin}:${sb.env.PATH}` });
  });

  test.concurrent("string mode: the job sees the caller's PATH, not the profile's", async () => {
    const { sb, bin } = world();
    await using _ = sb;
    const path = `${bin}:${sb.env.PATH}`;
    await expectRun(sb, ["--", 'decoy-tool-d33 && printf "%s\\n" "$PATH"'], `decoy-ok\n${path}`, { PATH: path });
  });

  test.concurrent("--env PATH wins over both; a PATH with a quote in it survives intact", async () => {
    const { sb, bin } = world();
    await using _ = sb;
    const odd = join(sb.dir, "it's here");
    mkdirSync(odd);
    const path = `${odd}:${bin}:/usr/bin:/bin`;
    await expectRun(sb, ["--env", `PATH=${path}`, "--", 'printf "%s\\n" "$PATH"'], path);
  });

  test.concurrent("--no-inherit-env without --env PATH: the profile's PATH stands", async () => {
    const { sb } = world();
    await using _ = sb;
    const args = ["--no-inherit-env", "--env", `HOME=${sb.env.HOME}`, "--", 'printf "%s\\n" "$PATH"'];
    await expectRun(sb, args, PROFILE_PATH);
  });
});
