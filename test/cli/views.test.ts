// Views (X14) from the binary: --view on tail, wait, run, start and restart over real runner
// output, masked values redacted before any view (D28), config.toml's view, and bad values.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectSuccess, expectUsageError } from "../helpers/envelope.ts";
import { Sandbox } from "../helpers/sandbox.ts";
import { VIEW_FIXTURES_DIR } from "../helpers/view-fixtures.ts";

/** A job command that prints a captured run's stdout and stderr as the runner did. */
const replay = (name: string) =>
  `cat '${join(VIEW_FIXTURES_DIR, `${name}.stdout`)}'; cat '${join(VIEW_FIXTURES_DIR, `${name}.stderr`)}' >&2; exit 1`;

const CHOICES = "expected one of raw, clean, errors, tests, summary";

describe("views (X14)", () => {
  test("run --wait --view summary: the failures, the summary line and the counts", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok(["run", "--wait", "--view", "summary", "--", replay("bun-many")]);
    const s = j.final_snapshot;
    expect(s).toMatchObject({
      view: "summary",
      tests: { runner: "bun", passed: 497, failed: 3, skipped: 0 },
      stdout_view_dropped_lines: 0,
      stderr_view_dropped_lines: expect.any(Number),
    });
    for (const name of ["case 17", "case 250", "case 499", "Ran 500 tests across 1 file."]) {
      expect(s.stderr_tail).toContain(name);
    }
    expect(s.stderr_tail.split("\n").length).toBeLessThanOrEqual(40);
    expect(s.stderr_included_bytes).toBe(Buffer.byteLength(s.stderr_tail));
  });

  test("tail and wait take --view; raw (the default) adds no view fields", async () => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["run", "--wait", "--", replay("pytest-color")])).job_id;
    const raw = expectSuccess(await sb.cli(["tail", id]), "tail");
    expect(raw.view).toBeUndefined();
    expect(raw.stdout_tail).toContain("\x1b[");
    const clean = await sb.ok(["tail", id, "--view", "clean", "--tail-lines", "0"]);
    expect(clean).toMatchObject({ view: "clean", stdout_view_dropped_lines: 0, stderr_view_dropped_lines: 0 });
    expect(clean.stdout_tail).not.toContain("\x1b[");
    const tests = await sb.ok(["tail", id, "--view", "tests"]);
    expect(tests.tests).toEqual({ runner: "pytest", passed: 4, failed: 4, skipped: 1 });
    expect(tests.stdout_tail).toContain("FAILED test_sample.py::test_param[3] - assert 3 < 3");
    const waited = await sb.ok(["wait", id, "--view", "errors"]);
    expect(waited.final_snapshot).toMatchObject({ view: "errors" });
    expect(waited.final_snapshot.tests).toBeUndefined();
  });

  test("the line bound applies after the view, and says so in truncated", async () => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["run", "--wait", "--", "for i in 1 2 3 4 5; do echo same; done; echo a; echo b"])).job_id;
    const j = await sb.ok(["tail", id, "--view", "clean", "--tail-lines", "2"]);
    expect(j).toMatchObject({ stdout_tail: "a\nb", truncated: true, stdout_view_dropped_lines: 3 });
    const all = await sb.ok(["tail", id, "--view", "clean"]);
    expect(all).toMatchObject({ stdout_tail: "same\n… repeated 5 times\na\nb", truncated: false });
  });

  test("masked values are redacted before the view sees them (D28)", async () => {
    await using sb = Sandbox.create();
    const cmd = 'echo "error: login failed for $TOKEN"; echo ok';
    const id = (await sb.ok(["run", "--wait", "--env", "TOKEN=hunter2secret", "--mask", "TOKEN", "--", cmd])).job_id;
    for (const view of ["clean", "errors", "summary"]) {
      const j = await sb.ok(["tail", id, "--view", view]);
      expect(j.stdout_tail).toContain("error: login failed for ***");
      expect(JSON.stringify(j)).not.toContain("hunter2secret");
    }
  });

  test("tail --since with a view shows only the new output, in that view", async () => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["run", "--wait", "--", "echo first"])).job_id;
    const cursor = (await sb.ok(["tail", id])).cursor;
    const j = await sb.ok(["tail", id, "--since", cursor, "--view", "errors"]);
    expect(j).toMatchObject({ view: "errors", stdout_tail: "", stdout_omitted_bytes: 0 });
  });

  test("start and restart take --view for their snapshots", async () => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["create", "--", replay("cargo-many")])).job_id;
    const started = await sb.ok(["start", id, "--wait", "--view", "tests"]);
    expect(started.final_snapshot.tests).toEqual({ runner: "cargo", passed: 497, failed: 3, skipped: 0 });
    const again = await sb.ok(["restart", id, "--wait", "--view", "summary"]);
    expect(again.final_snapshot).toMatchObject({ view: "summary", tests: { runner: "cargo", failed: 3 } });
  });

  test("config.toml view is the default; --view overrides it; a bad value names itself", async () => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["run", "--wait", "--", replay("jest-plain")])).job_id;
    const config = join(sb.env.XDG_CONFIG_HOME as string, "agent-exec", "config.toml");
    await Bun.write(config, 'view = "summary"\n');
    expect((await sb.ok(["tail", id])).tests).toEqual({ runner: "jest", passed: 3, failed: 3, skipped: 2 });
    expect((await sb.ok(["tail", id, "--view", "raw"])).view).toBeUndefined();
    writeFileSync(config, 'view = "short"\n');
    const r = await sb.cli(["tail", id]);
    expectUsageError(r);
    expect(r.json.error.message).toContain(`invalid view "short" in config file ${config}: ${CHOICES}`);
    // A config that does not parse gives no view: tail reads on, raw.
    writeFileSync(config, "[shell\nunix = [");
    expect((await sb.ok(["tail", id])).view).toBeUndefined();
  });

  test("--view with another value is a usage error naming it, and nothing starts", async () => {
    await using sb = Sandbox.create();
    for (const args of [
      ["run", "--view", "short", "--", "echo", "x"],
      ["tail", "--view", "short", "X"],
      ["wait", "X", "--view", "short"],
    ]) {
      const r = await sb.cli(args);
      expectUsageError(r);
      expect(r.json.error.message).toBe(`invalid value "short" for '--view': ${CHOICES}`);
    }
    expect(sb.entries()).toEqual([]);
  });
});
