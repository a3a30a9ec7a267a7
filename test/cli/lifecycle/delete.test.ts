// `delete` (§3.12): one job in any non-running state, or `--all` scoped to the caller's canonical
// cwd; `--dry-run`; the response fields; a running job is never removed; ids never escape the root.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectError, expectKeyOrder, expectSuccess, expectUsageError } from "../../helpers/envelope.ts";
import { fakeId, writeFakeJob } from "../../helpers/fake-job.ts";
import { fx } from "../../helpers/fixtures.ts";
import { pidAlive } from "../../helpers/pid-alive.ts";
import { pollUntil } from "../../helpers/poll.ts";
import { Sandbox } from "../../helpers/sandbox.ts";
import { createJob, runToEnd } from "./util.ts";

const DELETE_ORDER = ["root", "dry_run", "deleted", "would_delete", "skipped", "jobs", "truncated"];

const byId = (a: { job_id: string }, b: { job_id: string }) => (a.job_id < b.job_id ? -1 : 1);

function single(sb: Sandbox, id: string, state: string, dryRun: boolean) {
  return {
    schema_version: "0.1",
    ok: true,
    type: "delete",
    root: sb.root,
    dry_run: dryRun,
    deleted: dryRun ? 0 : 1,
    would_delete: dryRun ? 1 : 0,
    skipped: 0,
    jobs: [{ job_id: id, state, action: dryRun ? "would_delete" : "deleted", reason: "explicit_delete" }],
    truncated: false,
  };
}

describe("delete <id> (§3.12)", () => {
  test.concurrent("--dry-run reports would_delete and keeps the directory; then it is removed", async () => {
    await using sb = Sandbox.create();
    const id = await runToEnd(sb, fx.exitWithCode(2));
    const dry = expectSuccess(await sb.cli(["delete", "--dry-run", id]), "delete");
    expect(dry).toEqual(single(sb, id, "exited", true));
    expectKeyOrder(dry, DELETE_ORDER);
    expect(Object.keys(dry.jobs[0])).toEqual(["job_id", "state", "action", "reason"]);
    expect(existsSync(sb.jobDir(id))).toBe(true);

    // A unique prefix, in lower case, resolves; the response names the full id.
    const j = expectSuccess(await sb.cli(["delete", id.slice(0, 22).toLowerCase()]), "delete");
    expect(j).toEqual(single(sb, id, "exited", false));
    expect(existsSync(sb.jobDir(id))).toBe(false);
    expectError(await sb.cli(["delete", id]), "job_not_found", 1);
  });

  test.concurrent("created, killed, failed and unreadable (unknown) jobs can be deleted", async () => {
    await using sb = Sandbox.create();
    const created = await createJob(sb, ["true"]);
    const killed = writeFakeJob(sb.root, { id: fakeId("01HKILLED"), status: "killed" });
    const failed = writeFakeJob(sb.root, { id: fakeId("01HFAILED"), status: "failed" });
    const unknown = writeFakeJob(sb.root, { id: fakeId("01HUNKNOWN"), stateText: "{not json" });
    const noState = writeFakeJob(sb.root, { id: fakeId("01HNOSTATE"), stateText: null });
    expect(await sb.ok(["delete", created])).toEqual(single(sb, created, "created", false));
    expect(await sb.ok(["delete", fakeId("01HKILLED")])).toEqual(single(sb, fakeId("01HKILLED"), "killed", false));
    expect(await sb.ok(["delete", fakeId("01HFAILED")])).toEqual(single(sb, fakeId("01HFAILED"), "failed", false));
    expect(await sb.ok(["delete", fakeId("01HUNKNOWN")])).toEqual(single(sb, fakeId("01HUNKNOWN"), "unknown", false));
    expect(await sb.ok(["delete", fakeId("01HNOSTATE")])).toEqual(single(sb, fakeId("01HNOSTATE"), "unknown", false));
    for (const d of [sb.jobDir(created), killed, failed, unknown, noState])
      expect({ d, there: existsSync(d) }).toEqual({ d, there: false });
  });

  test.concurrent("a running job: invalid_state, exit 1, directory and process stay", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(fx.sleepForever());
    const pid = Number((await sb.stdoutMatch(id, /^ready (\d+)/))[1]);
    for (const args of [
      ["delete", id],
      ["delete", "--dry-run", id],
    ]) {
      expectError(await sb.cli(args), "invalid_state", 1);
      expect(existsSync(join(sb.jobDir(id), "meta.json"))).toBe(true);
    }
    expect(pidAlive(pid)).toBe(true);
    expect(sb.state(id).job.status).toBe("running");
  });

  test.concurrent("start and delete racing on a created job: exactly one wins, never a running job removed", async () => {
    await using sb = Sandbox.create();
    const ids = await Promise.all([0, 1, 2, 3, 4].map(() => createJob(sb, fx.sleepForever())));
    await Promise.all(
      ids.map(async (id) => {
        const [start, del] = await Promise.all([
          sb.cli(["start", "--snapshot-after", "0", id]),
          sb.cli(["delete", id]),
        ]);
        const there = existsSync(join(sb.jobDir(id), "meta.json"));
        if (start.exitCode === 0) {
          expectError(del, "invalid_state", 1);
          expect({ id, there }).toEqual({ id, there: true });
          await sb.stdoutMatch(id, /^ready/);
        } else {
          expect(expectSuccess(del, "delete").jobs).toEqual([
            { job_id: id, state: "created", action: "deleted", reason: "explicit_delete" },
          ]);
          expect(["job_not_found", "invalid_state"]).toContain(start.json?.error?.code);
          expect({ id, there }).toEqual({ id, there: false });
        }
      }),
    );
  });

  test.concurrent("usage: neither id nor --all, or both, is exit 2 and deletes nothing", async () => {
    await using sb = Sandbox.create();
    const id = await runToEnd(sb, ["true"]);
    expectUsageError(await sb.cli(["delete"]));
    expectUsageError(await sb.cli(["delete", "--dry-run"]));
    expectUsageError(await sb.cli(["delete", "--all", id]));
    expectUsageError(await sb.cli(["delete", id, "--all", "--dry-run"]));
    expect(sb.entries()).toEqual([id]);
  });

  test.concurrent("ids that would escape the root are job_not_found; the decoys survive", async () => {
    await using sb = Sandbox.create();
    const id = await runToEnd(sb, ["true"]);
    const decoy = join(sb.dir, "decoy");
    mkdirSync(decoy);
    writeFileSync(join(decoy, "keep"), "x");
    for (const bad of ["", ".", "..", "../decoy", `${id}/..`, "/", "a/b"]) {
      expectError(await sb.cli(["delete", bad]), "job_not_found", 1);
    }
    expect(existsSync(join(decoy, "keep"))).toBe(true);
    expect(sb.entries()).toEqual([id]);
    expectError(await sb.cli(["delete", "01ZZZZZZZZZZZZZZZZZZZZZZZZ"]), "job_not_found", 1);
  });
});

