// `schema` (§3.13, D18): the printed JSON Schema (draft-07) has a definition for every response
// type and both events, and real responses of every command, plus the job files, validate against
// it. ajv is not installed, so util.ts's SchemaValidator (which refuses unknown keywords) checks.
import { describe, expect, test } from "bun:test";
import { copyFileSync, linkSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN } from "../../helpers/bin.ts";
import { expectSuccess } from "../../helpers/envelope.ts";
import { fakeId, writeFakeJob } from "../../helpers/fake-job.ts";
import { fx } from "../../helpers/fixtures.ts";
import { type CliResult, type Json, Sandbox } from "../../helpers/sandbox.ts";
import { createJob, DAY, isoAgo, runToEnd, SchemaValidator } from "./util.ts";

const RESPONSE_TYPES = [
  "run",
  "start",
  "create",
  "status",
  "tail",
  "wait",
  "kill",
  "list",
  "tag.set",
  "delete",
  "gc",
  "schema",
  "error",
];

/** The definition whose `type` property is the constant `type`. */
function definitionFor(schema: Json, type: string): string[] {
  return Object.entries(schema.definitions as Record<string, Json>)
    .filter(([, d]) => d?.properties?.type?.const === type)
    .map(([name]) => name);
}

describe("schema (§3.13, D18)", () => {
  test.concurrent("the response: draft-07, generated_at from $comment, a definition per type and event", async () => {
    await using sb = Sandbox.create();
    const j = expectSuccess(await sb.cli(["schema"]), "schema");
    expect(j).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "schema",
      schema_format: "json-schema-draft-07",
      schema: expect.objectContaining({
        $schema: "http://json-schema.org/draft-07/schema#",
        definitions: expect.any(Object),
      }),
      generated_at: expect.any(String),
    });
    expect(Object.keys(j).slice(3)).toEqual(["schema_format", "schema", "generated_at"]);
    expect(j.generated_at).toBe(j.schema.$comment ?? "unknown");
    // tag_set: the old name of tag.set, kept so documents written before the rename validate.
    for (const type of [...RESPONSE_TYPES, "tag_set"]) {
      expect({ type, defs: definitionFor(j.schema, type).length }).toEqual({ type, defs: 1 });
    }
    expect(Object.keys(j.schema.definitions)).toEqual(
      expect.arrayContaining(["JobFinishedEvent", "JobOutputMatchedEvent", "MetaFile", "StateFile"]),
    );
    // The schema is embedded: the binary under another path, with nothing beside it, prints the same.
    const alone = join(sb.dir, "alone");
    mkdirSync(alone);
    const copy = join(alone, "agent-exec");
    try {
      linkSync(BIN, copy);
    } catch {
      copyFileSync(BIN, copy);
    }
    const proc = Bun.spawn([copy, "schema"], { cwd: sb.dir, env: sb.env, stdout: "pipe", stderr: "pipe" });
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect({ code, doc: JSON.parse(out) }).toEqual({ code: 0, doc: j });
  });

  test.concurrent("real responses of every command, and the job files, validate against it", async () => {
    await using sb = Sandbox.create();
    const schema = (await sb.ok(["schema"])).schema;
    const v = new SchemaValidator(schema);
    const responses: CliResult[] = [];
    const call = async (args: string[], opts: Parameters<Sandbox["cli"]>[1] = {}) => {
      const r = await sb.cli(args, opts);
      responses.push(r);
      return r.json;
    };

    // run: running without snapshot, observed exit with snapshot, --wait, a timeout (timed_out).
    const running = (await call(["run", "--snapshot-after", "0", "--tag", "s.v", "--", ...fx.sleepForever()])).job_id;
    await call(["run", "--snapshot-after", "5000", "--env", "K=v", "--mask", "K", "--", "printf 'a\\nb\\n'"]);
    const waited = (await call(["run", "--wait", "--", ...fx.exitWithCode(3)])).job_id;
    const timedOut = (await call(["run", "--wait", "--timeout", "100", "--", ...fx.sleepForever()])).job_id;
    // create / start (both forms).
    const c1 = (
      await call(["create", "--tag", "t", "--notify-file", "n.ndjson", "--output-pattern", "x", "--", "true"])
    ).job_id;
    const c2 = (await call(["create", "--env", "A=1", "--", ...fx.sleepForever()])).job_id;
    const c3 = (await call(["create", "--", "echo hi"])).job_id;
    await call(["start", "--snapshot-after", "0", c2]);
    await call(["start", "--wait", c3]);
    await call(["start", "--snapshot-after", "3000", c1]);
    const created = await createJob(sb, ["true"]);
    // status in every state, tail, wait (terminal and deadline), kill (running and no-op).
    for (const id of [created, running, waited, timedOut]) await call(["status", id]);
    await call(["tail", waited]);
    await call(["tail", created]);
    await call(["wait", waited]);
    await call(["wait", "--timeout-ms", "20", running]);
    await call(["kill", c2]);
    await call(["kill", waited]);
    // list (with an unreadable job), tag set, delete, gc.
    writeFakeJob(sb.root, { id: fakeId("01HUNREAD"), cwd: sb.cwd, stateText: "{" });
    writeFakeJob(sb.root, { id: fakeId("01HOLDGC"), finishedAt: isoAgo(90 * DAY), cwd: sb.cwd });
    await call(["list"]);
    await call(["list", "--all", "--state", "created", "--limit", "1"]);
    await call(["tag", "set", created, "--tag", "x.y"]);
    await call(["delete", "--dry-run", created]);
    await call(["delete", "--all", "--dry-run"]);
    await call(["delete", fakeId("01HUNREAD")]);
    await call(["gc", "--dry-run"]);
    await call(["gc", "--older-than", "7d"]);
    await call(["schema"]);
    // Errors of every kind the CLI can produce.
    writeFakeJob(sb.root, { id: fakeId("01HAMBIG1") });
    writeFakeJob(sb.root, { id: fakeId("01HAMBIG2") });
    writeFileSync(join(sb.dir, "bad.toml"), "[[[");
    await call(["status", "01ZZZZZZZZZZZZZZZZZZZZZZZZ"]);
    await call(["status", "01HAMBIG"]);
    await call(["start", waited]);
    await call(["bogus-command"]);
    await call(["gc", "--older-than", "x"]);
    await call(["create", "--config", join(sb.dir, "bad.toml"), "--", "true"]);

    const seen = new Set<string>();
    for (const r of responses) {
      expect({ args: r.args, json: r.json !== undefined }).toEqual({ args: r.args, json: true });
      seen.add(r.json.type);
      const defs = definitionFor(schema, r.json.type);
      expect({ args: r.args, type: r.json.type, defs: defs.length }).toEqual({
        args: r.args,
        type: r.json.type,
        defs: 1,
      });
      expect({ args: r.args, errors: v.errors(r.json, defs[0]) }).toEqual({ args: r.args, errors: [] });
      expect({ args: r.args, errors: v.errors(r.json) }).toEqual({ args: r.args, errors: [] });
    }
    expect([...seen].sort()).toEqual([...RESPONSE_TYPES].sort());
    const codes = new Set(responses.filter((r) => r.json.type === "error").map((r) => r.json.error.code));
    expect([...codes].sort()).toEqual(
      ["ambiguous_job_id", "internal_error", "invalid_input", "invalid_state", "job_not_found", "usage_error"].sort(),
    );

    // The job files: every meta.json and state.json written by the binary.
    await sb.terminalState(timedOut);
    for (const id of readdirSync(sb.root).filter((n) => !n.startsWith("01H"))) {
      expect({ id, meta: v.errors(sb.meta(id), "MetaFile") }).toEqual({ id, meta: [] });
      expect({ id, state: v.errors(sb.state(id), "StateFile") }).toEqual({ id, state: [] });
    }
  });

  test.concurrent("notify set has a definition and its real responses validate (D18: every type)", async () => {
    await using sb = Sandbox.create();
    const schema = (await sb.ok(["schema"])).schema;
    const v = new SchemaValidator(schema);
    const id = await createJob(sb, ["true"]);
    const responses = [
      await sb.ok(["notify", "set", id, "--command", "echo done"]),
      await sb.ok(["notify", "set", id, "--output-pattern", "ERR", "--output-stream", "stderr"]),
      await sb.ok(["notify", "set", id, "--output-pattern", ""]),
    ];
    expect(definitionFor(schema, "notify.set")).toHaveLength(1);
    for (const r of responses) {
      expect({ r, errors: v.errors(r) }).toEqual({ r, errors: [] });
    }
  });

  test.concurrent("the schema is strict: altered responses fail it", async () => {
    await using sb = Sandbox.create();
    const schema = (await sb.ok(["schema"])).schema;
    const v = new SchemaValidator(schema);
    const id = await runToEnd(sb, ["true"]);
    const status = await sb.ok(["status", id]);
    const err = (await sb.cli(["status", "01ZZZZZZZZZZZZZZZZZZZZZZZZ"])).json;
    const tagSet = await sb.ok(["tag", "set", id, "--tag", "a"]);
    expect(v.errors(status)).toEqual([]);
    const bad: [string, Json][] = [
      ["extra field", { ...status, surprise: 1 }],
      ["missing job_id", { ...status, job_id: undefined }],
      ["unknown state", { ...status, state: "sleeping" }],
      ["exit_code as string", { ...status, exit_code: "0" }],
      ["ok true on an error", { ...err, ok: true }],
      ["unknown error code", { ...err, error: { ...err.error, code: "oops" } }],
      ["tags not strings", { ...tagSet, tags: [1] }],
      ["unknown type", { ...status, type: "statuz" }],
    ];
    for (const [name, doc] of bad) {
      const clean = JSON.parse(JSON.stringify(doc));
      expect({ name, fails: v.errors(clean).length > 0 }).toEqual({ name, fails: true });
    }
  });
});
