// D35: `status` and every `list` entry say which job is which: `command` (argv joined for display,
// at most 200 characters, masked values redacted, `command_truncated:true` when cut) and `cwd`.
import { describe, expect, test } from "bun:test";
import { mkdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { fakeId, writeFakeJob } from "../helpers/fake-job.ts";
import { fx } from "../helpers/fixtures.ts";
import { type Json, Sandbox } from "../helpers/sandbox.ts";

/** The job's status and its list entry (list --all), which must agree on command and cwd. */
async function shown(sb: Sandbox, id: string): Promise<{ status: Json; entry: Json }> {
  const status = await sb.ok(["status", id]);
  const entry = (await sb.ok(["list", "--all"])).jobs.find((e: Json) => e.job_id === id);
  return { status, entry };
}

const pick = (j: Json) => ({ command: j.command, command_truncated: j.command_truncated, cwd: j.cwd });

describe("command and cwd in status and list (D35)", () => {
  test.concurrent("argv words are shell-quoted where needed; a shell string is shown as given", async () => {
    await using sb = Sandbox.create();
    const dir = join(sb.dir, "work dir");
    mkdirSync(dir);
    const argv = (await sb.ok(["create", "--cwd", dir, "--", "sh", "-c", "echo 'hi' there", "--x=1"])).job_id;
    const str = (await sb.ok(["create", "--", "make build && echo done"])).job_id;
    const a = await shown(sb, argv);
    const want = {
      command: `sh -c 'echo '\\''hi'\\'' there' --x=1`,
      command_truncated: undefined,
      cwd: realpathSync(dir),
    };
    expect(pick(a.status)).toEqual(want);
    expect(pick(a.entry)).toEqual(want);
    const s = await shown(sb, str);
    const here = { command: "make build && echo done", command_truncated: undefined, cwd: realpathSync(sb.cwd) };
    expect(pick(s.status)).toEqual(here);
    expect(pick(s.entry)).toEqual(here);
  });

  test.concurrent("a masked value is redacted, a longer one containing it too, and never stored", async () => {
    await using sb = Sandbox.create();
    const flags = [
      "--env",
      "TOK=s3cr3t",
      "--env",
      "BIG=xs3cr3tx",
      "--mask",
      "TOK",
      "--mask",
      "BIG",
      "--env",
      "PLAIN=v",
    ];
    const id = (await sb.ok(["create", ...flags, "--", "curl", "-H", "auth: xs3cr3tx", "s3cr3t", "v"])).job_id;
    const { status, entry } = await shown(sb, id);
    expect(status.command).toBe("curl -H 'auth: ***' *** v");
    expect(entry.command).toBe(status.command);
    expect(JSON.stringify(sb.meta(id).command_display)).not.toContain("s3cr3t");
  });

  test.concurrent("a long command is cut to 200 characters with command_truncated:true", async () => {
    await using sb = Sandbox.create();
    const long = `echo ${"é".repeat(400)}`;
    const id = (await sb.ok(["create", "--", long])).job_id;
    const { status, entry } = await shown(sb, id);
    expect(Array.from(status.command as string)).toHaveLength(200);
    expect(status.command.endsWith("…")).toBe(true);
    expect(long.startsWith(status.command.slice(0, -1))).toBe(true);
    expect(status.command_truncated).toBe(true);
    expect(pick(entry)).toEqual(pick(status));
  });

  test.concurrent("records written before D35 show their argv; running jobs carry the fields too", async () => {
    await using sb = Sandbox.create();
    const old = fakeId("01HOLDD35");
    writeFakeJob(sb.root, { id: old, cwd: "/somewhere" });
    expect(pick(await sb.ok(["status", old]))).toEqual({
      command: "echo fake",
      command_truncated: undefined,
      cwd: "/somewhere",
    });
    const running = await sb.start(fx.sleepForever());
    await sb.stdoutMatch(running, /^ready/);
    const { status, entry } = await shown(sb, running);
    expect(pick(status)).toEqual({
      command: fx.sleepForever().join(" "),
      command_truncated: undefined,
      cwd: realpathSync(sb.cwd),
    });
    expect(pick(entry)).toEqual(pick(status));
  });
});
