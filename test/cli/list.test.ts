// `list` (§3.8, D19): entry shape and order, the cwd filter, --state, --limit with truncated,
// --tag exact and ns.* patterns, and corrupt records that are reported or skipped, never fatal.
import { describe, expect, test } from "bun:test";
import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EVIDENCE, expectKeyOrder, expectSuccess, expectUsageError } from "../helpers/envelope.ts";
import { fakeId, writeFakeJob } from "../helpers/fake-job.ts";
import { fx } from "../helpers/fixtures.ts";
import { type Json, Sandbox } from "../helpers/sandbox.ts";

const ENTRY_ORDER = [
  "job_id",
  "state",
  "command",
  "cwd",
  "exit_code",
  "created_at",
  "started_at",
  "finished_at",
  "updated_at",
  "tags",
];

const ids = (j: Json): string[] => j.jobs.map((e: Json) => e.job_id);

describe("list entries (§3.8)", () => {
  test.concurrent("whole envelope: running and exited jobs of this directory, newest start first", async () => {
    await using sb = Sandbox.create();
    const done = (await sb.ok(["run", "--wait", "--tag", "ci", "--", "true"])).job_id;
    const running = await sb.start(fx.sleepForever());
    await sb.stdoutMatch(running, /^ready/);
    const d = sb.state(done);
    const r = sb.state(running);
    const j = expectSuccess(await sb.cli(["list"]), "list");
    expect(j).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "list",
      root: sb.root,
      jobs: [
        {
          job_id: running,
          state: "running",
          command: fx.sleepForever().join(" "),
          cwd: sb.meta(running).cwd,
          created_at: sb.meta(running).created_at,
          started_at: r.job.started_at,
          updated_at: r.updated_at,
          tags: [],
        },
        {
          job_id: done,
          state: "exited",
          command: "true",
          cwd: sb.meta(done).cwd,
          exit_code: 0,
          created_at: sb.meta(done).created_at,
          started_at: d.job.started_at,
          finished_at: d.finished_at,
          updated_at: d.updated_at,
          tags: ["ci"],
          ...EVIDENCE,
        },
      ],
      truncated: false,
      skipped: 0,
    });
    expectKeyOrder(j, ["root", "jobs", "truncated", "skipped"]);
    for (const e of j.jobs) expectKeyOrder(e, ENTRY_ORDER);
  });

  test.concurrent("sorted by started_at descending, never-started last, ties by job_id descending", async () => {
    await using sb = Sandbox.create();
    const t = (s: string) => `2025-01-01T00:00:${s}Z`;
    const jobs = [
      { id: fakeId("01HA"), status: "exited" as const, startedAt: t("10") },
      { id: fakeId("01HB"), status: "killed" as const, startedAt: t("30") },
      { id: fakeId("01HC"), status: "exited" as const, startedAt: t("20") },
      { id: fakeId("01HD"), status: "exited" as const, startedAt: t("20") },
      { id: fakeId("01HE"), status: "created" as const },
      { id: fakeId("01HF"), status: "created" as const },
      { id: fakeId("01H9"), status: "failed" as const, startedAt: t("40") },
    ];
    for (const job of jobs) writeFakeJob(sb.root, job);
    const unknown = fakeId("01HG");
    writeFakeJob(sb.root, { id: unknown, stateText: "garbage" });
    const j = await sb.ok(["list", "--all"]);
    expect(ids(j).slice(0, 5)).toEqual([
      fakeId("01H9"),
      fakeId("01HB"),
      fakeId("01HD"),
      fakeId("01HC"),
      fakeId("01HA"),
    ]);
    expect(new Set(ids(j).slice(5))).toEqual(new Set([fakeId("01HE"), fakeId("01HF"), unknown]));
    expect(j.jobs.find((e: Json) => e.state === "failed")).toEqual({
      job_id: fakeId("01H9"),
      state: "failed",
      command: "echo fake",
      created_at: expect.any(String),
      started_at: expect.stringMatching(/^2025-01-01T00:00:40(\.000)?Z$/),
      finished_at: expect.any(String),
      updated_at: expect.any(String),
      tags: [],
      reason: expect.any(String),
      duration_ms: expect.any(Number),
    });
  });
});

