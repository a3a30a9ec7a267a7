// R8: many concurrent `run`s while `gc --older-than 0s`, `delete --all` and `list` run in loops.
// Must hold: 0 lost jobs (every id a `run` returned is still there or was reported deleted by a
// gc/delete that saw it terminal), 0 corrupt files, no running (or created) job deleted, and every
// call of the loops answers with a success envelope.
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Sandbox } from "../../test/helpers/sandbox.ts";
import { type AttackResult, call, describeCall, Findings, Rng, readJsonFile, TERMINAL } from "./common.ts";

export interface R8Options {
  runs: number;
  seed: number;
  /** How long the gc/delete/list loops keep going after the last run returned (ms). */
  tailMs?: number;
}

interface Deletion {
  by: string;
  state: string;
}

export async function r8(opts: R8Options): Promise<AttackResult> {
  const f = new Findings("R8", opts.seed);
  const rng = new Rng(opts.seed);
  await using sb = Sandbox.create();
  const release = join(sb.dir, "release");
  // Long jobs run until released, so they are certainly running while the loops go.
  const longJob = ["/bin/sh", "-c", `while [ ! -e '${release}' ]; do sleep 0.2; done; echo long-done`];
  const kinds = Array.from({ length: opts.runs }, () => {
    const r = rng.next();
    return r < 0.3 ? "long" : r < 0.4 ? "created" : "short";
  });

  const deleted = new Map<string, Deletion>();
  const loopCounts = { gc: 0, delete: 0, list: 0, errors: 0 };
  let stop = false;
  const loop = async (name: "gc" | "delete" | "list", args: string[]) => {
    while (!stop) {
      const c = await call(sb, args, { timeoutMs: 60_000 });
      loopCounts[name]++;
      if (!f.check(c.json?.ok === true && c.exitCode === 0, () => `${name} loop: ${describeCall(c)}`)) {
        loopCounts.errors++;
        continue;
      }
      if (name === "list") continue;
      for (const j of c.json.jobs as { job_id: string; state: string; action: string }[]) {
        if (j.action !== "deleted") continue;
        deleted.set(j.job_id, { by: name, state: j.state });
        f.check(TERMINAL.has(j.state), () => `${name} deleted ${j.job_id} while it was ${j.state}`);
      }
    }
  };
  const loops = [
    loop("gc", ["gc", "--older-than", "0s"]),
    loop("delete", ["delete", "--all"]),
    loop("list", ["list", "--all", "--limit", "0"]),
    loop("list", ["list"]),
  ];

  const began = performance.now();
  const started = await Promise.all(
    kinds.map(async (kind) => {
      const args =
        kind === "created"
          ? ["create", "--", "true"]
          : kind === "long"
            ? ["run", "--snapshot-after", "0", "--", ...longJob]
            : ["run", "--snapshot-after", "0", "--", "/bin/sh", "-c", "echo short"];
      const c = await call(sb, args, { timeoutMs: 60_000 });
      f.check(c.json?.ok === true, () => `${kind} ${args[0]} failed: ${describeCall(c)}`);
      return { kind, id: c.json?.job_id as string | undefined };
    }),
  );
  const launchMs = performance.now() - began;
  // Let the loops chew on the finished short jobs a while longer.
  const tailEnd = performance.now() + (opts.tailMs ?? 1500);
  while (performance.now() < tailEnd) await Bun.sleep(50);
  // Every long job must still be running right now, before it is released.
  for (const s of started) {
    if (s.kind !== "long" || !s.id) continue;
    const st = readJsonFile(join(sb.root, s.id, "state.json"));
    f.check(st?.job?.status === "running", () => `long job ${s.id} is ${st?.job?.status ?? "gone"} before its release`);
  }
  stop = true;
  await Promise.all(loops);

  // 0 lost jobs, and nothing running or created was deleted.
  let lost = 0;
  for (const s of started) {
    if (!s.id) continue;
    const there = existsSync(join(sb.root, s.id));
    const del = deleted.get(s.id);
    if (!there && !del) {
      lost++;
      f.fail(`${s.kind} job ${s.id} vanished without any gc/delete reporting it`);
    }
    if (del && s.kind !== "short") f.fail(`${s.kind} job ${s.id} was deleted by ${del.by} (reported ${del.state})`);
    if (s.kind === "created") {
      const st = readJsonFile(join(sb.root, s.id, "state.json"));
      f.check(st?.job?.status === "created", () => `created job ${s.id} is ${st?.job?.status ?? "gone"}`);
    }
  }

  // Release the long jobs; every remaining job ends terminal and every file parses.
  writeFileSync(release, "");
  for (const s of started) {
    if (s.kind !== "long" || !s.id) continue;
    const w = await call(sb, ["wait", "--timeout-ms", "20000", s.id], { timeoutMs: 30_000 });
    f.check(
      w.json?.state === "exited" && w.json.exit_code === 0,
      () => `long job ${s.id} after release: ${describeCall(w)}`,
    );
    f.check(
      sb.file(s.id, "stdout.log").toString() === "long-done\n",
      () => `long job ${s.id} lost output: ${JSON.stringify(sb.file(s.id as string, "stdout.log").toString())}`,
    );
  }
  let corrupt = 0;
  let files = 0;
  for (const name of readdirSync(sb.root)) {
    for (const file of ["meta.json", "state.json"]) {
      const p = join(sb.root, name, file);
      files++;
      if (readJsonFile(p) === undefined) {
        corrupt++;
        f.fail(`${p} is missing or does not parse`);
      }
    }
  }
  const l = await call(sb, ["list", "--all", "--limit", "0"]);
  f.check(l.json?.ok === true && l.json.skipped === 0, () => `final list: ${describeCall(l)}`);
  f.runs = opts.runs;
  const count = (k: string) => kinds.filter((x) => x === k).length;
  f.fig(
    `${opts.runs} runs (${count("short")} short, ${count("long")} long, ${count("created")} created) launched in ${Math.round(launchMs)} ms`,
  );
  f.fig(
    `loops: ${loopCounts.gc} gc, ${loopCounts.delete} delete --all, ${loopCounts.list} list; ${loopCounts.errors} errors`,
  );
  f.fig(`${deleted.size} finished jobs deleted, ${lost} lost, ${corrupt}/${files} corrupt files`);
  return f.result();
}
