// Fault injection, long variants (issue 6, R2–R10; issue 12, R11–R12): attacks the compiled binary and prints a table
// `# | attack | runs | result | figures`; exits 1 when any attack broke a guarantee.
//
//   bun scripts/fault.ts [--bin PATH] [--quick] [--only R2,R7] [--seed N]
//
// Everything runs in fresh temp dirs under $TMPDIR (or /tmp), HTTP on loopback only; every process
// started is killed and every temp dir removed at the end, also on Ctrl-C. The quick variants of
// the same attacks run in test/fault/.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const USAGE = `usage: bun scripts/fault.ts [--bin PATH] [--quick] [--only R2,R7] [--seed N]
  --bin PATH   the agent-exec binary (default: $AGENT_EXEC_BIN, else <repo>/dist/agent-exec)
  --quick      the sizes of the test suite instead of the long ones
  --only LIST  comma-separated attacks (R2..R12)
  --seed N     replay a run (default: $FAULT_SEED, else random; printed with the table)`;

const IDS = ["R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11", "R12"];

interface Args {
  quick: boolean;
  only: Set<string> | undefined;
  seed: number | undefined;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: undefined, seed: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === "--bin") process.env.AGENT_EXEC_BIN = resolve(value());
    else if (a === "--quick") args.quick = true;
    else if (a === "--only") {
      args.only = new Set(value().toUpperCase().split(",").filter(Boolean));
      for (const id of args.only) if (!IDS.includes(id)) fail(`unknown attack ${id}`);
    } else if (a === "--seed") {
      const v = value();
      if (!/^\d+$/.test(v)) fail(`--seed needs a non-negative integer, got ${v}`);
      args.seed = Number(v) >>> 0;
    } else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  return args;
}

function fail(msg: string): never {
  console.error(`fault: ${msg}\n${USAGE}`);
  process.exit(2);
}

const args = parseArgs(process.argv.slice(2));
// Every sandbox of this run goes under one private dir, so the final sweep removes exactly what
// this run made (other suites may be using $TMPDIR at the same time).
const WORK = mkdtempSync(join(process.env.TMPDIR || tmpdir(), "agent-exec-fault-"));
process.env.TMPDIR = WORK;
// The modules below resolve the binary and the temp dir when they load, so both must be set first.
const { defaultSeed } = await import("./fault/common.ts");
const { r2 } = await import("./fault/r2.ts");
const { r3, R3_CASES } = await import("./fault/r3.ts");
const { r4 } = await import("./fault/r4.ts");
const { r5 } = await import("./fault/r5.ts");
const { r6 } = await import("./fault/r6.ts");
const { r7Limits, r7Load, r7Slow } = await import("./fault/r7.ts");
const { r8 } = await import("./fault/r8.ts");
const { r9, canMount, unmount } = await import("./fault/r9.ts");
const { r10, R10_CASES } = await import("./fault/r10.ts");
const { r11 } = await import("./fault/r11.ts");
const { r12 } = await import("./fault/r12.ts");
type AttackResult = import("./fault/common.ts").AttackResult;

const seed = args.seed ?? defaultSeed();
const quick = args.quick;
const GiB = 1 << 30;

/** One row of the table: an attack, its bounded run, and its verdict. */
interface Attack {
  id: string;
  name: string;
  /** Hard cap: a run still going after this is reported as hung (and cleaned up at exit). */
  capMs: number;
  run: (seed: number) => Promise<AttackResult | AttackResult[]>;
}

/** R6 runs once; its two verdicts are two rows. */
let r6Run: ReturnType<typeof runR6> | undefined;
const runR6 = (s: number) => Promise.all([r6("cli", s), r6("http", s)]);
const r6Both = (s: number) => {
  r6Run ??= runR6(s);
  return r6Run;
};

const ATTACKS: Attack[] = [
  {
    id: "R2",
    name: `SIGKILL supervisor at random moments (${quick ? 5 : 20} runs)`,
    capMs: 10 * 60_000,
    run: (s) =>
      r2({
        runs: quick ? 5 : 20,
        concurrency: 4,
        seed: s,
        phases: ["before-child", "writing", "after-exit"],
      }),
  },
  {
    id: "R3",
    name: `kill/--timeout on trees and TERM-ignoring jobs (${R3_CASES.length} cases × ${quick ? 1 : 3})`,
    capMs: 5 * 60_000,
    run: (s) => r3(R3_CASES, s, quick ? 1 : 3),
  },
  {
    id: "R4",
    name: `SIGKILL writers during ${quick ? 100 : 1000} writes`,
    capMs: 15 * 60_000,
    run: (s) => r4({ writes: quick ? 100 : 1000, concurrency: 6, seed: s }),
  },
  {
    id: "R5",
    name: `${quick ? 100 : 500} generated malformed invocations`,
    capMs: 15 * 60_000,
    run: (s) => r5({ invocations: quick ? 100 : 500, workers: 4, seed: s }),
  },
  {
    id: "R6",
    name: "hostile ids on every command and route: nothing outside the root touched",
    capMs: 5 * 60_000,
    run: async (s) => {
      const [cli, http] = await r6Both(s);
      return [cli.safety, http.safety];
    },
  },
  {
    id: "R6",
    name: "hostile ids answered job_not_found (HTTP: 4xx, never 5xx)",
    capMs: 5 * 60_000,
    run: async (s) => {
      const [cli, http] = await r6Both(s);
      return [cli.answers, http.answers];
    },
  },
  {
    id: "R7",
    name: "serve: 401 without/with a wrong token, 413 over 1 MiB (also chunked)",
    capMs: 5 * 60_000,
    run: (s) => r7Limits(s),
  },
  {
    id: "R7",
    name: `serve: ${quick ? 500 : 10_000} requests, ${quick ? 20 : 50} in flight, 2 MiB bodies, slow clients alongside`,
    capMs: 15 * 60_000,
    run: (s) => r7Load({ requests: quick ? 500 : 10_000, inFlight: quick ? 20 : 50, seed: s, bigBodyShare: 0.01 }),
  },
  {
    id: "R7",
    name: "serve: slow clients cut off with 408",
    capMs: 3 * 60_000,
    run: (s) =>
      r7Slow(
        quick ? ["stalled-headers"] : ["stalled-headers", "trickled-headers", "stalled-body"],
        s,
        quick ? 20_000 : 60_000,
      ),
  },
  {
    id: "R8",
    name: `${quick ? 30 : 200} concurrent runs vs gc/delete --all/list loops`,
    capMs: 15 * 60_000,
    run: (s) => r8({ runs: quick ? 30 : 200, seed: s, tailMs: quick ? 2500 : 5000 }),
  },
  {
    id: "R9",
    name: "disk full (4 MiB tmpfs) while a job writes",
    capMs: 3 * 60_000,
    run: async (s) => {
      const why = canMount();
      if (why) return { runs: 0, violations: [], figures: [`SKIPPED: cannot mount a tmpfs (${why})`], seed: s };
      return r9(s, quick ? 8000 : 15_000);
    },
  },
  {
    id: "R10",
    name: `${quick ? "64 MiB" : "1 GiB"} without newlines, stdout closed early, daemons holding stdout`,
    capMs: 30 * 60_000,
    run: async (s) => {
      const out: AttackResult[] = [];
      for (const c of R10_CASES) out.push(await r10(c, s, quick ? 64 << 20 : GiB));
      return out;
    },
  },
  {
    id: "R11",
    name: `issue 12: empty tokens, ${quick ? 10 : 100} FIFO//dev/zero env files, ${quick ? 1 : 5}× 10 MB MCP lines, env names`,
    capMs: 10 * 60_000,
    run: (s) => r11({ seed: s, fileRequests: quick ? 10 : 100, bigLines: quick ? 1 : 5 }),
  },
  {
    id: "R12",
    name: `serve resources: big/chunked bodies, slowloris, ${quick ? 100 : 1000} parallel /wait, ${quick ? 500 : 10_000} mixed requests`,
    capMs: 15 * 60_000,
    run: (s) => r12({ seed: s, waits: quick ? 100 : 1000, requests: quick ? 500 : 10_000, inFlight: quick ? 20 : 50 }),
  },
];

