// A summary cache for `list` in big stores: `<root>/.list-cache.json` spares reading two JSON files
// per job. It exists only while the root holds at least CACHE_MIN_JOBS entries (below that, reading
// the files is cheap and the root keeps only job directories), and nothing is ever written outside
// the root. Readers skip it: it is a file, and its name is not a job id.
//
// Why: `list --all` over 10 000 jobs must read 20 000 small files, which alone costs more than the
// 150 ms budget (P6, measured). Every write to a job's meta.json or state.json is a rename into
// its directory, which updates the directory's mtime; so a summary recorded with that mtime stays
// valid until the mtime changes, and checking costs one stat per job. Running jobs are never
// cached (their liveness is checked on every read), and entries whose directory changed within a
// second of the cache being written are not trusted, for filesystems with coarse timestamps.
//
// A finished job changes only through tag set / notify set (its meta.json); those commands bump a
// generation file in the root. While the generation is the one the cache was written under, a
// finished job's entry is used without even a stat (the stat of 10 000 directories alone costs
// ~30 ms); every other entry is checked against its directory's mtime.
import { existsSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { atomicWrite } from "./atomic-write.ts";

/** What list needs of one job directory; `undefined` facts mark a directory without a readable meta.json. */
export interface JobFacts {
  id: string;
  cwd: string | undefined;
  tags: string[];
  status: string;
  /** started_at in epoch ms, or NaN. */
  started: number;
  summary: Record<string, unknown>;
}

interface Entry {
  m: number;
  f: JobFacts | null;
}

/** Below this many entries in the root, list reads the job files directly and keeps no cache. */
export const CACHE_MIN_JOBS = 500;

const cacheFiles = (root: string) => ({ file: join(root, ".list-cache.json"), gen: join(root, ".list-cache.gen") });
const FINISHED = new Set(["exited", "killed", "failed"]);

function readGeneration(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Marks every cached finished job of `root` as possibly changed (after a meta.json rewrite). */
export function bumpListGeneration(root: string): void {
  const files = cacheFiles(root);
  if (!existsSync(files.file)) return; // no cache, nothing to invalidate
  try {
    atomicWrite(files.gen, `${Date.now()}-${process.pid}-${Math.random()}`);
  } catch {
    // Could not bump (full disk?): drop the cache instead, so nothing stale is ever served.
    try {
      unlinkSync(files.file);
    } catch {}
  }
}
const VERSION = 4;
const COARSE_MTIME_MS = 1000;
const TRUST_MS = 300_000;

/** The cache of one root, loaded once per list call. */
export class ListCache {
  private readonly path: string;
  private readonly genPath: string;
  private readonly enabled: boolean;
  private readonly writtenAt: number;
  private readonly generation: string;
  private readonly sameGeneration: boolean;
  private readonly old: Record<string, Entry>;
  private readonly next = new Map<string, Entry>();
  private dirty = false;

  /** `entries`: how many entries the root holds (the cache is kept only for big stores). */
  constructor(root: string, entries: number) {
    const files = cacheFiles(root);
    this.enabled = entries >= CACHE_MIN_JOBS;
    this.path = files.file;
    this.genPath = files.gen;
    let doc: { v?: unknown; at?: unknown; g?: unknown; e?: unknown } = {};
    try {
      if (this.enabled) doc = JSON.parse(readFileSync(this.path, "utf8"));
    } catch {
      // No cache yet, or a broken one: start empty.
    }
    const ok = doc.v === VERSION && typeof doc.at === "number" && typeof doc.e === "object" && doc.e !== null;
    this.writtenAt = ok ? (doc.at as number) : 0;
    this.old = ok ? (doc.e as Record<string, Entry>) : {};
    this.generation = this.enabled ? readGeneration(files.gen) : "";
    // A bounded trust: a process with another cache directory (another HOME) that tags a job of a
    // shared root cannot bump our generation, so even unbumped entries are re-checked after a while.
    this.sameGeneration = ok && doc.g === this.generation && Date.now() - this.writtenAt < TRUST_MS;
    if (!this.sameGeneration) this.dirty = true;
  }

  /**
   * The cached facts of `name` when they are still true; otherwise undefined. `mtimeOf` is called
   * only when the entry needs checking.
   */
  get(name: string, mtimeOf: () => number): JobFacts | null | undefined {
    const e = this.old[name];
    if (!e) return undefined;
    const trusted = this.sameGeneration && e.f !== null && FINISHED.has(e.f.status);
    if (!trusted) {
      const m = mtimeOf();
      if (e.m !== m || !(m < this.writtenAt - COARSE_MTIME_MS)) return undefined;
    }
    this.next.set(name, e);
    return e.f;
  }

  /** Records freshly read facts (running jobs are never cached). */
  set(name: string, mtimeMs: number, facts: JobFacts | null): void {
    this.dirty = true;
    if (facts?.status === "running" || facts?.status === "queued") return;
    this.next.set(name, { m: mtimeMs, f: facts });
  }

  /** Writes the cache back when anything changed; failures (read-only root, full disk) are ignored. */
  save(): void {
    if (!this.enabled) {
      // The store shrank (gc): drop a cache left from when it was big.
      for (const p of [this.path, this.genPath]) {
        if (!existsSync(p)) continue;
        try {
          unlinkSync(p);
        } catch {}
      }
      return;
    }
    if (!this.dirty && this.next.size === Object.keys(this.old).length) return;
    try {
      const doc = { v: VERSION, at: Date.now(), g: this.generation, e: Object.fromEntries(this.next) };
      atomicWrite(this.path, JSON.stringify(doc));
    } catch {
      // The cache is an optimisation only.
    }
  }
}
