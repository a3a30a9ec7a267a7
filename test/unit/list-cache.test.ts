// The list cache: hits only while a job directory is unchanged; generation bumps re-check finished jobs.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bumpListGeneration, type JobFacts, ListCache } from "../../src/store/list-cache.ts";

const dir = mkdtempSync(join(tmpdir(), "list-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const facts = (id: string, status: string): JobFacts => ({
  id,
  cwd: "/w",
  tags: [],
  status,
  started: 1,
  summary: { job_id: id, state: status },
});
const OLD = Date.now() - 10_000;

describe("ListCache", () => {
  test("an entry is used while its directory's mtime is unchanged, and re-read when it changes", () => {
    const root = join(dir, "r1");
    mkdirSync(root);
    const first = new ListCache(root, 1000);
    expect(first.get("A", () => OLD)).toBeUndefined();
    first.set("A", OLD, facts("A", "created"));
    first.set("B", OLD, facts("B", "running"));
    first.save();
    const second = new ListCache(root, 1000);
    expect(second.get("A", () => OLD)?.status).toBe("created");
    expect(second.get("A", () => OLD + 1)).toBeUndefined();
    expect(second.get("B", () => OLD)).toBeUndefined(); // running jobs are never cached
  });

  test("a directory changed within a second of the cache write is not trusted (coarse mtimes)", () => {
    const root = join(dir, "r2");
    mkdirSync(root);
    const c = new ListCache(root, 1000);
    const now = Date.now();
    c.set("A", now, facts("A", "created"));
    c.save();
    expect(new ListCache(root, 1000).get("A", () => now)).toBeUndefined();
  });

  test("finished jobs skip the stat until the generation is bumped", () => {
    const root = join(dir, "r3");
    mkdirSync(root);
    const c = new ListCache(root, 1000);
    c.set("A", OLD, facts("A", "exited"));
    c.save();
    let stats = 0;
    const mtime = () => {
      stats++;
      return OLD + 5;
    };
    expect(new ListCache(root, 1000).get("A", mtime)?.status).toBe("exited");
    expect(stats).toBe(0);
    bumpListGeneration(root);
    expect(new ListCache(root, 1000).get("A", mtime)).toBeUndefined();
    expect(stats).toBe(1);
  });

  test("a small store keeps no cache, and drops one left from when it was big", () => {
    const root = join(dir, "r4");
    mkdirSync(root);
    const big = new ListCache(root, 1000);
    big.set("A", OLD, facts("A", "exited"));
    big.save();
    expect(existsSync(join(root, ".list-cache.json"))).toBe(true);
    const small = new ListCache(root, 10);
    expect(small.get("A", () => OLD)).toBeUndefined();
    small.set("A", OLD, facts("A", "exited"));
    small.save();
    expect(existsSync(join(root, ".list-cache.json"))).toBe(false);
    bumpListGeneration(root);
    expect(existsSync(join(root, ".list-cache.gen"))).toBe(false);
  });
});
