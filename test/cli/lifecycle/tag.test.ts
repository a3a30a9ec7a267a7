// `tag set` (§3.9, D13): replace, first-seen dedupe, clear, the tag grammar, any state, state.json
// untouched, and no corruption or lost update when ten calls race on one job.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expectError, expectKeyOrder, expectSuccess, expectUsageError } from "../../helpers/envelope.ts";
import { fx } from "../../helpers/fixtures.ts";
import { Sandbox } from "../../helpers/sandbox.ts";
import { createJob, runToEnd } from "./util.ts";

describe("tag set (§3.9)", () => {
  test.concurrent("replaces the whole list, dedupes first-seen, clears with no --tag; state.json untouched", async () => {
    await using sb = Sandbox.create();
    const id = await runToEnd(sb, ["true"], ["--tag", "old", "--tag", "keep.me"]);
    const stateBefore = readFileSync(join(sb.root, id, "state.json"), "utf8");
    const metaBefore = sb.meta(id);

    const r = await sb.cli(["tag", "set", id, "--tag", "b", "--tag", "proj.build", "--tag", "b", "--tag", "x-1.v2"]);
    const j = expectSuccess(r, "tag.set");
    expect(j).toEqual({
      schema_version: "0.1",
      ok: true,
      type: "tag.set",
      job_id: id,
      tags: ["b", "proj.build", "x-1.v2"],
    });
    expectKeyOrder(j, ["job_id", "tags"]);
    expect(sb.meta(id)).toEqual({ ...metaBefore, tags: ["b", "proj.build", "x-1.v2"] });

    const cleared = await sb.ok(["tag", "set", id]);
    expect(cleared).toEqual({ schema_version: "0.1", ok: true, type: "tag.set", job_id: id, tags: [] });
    expect(sb.meta(id)).toEqual({ ...metaBefore, tags: [] });
    expect(readFileSync(join(sb.root, id, "state.json"), "utf8")).toBe(stateBefore);

    // list --tag sees the new list at once.
    await sb.ok(["tag", "set", id, "--tag", "proj.test"]);
    expect((await sb.ok(["list", "--tag", "proj.*"])).jobs.map((x: { job_id: string }) => x.job_id)).toEqual([id]);
    expect((await sb.ok(["list", "--tag", "old"])).jobs).toEqual([]);
  });

  test.concurrent("works on created and running jobs, by unique prefix; unknown id is job_not_found", async () => {
    await using sb = Sandbox.create();
    const created = await createJob(sb, ["true"]);
    const running = await sb.start(fx.sleepForever());
    for (const id of [created, running]) {
      const stateBefore = readFileSync(join(sb.root, id, "state.json"), "utf8");
      const j = await sb.ok(["tag", "set", id.slice(0, 20).toLowerCase(), "--tag", "t"]);
      expect(j).toEqual({ schema_version: "0.1", ok: true, type: "tag.set", job_id: id, tags: ["t"] });
      expect(sb.meta(id).tags).toEqual(["t"]);
      if (id === created) expect(readFileSync(join(sb.root, id, "state.json"), "utf8")).toBe(stateBefore);
    }
    expect(sb.state(running).job.status).toBe("running");
    expectError(await sb.cli(["tag", "set", "01ZZZZZZZZZZZZZZZZZZZZZZZZ", "--tag", "t"]), "job_not_found", 1);
    expectUsageError(await sb.cli(["tag", "set"]));
    expectUsageError(await sb.cli(["tag"]));
  });

  test.concurrent.each([["bad tag"], ["x.*"], ["a..b"], [".a"], ["a."], ["ä"], [""], ["a/b"], ["*"], ["a_b"]])(
    "invalid tag %p: usage error, exit 2, meta.json unchanged",
    async (tag) => {
      await using sb = Sandbox.create();
      const id = await createJob(sb, ["true"], ["--tag", "orig"]);
      const before = readFileSync(join(sb.root, id, "meta.json"), "utf8");
      expectUsageError(await sb.cli(["tag", "set", id, "--tag", "ok", "--tag", tag]));
      expect(readFileSync(join(sb.root, id, "meta.json"), "utf8")).toBe(before);
    },
  );

  test.concurrent("ten concurrent tag sets: all ok, meta.json valid JSON holding one of the lists (D13)", async () => {
    await using sb = Sandbox.create();
    const id = await createJob(sb, ["true"], ["--tag", "start", "--env", "K=v", "--timeout", "1234"]);
    const metaBefore = sb.meta(id);
    const lists = Array.from({ length: 10 }, (_, i) => [`t${i}`, `g${i}.a`, `g${i}.b`]);
    const results = await Promise.all(
      lists.map((tags) => sb.cli(["tag", "set", id, ...tags.flatMap((t) => ["--tag", t])])),
    );
    results.forEach((r, i) => {
      expect(expectSuccess(r, "tag.set")).toMatchObject({ job_id: id, tags: lists[i] });
    });
    const meta = JSON.parse(readFileSync(join(sb.root, id, "meta.json"), "utf8"));
    expect(lists).toContainEqual(meta.tags);
    expect(meta).toEqual({ ...metaBefore, tags: meta.tags });
    // No temp file left behind by the atomic writes.
    expect(sb.entries().length).toBe(1);
    expect(readdirSync(join(sb.root, id)).filter((n) => n.startsWith(".tmp"))).toEqual([]);
  });
});