describe("cwd filter (§3.8)", () => {
  test.concurrent("default is the caller's cwd; --cwd PATH (relative too); --all; --all with --cwd is exit 2", async () => {
    await using sb = Sandbox.create();
    const a = join(sb.dir, "a");
    const b = join(sb.dir, "b");
    mkdirSync(a);
    mkdirSync(b);
    const inA = (await sb.ok(["run", "--wait", "--", "true"], { cwd: a })).job_id;
    const inB = (await sb.ok(["run", "--wait", "--cwd", b, "--", "true"])).job_id;
    const here = (await sb.ok(["run", "--wait", "--", "true"])).job_id;
    expect(sb.meta(inB).cwd).toBe(realpathSync(b));
    expect(ids(await sb.ok(["list"], { cwd: a }))).toEqual([inA]);
    expect(ids(await sb.ok(["list"], { cwd: b }))).toEqual([inB]);
    expect(ids(await sb.ok(["list"]))).toEqual([here]);
    expect(ids(await sb.ok(["list", "--cwd", b]))).toEqual([inB]);
    expect(ids(await sb.ok(["list", "--cwd", "b"], { cwd: sb.dir }))).toEqual([inB]);
    expect(ids(await sb.ok(["list", "--cwd", `${b}/../a`]))).toEqual([inA]);
    expect(ids(await sb.ok(["list", "--cwd", join(sb.dir, "nowhere")]))).toEqual([]);
    expect(new Set(ids(await sb.ok(["list", "--all"])))).toEqual(new Set([inA, inB, here]));
    expectUsageError(await sb.cli(["list", "--all", "--cwd", "x"]));
    expectUsageError(await sb.cli(["list", "--cwd", "x", "--all"]));
  });
});

describe("--state (§3.8)", () => {
  test.concurrent("filters on the reported state, unknown included; anything else is exit 2", async () => {
    await using sb = Sandbox.create();
    writeFakeJob(sb.root, { id: fakeId("01HEXITED"), status: "exited" });
    writeFakeJob(sb.root, { id: fakeId("01HKILLED"), status: "killed" });
    writeFakeJob(sb.root, { id: fakeId("01HFAILED"), status: "failed" });
    writeFakeJob(sb.root, { id: fakeId("01HCREATED"), status: "created" });
    writeFakeJob(sb.root, { id: fakeId("01HUNKNOWN"), stateText: null });
    const running = await sb.start(fx.sleepForever());
    const expected: Record<string, string[]> = {
      exited: [fakeId("01HEXITED")],
      killed: [fakeId("01HKILLED")],
      failed: [fakeId("01HFAILED")],
      created: [fakeId("01HCREATED")],
      unknown: [fakeId("01HUNKNOWN")],
      running: [running],
    };
    for (const [state, want] of Object.entries(expected)) {
      const j = await sb.ok(["list", "--all", "--state", state]);
      expect({ state, ids: ids(j), states: j.jobs.map((e: Json) => e.state) }).toEqual({
        state,
        ids: want,
        states: want.map(() => state),
      });
    }
    for (const bad of ["bogus", "RUNNING", "", "done"]) expectUsageError(await sb.cli(["list", "--state", bad]));
  });

  test.concurrent("repeatable: any of the states matches; one bad value among them is exit 2 (D40)", async () => {
    await using sb = Sandbox.create();
    writeFakeJob(sb.root, { id: fakeId("01HEXITED"), status: "exited", startedAt: "2025-01-01T00:00:03Z" });
    writeFakeJob(sb.root, { id: fakeId("01HKILLED"), status: "killed", startedAt: "2025-01-01T00:00:02Z" });
    writeFakeJob(sb.root, { id: fakeId("01HFAILED"), status: "failed", startedAt: "2025-01-01T00:00:01Z" });
    writeFakeJob(sb.root, { id: fakeId("01HCREATED"), status: "created" });
    const j = await sb.ok(["list", "--all", "--state", "failed", "--state", "exited", "--state", "created"]);
    expect(ids(j)).toEqual([fakeId("01HEXITED"), fakeId("01HFAILED"), fakeId("01HCREATED")]);
    expect(ids(await sb.ok(["list", "--all", "--state", "killed", "--state", "killed"]))).toEqual([
      fakeId("01HKILLED"),
    ]);
    expectUsageError(await sb.cli(["list", "--all", "--state", "exited", "--state", "bogus"]));
  });
});

describe("--limit (D19)", () => {
  test.concurrent("defaults to 50 with truncated; 0 means all; exact fits are not truncated", async () => {
    await using sb = Sandbox.create();
    const all: string[] = [];
    for (let i = 0; i < 60; i++) {
      const id = fakeId(`01HL${String(i).padStart(2, "0")}`);
      all.push(id);
      writeFakeJob(sb.root, { id, startedAt: `2025-01-01T00:${String(i).padStart(2, "0")}:00Z` });
    }
    const newestFirst = [...all].reverse();
    const def = await sb.ok(["list", "--all"]);
    expect({ n: def.jobs.length, truncated: def.truncated, skipped: def.skipped }).toEqual({
      n: 50,
      truncated: true,
      skipped: 0,
    });
    expect(ids(def)).toEqual(newestFirst.slice(0, 50));
    const zero = await sb.ok(["list", "--all", "--limit", "0"]);
    expect({ ids: ids(zero), truncated: zero.truncated }).toEqual({ ids: newestFirst, truncated: false });
    const exact = await sb.ok(["list", "--all", "--limit", "60"]);
    expect({ n: exact.jobs.length, truncated: exact.truncated }).toEqual({ n: 60, truncated: false });
    const less = await sb.ok(["list", "--all", "--limit", "59"]);
    expect({ n: less.jobs.length, truncated: less.truncated }).toEqual({ n: 59, truncated: true });
    const three = await sb.ok(["list", "--all", "--limit", "3", "--state", "exited"]);
    expect({ ids: ids(three), truncated: three.truncated }).toEqual({ ids: newestFirst.slice(0, 3), truncated: true });
    for (const bad of ["-1", "x", "1.5", ""]) expectUsageError(await sb.cli(["list", "--limit", bad]));
  });
});

