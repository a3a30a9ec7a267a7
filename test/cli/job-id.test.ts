// Job id arguments (§2.2, D1): validation before any filesystem access (no path escapes the root,
// decoys outside it stay untouched), unique and case-insensitive prefixes, ambiguity.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectError, expectSuccess } from "../helpers/envelope.ts";
import { fakeId, writeFakeJob } from "../helpers/fake-job.ts";
import { Sandbox } from "../helpers/sandbox.ts";

const COMMANDS: string[][] = [["status"], ["tail"], ["wait", "--timeout-ms", "50"], ["kill"]];

/** A meta.json + state.json pair of a finished job, written into `dir` itself. */
function plantDecoy(dir: string, id: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    [join(dir, "meta.json")]: JSON.stringify({
      job: { id },
      schema_version: "0.1",
      command: ["decoy"],
      created_at: "2025-01-01T00:00:00Z",
      root: dir,
      env_keys: [],
    }),
    [join(dir, "state.json")]: JSON.stringify({
      job: { id, status: "exited", started_at: "2025-01-01T00:00:00Z" },
      result: { exit_code: 0, signal: null, duration_ms: 1 },
      finished_at: "2025-01-01T00:00:01Z",
      updated_at: "2025-01-01T00:00:01Z",
    }),
    [join(dir, "stdout.log")]: "decoy output\n",
  };
  for (const [p, text] of Object.entries(files)) writeFileSync(p, text);
  return files;
}

describe("invalid ids (D1)", () => {
  test.concurrent("'', '.', '..', '../x', 'a/b', 27 chars and other non-ids are job_not_found; decoys survive", async () => {
    await using sb = Sandbox.create();
    const real = (await sb.ok(["run", "--wait", "--", "true"])).job_id as string;
    // Decoys where each bad id would land if it were joined to the root.
    const decoys = {
      ...plantDecoy(sb.root, "ROOTDECOY"), // "." and ""
      ...plantDecoy(sb.dir, "PARENTDECOY"), // ".."
      ...plantDecoy(join(sb.dir, "x"), "XDECOY"), // "../x"
      ...plantDecoy(join(sb.root, "a", "b"), "ABDECOY"), // "a/b"
      ...plantDecoy(join(sb.root, `${real}0`), `${real}0`), // 27 chars
    };
    const bad = [
      "",
      ".",
      "..",
      "../x",
      "./",
      "a/b",
      `${real}0`,
      `${real}/`,
      `./${real}`,
      `${real}/..`,
      `../jobs/${real}`,
      sb.root,
      join(sb.root, real),
      " ",
      `${real.slice(0, 10)} `,
      "a b",
      "%2e%2e",
      "...",
      "*",
      "01*",
      "\\",
    ];
    for (const cmd of COMMANDS) {
      for (const id of bad) {
        const r = await sb.cli([...cmd, "--", id]);
        expectError(r, "job_not_found", 1);
      }
    }
    for (const [path, text] of Object.entries(decoys)) {
      expect({ path, intact: existsSync(path) && readFileSync(path, "utf8") === text }).toEqual({ path, intact: true });
    }
    expect(sb.state(real).job.status).toBe("exited");
  });

  test.concurrent("an unknown id or prefix, and any id under a missing root, is job_not_found", async () => {
    await using sb = Sandbox.create();
    for (const cmd of COMMANDS) {
      expectError(await sb.cli([...cmd, "01ARZ3NDEKTSV4RRFFQ69G5FAV"]), "job_not_found", 1);
    }
    expect(existsSync(sb.root)).toBe(false);
    const real = (await sb.ok(["run", "--wait", "--", "true"])).job_id as string;
    const other = real.startsWith("7") ? "0" : "7";
    for (const cmd of COMMANDS) {
      expectError(await sb.cli([...cmd, other]), "job_not_found", 1);
      expectError(await sb.cli([...cmd, `${other}${real.slice(1)}`]), "job_not_found", 1);
    }
  });
});

describe("prefix lookup (§2.2, D1)", () => {
  test.concurrent("a unique prefix, any case, resolves to the full id in every response", async () => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["run", "--wait", "--", "echo", "p"])).job_id as string;
    for (const arg of [id, id.toLowerCase(), id.slice(0, 12), id.slice(0, 12).toLowerCase(), id.slice(0, 1)]) {
      for (const cmd of COMMANDS) {
        const r = await sb.cli([...cmd, arg]);
        const j = expectSuccess(r, cmd[0] as string);
        expect({ arg, cmd: cmd[0], job_id: j.job_id }).toEqual({ arg, cmd: cmd[0], job_id: id });
      }
    }
  });

  test.concurrent("two jobs sharing a prefix: ambiguous_job_id; a longer prefix or the full id resolves", async () => {
    await using sb = Sandbox.create();
    const a = fakeId("01HAMBIGXYZ", "A");
    const b = fakeId("01HAMBIGXYZ", "B");
    writeFakeJob(sb.root, { id: a, exitCode: 1 });
    writeFakeJob(sb.root, { id: b, exitCode: 2 });
    for (const cmd of COMMANDS) {
      for (const prefix of ["01HAMBIG", "01hambigxyz", "0"]) {
        expectError(await sb.cli([...cmd, prefix]), "ambiguous_job_id", 1);
      }
    }
    expect(await sb.ok(["status", "01HAMBIGXYZA"])).toMatchObject({ job_id: a, exit_code: 1 });
    expect(await sb.ok(["status", "01hambigxyzb"])).toMatchObject({ job_id: b, exit_code: 2 });
    expect(await sb.ok(["status", b.toLowerCase()])).toMatchObject({ job_id: b });
  });

  test.concurrent("directories without a readable meta.json never match a prefix", async () => {
    await using sb = Sandbox.create();
    const good = fakeId("01HPFXGOOD");
    writeFakeJob(sb.root, { id: good });
    writeFakeJob(sb.root, { id: fakeId("01HPFXNOMETA"), metaText: null });
    writeFakeJob(sb.root, { id: fakeId("01HPFXBADMETA"), metaText: "{" });
    mkdirSync(join(sb.root, fakeId("01HPFXEMPTY")));
    expect(await sb.ok(["status", "01HPFX"])).toMatchObject({ job_id: good, state: "exited" });
    expectError(await sb.cli(["status", "01HPFXNO"]), "job_not_found", 1);
    expectError(await sb.cli(["tail", "01hpfxempty"]), "job_not_found", 1);
  });
});
