// `create` (§3.2): the whole definition persisted in meta.json (secrets only in the 0600 runtime
// file), state created, nothing run, observation flags refused, and no directory for bad input (D5).
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  AGENT_ENV,
  CURSOR,
  expectError,
  expectKeyOrder,
  expectSuccess,
  expectUsageError,
} from "../../helpers/envelope.ts";
import { Sandbox, TS_MS, ULID } from "../../helpers/sandbox.ts";
import { createJob, runToEnd } from "./util.ts";

describe("create (§3.2)", () => {
  test.concurrent("persists every definition flag in meta.json, state created, empty logs", async () => {
    await using sb = Sandbox.create();
    const work = join(sb.cwd, "work");
    mkdirSync(join(sb.cwd, "envs"), { recursive: true });
    mkdirSync(work);
    writeFileSync(join(sb.cwd, "envs", "a.env"), "FROMFILE=before\n");
    const bEnv = join(sb.dir, "b.env");
    writeFileSync(bEnv, "B=2\n");
    const r = await sb.cli([
      "create",
      "--timeout",
      "20000",
      "--kill-after",
      "150",
      "--cwd",
      "work",
      "--env",
      "A=1",
      "--env",
      "SEC=create-secret-1",
      "--mask",
      "SEC",
      "--env-file",
      "envs/a.env",
      "--env-file",
      bEnv,
      "--no-inherit-env",
      "--tag",
      "x.y",
      "--tag",
      "z",
      "--tag",
      "x.y",
      "--progress-every",
      "300",
      "--shell-wrapper",
      "sh -c",
      ...["--notify-command", "echo finished", "--notify-file", "events/finished.ndjson"],
      ...["--output-pattern", "ERR[0-9]", "--output-match-type", "regex", "--output-stream", "stderr"],
      ...["--output-command", "echo matched", "--output-file", join(sb.dir, "matches.ndjson")],
      "--",
      "echo",
      "hello",
    ]);
    const j = expectSuccess(r, "create");
    const id = j.job_id;
    expect(j).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "create",
      job_id: expect.stringMatching(ULID),
      state: "created",
      stdout_log_path: join(sb.root, id, "stdout.log"),
      stderr_log_path: join(sb.root, id, "stderr.log"),
    });
    expectKeyOrder(j, ["job_id", "state", "stdout_log_path", "stderr_log_path"]);
    expect(sb.entries()).toEqual([id]);

    const meta = sb.meta(id);
    expect(meta).toEqual({
      job: { id },
      schema_version: "0.1",
      command: ["echo", "hello"],
      created_at: expect.stringMatching(TS_MS),
      root: sb.root,
      env_keys: ["A", "SEC"],
      env_vars: ["A=1", "SEC=***"],
      mask: ["SEC"],
      cwd: realpathSync(work),
      notification: {
        notify_command: "echo finished",
        notify_file: join(sb.cwd, "events", "finished.ndjson"),
        on_output_match: {
          pattern: "ERR[0-9]",
          match_type: "regex",
          stream: "stderr",
          command: "echo matched",
          file: join(sb.dir, "matches.ndjson"),
        },
      },
      tags: ["x.y", "z"],
      inherit_env: false,
      env_files: ["envs/a.env", bEnv],
      timeout_ms: 20000,
      kill_after_ms: 150,
      progress_every_ms: 300,
      shell_wrapper: ["sh", "-c"],
      agent_env: AGENT_ENV,
      max_log_bytes: 1 << 30,
    });
    // The unmasked values live only in the owner-only runtime file, never in meta.json.
    const metaText = readFileSync(join(sb.root, id, "meta.json"), "utf8");
    expect(metaText).not.toContain("create-secret-1");
    expect(metaText).not.toContain("env_vars_runtime");
    const runtime = join(sb.root, id, "env.runtime.json");
    expect(statSync(runtime).mode & 0o777).toBe(0o600);
    expect(readFileSync(runtime, "utf8")).toContain("create-secret-1");

    expect(sb.state(id)).toEqual({
      job: { id, status: "created" },
      result: { exit_code: null, signal: null, duration_ms: null },
      updated_at: expect.stringMatching(TS_MS),
    });
    // No sink ran either (§3.2).
    expect(existsSync(join(sb.cwd, "events", "finished.ndjson"))).toBe(false);
    for (const f of ["stdout.log", "stderr.log", "full.log"]) {
      expect({ f, size: statSync(join(sb.root, id, f)).size }).toEqual({ f, size: 0 });
    }
  });

  test.concurrent("defaults: inherit on, no env, no tags, zero timeouts, the built-in wrapper", async () => {
    await using sb = Sandbox.create();
    const id = await createJob(sb, ["true"]);
    const meta = sb.meta(id);
    expect(meta).toMatchObject({
      command: ["true"],
      env_keys: [],
      cwd: realpathSync(sb.cwd),
      tags: [],
      inherit_env: true,
      timeout_ms: 0,
      kill_after_ms: 0,
      progress_every_ms: 0,
    });
    for (const k of ["env_vars", "env_vars_runtime", "mask", "env_files", "notification"]) {
      expect(Object.keys(meta)).not.toContain(k);
    }
    // "omit if absent", or the resolved built-in default (§2.4, §8).
    expect([undefined, ["sh", "-lc"]]).toContainEqual(meta.shell_wrapper);
  });

  test.concurrent("starts nothing: the command has not run after another job ran to its end", async () => {
    await using sb = Sandbox.create();
    const marker = join(sb.dir, "ran");
    const id = await createJob(sb, ["sh", "-c", `echo ran > ${marker}`]);
    // A whole other job launching and finishing gives a launched supervisor ample time to show.
    await runToEnd(sb, ["true"]);
    expect(existsSync(marker)).toBe(false);
    expect(sb.state(id).job).toEqual({ id, status: "created" });
    expect(await sb.ok(["status", id])).toEqual({
      command: expect.stringContaining("echo ran"),
      cwd: sb.meta(id).cwd,
      schema_version: "0.1",
      ok: true,
      type: "status",
      job_id: id,
      state: "created",
      created_at: sb.meta(id).created_at,
      cursor: CURSOR,
    });
    expect(await sb.ok(["tail", id])).toMatchObject({ job_id: id, stdout_tail: "", stderr_tail: "" });
  });

  test.concurrent.each([
    ["--wait", ["--wait"]],
    ["--snapshot-after", ["--snapshot-after", "5"]],
    ["--tail-lines", ["--tail-lines", "3"]],
    ["--max-bytes", ["--max-bytes", "10"]],
    ["--wait-poll-ms", ["--wait-poll-ms", "5"]],
    ["--log", ["--log", "x.log"]],
  ])("observation flag %s is a usage error and creates nothing", async (_name, flags) => {
    await using sb = Sandbox.create();
    expectUsageError(await sb.cli(["create", ...flags, "--", "true"]));
    expect(sb.entries()).toEqual([]);
  });

  test.concurrent("bad input creates no job directory (D5)", async () => {
    await using sb = Sandbox.create();
    const cases: [string[], string, number][] = [
      [["--cwd", join(sb.dir, "missing")], "invalid_input", 1],
      [["--env-file", join(sb.dir, "missing.env")], "invalid_input", 1],
      [["--shell-wrapper", "no-such-wrapper-program -c"], "invalid_input", 1],
      [["--tag", "bad tag"], "usage_error", 2],
      [["--tag", "x.*"], "usage_error", 2],
      [["--inherit-env", "--no-inherit-env"], "usage_error", 2],
      [["--timeout", "-1"], "usage_error", 2],
      [["--kill-after", "abc"], "usage_error", 2],
      [["--progress-every", "1.5"], "usage_error", 2],
    ];
    for (const [flags, code, exit] of cases) {
      const r = await sb.cli(["create", ...flags, "--", "true"]);
      expectError(r, code, exit);
      expect({ flags, entries: sb.entries() }).toEqual({ flags, entries: [] });
    }
    expectUsageError(await sb.cli(["create"]));
    expect(sb.entries()).toEqual([]);
  });
});
