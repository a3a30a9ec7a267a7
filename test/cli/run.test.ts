// `run` (§3.1): the response envelope, trailing parsing, both command modes (§4.2), the child's
// environment and cwd (§4.3, D20), masking, tags, wrapper/config, --log, progress and bad input (D5).
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN } from "../helpers/bin.ts";
import {
  AGENT_ENV,
  CURSOR,
  EVIDENCE,
  expectError,
  expectKeyOrder,
  expectSuccess,
  expectUsageError,
  RUN_ORDER,
  snapshotOf,
} from "../helpers/envelope.ts";
import { fixture, fx } from "../helpers/fixtures.ts";
import { allPids, cmdlineOf } from "../helpers/pid-alive.ts";
import { pollUntil } from "../helpers/poll.ts";
import { Sandbox, TS_MS, ULID } from "../helpers/sandbox.ts";

describe("run response (§3.1.3, D6)", () => {
  test.concurrent("--snapshot-after 0 returns at once: running, no snapshot, waited_ms 0", async () => {
    await using sb = Sandbox.create();
    const r = await sb.cli(["run", "--snapshot-after", "0", "--", ...fx.sleepForever()]);
    const j = expectSuccess(r, "run");
    const id = j.job_id;
    expect(j).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "run",
      job_id: expect.stringMatching(ULID),
      state: "running",
      tags: [],
      agent_env: AGENT_ENV,
      stdout_log_path: join(sb.root, id, "stdout.log"),
      stderr_log_path: join(sb.root, id, "stderr.log"),
      waited_ms: 0,
      elapsed_ms: expect.any(Number),
      cursor: CURSOR,
    });
    expectKeyOrder(j, RUN_ORDER);
    expect(sb.entries()).toEqual([id]);
    // The logs exist as soon as run returns (§3.1.1 step 4).
    for (const f of ["stdout.log", "stderr.log", "full.log", "meta.json", "state.json"]) {
      expect({ f, exists: existsSync(join(sb.root, id, f)) }).toEqual({ f, exists: true });
    }
  });

  test.concurrent("meta.json and state.json hold the documented fields, in order (§2.4, §2.5)", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok(["run", "--wait", "--tag", "t", "--", "echo", "hi"]);
    const id = j.job_id;
    const meta = sb.meta(id);
    expect(meta).toEqual({
      job: { id },
      schema_version: "0.1",
      command: ["echo", "hi"],
      created_at: expect.stringMatching(TS_MS),
      root: sb.root,
      env_keys: [],
      cwd: realpathSync(sb.cwd),
      tags: ["t"],
      inherit_env: true,
      timeout_ms: 0,
      kill_after_ms: 0,
      progress_every_ms: 0,
      shell_wrapper: ["sh", "-lc"],
      agent_env: AGENT_ENV,
      max_log_bytes: 1 << 30,
    });
    expectKeyOrder(meta, [
      "job",
      "schema_version",
      "command",
      "created_at",
      "root",
      "env_keys",
      "env_vars",
      "env_vars_runtime",
      "mask",
      "cwd",
      "notification",
      "tags",
      "inherit_env",
      "env_files",
      "timeout_ms",
      "kill_after_ms",
      "progress_every_ms",
      "shell_wrapper",
    ]);
    const st = sb.state(id);
    expect(st).toMatchObject({
      job: { id, status: "exited", started_at: expect.stringMatching(TS_MS) },
      result: { exit_code: 0, signal: null, duration_ms: expect.any(Number) },
      pid: expect.any(Number),
      finished_at: j.finished_at,
      updated_at: expect.stringMatching(TS_MS),
    });
    expectKeyOrder(st, ["job", "result", "pid", "finished_at", "updated_at"]);
    expect(Object.keys(st.result).slice(0, 3)).toEqual(["exit_code", "signal", "duration_ms"]);
    // Pretty JSON with a 2-space indent.
    expect(sb.file(id, "meta.json").toString()).toStartWith('{\n  "job": {\n    "id": ');
    // Atomic writes leave no temp files behind once the job is done.
    const leftovers = await pollUntil(() => readdirSync(sb.jobDir(id)).filter((f) => f.startsWith(".tmp")), {
      until: (l) => l.length === 0,
    });
    expect(leftovers).toEqual([]);
  });

  test.concurrent("a plain run observes until the job ends and reports the observed state (D6)", async () => {
    await using sb = Sandbox.create();
    const r = await sb.cli(["run", "--snapshot-after", "10000", "--", "printf 'out1\\nout2\\n'; printf 'err1\\n' >&2"]);
    const j = expectSuccess(r, "run");
    expect(j).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "run",
      job_id: expect.stringMatching(ULID),
      state: "exited",
      tags: [],
      agent_env: AGENT_ENV,
      snapshot: snapshotOf("out1\nout2", "err1", { stdout_observed_bytes: 10, stderr_observed_bytes: 5 }),
      stdout_log_path: join(sb.root, j.job_id, "stdout.log"),
      stderr_log_path: join(sb.root, j.job_id, "stderr.log"),
      waited_ms: expect.any(Number),
      elapsed_ms: expect.any(Number),
      exit_code: 0,
      finished_at: expect.stringMatching(TS_MS),
      ...EVIDENCE,
      cursor: CURSOR,
    });
    expectKeyOrder(j, RUN_ORDER);
    // Output alone does not end the window, the job's end does: far below the 10 s budget.
    expect(j.waited_ms).toBeLessThan(8000);
    expect(j.elapsed_ms).toBeGreaterThanOrEqual(j.waited_ms);
  });

  test.concurrent("--snapshot-after is clamped to 10000 ms on a job that never ends", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok(["run", "--snapshot-after", "600000", "--", ...fx.sleepForever()]);
    expect(j).toMatchObject({ state: "running", snapshot: snapshotOf(expect.stringMatching(/^ready \d+$/), "") });
    expect(j.waited_ms).toBeGreaterThanOrEqual(9500);
    expect(j.waited_ms).toBeLessThan(30_000);
    expect(j.exit_code).toBeUndefined();
    expect(j.finished_at).toBeUndefined();
  });

  test.concurrent("--wait: terminal state, exit_code, finished_at and final_snapshot, no snapshot", async () => {
    await using sb = Sandbox.create();
    const r = await sb.cli(["run", "--wait", "--", ...fx.exitWithCode(3)]);
    const j = expectSuccess(r, "run");
    expect(j).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "run",
      job_id: expect.stringMatching(ULID),
      state: "exited",
      tags: [],
      agent_env: AGENT_ENV,
      stdout_log_path: join(sb.root, j.job_id, "stdout.log"),
      stderr_log_path: join(sb.root, j.job_id, "stderr.log"),
      waited_ms: expect.any(Number),
      elapsed_ms: expect.any(Number),
      exit_code: 3,
      finished_at: expect.stringMatching(TS_MS),
      final_snapshot: snapshotOf("exiting 3", "", { stdout_observed_bytes: 10, stderr_observed_bytes: 0 }),
      ...EVIDENCE,
      cursor: CURSOR,
    });
    expectKeyOrder(j, RUN_ORDER);
    expect(j.elapsed_ms).toBeGreaterThanOrEqual(j.waited_ms);
    expect(sb.state(j.job_id)).toMatchObject({
      job: { id: j.job_id, status: "exited", started_at: expect.stringMatching(TS_MS) },
      result: { exit_code: 3, signal: null, duration_ms: expect.any(Number) },
      finished_at: j.finished_at,
      updated_at: expect.stringMatching(TS_MS),
    });
  });

  test.concurrent("--wait ignores --snapshot-after and --wait-poll-ms 0 is clamped, not a hang", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok(["run", "--wait", "--wait-poll-ms", "0", "--snapshot-after", "10000", "--", "echo", "x"]);
    expect(j).toMatchObject({ state: "exited", exit_code: 0, final_snapshot: snapshotOf("x", "") });
    expect(j.snapshot).toBeUndefined();
  });

  test.concurrent("--tail-lines and --max-bytes shape the snapshot (§5)", async () => {
    await using sb = Sandbox.create();
    const a = await sb.ok(["run", "--wait", "--tail-lines", "2", "--", ...fx.printLines(5)]);
    expect(a.final_snapshot).toEqual(snapshotOf("line 4\nline 5", "", { truncated: true, stdout_observed_bytes: 35 }));
    const b = await sb.ok(["run", "--wait", "--tail-lines", "0", "--max-bytes", "9", "--", ...fx.printLines(5)]);
    expect(b.final_snapshot).toEqual(snapshotOf("4\nline 5\n", "", { truncated: true, stdout_observed_bytes: 35 }));
    const c = await sb.ok(["run", "--snapshot-after", "10000", "--tail-lines", "1", "--", ...fx.printLines(3)]);
    expect(c.snapshot).toEqual(snapshotOf("line 3", "", { truncated: true, stdout_observed_bytes: 21 }));
  });

  test.concurrent("a job that cannot find its program is a normal exit (127), not an agent-exec error", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok(["run", "--wait", "--", "/nonexistent/program", "arg"]);
    expect(j).toMatchObject({ state: "exited", exit_code: 127 });
  });
});

