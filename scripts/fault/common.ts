// Shared pieces of the fault-injection attacks (issue 6): a seeded PRNG, a violation collector,
// a bounded CLI runner, process and file-tree probes, and a raw HTTP client for `serve`.
//
// Every attack lives in its own module here and returns an AttackResult; the quick tests in
// test/fault/ and the long runner scripts/fault.ts call the same functions with different sizes.
// The binary is the one test/helpers/bin.ts names ($AGENT_EXEC_BIN, else dist/agent-exec).
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { BIN } from "../../test/helpers/bin.ts";
import { pidAlive } from "../../test/helpers/pid-alive.ts";
import type { CliOptions, Json, Sandbox } from "../../test/helpers/sandbox.ts";

export { BIN };

/** What one attack found: how many runs it made, what broke, and what it measured. */
export interface AttackResult {
  runs: number;
  /** Human-readable descriptions of every broken guarantee (empty = the attack failed to break anything). */
  violations: string[];
  /** Short figures for the table, in insertion order. */
  figures: string[];
  seed: number;
}

/** Collects violations (capped, so a systematic failure does not flood the report) and figures. */
export class Findings {
  readonly violations: string[] = [];
  readonly figures: string[] = [];
  private dropped = 0;
  runs = 0;
  readonly attack: string;
  readonly seed: number;
  constructor(attack: string, seed: number) {
    this.attack = attack;
    this.seed = seed;
  }

  /** Records a violation unless `ok`. */
  check(ok: boolean, what: () => string): boolean {
    if (!ok) this.fail(what());
    return ok;
  }

  fail(what: string): void {
    if (this.violations.length < 40) this.violations.push(`${this.attack} [seed ${this.seed}] ${what}`);
    else this.dropped++;
  }

  fig(text: string): void {
    this.figures.push(text);
  }

  result(): AttackResult {
    const violations = [...this.violations];
    if (this.dropped > 0) violations.push(`${this.attack}: ... and ${this.dropped} more violations`);
    return { runs: this.runs, violations, figures: [...this.figures], seed: this.seed };
  }
}

/** The seed of this process: $FAULT_SEED when set (to replay a failure), else a random one. */
export function defaultSeed(): number {
  const env = process.env.FAULT_SEED;
  if (env && /^\d+$/.test(env)) return Number(env) >>> 0;
  return (Math.random() * 2 ** 32) >>> 0;
}

/** A small deterministic PRNG (mulberry32), so a seed replays the same attack. */
export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** An independent stream derived from this one (so sub-runs do not depend on each other's draws). */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 2 ** 32));
  }
}

/** One call of the binary. */
export interface Call {
  args: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, when it is exactly one compact JSON object followed by "\n". */
  json: Json;
  timedOut: boolean;
  ms: number;
}

export interface CallOptions extends CliOptions {
  /** Kill the call after this long (default 30 s); a call that hangs is a finding, not a hung suite. */
  timeoutMs?: number;
}