describe("delete --all (§3.12)", () => {
  test.concurrent("only jobs of the caller's cwd; terminal deleted, the rest skipped with reasons", async () => {
    await using sb = Sandbox.create();
    const other = join(sb.dir, "other");
    mkdirSync(other);
    const exited = await runToEnd(sb, ["true"]);
    const failedExit = await runToEnd(sb, fx.exitWithCode(9));
    const created = await createJob(sb, ["true"]);
    const running = await sb.start(fx.sleepForever());
    const unreadable = fakeId("01HBROKEN");
    writeFakeJob(sb.root, { id: unreadable, cwd: sb.cwd, stateText: "garbage" });
    const killed = fakeId("01HKILLEDJOB");
    writeFakeJob(sb.root, { id: killed, cwd: sb.cwd, status: "killed" });
    // Out of scope: another cwd, no cwd at all, and an unparsable meta.json.
    const elsewhere = await runToEnd(sb, ["true"], [], { cwd: other });
    const noCwd = fakeId("01HNOCWD");
    writeFakeJob(sb.root, { id: noCwd });
    const badMeta = fakeId("01HBADMETA");
    writeFakeJob(sb.root, { id: badMeta, metaText: "{" });

    const expected = (dry: boolean) => ({
      schema_version: "0.1",
      ok: true,
      type: "delete",
      root: sb.root,
      dry_run: dry,
      deleted: dry ? 0 : 3,
      would_delete: dry ? 3 : 0,
      skipped: 3,
      // D37: deleted (or would-delete) first, then skipped, each in id order.
      jobs: [
        { job_id: exited, state: "exited", action: dry ? "would_delete" : "deleted", reason: "terminal_in_cwd" },
        { job_id: failedExit, state: "exited", action: dry ? "would_delete" : "deleted", reason: "terminal_in_cwd" },
        { job_id: killed, state: "killed", action: dry ? "would_delete" : "deleted", reason: "terminal_in_cwd" },
      ]
        .sort(byId)
        .concat(
          [
            { job_id: created, state: "created", action: "skipped", reason: "created" },
            { job_id: running, state: "running", action: "skipped", reason: "running" },
            { job_id: unreadable, state: "unknown", action: "skipped", reason: "state_unreadable" },
          ].sort(byId),
        ),
      truncated: false,
    });
    const all = [exited, failedExit, created, running, unreadable, killed, elsewhere, noCwd, badMeta].sort();
    const dry = expectSuccess(await sb.cli(["delete", "--all", "--dry-run"]), "delete");
    expect(dry).toEqual(expected(true));
    expectKeyOrder(dry, DELETE_ORDER);
    expect(sb.entries().sort()).toEqual(all);

    const real = await sb.ok(["delete", "--all"]);
    expect(real).toEqual(expected(false));
    expect(sb.entries().sort()).toEqual(all.filter((x) => ![exited, failedExit, killed].includes(x)));
    expect(sb.state(running).job.status).toBe("running");
    await pollUntil(() => sb.file(running, "stdout.log").toString().startsWith("ready"));
  });

  test.concurrent("the caller's cwd is canonicalized: called through a symlink it still matches", async () => {
    await using sb = Sandbox.create();
    const id = await runToEnd(sb, ["true"]);
    const link = join(sb.dir, "cwd-link");
    symlinkSync(sb.cwd, link);
    const j = await sb.ok(["delete", "--all"], { cwd: link, env: { PWD: link } });
    expect(j.jobs).toEqual([{ job_id: id, state: "exited", action: "deleted", reason: "terminal_in_cwd" }]);
    expect(sb.entries()).toEqual([]);
  });

  test.concurrent("a missing root or an empty scope reports nothing", async () => {
    await using sb = Sandbox.create();
    const empty = {
      root: sb.root,
      dry_run: false,
      deleted: 0,
      would_delete: 0,
      skipped: 0,
      jobs: [],
      truncated: false,
    };
    expect(await sb.ok(["delete", "--all"])).toEqual({ schema_version: "0.1", ok: true, type: "delete", ...empty });
    expect(existsSync(sb.root)).toBe(false);
    const elsewhere = join(sb.dir, "elsewhere");
    mkdirSync(elsewhere);
    const id = await runToEnd(sb, ["true"], [], { cwd: elsewhere });
    expect(await sb.ok(["delete", "--all"])).toEqual({ schema_version: "0.1", ok: true, type: "delete", ...empty });
    expect(sb.entries()).toEqual([id]);
  });
});
