// P6: `list` over a big store: 50 real jobs copied up to 10 000.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { referenceBinary } from "./fixtures.ts";
import { timed } from "./proc.ts";
import { aeOk, cleanRoot, fakeUlid, newRoot, settleJob } from "./store.ts";
import { type Ctx, fmtMs, fmtRatio, type Row, stats, verdict } from "./util.ts";

const shiftIso = (iso: unknown, ms: number) =>
  typeof iso === "string" ? new Date(Date.parse(iso) - ms).toISOString() : iso;

/**
 * Fills `root` up to `total` jobs: copies of the real jobs already there, each with a new
 * ULID-shaped id (rewritten inside meta.json and state.json) and its timestamps moved back by k s.
 */
function replicate(root: string, templateIds: string[], total: number): void {
  const tpl = templateIds.map((id) => ({
    dir: join(root, id),
    meta: JSON.parse(readFileSync(join(root, id, "meta.json"), "utf8")) as Record<string, unknown>,
    state: JSON.parse(readFileSync(join(root, id, "state.json"), "utf8")) as Record<string, Record<string, unknown>>,
  }));
  for (let k = tpl.length; k < total; k++) {
    const t = tpl[k % tpl.length]!;
    const shift = k * 1000;
    const created = shiftIso(t.meta.created_at, shift) as string;
    const id = fakeUlid(Date.parse(created));
    const dir = join(root, id);
    mkdirSync(dir);
    const meta = { ...t.meta, job: { id }, created_at: created };
    const st = t.state;
    const state = {
      ...st,
      job: { ...st.job, id, started_at: shiftIso(st.job?.started_at, shift) },
      finished_at: shiftIso(st.finished_at, shift),
      updated_at: shiftIso(st.updated_at, shift),
    };
    writeFileSync(join(dir, "meta.json"), JSON.stringify(meta, null, 2));
    writeFileSync(join(dir, "state.json"), JSON.stringify(state, null, 2));
    for (const f of ["stdout.log", "stderr.log", "full.log"]) copyFileSync(join(t.dir, f), join(dir, f));
  }
}

/**
 * The budget was 150 ms when reading every record took 157 ms (README); the ratio to that floor,
 * measured in the same loop, decides the verdict: `list` must not cost more than reading every
 * meta.json and state.json once.
 */
const P6_MS = 150;
const P6_FLOOR = 1;

/** P6: `list --all --limit 0` over a store of 10 000 finished jobs (50 real, the rest copies). */
export async function p6(ctx: Ctx): Promise<Row[]> {
  const total = ctx.quick ? 1000 : 10_000;
  const real = 50;
  const root = newRoot(ctx, "p6");
  try {
    const ids: string[] = [];
    for (let i = 0; i < real; i++) {
      ids.push(
        aeOk(ctx, root, ["run", "--snapshot-after", "0", "--tag", `bench.${i % 5}`, "--", "echo", `job-${i}`])
          .job_id as string,
      );
    }
    for (const id of ids) await settleJob(root, id);
    replicate(root, ids, total);
    const list = (limit: string[]) => aeOk(ctx, root, ["list", "--all", ...limit], 60_000);
    const first = list(["--limit", "0"]);
    const jobs = first.jobs as unknown[];
    if (jobs.length !== total || first.skipped !== 0)
      throw new Error(`list saw ${jobs.length} jobs, skipped ${first.skipped}`);
    const reader = [await referenceBinary("reader"), root];
    const ms: number[] = [];
    const dflt: number[] = [];
    const floor: number[] = [];
    const n = ctx.quick ? 5 : 15;
    for (let i = 0; i < n; i++) {
      ms.push(list(["--limit", "0"]).ms);
      dflt.push(list([]).ms);
      const r = timed(reader, ctx.env);
      if (!r.stdout.includes(`"jobs":${total}`)) throw new Error(`reader: ${r.stdout}${r.stderr}`);
      floor.push(r.ms);
    }
    const s = stats(ms);
    const d = stats(dflt);
    const f = stats(floor);
    const ratio = s.median / f.median;
    ctx.notes.push(
      `P6: ${real} real jobs, copied to ${total} (new ULID-shaped ids rewritten in meta.json/state.json, logs copied); ` +
        `\`list --all\` with the default --limit 50 over the same store: median ${fmtMs(d.median)}; ` +
        `a Bun binary built the same way that only reads and parses every meta.json and state.json: median ${fmtMs(f.median)}.`,
    );
    return [
      {
        id: "P6",
        measure: `\`list --all --limit 0\` over ${total.toLocaleString("en")} jobs (median of ${n})`,
        ours: `${fmtMs(s.median)} = ${fmtRatio(ratio)} read-all`,
        budget: `≤ ${P6_FLOOR}× read-all (${P6_MS} ms)`,
        peer: `read-all floor ${fmtMs(f.median)}; ref 180 ms`,
        verdict: verdict(ratio <= P6_FLOOR),
        figures: {
          ratio,
          absolute_ok: s.median <= P6_MS,
          jobs: total,
          real_jobs: real,
          ms: s,
          default_limit_ms: d,
          read_all_floor_ms: f,
          output_bytes: first.stdout.length,
        },
      },
    ];
  } finally {
    await cleanRoot(root);
  }
}
