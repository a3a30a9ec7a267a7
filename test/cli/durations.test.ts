// D34: every duration flag takes bare milliseconds or an integer with ms, s, m, h or d; anything
// else is a usage error that names the value and the accepted forms, and nothing is created.
import { describe, expect, test } from "bun:test";
import { expectUsageError } from "../helpers/envelope.ts";
import { fx } from "../helpers/fixtures.ts";
import { Sandbox } from "../helpers/sandbox.ts";

describe("duration units (D34)", () => {
  test.concurrent.each([
    ["600", 600],
    ["500ms", 500],
    ["30s", 30_000],
    ["10m", 600_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    ["0s", 0],
  ])("create --timeout %p is stored as %d ms, and so are --kill-after and --progress-every", async (given, ms) => {
    await using sb = Sandbox.create();
    const flags = ["--timeout", given, "--kill-after", given, "--progress-every", given];
    const id = (await sb.ok(["create", ...flags, "--", "true"])).job_id;
    const m = sb.meta(id);
    expect({
      timeout_ms: m.timeout_ms,
      kill_after_ms: m.kill_after_ms,
      progress_every_ms: m.progress_every_ms,
    }).toEqual({
      timeout_ms: ms,
      kill_after_ms: ms,
      progress_every_ms: ms,
    });
  });

  test.concurrent("run --timeout 1s ends a job that never exits; 10m leaves a short one alone", async () => {
    await using sb = Sandbox.create();
    const killed = await sb.ok(["run", "--wait", "--timeout", "1s", "--kill-after", "1s", "--", ...fx.sleepForever()]);
    expect(killed).toMatchObject({ state: "killed", timed_out: true });
    const fine = await sb.ok(["run", "--wait", "--timeout", "10m", "--wait-poll-ms", "50ms", "--", "true"]);
    expect(fine).toMatchObject({ state: "exited", exit_code: 0 });
    expect(fine.timed_out).toBeUndefined();
  });

  test.concurrent("wait --timeout-ms 30s and --poll-ms 25ms, start/run --snapshot-after 0s", async () => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["run", "--snapshot-after", "0s", "--wait", "--", "true"])).job_id;
    expect(await sb.ok(["wait", "--timeout-ms", "30s", "--poll-ms", "25ms", id])).toMatchObject({
      job_id: id,
      state: "exited",
    });
    const created = (await sb.ok(["create", "--", "true"])).job_id;
    expect(await sb.ok(["start", "--snapshot-after", "0s", "--wait-poll-ms", "1s", "--wait", created])).toMatchObject({
      state: "exited",
    });
  });

  test.concurrent.each([
    ["--timeout", "1.5s"],
    ["--timeout", "10 m"],
    ["--timeout", "-1"],
    ["--timeout", "10min"],
    ["--timeout", "1e3"],
    ["--timeout", "s"],
    ["--kill-after", "5S"],
    ["--progress-every", "1w"],
    ["--snapshot-after", "ms"],
    ["--wait-poll-ms", "1h30m"],
  ])("run %s %p: usage_error naming the value and the accepted forms, no job", async (flag, value) => {
    await using sb = Sandbox.create();
    const r = await sb.cli(["run", flag, value, "--", "true"]);
    expectUsageError(r);
    expect(r.json.error.message).toContain(JSON.stringify(value));
    expect(r.json.error.message).toContain(flag);
    expect(r.json.error.message).toContain("500ms, 30s, 10m, 2h, 1d");
    expect(sb.entries()).toEqual([]);
  });

  test.concurrent("wait --timeout-ms 2x: usage_error; gc --older-than keeps its rules (bare = seconds)", async () => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["run", "--wait", "--", "true"])).job_id;
    const r = await sb.cli(["wait", "--timeout-ms", "2x", id]);
    expectUsageError(r);
    expect(r.json.error.message).toContain('"2x"');
    expect(await sb.ok(["gc", "--older-than", "3600", "--dry-run"])).toMatchObject({
      older_than: "3600",
      jobs: [{ action: "skipped", reason: "too_recent" }],
    });
  });
});
