// R4: SIGKILL writers (`tag set`, `notify set`, a reconciling `status`, the supervisor) at random
// moments during many writes. Must hold: every JSON file parses afterwards, a dead writer's lock
// never wedges the job, and every job still answers and ends terminal (D13, §2.6).
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { BIN } from "../../test/helpers/bin.ts";
import { Sandbox } from "../../test/helpers/sandbox.ts";
import {
  type AttackResult,
  call,
  describeCall,
  Findings,
  pause,
  pidsWithArgv,
  pool,
  Rng,
  readJsonFile,
  sigkill,
  TERMINAL,
} from "./common.ts";

export interface R4Options {
  writes: number;
  concurrency: number;
  seed: number;
}

type Kind = "tag" | "notify" | "status" | "supervisor";

/** Every file below `dir`, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

export async function r4(opts: R4Options): Promise<AttackResult> {
  const f = new Findings("R4", opts.seed);
  const rng = new Rng(opts.seed);
  await using sb = Sandbox.create();
  const release = join(sb.dir, "release");
  const waitRelease = ["/bin/sh", "-c", `while [ ! -e '${release}' ]; do sleep 0.2; done; echo released`];
  // A job whose supervisor rewrites state.json every ms for ~0.4 s (one process, no polling loop).
  const busy = ["/bin/sh", "-c", "sleep 0.4; echo busy-done"];

  const created = (await sb.ok(["create", "--", "true"])).job_id as string;
  const done = (await sb.ok(["run", "--wait", "--", "true"])).job_id as string;
  const running = await sb.start(waitRelease, ["--progress-every", "1"]);
  const targets = [created, done, running];
  const jobs = new Set(targets);

  // Calibrate: how long one `tag set` takes here, so kill moments spread over its whole life.
  const samples: number[] = [];
  for (let k = 0; k < 3; k++) samples.push((await call(sb, ["tag", "set", done, "--tag", `cal${k}`])).ms);
  const typical = samples.sort((a, b) => a - b)[1] as number;
  f.fig(`a write takes ~${Math.round(typical)} ms; kills at 0..${Math.round(typical * 2)} ms`);

  const counts: Record<Kind, { runs: number; killed: number }> = {
    tag: { runs: 0, killed: 0 },
    notify: { runs: 0, killed: 0 },
    status: { runs: 0, killed: 0 },
    supervisor: { runs: 0, killed: 0 },
  };
  const plans = Array.from({ length: opts.writes }, (_, i) => {
    const r = rng.next();
    const kind: Kind = r < 0.45 ? "tag" : r < 0.8 ? "notify" : r < 0.88 ? "status" : "supervisor";
    return { i, kind, rng: rng.fork() };
  });

  await pool(plans, opts.concurrency, async ({ i, kind, rng: r }) => {
    counts[kind].runs++;
    if (kind === "supervisor") {
      // A job whose supervisor rewrites state.json every ms, killed at a random moment.
      const id = await sb.start(busy, ["--progress-every", "1"]);
      jobs.add(id);
      const st = readJsonFile(join(sb.root, id, "state.json"));
      const sup =
        typeof st?.supervisor_pid === "number" ? st.supervisor_pid : pidsWithArgv(`_supervise\0${sb.root}\0${id}`)[0];
      await pause(r.int(0, 150));
      if (sigkill(sup)) counts.supervisor.killed++;
      return;
    }
    const target = r.pick(targets);
    const args =
      kind === "tag"
        ? ["tag", "set", target, "--tag", `w${i}`, "--tag", `ns.w${i}`]
        : kind === "notify"
          ? ["notify", "set", target, "--command", `echo ${i}`, "--output-pattern", `p${i}`]
          : ["status", target];
    const proc = Bun.spawn([BIN, "--root", sb.root, ...args], {
      cwd: sb.cwd,
      env: sb.env,
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    });
    if (r.chance(0.6)) {
      await pause(r.next() * typical * 2);
      if (proc.exitCode === null && sigkill(proc.pid)) counts[kind].killed++;
    }
    const t = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    await proc.exited;
    clearTimeout(t);
  });
  f.runs = opts.writes;
  f.fig(
    (["tag", "notify", "status", "supervisor"] as Kind[])
      .map((k) => `${k} ${counts[k].runs} (${counts[k].killed} killed)`)
      .join(", "),
  );

  // Every JSON file parses, and has the shape its readers need.
  const files = filesUnder(sb.root);
  let json = 0;
  let temps = 0;
  let locks = 0;
  for (const p of files) {
    const name = p.slice(p.lastIndexOf("/") + 1);
    if (name.startsWith(".tmp-")) temps++;
    else if (name === ".lock") locks++;
    else if (name.endsWith(".json")) {
      json++;
      const v = readJsonFile(p);
      if (!f.check(v !== undefined, () => `${p} does not parse (${statSync(p).size} bytes)`)) continue;
      if (name === "meta.json")
        f.check(
          Array.isArray(v.command) && Array.isArray(v.tags) && typeof v.job?.id === "string",
          () => `${p}: bad shape`,
        );
      if (name === "state.json")
        f.check(typeof v.job?.status === "string" && typeof v.result === "object", () => `${p}: bad shape`);
    }
  }
  f.fig(`${json} JSON files parse; ${temps} stale .tmp-*, ${locks} stale .lock left by killed writers`);

  // A dead holder's lock is broken: one more write on each job succeeds, without "busy".
  for (const id of jobs) {
    if (!existsSync(join(sb.root, id))) continue;
    const t = await call(sb, ["tag", "set", id, "--tag", "final"], { timeoutMs: 15_000 });
    f.check(
      t.json?.ok === true && t.ms < 6000,
      () => `tag set after the storm: ${describeCall(t)} (${Math.round(t.ms)} ms)`,
    );
    const n = await call(sb, ["notify", "set", id, "--command", "echo final"], { timeoutMs: 15_000 });
    f.check(n.json?.ok === true, () => `notify set after the storm: ${describeCall(n)}`);
    const m = sb.meta(id);
    f.check(
      JSON.stringify(m.tags) === '["final"]' && m.notification?.notify_command === "echo final",
      () => `meta.json of ${id} after the final writes: ${JSON.stringify(m)}`,
    );
  }

  // Every job still ends terminal once released (killed supervisors reconcile to failed).
  await Bun.write(release, "");
  for (const id of jobs) {
    if (id === created) continue;
    const w = await call(sb, ["wait", "--timeout-ms", "20000", id], { timeoutMs: 30_000 });
    f.check(TERMINAL.has(w.json?.state), () => `job ${id} not terminal after release: ${describeCall(w)}`);
  }
  const l = await call(sb, ["list", "--all", "--limit", "0"]);
  f.check(
    l.json?.ok === true && l.json.skipped === 0 && l.json.jobs.every((j: { state: string }) => j.state !== "unknown"),
    () => `list after the storm: ${describeCall(l)}`,
  );
  return f.result();
}
