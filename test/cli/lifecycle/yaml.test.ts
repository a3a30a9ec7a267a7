// `--yaml` (§1.1) for the lifecycle commands: success and error responses render the same mapping
// as JSON, one YAML document, before or after the subcommand, with the same exit codes.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { AGENT_ENV, CURSOR, EVIDENCE } from "../../helpers/envelope.ts";
import { fakeId, writeFakeJob } from "../../helpers/fake-job.ts";
import { fx } from "../../helpers/fixtures.ts";
import { type CliResult, type Json, Sandbox, TS_MS, ULID } from "../../helpers/sandbox.ts";
import { createJob, DAY, isoAgo, runToEnd } from "./util.ts";

/** stdout is exactly one YAML document holding a mapping (not JSON), and that mapping. */
function yamlDoc(r: CliResult): Json {
  const docs = parseAllDocuments(r.stdout);
  expect({
    args: r.args,
    docs: Array.isArray(docs) ? docs.length : -1,
    json: r.stdout.trimStart().startsWith("{"),
  }).toEqual({
    args: r.args,
    docs: 1,
    json: false,
  });
  const doc = (docs as { toJS(): Json; errors: unknown[] }[])[0]!;
  expect(doc.errors).toEqual([]);
  const value = doc.toJS();
  // schema_version stays the string "0.1", never the number 0.1.
  expect(value.schema_version).toBe("0.1");
  return value;
}

/** Runs `args` as JSON and as YAML (flag before, then right after the subcommand) and compares. */
async function sameAsJson(sb: Sandbox, args: string[], exit: number): Promise<Json> {
  const json = await sb.cli(args);
  expect({ args, exit: json.exitCode }).toEqual({ args, exit });
  const sub = args[0] === "tag" ? 2 : 1;
  for (const yargs of [
    ["--yaml", ...args],
    [...args.slice(0, sub), "--yaml", ...args.slice(sub)],
  ]) {
    const y = await sb.cli(yargs);
    expect({ args: yargs, exit: y.exitCode }).toEqual({ args: yargs, exit });
    expect(yamlDoc(y)).toEqual(json.json);
  }
  return json.json;
}

describe("--yaml for the lifecycle commands (§1.1)", () => {
  test.concurrent("tag set, delete --dry-run and gc --dry-run: the YAML mapping equals the JSON", async () => {
    await using sb = Sandbox.create();
    const id = await createJob(sb, ["true"]);
    writeFakeJob(sb.root, { id: fakeId("01HOLDYAML"), finishedAt: isoAgo(40 * DAY), cwd: sb.cwd });
    expect(await sameAsJson(sb, ["tag", "set", id, "--tag", "a.b", "--tag", "c"], 0)).toMatchObject({
      type: "tag.set",
    });
    expect(await sameAsJson(sb, ["delete", "--dry-run", id], 0)).toMatchObject({ type: "delete" });
    expect(await sameAsJson(sb, ["delete", "--all", "--dry-run"], 0)).toMatchObject({ type: "delete" });
    expect(await sameAsJson(sb, ["gc", "--dry-run"], 0)).toMatchObject({ type: "gc", freed_bytes: expect.any(Number) });
    expect(await sameAsJson(sb, ["schema"], 0)).toMatchObject({ type: "schema" });
  });

  test.concurrent("create and start render their whole response as YAML", async () => {
    await using sb = Sandbox.create();
    const c = await sb.cli(["--yaml", "create", "--tag", "y", "--env", "S=v", "--mask", "S", "--", "printf 'out\\n'"]);
    expect(c.exitCode).toBe(0);
    const created = yamlDoc(c);
    const id = created.job_id;
    expect(created).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "create",
      job_id: expect.stringMatching(ULID),
      state: "created",
      stdout_log_path: join(sb.root, id, "stdout.log"),
      stderr_log_path: join(sb.root, id, "stderr.log"),
    });
    const s = await sb.cli(["start", "--wait", id, "--yaml"]);
    expect(s.exitCode).toBe(0);
    expect(yamlDoc(s)).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "start",
      job_id: id,
      state: "exited",
      tags: ["y"],
      env_vars: ["S=***"],
      agent_env: AGENT_ENV,
      stdout_log_path: join(sb.root, id, "stdout.log"),
      stderr_log_path: join(sb.root, id, "stderr.log"),
      waited_ms: expect.any(Number),
      elapsed_ms: expect.any(Number),
      exit_code: 0,
      finished_at: expect.stringMatching(TS_MS),
      final_snapshot: expect.objectContaining({ stdout_tail: "out", encoding: "utf-8-lossy", truncated: false }),
      ...EVIDENCE,
      cursor: CURSOR,
    });
  });

  test.concurrent("error responses of these commands: the YAML mapping equals the JSON, exit 1", async () => {
    await using sb = Sandbox.create();
    const done = await runToEnd(sb, ["true"]);
    const running = await sb.start(fx.sleepForever());
    const cases: [string[], string][] = [
      [["start", done], "invalid_state"],
      [["kill", await createJob(sb, ["true"])], "invalid_state"],
      [["delete", running], "invalid_state"],
      [["gc", "--older-than", "soon"], "invalid_input"],
      [["tag", "set", "01ZZZZZZZZZZZZZZZZZZZZZZZZ", "--tag", "x"], "job_not_found"],
      [["create", "--cwd", join(sb.dir, "missing"), "--", "true"], "invalid_input"],
      [["create", "--config", join(sb.dir, "bad.toml"), "--", "true"], "internal_error"],
    ];
    await Bun.write(join(sb.dir, "bad.toml"), "[[[");
    for (const [args, code] of cases) {
      const j = await sameAsJson(sb, args, 1);
      expect({ args, j }).toEqual({
        args,
        j: {
          schema_version: "0.1",
          ok: false,
          type: "error",
          error: { code, message: expect.any(String), retryable: false },
        },
      });
    }
  });
});