describe("trailing command parsing (§3.1)", () => {
  test.concurrent("the first positional word starts the command: run echo --wait passes --wait to echo", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok(["run", "--snapshot-after", "10000", "echo", "--wait", "--tag", "x", "--root", "y"]);
    expect(j).toMatchObject({ state: "exited", tags: [], snapshot: { stdout_tail: "--wait --tag x --root y" } });
    expect(j.final_snapshot).toBeUndefined();
    expect(sb.meta(j.job_id).command).toEqual(["echo", "--wait", "--tag", "x", "--root", "y"]);
  });

  test.concurrent("-- is optional and a later -- belongs to the command", async () => {
    await using sb = Sandbox.create();
    const a = await sb.ok(["run", "--wait", "echo", "a"]);
    const b = await sb.ok(["run", "--wait", "--", "echo", "a"]);
    expect(a.final_snapshot.stdout_tail).toBe("a");
    expect(b.final_snapshot.stdout_tail).toBe("a");
    expect(sb.meta(a.job_id).command).toEqual(["echo", "a"]);
    expect(sb.meta(b.job_id).command).toEqual(["echo", "a"]);
    const c = await sb.ok(["run", "--wait", "--", "echo", "--", "-x"]);
    expect(c.final_snapshot.stdout_tail).toBe("-- -x");
    expect(sb.meta(c.job_id).command).toEqual(["echo", "--", "-x"]);
  });
});

