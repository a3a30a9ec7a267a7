// Global behaviour: version and help text, usage errors as JSON (D3), --root resolution in any
// position (§2.1, D15), --yaml rendering (§1.1) and -v logging that never touches stdout (§1.5).
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { VERSION } from "../helpers/bin.ts";
import { expectError, expectSuccess, expectUsageError } from "../helpers/envelope.ts";
import { fx } from "../helpers/fixtures.ts";
import { Sandbox } from "../helpers/sandbox.ts";

describe("version and help", () => {
  test.concurrent.each([["--version"], ["-V"]])(
    "%s prints 'agent-exec <version>[+<commit>]' and exits 0",
    async (flag) => {
      await using sb = Sandbox.create();
      const r = await sb.cli([flag], { root: false });
      expect(r.exitCode).toBe(0);
      // The build's git commit rides along as semver build metadata (issue 7); one line, one token.
      const escaped = VERSION.replaceAll(".", "\\.");
      expect(r.stdout).toMatch(new RegExp(`^agent-exec ${escaped}(\\+[0-9a-f]{7,40})?\n$`));
    },
  );

  test.concurrent.each([
    { args: ["--help"] },
    { args: ["-h"] },
    { args: ["help"] },
    { args: ["run", "--help"] },
    { args: ["help", "run"] },
    { args: ["list", "-h"] },
  ])("$args prints plain help text and exits 0", async ({ args }) => {
    await using sb = Sandbox.create();
    const r = await sb.cli([...args], { root: false });
    expect(r.exitCode).toBe(0);
    expect(r.json).toBeUndefined();
    expect(r.stdout).toContain("run");
    expect(sb.entries(join(sb.dir, "xdg", "data", "agent-exec", "jobs"))).toEqual([]);
  });
});

describe("usage errors (D3)", () => {
  const cases: [string, string[]][] = [
    ["no subcommand", []],
    ["an unknown subcommand", ["frobnicate"]],
    ["a not-yet-known subcommand spelled wrong", ["stauts", "X"]],
    ["an unknown global flag", ["--bogus", "list"]],
    ["an unknown short flag", ["-Z", "list"]],
    ["an unknown flag after the subcommand", ["list", "--bogus"]],
    ["a global flag without its value", ["list", "--root"]],
    ["status without an id", ["status"]],
    ["tail without an id", ["tail"]],
    ["wait without an id", ["wait"]],
    ["kill without an id", ["kill"]],
    ["status with two ids", ["status", "A", "B"]],
  ];
  test.concurrent.each(cases)("%s: JSON usage_error on stdout, message on stderr, exit 2", async (_name, args) => {
    await using sb = Sandbox.create();
    const r = await sb.cli(args);
    expectUsageError(r);
    expect(existsSync(sb.root)).toBe(false);
  });

  test.concurrent("usage errors honour --yaml: the envelope in YAML on stdout, the human line on stderr, exit 2", async () => {
    await using sb = Sandbox.create();
    for (const args of [
      ["--yaml", "run"],
      ["list", "--state", "bogus", "--yaml"],
      ["--yaml", "bogus-command"],
    ]) {
      const r = await sb.cli(args);
      expect({ args, exit: r.exitCode, doc: parseYaml(r.stdout), human: r.stderr.startsWith("error: ") }).toEqual({
        args,
        exit: 2,
        doc: {
          schema_version: "0.1",
          ok: false,
          type: "error",
          error: { code: "usage_error", message: expect.any(String), retryable: false },
        },
        human: true,
      });
      expect(r.stdout.trimStart().startsWith("{")).toBe(false);
    }
    // After `--` the words are the job's: a --yaml there does not turn YAML on.
    expectUsageError(await sb.cli(["run", "--timeout", "5x", "--", "echo", "--yaml"]));
  });
});

