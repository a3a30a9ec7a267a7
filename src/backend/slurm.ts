// The Slurm backend: a batch job whose script runs this same supervisor on the node (X13). The
// job directory is on a filesystem the nodes share, so logs, state and cursors are the local
// ones; only liveness and signals go through the scheduler's CLI (sbatch, squeue, scancel).
import { appendFileSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { AgentExecError } from "../core/errors.ts";
import { atomicWrite } from "../store/atomic-write.ts";
import { supervisorEnv } from "../supervisor/env-var.ts";
import { selfArgv } from "../supervisor/launch.ts";
import type { Backend, BackendHandle, RemoteStatus, SubmitSpec } from "./types.ts";

/** sbatch options agent-exec sets itself: a --slurm-arg may not override them. */
const OWNED = ["--output", "--error", "--wrap", "--parsable", "-o", "-e", "--export", "--chdir", "-D"];

/** Rejects a --slurm-arg that would override what agent-exec owns. */
export function checkSlurmArgs(args: readonly string[]): void {
  for (const a of args) {
    const name = a.startsWith("--") ? a.split("=")[0] : a.slice(0, 2);
    if (name !== undefined && OWNED.includes(name)) {
      throw new AgentExecError(
        "invalid_input",
        `--slurm-arg ${JSON.stringify(a)} overrides ${name}, which agent-exec sets itself (the supervisor writes the logs)`,
      );
    }
  }
}

/** Fails with invalid_input when sbatch is not on PATH. */
export function checkSlurmInstalled(env: Record<string, string | undefined>): void {
  if (!Bun.which("sbatch", { PATH: env.PATH ?? "/usr/bin:/bin" })) {
    throw new AgentExecError(
      "invalid_input",
      "--backend slurm needs the Slurm client commands (sbatch, squeue, scancel) on PATH: install slurm-client (Debian/Ubuntu) or load your cluster's slurm module",
    );
  }
}

/** Slurm's --time in minutes: agent-exec's own timeout fires first; none = the partition's limit. */
export function slurmTime(timeoutMs: number, killAfterMs: number): string | undefined {
  if (!(timeoutMs > 0)) return undefined;
  return String(Math.ceil((timeoutMs + killAfterMs) / 60_000) + 1);
}

/** The shell quoting of one word for the batch script. */
function sq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The batch script: exec the supervisor, so `scancel --batch --signal` reaches it directly. */
export function batchScript(argv: readonly string[]): string {
  return `#!/bin/sh\nexec ${argv.map(sq).join(" ")}\n`;
}

/** The sbatch argv (without the script, which goes on stdin). */
export function sbatchArgv(spec: SubmitSpec): string[] {
  const a = ["sbatch", "--parsable", `--job-name=agent-exec-${spec.id}`, `--chdir=${spec.cwd}`];
  // The supervisor writes the job's logs; Slurm's own output would only be a second copy.
  a.push("--output=/dev/null", "--error=/dev/null", "--export=ALL");
  if (spec.slurm?.partition) a.push(`--partition=${spec.slurm.partition}`);
  const time = slurmTime(spec.timeoutMs, spec.killAfterMs);
  if (time) a.push(`--time=${time}`);
  const deps = [
    ...(spec.after.length ? [`afterany:${spec.after.join(":")}`] : []),
    ...(spec.afterOk.length ? [`afterok:${spec.afterOk.join(":")}`] : []),
  ];
  // kill_invalid_depend: a dependency that can never be met ends the job instead of leaving it pending.
  if (deps.length) a.push(`--dependency=${deps.join(",")}`, "--kill-on-invalid-dep=yes");
  a.push(...(spec.slurm?.args ?? []));
  return a;
}

/** Parses `sbatch --parsable` output: `<id>` or `<id>;<cluster>`. */
export function parseSbatch(stdout: string): string | undefined {
  const m = /^(\d+)(;\S+)?\s*$/m.exec(stdout.trim());
  return m?.[1];
}

const PENDING = new Set(["PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "SUSPENDED"]);
const ENDED = new Set([
  "BOOT_FAIL",
  "CANCELLED",
  "COMPLETED",
  "DEADLINE",
  "FAILED",
  "NODE_FAIL",
  "OUT_OF_MEMORY",
  "PREEMPTED",
  "TIMEOUT",
  "SPECIAL_EXIT",
  "REVOKED",
  "UNKNOWN",
]);

/** Parses `squeue -h -o '%i|%T|%r'` lines into statuses keyed by job id. */
export function parseSqueue(stdout: string): Map<string, RemoteStatus> {
  const out = new Map<string, RemoteStatus>();
  for (const line of stdout.split("\n")) {
    const [id, state, reason] = line.trim().split("|");
    if (!id || !state) continue;
    const s: RemoteStatus = { state, pending: PENDING.has(state), ended: ENDED.has(state) };
    if (reason && reason !== "None" && reason !== "(null)") s.reason = reason;
    out.set(id, s);
  }
  return out;
}

/** How long one scheduler answer stands for every question about the jobs it covered. */
const CACHE_MS = 1000;
let cached: { at: number; table: Map<string, RemoteStatus> } | undefined;

/**
 * Every job of this user, in one `squeue` call (`-t all` keeps the ended ones for MinJobAge), cached
 * ~1 s: a `list` of 200 Slurm jobs asks once, not 200 times (submitit's watcher does the same).
 * The answer is also kept in `<root>/.slurm-poll.json` (a dot name: never a job), so the next
 * command within the second (a `status` after a `run`) reads it instead of asking again.
 */
function jobTable(cacheDir?: string): Map<string, RemoteStatus> | undefined {
  const now = Date.now();
  fetchedNow = false;
  if (cached && now - cached.at < CACHE_MS) return cached.table;
  const file = cacheDir === undefined ? undefined : join(cacheDir, CACHE_FILE);
  if (file) {
    try {
      const doc = JSON.parse(readFileSync(file, "utf8")) as { at: number; jobs: [string, RemoteStatus][] };
      if (now - doc.at < CACHE_MS && now >= doc.at) {
        cached = { at: doc.at, table: new Map(doc.jobs) };
        return cached.table;
      }
    } catch {}
  }
  fetchedNow = true;
  const r = run(["squeue", "-h", "-t", "all", "--me", "-o", "%i|%T|%r"]);
  if (trace) appendTrace();
  if (!r.ok) return undefined;
  cached = { at: now, table: parseSqueue(r.stdout) };
  if (file) {
    try {
      atomicWrite(file, JSON.stringify({ at: now, jobs: [...cached.table] }), 0o600);
    } catch {}
  }
  return cached.table;
}

/** Forgets every cached answer (after scancel, the next question must reach the scheduler). */
function forget(cacheDir?: string): void {
  cached = undefined;
  if (cacheDir === undefined) return;
  try {
    unlinkSync(join(cacheDir, CACHE_FILE));
  } catch {}
}

const CACHE_FILE = ".slurm-poll.json";
/** Whether the last jobTable() answer came from the scheduler itself rather than a cache. */
let fetchedNow = false;

/** AGENT_EXEC_SLURM_TRACE=<file>: one line per scheduler call (for the bench and the tests). */
const trace = process.env.AGENT_EXEC_SLURM_TRACE;
function appendTrace(): void {
  try {
    appendFileSync(trace as string, `squeue ${process.pid}\n`);
  } catch {}
}

function run(cmd: string[], env?: Record<string, string | undefined>, stdin?: string) {
  const r = Bun.spawnSync({
    cmd,
    env: (env ?? process.env) as Record<string, string>,
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { ok: r.exitCode === 0, stdout: r.stdout.toString(), stderr: r.stderr.toString().trim() };
}

export const slurmBackend: Backend = {
  kind: "slurm",
  capabilities: { liveness: "scheduler", resources: false, inputProbe: false, nativeDependencies: true },

  submit(spec: SubmitSpec): BackendHandle {
    const argv = [...selfArgv(spec.env), "_supervise", spec.root, spec.id];
    if (spec.fullLogPath) argv.push("--log", spec.fullLogPath);
    argv.push("--slurm");
    // --export=ALL: the job's --env values reach the node in the environment, as for a local launch.
    const r = run(sbatchArgv(spec), supervisorEnv(spec.env, spec.runtimeEnv), batchScript(argv));
    const id = r.ok ? parseSbatch(r.stdout) : undefined;
    if (!id) {
      throw new AgentExecError(
        "invalid_input",
        `sbatch refused the job: ${r.stderr || r.stdout.trim() || "no job id"}`,
      );
    }
    // Just accepted: this process knows it is PENDING without asking (the `run` answer that
    // follows); any other job missing from this seeded table is asked about afresh.
    const seeded = cached && Date.now() - cached.at < CACHE_MS ? cached.table : new Map<string, RemoteStatus>();
    seeded.set(id, { state: "PENDING", pending: true, ended: false });
    cached = { at: cached?.table === seeded ? cached.at : Date.now(), table: seeded };
    return { kind: "slurm", job_id: id, ...(spec.slurm?.partition ? { partition: spec.slurm.partition } : {}) };
  },

  poll(handles: readonly BackendHandle[], cacheDir?: string): Map<string, RemoteStatus> {
    const out = new Map<string, RemoteStatus>();
    let table = jobTable(cacheDir);
    // A cached table predates a job submitted since: a job missing from it is asked about afresh
    // (once) before it can count as forgotten by Slurm.
    const missing = (t: Map<string, RemoteStatus>) => handles.some((h) => h.job_id && !t.has(h.job_id));
    if (table && !fetchedNow && missing(table)) {
      forget(cacheDir);
      table = jobTable(cacheDir);
    }
    if (!table) return out; // scheduler unreachable: say nothing rather than declare jobs lost
    for (const h of handles) {
      if (!h.job_id) continue;
      // Not in the table: Slurm forgot it (MinJobAge passed) or never had it.
      out.set(h.job_id, table.get(h.job_id) ?? { state: "UNKNOWN", pending: false, ended: true });
    }
    return out;
  },

  signal(handle: BackendHandle, signal: string, cacheDir?: string): boolean {
    if (!handle.job_id) return false;
    // Not KILL: only the batch step (our exec'd supervisor) gets it and forwards it to the job's
    // process group. KILL cannot be caught: it goes to every process of the job.
    const argv =
      signal === "KILL"
        ? ["scancel", "--signal=KILL", "--full", handle.job_id]
        : ["scancel", `--signal=${signal}`, "--batch", handle.job_id];
    const ok = run(argv).ok;
    forget(cacheDir);
    return ok;
  },

  cancel(handle: BackendHandle, cacheDir?: string): void {
    if (!handle.job_id) return;
    run(["scancel", handle.job_id]);
    forget(cacheDir);
  },
};
