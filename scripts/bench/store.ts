// Job roots for the bench: creating them, running agent-exec in them, reading job state, cleaning up.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { alive, parseOne, processes, type Ran, signal, timed } from "./proc.ts";
import { type Ctx, until } from "./util.ts";

const TERMINAL = new Set(["exited", "killed", "failed"]);
const roots = new Set<string>();

/** A fresh job root under the bench's scratch dir; cleanRoot() or cleanAll() removes it. */
export function newRoot(ctx: Ctx, label: string): string {
  mkdirSync(ctx.work, { recursive: true });
  const root = mkdtempSync(join(ctx.work, `${label}-`));
  roots.add(root);
  return root;
}

/** Runs `agent-exec --root <root> <args…>` and returns the timing and raw output. */
export function ae(ctx: Ctx, root: string, args: string[], timeoutMs?: number): Ran {
  return timed([ctx.bin, "--root", root, ...args], ctx.env, timeoutMs);
}

/** Runs agent-exec and returns its parsed envelope, which must say ok:true. */
export function aeOk(ctx: Ctx, root: string, args: string[], timeoutMs?: number): Record<string, unknown> & Ran {
  const r = ae(ctx, root, args, timeoutMs);
  const json = parseOne(r, `agent-exec ${args[0]}`);
  if (json.ok !== true || r.code !== 0) {
    throw new Error(`agent-exec ${args.join(" ").slice(0, 80)}: exit ${r.code}, ${r.stdout.slice(0, 300)}`);
  }
  return { ...json, ...r };
}

export interface State {
  job: { id: string; status: string; started_at?: string };
  result: { exit_code: number | null; duration_ms?: number | null };
  finished_at?: string;
  supervisor_pid?: number;
  pgid?: number;
  pid?: number;
}

/** The job's state.json, or undefined while it is missing or being replaced. */
export function readState(root: string, id: string): State | undefined {
  try {
    return JSON.parse(readFileSync(join(root, id, "state.json"), "utf8")) as State;
  } catch {
    return undefined;
  }
}

export const isTerminal = (s: State | undefined) => s !== undefined && TERMINAL.has(s.job.status);

/** Waits (bounded) until the job is terminal and its supervisor has exited: the machine is quiet again. */
export async function settleJob(root: string, id: string, timeoutMs = 15_000): Promise<State> {
  const s = await until(`job ${id} to finish`, timeoutMs, () => {
    const st = readState(root, id);
    return isTerminal(st) ? st : undefined;
  });
  await until(`supervisor of ${id} to exit`, timeoutMs, () => (alive(s.supervisor_pid) ? undefined : true));
  return s;
}

/** Supervisor processes working on this root (`agent-exec _supervise <root> <id>`). */
export function supervisorsOf(root: string): number[] {
  const needle = `\0_supervise\0${root}\0`;
  return processes()
    .filter((p) => p.cmdline.includes(needle))
    .map((p) => p.pid);
}

/** Kills every job group started under `root`, waits (bounded) for the supervisors, deletes the root. */
export async function cleanRoot(root: string): Promise<void> {
  let ids: string[] = [];
  try {
    ids = readdirSync(root);
  } catch {
    roots.delete(root);
    return;
  }
  const groups = new Set<number>();
  for (const id of ids) {
    const st = readState(root, id);
    if (!st || isTerminal(st)) continue;
    if (st.pgid) groups.add(st.pgid);
  }
  for (const g of groups) signal(-g, "SIGKILL");
  // Supervisors record the end and leave on their own; any that lingers is killed.
  const deadline = performance.now() + 5000;
  let left = supervisorsOf(root);
  while (left.length > 0 && performance.now() < deadline) {
    await Bun.sleep(5);
    for (const id of ids) {
      const st = readState(root, id);
      if (st?.pgid && !isTerminal(st) && !groups.has(st.pgid)) {
        groups.add(st.pgid);
        signal(-st.pgid, "SIGKILL");
      }
    }
    left = supervisorsOf(root);
  }
  for (const pid of left) signal(pid, "SIGKILL");
  rmSync(root, { recursive: true, force: true });
  roots.delete(root);
}

/** Cleans every root this process created and not yet cleaned. */
export async function cleanAll(): Promise<void> {
  for (const root of [...roots]) await cleanRoot(root);
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A ULID-shaped id (26 Crockford base32 chars, 48-bit time then 80 random bits) for `ms`. */
export function fakeUlid(ms: number): string {
  let time = "";
  let t = ms;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let rand = "";
  for (let i = 0; i < 16; i++) rand += CROCKFORD[Math.floor(Math.random() * 32)];
  return time + rand;
}