describe("command modes (§4.2)", () => {
  test.concurrent("one word is a shell string run by the wrapper", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok(["run", "--wait", "--", "echo $((1+2)) && echo two | tr a-z A-Z"]);
    expect(j.final_snapshot.stdout_tail).toBe("3\nTWO");
    expect(sb.meta(j.job_id).command).toEqual(["echo $((1+2)) && echo two | tr a-z A-Z"]);
  });

  test.concurrent("two or more words are argv: no shell expansion, and the workload replaces the shell", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok(["run", "--wait", "--", "echo", "$HOME", "&&", "`id`", "*", "a  b"]);
    expect(j.final_snapshot.stdout_tail).toBe("$HOME && `id` * a  b");
    const id = await sb.start(fx.sleepForever());
    const m = await sb.stdoutMatch(id, /^ready (\d+)$/m);
    const pid = Number(m[1]);
    // exec "$@": the recorded pid is the workload itself; its group is led by its waiting parent.
    await pollUntil(() => sb.state(id).pid === pid, { what: "state.json pid = workload pid" });
    const st = sb.state(id);
    expect(st).toMatchObject({ job: { status: "running" }, pid, pgid: expect.any(Number) });
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    expect(
      stat
        .slice(stat.lastIndexOf(")") + 2)
        .split(" ")
        .slice(1, 3)
        .map(Number),
    ).toEqual([st.pgid, st.pgid]);
    expect(cmdlineOf(pid)).toContain("sleep-forever.ts");
  });
});