describe("--root (§2.1, D15)", () => {
  test.concurrent("before and after the subcommand; after wins when both are given", async () => {
    await using sb = Sandbox.create();
    const a = join(sb.dir, "root-a");
    const b = join(sb.dir, "root-b");
    const before = await sb.ok(["--root", a, "run", "--wait", "--", "echo", "before"], { root: false });
    expect(before.stdout_log_path).toBe(join(a, before.job_id, "stdout.log"));
    const after = await sb.ok(["run", "--root", b, "--wait", "--", "echo", "after"], { root: false });
    expect(after.stdout_log_path).toBe(join(b, after.job_id, "stdout.log"));
    const both = await sb.ok(["--root", a, "run", "--root", b, "--wait", "--", "echo", "both"], { root: false });
    expect(both.stdout_log_path).toBe(join(b, both.job_id, "stdout.log"));
    expect(existsSync(join(a, both.job_id))).toBe(false);

    // Non-trailing commands take --root after their positional too.
    const st = await sb.ok(["status", both.job_id, "--root", b], { root: false });
    expect(st).toMatchObject({ type: "status", job_id: both.job_id, state: "exited" });
    const st2 = await sb.ok(["--root", a, "status", "--root", b, both.job_id], { root: false });
    expect(st2.job_id).toBe(both.job_id);
    expectError(await sb.cli(["--root", b, "status", both.job_id, "--root", a], { root: false }), "job_not_found", 1);
  });

  test.concurrent("a relative --root is made absolute once, against the caller's cwd", async () => {
    await using sb = Sandbox.create();
    const r = await sb.ok(["--root", "rel/jobs", "run", "--wait", "--", "echo", "x"], { root: false, cwd: sb.dir });
    const abs = join(sb.dir, "rel", "jobs");
    expect(r.stdout_log_path).toBe(join(abs, r.job_id, "stdout.log"));
    expect(r.stderr_log_path).toBe(join(abs, r.job_id, "stderr.log"));
    expect(sb.meta(r.job_id, abs).root).toBe(abs);
    const list = await sb.ok(["list", "--all", "--root", "rel/jobs"], { root: false, cwd: sb.dir });
    expect(list.root).toBe(abs);
    // The supervisor (running elsewhere) must have found the same root: the job finished there.
    expect(sb.state(r.job_id, abs).job.status).toBe("exited");
  });

  test.concurrent("AGENT_EXEC_ROOT, then XDG_DATA_HOME, then HOME; --root beats them all", async () => {
    await using sb = Sandbox.create();
    const envRoot = join(sb.dir, "env-root");
    const viaEnv = await sb.ok(["run", "--wait", "--", "echo", "1"], {
      root: false,
      env: { AGENT_EXEC_ROOT: envRoot },
    });
    expect(viaEnv.stdout_log_path).toBe(join(envRoot, viaEnv.job_id, "stdout.log"));

    const flagRoot = join(sb.dir, "flag-root");
    const viaFlag = await sb.ok(["run", "--wait", "--", "echo", "2"], {
      root: flagRoot,
      env: { AGENT_EXEC_ROOT: envRoot },
    });
    expect(viaFlag.stdout_log_path).toBe(join(flagRoot, viaFlag.job_id, "stdout.log"));

    const xdgRoot = join(sb.env.XDG_DATA_HOME as string, "agent-exec", "jobs");
    const viaXdg = await sb.ok(["run", "--wait", "--", "echo", "3"], { root: false, env: { AGENT_EXEC_ROOT: "" } });
    expect(viaXdg.stdout_log_path).toBe(join(xdgRoot, viaXdg.job_id, "stdout.log"));

    const homeRoot = join(sb.env.HOME as string, ".local", "share", "agent-exec", "jobs");
    const viaHome = await sb.ok(["run", "--wait", "--", "echo", "4"], {
      root: false,
      env: { XDG_DATA_HOME: "", AGENT_EXEC_ROOT: undefined },
    });
    expect(viaHome.stdout_log_path).toBe(join(homeRoot, viaHome.job_id, "stdout.log"));
    expect(sb.state(viaHome.job_id, homeRoot).job.status).toBe("exited");
  });

  test.concurrent("a root that is a file is internal_error; nothing is written outside the root", async () => {
    await using sb = Sandbox.create();
    const file = join(sb.dir, "root-file");
    writeFileSync(file, "not a directory");
    expectError(await sb.cli(["list", "--all"], { root: file }), "internal_error", 1);
    expectError(await sb.cli(["run", "--", "true"], { root: file }), "internal_error", 1);
    expect(readFileSync(file, "utf8")).toBe("not a directory");
    // A full job cycle with --root leaves HOME and every XDG dir untouched.
    const j = await sb.ok(["run", "--wait", "--", "echo", "x"]);
    await sb.ok(["status", j.job_id]);
    await sb.ok(["list"]);
    for (const d of ["home", "xdg/config", "xdg/data", "xdg/state", "xdg/cache"]) {
      expect({ d, entries: readdirSync(join(sb.dir, d)) }).toEqual({ d, entries: [] });
    }
  });

  test.concurrent("read commands treat a missing root as empty", async () => {
    await using sb = Sandbox.create();
    const r = await sb.cli(["list", "--all"]);
    expect(expectSuccess(r, "list")).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "list",
      root: sb.root,
      jobs: [],
      truncated: false,
      skipped: 0,
    });
    expectError(await sb.cli(["status", "01ARZ3NDEKTSV4RRFFQ69G5FAV"]), "job_not_found", 1);
    expect(existsSync(sb.root)).toBe(false);
  });
});

