// X14 (issue 19): what the views save and cost, measured through the binary on the captured real
// runner output of test/fixtures/views: tokens of `--view summary` vs `raw` per runner (characters
// / 4), every fixture failure kept in `tests` and `summary`, and `tail --view summary` time vs
// `--view raw` on a 64 KiB tail.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Ran, timed } from "./proc.ts";
import { ae, aeOk, cleanRoot, newRoot, settleJob } from "./store.ts";
import { type Ctx, fmtMs, fmtRatio, type Row, stats, verdict } from "./util.ts";

const FIXTURES = join(import.meta.dir, "..", "..", "test", "fixtures", "views", "captured");
/** Budgets of issue 19. */
const MANY_SAVING = 5;
const TIME_RATIO = 1.5;

interface Fixture {
  name: string;
  runner: string;
  failures: string[];
}

function fixtures(): Fixture[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(FIXTURES, f), "utf8")) as Fixture);
}

/** A job command that prints a captured run's streams as the runner did. */
const replay = (name: string) =>
  `cat '${join(FIXTURES, `${name}.stdout`)}'; cat '${join(FIXTURES, `${name}.stderr`)}' >&2`;

/** Both tails of one `tail` answer, whole (no line bound), in `view`. */
function tails(ctx: Ctx, root: string, id: string, view: string): string {
  const j = aeOk(ctx, root, ["tail", id, "--view", view, "--tail-lines", "0"]);
  return `${j.stdout_tail as string}\n${j.stderr_tail as string}`;
}

const tokens = (text: string) => Math.ceil(text.length / 4);

/** Runs every measure of the views and returns their rows. */
export async function views(ctx: Ctx): Promise<Row[]> {
  const root = newRoot(ctx, "views");
  try {
    const all = fixtures();
    const perRunner = new Map<string, { raw: number; summary: number; many?: number; manyRaw?: number }>();
    let expected = 0;
    let kept = 0;
    const missing: string[] = [];
    for (const f of all) {
      const id = aeOk(ctx, root, ["run", "--wait", "--", replay(f.name)]).job_id as string;
      await settleJob(root, id);
      const raw = tokens(tails(ctx, root, id, "raw"));
      const summaryText = tails(ctx, root, id, "summary");
      const summary = tokens(summaryText);
      const testsText = tails(ctx, root, id, "tests");
      for (const name of f.failures) {
        expected += 2;
        for (const [view, text] of [
          ["tests", testsText],
          ["summary", summaryText],
        ] as const) {
          if (text.includes(name)) kept++;
          else missing.push(`${f.name} ${view}: ${name}`);
        }
      }
      const r = perRunner.get(f.runner) ?? { raw: 0, summary: 0 };
      r.raw += raw;
      r.summary += summary;
      if (f.name.endsWith("-many")) {
        r.many = summary;
        r.manyRaw = raw;
      }
      perRunner.set(f.runner, r);
    }
    const rows: Row[] = [];
    const figures: Record<string, unknown> = {};
    let worstMany = Number.POSITIVE_INFINITY;
    const parts: string[] = [];
    for (const [runner, r] of perRunner) {
      const ratio = r.raw / Math.max(1, r.summary);
      const manyRatio = r.many !== undefined && r.manyRaw !== undefined ? r.manyRaw / Math.max(1, r.many) : undefined;
      if (manyRatio !== undefined) worstMany = Math.min(worstMany, manyRatio);
      figures[runner] = {
        raw_tokens: r.raw,
        summary_tokens: r.summary,
        ratio,
        many_raw: r.manyRaw,
        many_summary: r.many,
        many_ratio: manyRatio,
      };
      parts.push(
        `${runner} ${r.raw}→${r.summary} (${fmtRatio(ratio)}${manyRatio === undefined ? "" : `; 500 tests ${r.manyRaw}→${r.many} = ${fmtRatio(manyRatio)}`})`,
      );
    }
    ctx.notes.push(`V1 tokens (characters / 4), raw → summary, all fixtures of each runner: ${parts.join("; ")}.`);
    rows.push({
      id: "V1",
      measure: "tokens: --view summary vs raw",
      ours: `${fmtRatio(worstMany)} fewer on the worst 500-test/3-failure run`,
      budget: `≥ ${MANY_SAVING}× fewer (500 tests, 3 failures)`,
      peer: "per runner in the notes",
      verdict: verdict(worstMany >= MANY_SAVING),
      figures,
    });
    rows.push({
      id: "V2",
      measure: "fixture failures kept (tests, summary)",
      ours: `${kept}/${expected} = ${((100 * kept) / Math.max(1, expected)).toFixed(0)} %`,
      budget: "100 %",
      peer: `${all.length} captured runs`,
      verdict: verdict(kept === expected),
      figures: { kept, expected, missing },
    });
    rows.push(await timing(ctx, root));
    return rows;
  } finally {
    await cleanRoot(root);
  }
}

/** V3: `tail --view summary` vs `--view raw` on a 64 KiB tail of real runner output, interleaved. */
async function timing(ctx: Ctx, root: string): Promise<Row> {
  // Real output, repeated until each log holds more than the 64 KiB window.
  const big = join(ctx.work, "views-big-output");
  const out = ["pytest-many", "go-many", "cargo-many"]
    .map((n) => readFileSync(join(FIXTURES, `${n}.stdout`), "utf8"))
    .join("");
  const err = ["jest-many", "bun-many", "vitest-many"]
    .map((n) => readFileSync(join(FIXTURES, `${n}.stderr`), "utf8"))
    .join("");
  writeFileSync(`${big}.stdout`, out.repeat(Math.ceil(65_536 / out.length) + 1));
  writeFileSync(`${big}.stderr`, err.repeat(Math.ceil(65_536 / err.length) + 1));
  const id = aeOk(ctx, root, ["run", "--wait", "--", `cat '${big}.stdout'; cat '${big}.stderr' >&2`]).job_id as string;
  await settleJob(root, id);
  const argv = (view: string) => [ctx.bin, "--root", root, "tail", id, "--view", view];
  const samples: Record<string, number[]> = { raw: [], summary: [] };
  const n = ctx.quick ? 30 : 100;
  for (let i = -3; i < n; i++) {
    for (const view of i % 2 === 0 ? ["raw", "summary"] : ["summary", "raw"]) {
      const r: Ran = timed(argv(view), ctx.env);
      if (r.code !== 0) throw new Error(`tail --view ${view}: exit ${r.code}: ${r.stdout.slice(0, 200)}`);
      if (i >= 0) samples[view]?.push(r.ms);
    }
  }
  const raw = stats(samples.raw as number[]);
  const summary = stats(samples.summary as number[]);
  const ratio = summary.median / raw.median;
  const check = ae(ctx, root, ["tail", id, "--view", "summary"]);
  const included = (JSON.parse(check.stdout) as { stdout_observed_bytes: number }).stdout_observed_bytes;
  return {
    id: "V3",
    measure: "tail --view summary vs raw, 64 KiB tail",
    ours: `${fmtMs(summary.median)} = ${fmtRatio(ratio)} raw`,
    budget: `≤ ${TIME_RATIO}× raw`,
    peer: `raw ${fmtMs(raw.median)}; logs of ${included} bytes, 64 KiB read`,
    verdict: verdict(ratio <= TIME_RATIO),
    figures: { raw_ms: raw, summary_ms: summary, ratio },
  };
}