describe("environment (§4.3, D20)", () => {
  test.concurrent("--env sets variables; split at the first '='; an item without '=' is empty", async () => {
    await using sb = Sandbox.create();
    const r = await sb.cli([
      "run",
      "--wait",
      "--env",
      "FOO=bar",
      "--env",
      "EMPTY",
      "--env",
      "EQ=b=c",
      "--env",
      "FOO2=",
      "--",
      ...fx.printEnv("FOO", "EMPTY", "EQ", "FOO2", "UNSET_X"),
    ]);
    const j = expectSuccess(r, "run");
    expect(j.env_vars).toEqual(["FOO=bar", "EMPTY=", "EQ=b=c", "FOO2="]);
    expectKeyOrder(j, RUN_ORDER);
    expect(j.final_snapshot.stdout_tail).toBe("FOO=bar\nEMPTY=\nEQ=b=c\nFOO2=\nUNSET_X unset");
    const meta = sb.meta(j.job_id);
    expect(meta).toMatchObject({
      env_keys: ["FOO", "EMPTY", "EQ", "FOO2"],
      env_vars: ["FOO=bar", "EMPTY=", "EQ=b=c", "FOO2="],
      inherit_env: true,
    });
    expect(meta.mask).toBeUndefined();
  });

  test.concurrent("no --env: env_vars is omitted and env_keys is []", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok(["run", "--wait", "--", "true"]);
    expect(j.env_vars).toBeUndefined();
    const meta = sb.meta(j.job_id);
    expect(meta.env_keys).toEqual([]);
    expect(meta.env_vars).toBeUndefined();
  });

  test.concurrent("--env-file: comments, blanks, export, one pair of quotes; files in order, --env last", async () => {
    await using sb = Sandbox.create();
    const f1 = join(sb.dir, "one.env");
    const f2 = join(sb.dir, "two.env");
    writeFileSync(
      f1,
      [
        "# a comment",
        "",
        "   ",
        "  # an indented comment",
        "export EXPORTED=yes",
        'DQ="double quoted"',
        "SQ='single quoted'",
        "MIXED=\"mismatched'",
        "INLINE=a # not a comment",
        "EQ=a=b",
        'INNER=say "hi"',
        "NOVALUE",
        "OVER=file",
        "LATER=first",
        "",
      ].join("\n"),
    );
    writeFileSync(f2, "LATER=second\n");
    const names = ["EXPORTED", "DQ", "SQ", "MIXED", "INLINE", "EQ", "INNER", "NOVALUE", "OVER", "LATER"];
    const j = await sb.ok(
      [
        "run",
        "--wait",
        "--env-file",
        f1,
        "--env-file",
        "two.env",
        "--env",
        "OVER=flag",
        "--",
        ...fx.printEnv(...names),
      ],
      { cwd: sb.dir },
    );
    expect(j.final_snapshot.stdout_tail.split("\n")).toEqual([
      "EXPORTED=yes",
      "DQ=double quoted",
      "SQ=single quoted",
      "MIXED=\"mismatched'",
      "INLINE=a # not a comment",
      "EQ=a=b",
      'INNER=say "hi"',
      "NOVALUE=",
      "OVER=flag",
      "LATER=second",
    ]);
    expect(sb.meta(j.job_id).env_files).toEqual([f1, "two.env"]);
  });

  test.concurrent("the invoker's env is inherited by default and dropped by --no-inherit-env", async () => {
    await using sb = Sandbox.create();
    const env = { SENTINEL_INHERITED: "from-invoker" };
    const a = await sb.ok(["run", "--wait", "--", ...fx.printEnv("SENTINEL_INHERITED")], { env });
    expect(a.final_snapshot.stdout_tail).toBe("SENTINEL_INHERITED=from-invoker");
    const b = await sb.ok(["run", "--wait", "--inherit-env", "--", ...fx.printEnv("SENTINEL_INHERITED")], { env });
    expect(b.final_snapshot.stdout_tail).toBe("SENTINEL_INHERITED=from-invoker");
    const over = await sb.ok(
      ["run", "--wait", "--env", "SENTINEL_INHERITED=over", "--", ...fx.printEnv("SENTINEL_INHERITED")],
      {
        env,
      },
    );
    expect(over.final_snapshot.stdout_tail).toBe("SENTINEL_INHERITED=over");
    const c = await sb.ok(
      ["run", "--wait", "--no-inherit-env", "--env", "ADDED=1", "--", ...fx.printEnv("SENTINEL_INHERITED", "ADDED")],
      { env },
    );
    expect(c.final_snapshot.stdout_tail).toBe("SENTINEL_INHERITED unset\nADDED=1");
    expect(sb.meta(c.job_id).inherit_env).toBe(false);
  });

  test.concurrent("the child gets no AGENT_EXEC_* variables of ours but its job id", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok(["run", "--wait", "--", "export -p"]);
    const exported = sb.file(j.job_id, "stdout.log").toString();
    expect(exported).toContain("AGENT_EXEC_TEST_SANDBOX"); // inherited from the invoker: the listing works
    const ours = exported.split("\n").filter((l) => /AGENT_EXEC_/.test(l) && !l.includes("AGENT_EXEC_TEST_SANDBOX"));
    // Only the job's own id (X6): nothing of the supervisor's plumbing.
    expect(ours).toEqual([`export AGENT_EXEC_JOB_ID='${j.job_id}'`]);
  });

  test.concurrent("the supervisor's own runtime options (BUN_JSC_useJIT) never reach the job; the caller's do", async () => {
    await using sb = Sandbox.create();
    const a = await sb.ok(["run", "--wait", "--", ...fx.printEnv("BUN_JSC_useJIT")]);
    expect(a.final_snapshot.stdout_tail).toBe("BUN_JSC_useJIT unset");
    const env = { BUN_JSC_useJIT: "1" };
    const b = await sb.ok(["run", "--wait", "--", ...fx.printEnv("BUN_JSC_useJIT")], { env });
    expect(b.final_snapshot.stdout_tail).toBe("BUN_JSC_useJIT=1");
  });

  test.concurrent("--mask hides the value in the response and meta.json, never on a command line", async () => {
    await using sb = Sandbox.create();
    const secret = `s3cr3t-${crypto.randomUUID()}`;
    const plain = `plain-${crypto.randomUUID()}`;
    const sh = `sh ${fixture("print-env.sh")} SECRET PLAIN && exec ${BUN} ${fixture("sleep-forever.ts")}`;
    const r = await sb.cli([
      "run",
      "--snapshot-after",
      "0",
      "--env",
      `SECRET=${secret}`,
      "--env",
      `PLAIN=${plain}`,
      "--mask",
      "SECRET",
      "--",
      sh,
    ]);
    const j = expectSuccess(r, "run");
    expect(j.env_vars).toEqual(["SECRET=***", `PLAIN=${plain}`]);
    expect(r.stdout).not.toContain(secret);
    // The child still gets the real value.
    await sb.stdoutMatch(j.job_id, /^ready \d+$/m);
    expect(sb.file(j.job_id, "stdout.log").toString()).toContain(`SECRET=${secret}\nPLAIN=${plain}\n`);
    expect(sb.meta(j.job_id)).toMatchObject({
      env_keys: ["SECRET", "PLAIN"],
      env_vars: ["SECRET=***", `PLAIN=${plain}`],
      mask: ["SECRET"],
    });
    for (const name of ["meta.json", "state.json", "supervisor.log"]) {
      expect({ name, leaks: sb.file(j.job_id, name).toString().includes(secret) }).toEqual({ name, leaks: false });
    }
    // D7: no process (supervisor included) carries an env value, masked or not, on its command line.
    const leaking = allPids().filter((p) => cmdlineOf(p).includes(secret) || cmdlineOf(p).includes(plain));
    expect(leaking.map((p) => cmdlineOf(p))).toEqual([]);
    // status and list never echo env values.
    for (const args of [
      ["status", j.job_id],
      ["list", "--all"],
    ]) {
      expect((await sb.cli(args)).stdout).not.toContain(secret);
    }
  });
});

