// Speed and memory bench (issue 2, P1–P9): measures the compiled binary against its references in
// one run, prints a table on stdout and optionally writes the figures as JSON.
//
//   bun scripts/bench.ts [--bin PATH] [--quick] [--only P1,P4] [--json PATH] [--strict]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { p9 } from "./bench/concurrency.ts";
import { fronts } from "./bench/fronts.ts";
import { p5, p8 } from "./bench/io.ts";
import { p1, p2, p3, p4 } from "./bench/latency.ts";
import { p6 } from "./bench/list.ts";
import { p8c } from "./bench/logcap.ts";
import { p7 } from "./bench/memory.ts";
import { p10, p12 } from "./bench/queue.ts";
import { slurm } from "./bench/slurm.ts";
import { cleanAll } from "./bench/store.ts";
import { type Ctx, errorRow, type Row } from "./bench/util.ts";
import { views } from "./bench/views.ts";
import { p7w } from "./bench/waiter.ts";

const USAGE = `usage: bun scripts/bench.ts [--bin PATH] [--quick] [--only P1,P4] [--json PATH] [--strict]
  --bin PATH   the agent-exec binary (default: <repo>/dist/agent-exec)
  --quick      fewer runs and smaller sizes (64 MiB instead of 1 GiB, 1 000 jobs instead of 10 000)
  --only LIST  comma-separated measures to run (P1..P12, F for F1-F4, V for the views)
  --json PATH  also write the figures as JSON to PATH
  --strict     exit 1 when a budget is missed (errors always exit 1)`;

/** Measures in the order they run (P8 before P5, so P5 can reuse P8's 1 GiB log). */
const MEASURES: [string, string, (ctx: Ctx) => Promise<Row[]>][] = [
  ["P1", "status/tail vs hello", p1],
  ["P2", "run vs nq", p2],
  ["P3", "run --wait", p3],
  ["P4", "wait latency", p4],
  ["P8", "1 GiB output", p8],
  ["P5", "tail of a huge log", p5],
  ["P8C", "1 GiB output, 64 MiB log cap", p8c],
  ["P6", "list over many jobs", p6],
  ["P7", "memory per job", p7],
  ["P7W", "memory of the waiting parent", p7w],
  ["P9", "200 concurrent runs", p9],
  ["P10", "a queue of parallel 2 vs tsp, and the next start", p10],
  ["P12", "send round trip", p12],
  ["F", "fronts: SSE follow, 100 followers, until-match latency, tail --since (F1-F4)", fronts],
  ["V", "views (X14): tokens, failures kept, time", views],
  ["S", "Slurm backend (needs scripts/slurm/start.sh)", slurm],
];

interface Args {
  bin: string;
  quick: boolean;
  only: Set<string> | undefined;
  json: string | undefined;
  strict: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    bin: join(import.meta.dir, "..", "dist", "agent-exec"),
    quick: false,
    only: undefined,
    json: undefined,
    strict: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === "--bin") args.bin = resolve(value());
    else if (a === "--quick") args.quick = true;
    else if (a === "--strict") args.strict = true;
    else if (a === "--json") args.json = resolve(value());
    else if (a === "--only") args.only = new Set(value().toUpperCase().split(",").filter(Boolean));
    else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  for (const id of args.only ?? []) if (!MEASURES.some(([m]) => m === id)) fail(`unknown measure ${id}`);
  return args;
}

function fail(msg: string): never {
  console.error(`bench: ${msg}\n${USAGE}`);
  process.exit(2);
}

