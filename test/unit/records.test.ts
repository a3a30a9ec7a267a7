// The fast guards (records.ts) and the zod schemas (job-schema.ts) must agree on every sample.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MetaSchema, StateSchema } from "../../src/store/job-schema.ts";
import { checkMeta, checkState } from "../../src/store/records.ts";

const goodState = {
  job: { id: "01J0000000000000000000000A", status: "exited", started_at: "2026-01-01T00:00:00Z" },
  result: { exit_code: 0, signal: null, duration_ms: 12 },
  pid: 123,
  finished_at: "2026-01-01T00:00:01Z",
  updated_at: "2026-01-01T00:00:01Z",
};
const goodMeta = {
  job: { id: "01J0000000000000000000000A" },
  schema_version: "0.1",
  command: ["echo", "hi"],
  created_at: "2026-01-01T00:00:00Z",
  root: "/tmp/r",
  env_keys: [],
  cwd: "/tmp",
  tags: ["ci"],
  inherit_env: true,
  timeout_ms: 0,
  kill_after_ms: 0,
  progress_every_ms: 0,
};

const clone = <T>(v: T): T => structuredClone(v);
const stateSamples: unknown[] = [
  goodState,
  { ...clone(goodState), job: { id: "x", status: "created" } },
  { ...clone(goodState), job: { id: "x", status: "bogus" } },
  { ...clone(goodState), updated_at: undefined },
  { ...clone(goodState), result: undefined },
  { ...clone(goodState), result: { exit_code: "0", signal: null, duration_ms: null } },
  { ...clone(goodState), result: { exit_code: 1.5, signal: null, duration_ms: null } },
  { ...clone(goodState), result: { exit_code: null, signal: "TERM", duration_ms: null, timed_out: true } },
  { ...clone(goodState), result: { exit_code: null, signal: 15, duration_ms: null } },
  { ...clone(goodState), pid: "12" },
  { ...clone(goodState), reason: "supervisor_lost", supervisor_pid: 5, pgid: 6, extra_field: 1 },
  { ...clone(goodState), supervisor_pid: -1.5 },
  null,
  [],
  "state",
];
const metaSamples: unknown[] = [
  goodMeta,
  { ...clone(goodMeta), command: [] },
  { ...clone(goodMeta), command: "echo" },
  { ...clone(goodMeta), env_keys: undefined },
  { ...clone(goodMeta), tags: undefined, inherit_env: undefined, timeout_ms: undefined },
  { ...clone(goodMeta), tags: [1] },
  { ...clone(goodMeta), inherit_env: "yes" },
  { ...clone(goodMeta), notification: { notify_file: "/x", on_output_match: { pattern: "p", match_type: "regex" } } },
  { ...clone(goodMeta), notification: { on_output_match: { pattern: "p", stream: "both" } } },
  { ...clone(goodMeta), shell_wrapper: ["bash", "-lc"], env_files: ["/e"], mask: ["K"], env_vars: ["K=***"] },
  { ...clone(goodMeta), root: undefined },
  {},
];

describe("guards agree with the zod schemas", () => {
  test.each(stateSamples.map((s, i) => [i, s]))("state sample %d", (_i, sample) => {
    expect(checkState(clone(sample)) !== undefined).toBe(StateSchema.safeParse(sample).success);
  });
  test.each(metaSamples.map((s, i) => [i, s]))("meta sample %d", (_i, sample) => {
    expect(checkMeta(clone(sample)) !== undefined).toBe(MetaSchema.safeParse(sample).success);
  });

  test("meta defaults fill in on read", () => {
    const m = checkMeta({ ...clone(goodMeta), tags: undefined, inherit_env: undefined, timeout_ms: undefined });
    expect(m).toMatchObject({ tags: [], inherit_env: true, timeout_ms: 0, kill_after_ms: 0, progress_every_ms: 0 });
  });
});

describe("records of earlier releases still load (test/data)", () => {
  const dir = join(import.meta.dir, "..", "data");
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    test(name, () => {
      const doc = JSON.parse(readFileSync(join(dir, name), "utf8"));
      if (name.includes("state")) {
        expect(checkState(doc)).toBeDefined();
        expect(StateSchema.safeParse(doc).success).toBe(true);
      } else {
        expect(checkMeta(doc)).toBeDefined();
        expect(MetaSchema.safeParse(doc).success).toBe(true);
      }
    });
  }
});