describe("working directory (§4.3)", () => {
  test.concurrent("--cwd absolute or relative to the caller; default is the caller's cwd", async () => {
    await using sb = Sandbox.create();
    const sub = join(sb.dir, "sub dir");
    mkdirSync(sub);
    const a = await sb.ok(["run", "--wait", "--cwd", sub, "--", "pwd"]);
    expect(a.final_snapshot.stdout_tail).toBe(realpathSync(sub));
    expect(sb.meta(a.job_id).cwd).toBe(realpathSync(sub));
    const b = await sb.ok(["run", "--wait", "--cwd", "sub dir", "--", "pwd"], { cwd: sb.dir });
    expect(b.final_snapshot.stdout_tail).toBe(realpathSync(sub));
    const c = await sb.ok(["run", "--wait", "--", "pwd"]);
    expect(c.final_snapshot.stdout_tail).toBe(realpathSync(sb.cwd));
    expect(sb.meta(c.job_id).cwd).toBe(realpathSync(sb.cwd));
  });
});

describe("tags (§3.9)", () => {
  test.concurrent("deduplicated in first-seen order, echoed and stored", async () => {
    await using sb = Sandbox.create();
    const tags = ["ci", "project.build", "ci", "hoge-fuga.v2", "A1", "project.build"];
    const j = await sb.ok(["run", "--wait", ...tags.flatMap((t) => ["--tag", t]), "--", "true"]);
    expect(j.tags).toEqual(["ci", "project.build", "hoge-fuga.v2", "A1"]);
    expect(sb.meta(j.job_id).tags).toEqual(["ci", "project.build", "hoge-fuga.v2", "A1"]);
  });

  test.concurrent.each(["", "a..b", "ns.*", "*", "a b", "a_b", ".a", "a.", "é", "a/b", "a.*.b"])(
    "invalid tag %p is a usage error and creates nothing",
    async (tag) => {
      await using sb = Sandbox.create();
      expectUsageError(await sb.cli(["run", "--tag", "ok", "--tag", tag, "--", "true"]));
      expect(sb.entries()).toEqual([]);
    },
  );
});

