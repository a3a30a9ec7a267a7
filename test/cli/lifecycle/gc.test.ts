// `gc` (§3.11, D4): --older-than in every accepted form, --dry-run, per-job actions and reasons,
// bytes and freed_bytes, running and created jobs never touched, an invalid duration is invalid_input.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectError, expectKeyOrder, expectSuccess } from "../../helpers/envelope.ts";
import { fakeId, writeFakeJob } from "../../helpers/fake-job.ts";
import { fx } from "../../helpers/fixtures.ts";
import { type Json, Sandbox } from "../../helpers/sandbox.ts";
import { createJob, DAY, dirBytes, HOUR, isoAgo, MINUTE, SECOND } from "./util.ts";

const GC_ORDER = [
  "root",
  "dry_run",
  "older_than",
  "older_than_source",
  "deleted",
  "would_delete",
  "skipped",
  "freed_bytes",
  "jobs",
  "truncated",
];

function byId(jobs: Json[]): Json[] {
  return [...jobs].sort((a, b) => (a.job_id < b.job_id ? -1 : 1));
}

describe("gc --older-than (§3.11)", () => {
  // Each form: the duration it means, and margins well clear of the cutoff on either side.
  const forms: [string, number][] = [
    ["30d", 30 * DAY],
    ["24h", 24 * HOUR],
    ["60m", 60 * MINUTE],
    ["3600s", 3600 * SECOND],
    ["3600", 3600 * SECOND],
    [" 24h ", 24 * HOUR],
    ["\t7d\n", 7 * DAY],
    ["0d", 0],
  ];
  test.concurrent.each(forms)("%p: older jobs go, newer ones stay (too_recent); dry run first", async (text, ms) => {
    await using sb = Sandbox.create();
    const margin = Math.max(ms / 6, 2 * MINUTE);
    const old = fakeId("01HOLD");
    // The old one is written in the reference release's whole-second format (D25).
    const oldDir = writeFakeJob(sb.root, { id: old, finishedAt: isoAgo(ms + margin, true), stdout: "some output\n" });
    mkdirSync(join(oldDir, "nested"));
    writeFileSync(join(oldDir, "nested", "blob"), Buffer.alloc(1000));
    const recent = fakeId("01HRECENT");
    if (ms > 0) writeFakeJob(sb.root, { id: recent, finishedAt: isoAgo(ms - margin), status: "killed" });
    // Exact sizes are checked by the "bytes are each directory's size" test; here the sum must hold.
    const bytes = expect.any(Number);

    const expected = (dry: boolean) => ({
      schema_version: "0.1",
      ok: true,
      type: "gc",
      root: sb.root,
      dry_run: dry,
      older_than: text,
      older_than_source: "flag",
      deleted: dry ? 0 : 1,
      would_delete: dry ? 1 : 0,
      skipped: ms > 0 ? 1 : 0,
      freed_bytes: expect.any(Number),
      jobs: byId([
        { job_id: old, state: "exited", action: dry ? "would_delete" : "deleted", reason: `older_than_${text}`, bytes },
        ...(ms > 0 ? [{ job_id: recent, state: "killed", action: "skipped", reason: "too_recent", bytes: 0 }] : []),
      ]),
      truncated: false,
    });
    const dry = expectSuccess(await sb.cli(["gc", "--older-than", text, "--dry-run"]), "gc");
    expect({ ...dry, jobs: byId(dry.jobs) }).toEqual(expected(true));
    expectKeyOrder(dry, GC_ORDER);
    expect(dry.freed_bytes).toBe(dry.jobs.reduce((a: number, j: Json) => a + j.bytes, 0));
    expect(dry.freed_bytes).toBeGreaterThanOrEqual(1000);
    expect(existsSync(oldDir)).toBe(true);

    const real = expectSuccess(await sb.cli(["gc", "--older-than", text]), "gc");
    expect({ ...real, jobs: byId(real.jobs) }).toEqual(expected(false));
    expect(real.freed_bytes).toBe(dry.freed_bytes);
    expect(sb.entries()).toEqual(ms > 0 ? [recent] : []);
  });

  test.concurrent("default 30d; every state and reason; bytes are each directory's size, freed_bytes their sum", async () => {
    await using sb = Sandbox.create();
    const ids = {
      exited: fakeId("01HA"),
      killed: fakeId("01HB"),
      failed: fakeId("01HC"),
      recent: fakeId("01HD"),
      unreadable: fakeId("01HE"),
      oldCreated: fakeId("01HF"),
      noMeta: fakeId("01HG"),
    };
    writeFakeJob(sb.root, { id: ids.exited, finishedAt: isoAgo(40 * DAY), stdout: "x".repeat(5000) });
    writeFakeJob(sb.root, { id: ids.killed, finishedAt: isoAgo(31 * DAY, true), status: "killed" });
    writeFakeJob(sb.root, { id: ids.failed, finishedAt: isoAgo(400 * DAY), status: "failed", stdout: "f" });
    writeFakeJob(sb.root, { id: ids.recent, finishedAt: isoAgo(29 * DAY) });
    writeFakeJob(sb.root, { id: ids.unreadable, stateText: "{" });
    writeFakeJob(sb.root, { id: ids.oldCreated, status: "created", createdAt: isoAgo(90 * DAY, true) });
    // meta.json is ignored entirely by gc: a job without one still goes by its state.json.
    writeFakeJob(sb.root, { id: ids.noMeta, metaText: null, finishedAt: isoAgo(35 * DAY) });
    writeFileSync(join(sb.root, "not-a-dir.txt"), "ignored");
    // Real jobs: one running, one freshly created.
    const running = await sb.start(fx.sleepForever());
    const created = await createJob(sb, ["true"]);
    await sb.stdoutMatch(running, /^ready/);
    const size = (id: string) => dirBytes(sb.jobDir(id));
    const eligible = [ids.exited, ids.killed, ids.failed, ids.noMeta];
    const sizes = Object.fromEntries(eligible.map((id) => [id, size(id)]));
    const stateOf: Record<string, string> = {
      [ids.exited]: "exited",
      [ids.killed]: "killed",
      [ids.failed]: "failed",
      [ids.noMeta]: "exited",
    };
    const expected = (dry: boolean) => ({
      schema_version: "0.1",
      ok: true,
      type: "gc",
      root: sb.root,
      dry_run: dry,
      older_than: "30d",
      older_than_source: "default",
      deleted: dry ? 0 : 4,
      would_delete: dry ? 4 : 0,
      skipped: 5,
      freed_bytes: Object.values(sizes).reduce((a, b) => a + b, 0),
      jobs: byId([
        ...eligible.map((id) => ({
          job_id: id,
          state: stateOf[id],
          action: dry ? "would_delete" : "deleted",
          reason: "older_than_30d",
          bytes: sizes[id],
        })),
        { job_id: ids.recent, state: "exited", action: "skipped", reason: "too_recent", bytes: 0 },
        { job_id: ids.unreadable, state: "unknown", action: "skipped", reason: "state_unreadable", bytes: 0 },
        { job_id: ids.oldCreated, state: "created", action: "skipped", reason: "created", bytes: 0 },
        { job_id: running, state: "running", action: "skipped", reason: "running", bytes: 0 },
        { job_id: created, state: "created", action: "skipped", reason: "created", bytes: 0 },
      ]),
      truncated: false,
    });
    const dry = await sb.ok(["gc", "--dry-run"]);
    expect({ ...dry, jobs: byId(dry.jobs) }).toEqual(expected(true));
    const real = await sb.ok(["gc"]);
    expect({ ...real, jobs: byId(real.jobs) }).toEqual(expected(false));
    expect(real.freed_bytes).toBe(real.jobs.reduce((a: number, j: Json) => a + j.bytes, 0));
    expect(sb.entries().sort()).toEqual(
      [ids.recent, ids.unreadable, ids.oldCreated, running, created, "not-a-dir.txt"].sort(),
    );
  });

  test.concurrent("running and created jobs are never touched, even with --older-than 0", async () => {
    await using sb = Sandbox.create();
    const running = await sb.start(fx.sleepForever());
    const created = await createJob(sb, ["true"]);
    await sb.stdoutMatch(running, /^ready/);
    const j = await sb.ok(["gc", "--older-than", "0"]);
    expect(byId(j.jobs)).toEqual(
      byId([
        { job_id: running, state: "running", action: "skipped", reason: "running", bytes: 0 },
        { job_id: created, state: "created", action: "skipped", reason: "created", bytes: 0 },
      ]),
    );
    expect({ deleted: j.deleted, skipped: j.skipped, freed: j.freed_bytes }).toEqual({
      deleted: 0,
      skipped: 2,
      freed: 0,
    });
    expect(sb.entries().sort()).toEqual([running, created].sort());
    expect(sb.state(running).job.status).toBe("running");
    expect(sb.state(created).job.status).toBe("created");
  });

  test.concurrent.each([["abc"], ["10x"], ["-5d"], ["1.5h"], [""], ["d"], ["5 d"], ["30dd"], ["1e3"]])(
    "invalid duration %p: invalid_input, exit 1, nothing deleted (D4)",
    async (text) => {
      await using sb = Sandbox.create();
      const old = fakeId("01HOLD");
      writeFakeJob(sb.root, { id: old, finishedAt: isoAgo(400 * DAY) });
      expectError(await sb.cli(["gc", `--older-than=${text}`]), "invalid_input", 1);
      expect(sb.entries()).toEqual([old]);
    },
  );

  test.concurrent("a missing root: every count 0, jobs []", async () => {
    await using sb = Sandbox.create();
    expect(await sb.ok(["gc", "--older-than", "1s"])).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "gc",
      root: sb.root,
      dry_run: false,
      older_than: "1s",
      older_than_source: "flag",
      deleted: 0,
      would_delete: 0,
      skipped: 0,
      freed_bytes: 0,
      jobs: [],
      truncated: false,
    });
    expect(existsSync(sb.root)).toBe(false);
  });
});