/** Runs the binary in the sandbox's sealed env, bounded in time. */
export async function call(sb: Sandbox, args: string[], opts: CallOptions = {}): Promise<Call> {
  const root = opts.root === undefined ? sb.root : opts.root;
  const full = root === false ? [...args] : ["--root", root, ...args];
  const env: Record<string, string> = { ...sb.env };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const began = performance.now();
  const proc = Bun.spawn([BIN, ...full], {
    cwd: opts.cwd ?? sb.cwd,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, opts.timeoutMs ?? 30_000);
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { args: full, exitCode, stdout, stderr, json: oneJson(stdout), timedOut, ms: performance.now() - began };
}

/** The document when `stdout` is exactly one compact JSON object line ending in "\n", else undefined. */
export function oneJson(stdout: string): Json {
  if (!stdout.endsWith("\n") || stdout.indexOf("\n") !== stdout.length - 1) return undefined;
  try {
    const v = JSON.parse(stdout);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Signs of a crash rather than an error report: JS stack frames, uncaught errors, a Bun panic. */
const CRASH = [
  /^\s*at\s+\S.*(\(|:\d+:\d+)/m,
  /\b(TypeError|ReferenceError|SyntaxError|RangeError|AggregateError)\b/,
  /\buncaught\b/i,
  /Bun has crashed|panic\(|Segmentation fault|oh no:/i,
  /error: script ".*" exited/i,
];

/** The first crash sign in `text`, or undefined. */
export function crashSign(text: string): string | undefined {
  for (const re of CRASH) {
    const m = re.exec(text);
    if (m) return m[0].slice(0, 120);
  }
  return undefined;
}

/** A one-line description of a call for a violation message. */
export function describeCall(c: Call): string {
  const args = c.args.map((a) => (a.length > 60 ? `${a.slice(0, 40)}…(${a.length} chars)` : a));
  return `agent-exec ${JSON.stringify(args)} → exit ${c.exitCode}${c.timedOut ? " (TIMED OUT)" : ""}, stdout ${JSON.stringify(
    c.stdout.slice(0, 300),
  )}, stderr ${JSON.stringify(c.stderr.slice(0, 300))}`;
}

/** Exit code the contract documents for an envelope (§1.4, D3, D4). */
export function documentedExit(doc: Json): number {
  if (doc?.ok === true) return 0;
  return doc?.error?.code === "usage_error" ? 2 : 1;
}

export const TERMINAL = new Set(["exited", "killed", "failed"]);

/** Parsed state.json, or undefined when missing/malformed. */
export function readJsonFile(path: string): Json {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

/** The process group of a pid from /proc/<pid>/stat, or undefined when gone. */
export function pgrpOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[2]);
  } catch {
    return undefined;
  }
}

/** Live (non-zombie) members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const n of readdirSync("/proc")) {
    if (!/^\d+$/.test(n)) continue;
    const pid = Number(n);
    if (pgrpOf(pid) === pgid && pidAlive(pid)) out.push(pid);
  }
  return out;
}

/** Pids whose NUL-separated command line contains `needle` (a substring of the joined argv). */
export function pidsWithArgv(needle: string): number[] {
  const out: number[] = [];
  for (const n of readdirSync("/proc")) {
    if (!/^\d+$/.test(n)) continue;
    const pid = Number(n);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(needle) && pidAlive(pid)) out.push(pid);
    } catch {}
  }
  return out;
}

/** Resident set size of a process in bytes (VmRSS), or undefined when gone. */
export function rssOf(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** SIGKILL a pid we started, ignoring "no such process". */
export function sigkill(pid: number | undefined): boolean {
  if (pid === undefined || pid <= 1) return false;
  try {
    process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

/** Sleeps `ms` (a seeded random delay before an injected fault; never used to wait for a condition). */
export const pause = (ms: number): Promise<void> => (ms <= 0 ? Promise.resolve() : Bun.sleep(ms));

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** One entry of a file-tree snapshot: type, mode, size and content hash (or link target). */
export type TreeSnapshot = Map<string, string>;

/** Everything below `dir` (not following links), for a before/after comparison. */
export function snapshotTree(dir: string): TreeSnapshot {
  const out: TreeSnapshot = new Map();
  const walk = (d: string) => {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(d);
    } catch {
      return;
    }
    const rel = d.slice(dir.length) || "/";
    if (st.isSymbolicLink()) out.set(rel, `link ${readlinkSync(d)}`);
    else if (st.isDirectory()) {
      out.set(rel, `dir ${st.mode.toString(8)}`);
      for (const n of readdirSync(d).sort()) walk(join(d, n));
    } else if (st.isFile()) {
      const hash = createHash("sha256").update(readFileSync(d)).digest("hex").slice(0, 16);
      out.set(rel, `file ${st.mode.toString(8)} ${st.size} ${hash} mtime ${st.mtimeMs}`);
    } else out.set(rel, `other ${st.mode.toString(8)}`);
  };
  walk(dir);
  return out;
}

/** The differences between two snapshots, one line each. */
export function diffTrees(before: TreeSnapshot, after: TreeSnapshot): string[] {
  const out: string[] = [];
  for (const [k, v] of before) {
    const w = after.get(k);
    if (w === undefined) out.push(`deleted ${k}`);
    else if (w !== v) out.push(`changed ${k}: ${v} → ${w}`);
  }
  for (const k of after.keys()) if (!before.has(k)) out.push(`created ${k}`);
  return out;
}

/** A running `agent-exec serve` on loopback. */
export interface Server {
  port: number;
  pid: number;
  base: string;
  /** The last lines it wrote on stderr. */
  stderrTail: () => string;
  exited: Promise<number>;
  stop: () => Promise<void>;
}

/** Starts `serve --port 0 -v` (the port is read from its log line) with the sandbox's env. */
export async function startServer(
  sb: Sandbox,
  opts: { root?: string; token?: string; timeoutMs?: number } = {},
): Promise<Server> {
  const args = [BIN, "--root", opts.root ?? sb.root, "serve", "--port", "0", "-v"];
  if (opts.token !== undefined) args.push("--token", opts.token);
  const proc = Bun.spawn(args, { cwd: sb.cwd, env: sb.env, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  let tail = "";
  let resolvePort!: (p: number) => void;
  const portSeen = new Promise<number>((r) => (resolvePort = r));
  // Drain stderr for the whole life of the server (it logs every request at -v).
  (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) {
      tail = (tail + dec.decode(chunk, { stream: true })).slice(-8192);
      const m = /serving on http:\/\/127\.0\.0\.1:(\d+)/.exec(tail);
      if (m) resolvePort(Number(m[1]));
    }
  })().catch(() => {});
  const timeout = new Promise<number>((_, reject) =>
    setTimeout(() => reject(new Error("serve did not report its port")), opts.timeoutMs ?? 10_000),
  );
  let port: number;
  try {
    port = await Promise.race([
      portSeen,
      timeout,
      proc.exited.then((c) => Promise.reject(new Error(`serve exited ${c}`))),
    ]);
  } catch (err) {
    proc.kill("SIGKILL");
    throw new Error(`${(err as Error).message}; stderr: ${tail}`);
  }
  return {
    port,
    pid: proc.pid,
    base: `http://127.0.0.1:${port}`,
    stderrTail: () => tail,
    exited: proc.exited,
    stop: async () => {
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 3000);
      await proc.exited;
      clearTimeout(t);
    },
  };
}

/** What a raw HTTP exchange produced. */
export interface RawResponse {
  status: number | undefined;
  head: string;
  body: Buffer;
  /** How the connection ended: closed by the server, an error, our own deadline, or cancelled by us. */
  end: "closed" | "error" | "deadline" | "cancelled";
  ms: number;
  error?: string;
}

/**
 * Sends raw bytes on a loopback TCP connection (no client-side URL normalization or body
 * limits) and collects what comes back until the server closes or `timeoutMs` passes. `pieces`
 * are written with `gapMs` between them (a slow client).
 */
export function rawHttp(
  port: number,
  pieces: (string | Uint8Array)[],
  opts: { gapMs?: number; timeoutMs?: number; cancel?: Promise<unknown> } = {},
): Promise<RawResponse> {
  const began = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const sock = connect(port, "127.0.0.1");
    const timers: ReturnType<typeof setTimeout>[] = [];
    const finish = (end: RawResponse["end"], error?: string) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      sock.destroy();
      const all = Buffer.concat(chunks);
      const sep = all.indexOf("\r\n\r\n");
      const head = (sep >= 0 ? all.subarray(0, sep) : all).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({
        status: m ? Number(m[1]) : undefined,
        head,
        body: sep >= 0 ? all.subarray(sep + 4) : Buffer.alloc(0),
        end,
        ms: performance.now() - began,
        ...(error ? { error } : {}),
      });
    };
    sock.on("data", (d: Buffer) => chunks.push(d));
    sock.on("close", () => finish("closed"));
    sock.on("error", (e) => finish("error", e.message));
    timers.push(setTimeout(() => finish("deadline"), opts.timeoutMs ?? 10_000));
    opts.cancel?.then(() => finish("cancelled"));
    sock.on("connect", () => {
      let at = 0;
      pieces.forEach((p, i) => {
        const write = () => {
          if (!done) sock.write(p);
        };
        if (i === 0 || !opts.gapMs) write();
        else {
          at += opts.gapMs;
          timers.push(setTimeout(write, at));
        }
      });
    });
  });
}