describe("shell wrapper and config (§8)", () => {
  test.concurrent("the default wrapper is sh -lc; --shell-wrapper replaces it in both modes", async () => {
    await using sb = Sandbox.create();
    const d = await sb.ok(["run", "--wait", "--", "true"]);
    expect(sb.meta(d.job_id).shell_wrapper).toEqual(["sh", "-lc"]);
    const s = await sb.ok(["run", "--wait", "--shell-wrapper", "sh -xc", "--", "echo str"]);
    expect(sb.meta(s.job_id).shell_wrapper).toEqual(["sh", "-xc"]);
    expect(s.final_snapshot).toMatchObject({ stdout_tail: "str", stderr_tail: expect.stringContaining("+ echo str") });
    const a = await sb.ok(["run", "--wait", "--shell-wrapper", "  sh   -xc ", "--", "echo", "argv"]);
    expect(sb.meta(a.job_id).shell_wrapper).toEqual(["sh", "-xc"]);
    expect(a.final_snapshot).toMatchObject({ stdout_tail: "argv", stderr_tail: expect.stringContaining("exec") });
  });

  test.concurrent("config.toml under XDG_CONFIG_HOME, --config PATH over it, --shell-wrapper over both", async () => {
    await using sb = Sandbox.create();
    const cfgDir = join(sb.env.XDG_CONFIG_HOME as string, "agent-exec");
    mkdirSync(cfgDir, { recursive: true });
    writeFileSync(join(cfgDir, "config.toml"), '[shell]\nunix = ["sh", "-xc"]\nwindows = ["cmd", "/C"]\n');
    const other = join(sb.dir, "other.toml");
    writeFileSync(other, '# other\n[shell]\nunix = ["sh", "-c"]\n[unrelated]\nkey = 1\n');
    const viaXdg = await sb.ok(["run", "--wait", "--", "echo hi"]);
    expect(sb.meta(viaXdg.job_id).shell_wrapper).toEqual(["sh", "-xc"]);
    expect(viaXdg.final_snapshot.stderr_tail).toContain("+ echo hi");
    const viaFlag = await sb.ok(["run", "--wait", "--config", other, "--", "echo hi"]);
    expect(sb.meta(viaFlag.job_id).shell_wrapper).toEqual(["sh", "-c"]);
    const viaWrapper = await sb.ok(["run", "--wait", "--config", other, "--shell-wrapper", "sh -lc", "--", "true"]);
    expect(sb.meta(viaWrapper.job_id).shell_wrapper).toEqual(["sh", "-lc"]);
    // A missing --config file is silently ignored (which wrapper then applies is not specified).
    const missing = await sb.ok(["run", "--wait", "--config", join(sb.dir, "nope.toml"), "--", "true"]);
    expect(sb.meta(missing.job_id).shell_wrapper).toEqual(expect.arrayContaining(["sh"]));
  });

  test.concurrent("a broken or empty config is an error that creates no job", async () => {
    await using sb = Sandbox.create();
    const broken = join(sb.dir, "broken.toml");
    writeFileSync(broken, "[shell\nunix = [");
    const empty = join(sb.dir, "empty.toml");
    writeFileSync(empty, "[shell]\nunix = []\n");
    expectError(await sb.cli(["run", "--config", broken, "--", "true"]), "internal_error", 1);
    expectError(await sb.cli(["run", "--config", empty, "--", "true"]), "internal_error", 1);
    expect(sb.entries()).toEqual([]);
  });
});

describe("full.log destination (--log)", () => {
  test.concurrent("--log PATH (relative to the caller, parents created) takes the lines; full.log stays empty", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok(["run", "--wait", "--log", "logs/deep/out.log", "--", ...fx.printLines(2)], { cwd: sb.dir });
    const lines = readFileSync(join(sb.dir, "logs", "deep", "out.log"), "utf8").split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[STDOUT\] line 1$/),
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[STDOUT\] line 2$/),
      "",
    ]);
    expect(sb.file(j.job_id, "full.log").length).toBe(0);
    expect(sb.file(j.job_id, "stdout.log").toString()).toBe("line 1\nline 2\n");
  });
});