describe("--yaml (§1.1)", () => {
  test.concurrent("renders the same mapping as JSON, before or after the subcommand, errors included", async () => {
    await using sb = Sandbox.create();
    const run = await sb.ok(["run", "--wait", "--tag", "a.b", "--", "echo", "yaml"]);
    const id = run.job_id as string;
    for (const cmd of [
      ["status", id],
      ["tail", id],
      ["wait", id],
      ["list", "--all"],
    ]) {
      const json = await sb.ok(cmd);
      for (const args of [
        ["--yaml", ...cmd],
        [...cmd, "--yaml"],
      ]) {
        const r = await sb.cli(args);
        expect(r.exitCode).toBe(0);
        expect(r.stdout.trimStart().startsWith("{")).toBe(false);
        const doc = parseYaml(r.stdout);
        expect(doc).toEqual(json);
        expect(Object.keys(doc)).toEqual(Object.keys(json));
        expect(typeof doc.schema_version).toBe("string");
      }
    }
    const err = await sb.cli(["--yaml", "status", "01ARZ3NDEKTSV4RRFFQ69G5FAV"]);
    expect(err.exitCode).toBe(1);
    expect(parseYaml(err.stdout)).toEqual({
      schema_version: "0.1",
      ok: false,
      type: "error",
      error: { code: "job_not_found", message: expect.any(String), retryable: false },
    });
  });

  test.concurrent("run --yaml prints a YAML run response", async () => {
    await using sb = Sandbox.create();
    const r = await sb.cli(["run", "--yaml", "--wait", "--", "echo", "hi"]);
    expect(r.exitCode).toBe(0);
    const doc = parseYaml(r.stdout);
    expect(doc).toMatchObject({ schema_version: "0.1", ok: true, type: "run", state: "exited", exit_code: 0 });
    expect(doc.final_snapshot.stdout_tail).toBe("hi");
  });
});

describe("logging (§1.5, D16)", () => {
  test.concurrent.each([["-v"], ["-vv"], ["-vvv"], ["--verbose"]])(
    "%s keeps stdout to one JSON document and stderr free of JSON",
    async (flag) => {
      await using sb = Sandbox.create();
      const r = await sb.cli([flag, "run", "--wait", "--", "echo", "x"]);
      expectSuccess(r, "run");
      for (const line of r.stderr.split("\n")) expect(line.trimStart().startsWith("{")).toBe(false);
      const s = await sb.cli(["status", r.json.job_id, flag]);
      expectSuccess(s, "status");
    },
  );

  test.concurrent("AGENT_EXEC_LOG and RUST_LOG never reach stdout", async () => {
    await using sb = Sandbox.create();
    for (const env of [{ AGENT_EXEC_LOG: "trace" }, { RUST_LOG: "debug" }, { AGENT_EXEC_LOG: "nonsense" }]) {
      const r = await sb.cli(["run", "--wait", "--", ...fx.printLines(1)], { env });
      expectSuccess(r, "run");
      for (const line of r.stderr.split("\n")) expect(line.trimStart().startsWith("{")).toBe(false);
    }
  });
});