/** Kills every process still carrying one of this run's sandbox markers, then removes WORK. */
function sweep(): { killed: number; removed: number } {
  let killed = 0;
  const prefix = `AGENT_EXEC_TEST_SANDBOX=${process.pid}-`;
  for (let round = 0; round < 5; round++) {
    let found = 0;
    for (const n of readdirSync("/proc")) {
      if (!/^\d+$/.test(n) || Number(n) === process.pid) continue;
      try {
        if (
          readFileSync(`/proc/${n}/environ`, "latin1")
            .split("\0")
            .some((e) => e.startsWith(prefix))
        ) {
          process.kill(Number(n), "SIGKILL");
          found++;
        }
      } catch {}
    }
    killed += found;
    if (found === 0) break;
    Bun.sleepSync(50);
  }
  if (!existsSync(WORK)) return { killed, removed: 0 };
  const removed = readdirSync(WORK).length;
  // An R9 tmpfs left mounted by an interrupted run must go before the directory can.
  for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
    const at = line.split(" ")[1];
    if (at?.startsWith(`${WORK}/`)) unmount(at);
  }
  rmSync(WORK, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  return { killed, removed };
}

process.on("SIGINT", () => {
  console.error("fault: interrupted, cleaning up");
  sweep();
  process.exit(130);
});