/** A plain pipe table with padded columns (it pastes into Markdown as is). */
function table(rows: Row[]): string {
  const head = ["#", "measure", "ours", "budget", "peer/reference", "verdict"];
  const cells = rows.map((r) => [r.id, r.measure, r.ours, r.budget, r.peer, r.verdict]);
  const width = head.map((h, c) => Math.max(h.length, ...cells.map((row) => (row[c] as string).length)));
  const line = (row: string[]) => `| ${row.map((s, c) => s.padEnd(width[c] as number)).join(" | ")} |`;
  return [line(head), line(width.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

function machine() {
  const model = cpus()[0]?.model ?? "unknown";
  let fs = "";
  try {
    const mounts = readFileSync("/proc/mounts", "utf8").split("\n");
    const tmp = tmpdir();
    let best = "";
    for (const m of mounts) {
      const [, point, type] = m.split(" ");
      if (
        point &&
        type &&
        (tmp === point || tmp.startsWith(point === "/" ? "/" : `${point}/`)) &&
        point.length >= best.length
      ) {
        best = point;
        fs = `${type} at ${point}`;
      }
    }
  } catch {
    // no /proc/mounts
  }
  return { cpus: cpus().length, cpu: model, kernel: release(), bun: Bun.version, tmp: tmpdir(), tmp_fs: fs };
}

/** Share of all CPU time spent busy over `ms` (from /proc/stat): how much else the machine is doing. */
async function cpuBusy(ms: number): Promise<number> {
  const sample = () => {
    const f = (readFileSync("/proc/stat", "latin1").split("\n")[0] ?? "").split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = sample();
    await Bun.sleep(ms);
    const b = sample();
    return b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(args.bin) || !statSync(args.bin).isFile()) {
    fail(`no binary at ${args.bin} (build it with \`bun scripts/build.ts\`, or pass --bin)`);
  }
  const work = mkdtempSync(join(tmpdir(), "agent-exec-bench-"));
  for (const d of ["home", "config", "data"]) mkdirSync(join(work, d));
  const ctx: Ctx = {
    bin: args.bin,
    quick: args.quick,
    work: join(work, "roots"),
    // A sealed environment: no user config, no user profile, no inherited agent-exec settings.
    env: {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      HOME: join(work, "home"),
      XDG_CONFIG_HOME: join(work, "config"),
      XDG_DATA_HOME: join(work, "data"),
      LANG: "C.UTF-8",
    },
    log: (msg) => console.error(`bench: ${msg}`),
    notes: [],
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    console.error("bench: interrupted, cleaning up");
    void cleanAll().finally(() => {
      rmSync(work, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const info = machine();
  const loadBefore = loadavg()[0] ?? 0;
  const busyBefore = await cpuBusy(500);
  const started = performance.now();
  const rows: Row[] = [];
  try {
    for (const [id, name, run] of MEASURES) {
      if (interrupted) break;
      if (args.only && !args.only.has(id)) continue;
      const t0 = performance.now();
      ctx.log(`${id} (${name})…`);
      try {
        rows.push(...(await run(ctx)));
      } catch (err) {
        rows.push(errorRow(id, name, err));
      }
      ctx.log(`${id} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await cleanAll();
    rmSync(work, { recursive: true, force: true });
  }
  if (interrupted) return 130;
  // P rows by number (P8 runs before P5, P10 after P9); the F and V rows (one module each) after them.
  const order = (r: Row) => {
    if (!r.id.startsWith("P")) return r.id.startsWith("F") ? 1000 : 2000;
    const m = /^P(\d+)(.*)$/.exec(r.id);
    return m ? Number(m[1]) * 10 + (m[2] ? 1 : 0) : 999;
  };
  rows.sort((a, b) => order(a) - order(b));
  const total = (performance.now() - started) / 1000;
  const loadAfter = loadavg()[0] ?? 0;
  if (busyBefore > 0.25) {
    ctx.notes.push(
      `The machine was not idle before the bench: ${(busyBefore * 100).toFixed(0)}% of ${info.cpus} CPUs busy over 0.5 s, ` +
        `1-min load ${loadBefore.toFixed(2)}; timings are noisier than on an idle machine.`,
    );
  }
  console.log(
    `agent-exec bench${args.quick ? " (--quick)" : ""}: ${args.bin}\n` +
      `${info.cpus} × ${info.cpu}, Linux ${info.kernel}, Bun ${info.bun}, scratch on ${info.tmp_fs || info.tmp}; ` +
      `"ref" = Rust agent-exec 0.1.17 figures from issue 2 (not measured here)\n`,
  );
  console.log(table(rows));
  const count = (v: Row["verdict"]) => rows.filter((r) => r.verdict === v).length;
  console.log(
    `\n${count("PASS")} PASS, ${count("MISS")} MISS, ${count("ERROR")} ERROR (ratios decide where a floor is measured)`,
  );
  if (ctx.notes.length) console.log(`\n${ctx.notes.map((n) => `- ${n}`).join("\n")}`);
  console.log(`\n(${total.toFixed(0)} s)`);
  if (args.json) {
    const doc = {
      generated_at: new Date().toISOString(),
      bin: args.bin,
      quick: args.quick,
      machine: { ...info, load_before: loadBefore, load_after: loadAfter, busy_before: busyBefore },
      seconds: total,
      rows,
      notes: ctx.notes,
    };
    writeFileSync(args.json, `${JSON.stringify(doc, null, 2)}\n`);
  }
  if (rows.some((r) => r.verdict === "ERROR")) return 1;
  return args.strict && rows.some((r) => r.verdict === "MISS") ? 1 : 0;
}

process.exit(await main());