describe("--tag patterns (§3.8, §3.9)", () => {
  test.concurrent("exact tags and ns.* namespaces (the bare namespace included), AND across patterns", async () => {
    await using sb = Sandbox.create();
    const tagged: Record<string, string[]> = {
      "01HT1": ["ci"],
      "01HT2": ["ci.build"],
      "01HT3": ["ns"],
      "01HT4": ["ns.sub"],
      "01HT5": ["ns.sub.deep"],
      "01HT6": ["other", "ci"],
      "01HT7": ["nsx", "ns-x.sub"],
      "01HT8": [],
    };
    for (const [p, tags] of Object.entries(tagged)) writeFakeJob(sb.root, { id: fakeId(p), tags });
    const real = await sb.ok(["run", "--wait", "--tag", "ns.real", "--tag", "ns.real", "--", "true"]);
    const want = (...ps: string[]) => new Set(ps.map((p) => (p === "real" ? real.job_id : fakeId(p))));
    const q = async (...patterns: string[]) =>
      new Set(ids(await sb.ok(["list", "--all", ...patterns.flatMap((t) => ["--tag", t])])));
    expect(await q("ci")).toEqual(want("01HT1", "01HT6"));
    expect(await q("ci.*")).toEqual(want("01HT1", "01HT2", "01HT6"));
    expect(await q("ns.*")).toEqual(want("01HT3", "01HT4", "01HT5", "real"));
    expect(await q("ns.sub.*")).toEqual(want("01HT4", "01HT5"));
    expect(await q("ns.sub")).toEqual(want("01HT4"));
    expect(await q("ns")).toEqual(want("01HT3"));
    expect(await q("ci", "other")).toEqual(want("01HT6"));
    expect(await q("ci", "ns.*")).toEqual(want());
    expect(await q("nope")).toEqual(want());
    const entry = (await sb.ok(["list", "--all", "--tag", "ns.real"])).jobs[0];
    expect(entry.tags).toEqual(["ns.real"]);
    for (const bad of ["", "*", "ns.**", ".*", "a..b", "a_b", "ns.*.x", "a b"]) {
      expectUsageError(await sb.cli(["list", "--tag", bad]));
    }
  });
});

describe("corrupt records (§3.8)", () => {
  test.concurrent("a corrupt state.json is listed as unknown, a corrupt meta.json is skipped; others still listed", async () => {
    await using sb = Sandbox.create();
    const good = (await sb.ok(["run", "--wait", "--", "true"])).job_id;
    const badState = fakeId("01HBADSTATE");
    writeFakeJob(sb.root, {
      id: badState,
      stateText: '{"job":',
      cwd: realpathSync(sb.cwd),
      createdAt: "2025-02-02T00:00:00Z",
    });
    const badMeta = fakeId("01HBADMETA");
    writeFakeJob(sb.root, { id: badMeta, metaText: "{ nope" });
    // Not jobs at all: a plain file, and a leftover temp file of an atomic write.
    writeFileSync(join(sb.root, "README"), "not a job");
    writeFileSync(join(sb.root, good, ".tmp-123"), "{");
    const j = await sb.ok(["list"]);
    expect(j).toMatchObject({ truncated: false, skipped: 1 });
    expect(ids(j)).toEqual([good, badState]);
    expect(j.jobs[1]).toEqual({
      job_id: badState,
      state: "unknown",
      command: "echo fake",
      cwd: expect.any(String),
      created_at: expect.stringMatching(/^2025-02-02T00:00:00(\.000)?Z$/),
      tags: [],
    });
    const all = await sb.ok(["list", "--all"]);
    expect({ ids: ids(all), skipped: all.skipped }).toEqual({ ids: [good, badState], skipped: 1 });
    const noMeta = fakeId("01HNOMETA");
    writeFakeJob(sb.root, { id: noMeta, metaText: null });
    expect((await sb.ok(["list", "--all"])).skipped).toBe(2);
  });
});