describe("--progress-every (§4.9)", () => {
  test.concurrent("a 1 ms refresh never shows a reader a torn state.json (D13)", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever(), ["--progress-every", "1"]);
    const seen = new Set<string>();
    let reads = 0;
    await pollUntil(
      () => {
        for (let i = 0; i < 50; i++, reads++) seen.add(JSON.parse(sb.file(id, "state.json").toString()).updated_at);
        return seen.size;
      },
      { until: (n) => n >= 20, intervalMs: 5, what: "20 distinct updated_at values" },
    );
    expect(reads).toBeGreaterThan(0);
    expect(sb.state(id).job.status).toBe("running");
  });

  test.concurrent("refreshes updated_at while the job runs, atomically", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever(), ["--progress-every", "50"]);
    expect(sb.meta(id).progress_every_ms).toBe(50);
    const seen = new Set<string>();
    await pollUntil(
      () => {
        const s = sb.state(id); // a torn (non-atomic) write would make this throw
        expect(s.job.status).toBe("running");
        seen.add(s.updated_at);
        return seen.size;
      },
      { until: (n) => n >= 3, what: "three distinct updated_at values" },
    );
  });
});

describe("bad input (D3, D5): nothing is created", () => {
  const usage: [string, string[]][] = [
    ["no command", ["run"]],
    ["only --", ["run", "--"]],
    ["only flags", ["run", "--wait"]],
    ["an unknown flag", ["run", "--bogus", "echo"]],
    ["a flag missing its value", ["run", "--timeout"]],
    ["--inherit-env with --no-inherit-env", ["run", "--inherit-env", "--no-inherit-env", "--", "true"]],
    ["a notification flag on a value-less switch", ["run", "--wait=yes", "--", "true"]],
  ];
  for (const flag of [
    "--snapshot-after",
    "--tail-lines",
    "--max-bytes",
    "--timeout",
    "--kill-after",
    "--wait-poll-ms",
    "--progress-every",
  ]) {
    // "5ms" is a duration (D34), so only the size flags refuse it; "5x" no flag takes.
    const durations = ["--snapshot-after", "--timeout", "--kill-after", "--wait-poll-ms", "--progress-every"];
    for (const value of ["abc", "-5", "1.5", "", durations.includes(flag) ? "5x" : "5ms"])
      usage.push([`${flag} ${JSON.stringify(value)}`, ["run", flag, value, "--", "true"]]);
  }
  test.concurrent.each(usage)("%s: usage_error, exit 2", async (_name, args) => {
    await using sb = Sandbox.create();
    expectUsageError(await sb.cli(args));
    expect(sb.entries()).toEqual([]);
  });

  test.concurrent("a --cwd that does not exist, or is a file: invalid_input, exit 1", async () => {
    await using sb = Sandbox.create();
    writeFileSync(join(sb.dir, "a-file"), "x");
    const missing = await sb.cli(["run", "--cwd", join(sb.dir, "missing"), "--", "true"]);
    expectError(missing, "invalid_input", 1);
    expect(missing.json.error.message).toContain(join(sb.dir, "missing")); // names the input
    expectError(await sb.cli(["run", "--cwd", join(sb.dir, "a-file"), "--", "true"]), "invalid_input", 1);
    expect(sb.entries()).toEqual([]);
  });

  test.concurrent("an unreadable --env-file: invalid_input, exit 1", async () => {
    await using sb = Sandbox.create();
    expectError(await sb.cli(["run", "--env-file", join(sb.dir, "missing.env"), "--", "true"]), "invalid_input", 1);
    expectError(await sb.cli(["run", "--env-file", sb.dir, "--", "true"]), "invalid_input", 1);
    expect(sb.entries()).toEqual([]);
  });

  test.concurrent("a wrapper program not on PATH: invalid_input; an empty wrapper: internal_error", async () => {
    await using sb = Sandbox.create();
    expectError(await sb.cli(["run", "--shell-wrapper", "no-such-shell-xyz -c", "--", "true"]), "invalid_input", 1);
    expectError(await sb.cli(["run", "--shell-wrapper", "", "--", "true"]), "internal_error", 1);
    expectError(await sb.cli(["run", "--shell-wrapper", "   ", "--", "true"]), "internal_error", 1);
    expect(sb.entries()).toEqual([]);
  });
});