interface Row {
  n: number;
  id: string;
  name: string;
  runs: number;
  result: "PASS" | "FAIL" | "SKIP";
  figures: string;
  violations: string[];
  ms: number;
}

function table(rows: Row[]): string {
  const head = ["#", "attack", "runs", "result", "figures"];
  const cells = rows.map((r) => [`${r.id}`, r.name, String(r.runs), r.result, r.figures]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const fmt = (c: string[]) => `| ${c.map((x, i) => x.padEnd(width[i] as number)).join(" | ")} |`;
  return [fmt(head), `|${width.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.map(fmt)].join("\n");
}

const rows: Row[] = [];
const selected = ATTACKS.filter((a) => !args.only || args.only.has(a.id));
console.error(`fault: ${selected.length} attacks, ${quick ? "quick" : "long"} sizes, seed ${seed}`);
for (const a of selected) {
  const began = performance.now();
  // One seed for every attack (each draws its own streams from it), so --seed N --only RX replays one.
  const s = seed;
  console.error(`fault: ${a.id} ${a.name} ...`);
  let results: AttackResult[];
  let hung = false;
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cap = new Promise<"cap">((r) => {
      timer = setTimeout(() => r("cap"), a.capMs);
    });
    const got = await Promise.race([a.run(s), cap]);
    clearTimeout(timer);
    if (got === "cap") {
      hung = true;
      results = [
        { runs: 0, violations: [`${a.id}: still running after ${a.capMs / 60_000} min (hung)`], figures: [], seed: s },
      ];
    } else results = Array.isArray(got) ? got : [got];
  } catch (err) {
    results = [
      {
        runs: 0,
        violations: [`${a.id}: the attack itself failed: ${(err as Error).stack ?? err}`],
        figures: [],
        seed: s,
      },
    ];
  }
  const violations = results.flatMap((r) => r.violations);
  const figures = results.flatMap((r) => r.figures);
  const skipped = figures.some((x) => x.startsWith("SKIPPED"));
  const ms = performance.now() - began;
  rows.push({
    n: rows.length + 1,
    id: a.id,
    name: a.name,
    runs: results.reduce((n, r) => n + r.runs, 0),
    result: violations.length > 0 ? "FAIL" : skipped ? "SKIP" : "PASS",
    figures: [...figures, `${(ms / 1000).toFixed(1)} s`].join("; "),
    violations,
    ms,
  });
  console.error(`fault: ${a.id} ${rows[rows.length - 1]?.result} in ${(ms / 1000).toFixed(1)} s`);
  if (hung) sweep();
}

const swept = sweep();
console.log(table(rows));
console.log("");
console.log(
  `seed ${seed} (replay: bun scripts/fault.ts --seed ${seed}${quick ? " --quick" : ""}${args.only ? ` --only ${[...args.only].join(",")}` : ""})`,
);
console.log(`cleanup: ${swept.killed} stray processes killed, ${swept.removed} leftover temp dirs removed`);
const failed = rows.filter((r) => r.result === "FAIL");
for (const r of failed) {
  console.log(`\n${r.id} ${r.name}: ${r.violations.length} violation(s)`);
  for (const v of r.violations) console.log(`  - ${v}`);
}
process.exit(failed.length > 0 ? 1 : 0);
