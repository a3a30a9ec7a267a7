// D37: `gc` and `delete --all` list at most 50 entries (deleted first), count every action over
// all jobs, say `truncated:true` when entries were left out, and take `--limit N` (0 = all).
import { describe, expect, test } from "bun:test";
import { realpathSync } from "node:fs";
import { expectUsageError } from "../../helpers/envelope.ts";
import { fakeId, writeFakeJob } from "../../helpers/fake-job.ts";
import { type Json, Sandbox } from "../../helpers/sandbox.ts";

/** 3 created jobs (ids first in order, so they would lead an unsorted list) and `n` old finished ones. */
function populate(sb: Sandbox, n: number): void {
  const cwd = realpathSync(sb.cwd);
  for (let i = 0; i < 3; i++) writeFakeJob(sb.root, { id: fakeId(`01H0C${i}`), status: "created", cwd });
  for (let i = 0; i < n; i++) {
    writeFakeJob(sb.root, { id: fakeId(`01H1E${String(i).padStart(3, "0")}`), status: "exited", cwd });
  }
}

const actions = (j: Json): string[] => j.jobs.map((e: Json) => e.action);

describe("bounded housekeeping answers (D37)", () => {
  test.concurrent("gc over 63 jobs: 50 entries, deleted first, every count, truncated", async () => {
    await using sb = Sandbox.create();
    populate(sb, 60);
    const j = await sb.ok(["gc", "--older-than", "1d"]);
    expect({ deleted: j.deleted, would_delete: j.would_delete, skipped: j.skipped, truncated: j.truncated }).toEqual({
      deleted: 60,
      would_delete: 0,
      skipped: 3,
      truncated: true,
    });
    expect(actions(j)).toEqual(Array(50).fill("deleted"));
    expect(sb.entries()).toHaveLength(3);
  });

  test.concurrent("gc --limit 0 lists all, skipped last; --limit 5 --dry-run counts would_delete", async () => {
    await using sb = Sandbox.create();
    populate(sb, 60);
    const some = await sb.ok(["gc", "--older-than", "1d", "--dry-run", "--limit", "5"]);
    expect({ n: some.jobs.length, would: some.would_delete, deleted: some.deleted, truncated: some.truncated }).toEqual(
      {
        n: 5,
        would: 60,
        deleted: 0,
        truncated: true,
      },
    );
    const all = await sb.ok(["gc", "--older-than", "1d", "--limit", "0"]);
    expect(actions(all)).toEqual([...Array(60).fill("deleted"), "skipped", "skipped", "skipped"]);
    expect(all.truncated).toBe(false);
  });

  test.concurrent("delete --all: the same bound, counts and --limit", async () => {
    await using sb = Sandbox.create();
    populate(sb, 55);
    const dry = await sb.ok(["delete", "--all", "--dry-run"]);
    expect({ n: dry.jobs.length, would: dry.would_delete, skipped: dry.skipped, truncated: dry.truncated }).toEqual({
      n: 50,
      would: 55,
      skipped: 3,
      truncated: true,
    });
    expect(actions(dry)).toEqual(Array(50).fill("would_delete"));
    const j = await sb.ok(["delete", "--all", "--limit", "60"]);
    expect({ n: j.jobs.length, deleted: j.deleted, skipped: j.skipped, truncated: j.truncated }).toEqual({
      n: 58,
      deleted: 55,
      skipped: 3,
      truncated: false,
    });
    expect(actions(j).slice(-3)).toEqual(["skipped", "skipped", "skipped"]);
  });

  test.concurrent("--limit takes a non-negative integer", async () => {
    await using sb = Sandbox.create();
    for (const bad of ["-1", "x", "1.5"]) {
      expectUsageError(await sb.cli(["gc", "--limit", bad]));
      expectUsageError(await sb.cli(["delete", "--all", "--limit", bad]));
    }
  });
});
