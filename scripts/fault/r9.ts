// R9: the disk fills up while a job writes. A 4 MiB tmpfs is mounted (as root) inside the
// sandbox; a 3 MiB filler file takes most of it, the jobs root gets the rest, and a job writes
// far more than fits. Must hold: the job's state still ends terminal (or `failed` with a reason),
// reported as such by every reader while the disk is still full; every CLI call prints one JSON
// object (an error envelope naming the cause is fine), with the documented exit code and no stack
// trace; once space is freed the terminal state is persisted. Only this sandbox's mount is touched.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TMP } from "../../test/helpers/fixtures.ts";
import { Sandbox } from "../../test/helpers/sandbox.ts";
import {
  type AttackResult,
  type Call,
  call,
  crashSign,
  describeCall,
  documentedExit,
  Findings,
  readJsonFile,
  TERMINAL,
} from "./common.ts";

/** Mounts a tmpfs of `size` at `dir`; returns the error text when not permitted. */
export function mountTmpfs(dir: string, size: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { encoding: "utf8" });
  return r.status === 0 ? undefined : `${r.stderr || r.error?.message || `mount exited ${r.status}`}`.trim();
}

export function unmount(dir: string): void {
  const r = spawnSync("umount", [dir], { encoding: "utf8" });
  if (r.status !== 0) spawnSync("umount", ["-l", dir]);
}

/** Undefined when this process may mount a tmpfs (probed on a throwaway directory), else why not. */
export function canMount(): string | undefined {
  const probe = mkdtempSync(join(TMP, "agent-exec-mount-probe-"));
  try {
    const err = mountTmpfs(probe, "64k");
    if (err === undefined) unmount(probe);
    return err;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** `terminalWithinMs`: how long the job may take to be reported terminal while the disk is full. */
export async function r9(seed: number, terminalWithinMs = 8000): Promise<AttackResult & { skipped?: string }> {
  const f = new Findings("R9", seed);
  await using sb = Sandbox.create();
  const mnt = join(sb.dir, "mnt");
  const err = mountTmpfs(mnt, "4m");
  if (err !== undefined) return { ...f.result(), skipped: `cannot mount a tmpfs: ${err}` };
  const root = join(mnt, "root");
  const filler = join(mnt, "filler");
  const calls: Call[] = [];
  const cli = async (args: string[], timeoutMs = 20_000) => {
    const c = await call(sb, args, { root, timeoutMs });
    calls.push(c);
    return c;
  };
  try {
    mkdirSync(root);
    writeFileSync(filler, Buffer.alloc(3 << 20, 0x66));
    // 16 MiB of lines into a root that has about 1 MiB left.
    const run = await cli([
      "run",
      "--snapshot-after",
      "0",
      "--",
      "/bin/sh",
      "-c",
      "head -c 16777216 /dev/zero | tr '\\0' 'x' | fold -w 100; echo done",
    ]);
    if (!f.check(run.json?.ok === true, () => `run on a nearly full disk failed: ${describeCall(run)}`))
      return f.result();
    const id = run.json.job_id as string;

    // While the disk is full: readers still answer, and the job is reported terminal in time.
    let seen: Call | undefined;
    const deadline = performance.now() + terminalWithinMs;
    while (performance.now() < deadline) {
      const s = await cli(["status", id]);
      if (s.json?.ok === true && TERMINAL.has(s.json.state)) {
        seen = s;
        break;
      }
      await Bun.sleep(100);
    }
    const last = calls[calls.length - 1] as Call;
    f.check(
      seen !== undefined,
      () =>
        `job ${id} was never reported terminal while the disk was full (${terminalWithinMs / 1000} s); last status: ${describeCall(last)}`,
    );
    if (seen?.json.state === "failed") f.check(typeof seen.json.reason === "string", () => `failed without a reason`);
    const sup = readJsonFile(join(root, id, "state.json"))?.supervisor_pid;
    const w = await cli(["wait", "--timeout-ms", "3000", id]);
    f.check(
      w.json?.ok === true && TERMINAL.has(w.json.state),
      () => `wait on the full disk did not report a terminal state: ${describeCall(w)}`,
    );
    await cli(["list", "--all"]);
    await cli(["tail", id]);
    // New work on a full disk: a clear error, and no half-made job directory.
    const before = readdirSync(root).length;
    const again = await cli(["run", "--wait", "--", "echo", "hi"]);
    const made = await cli(["create", "--", "true"]);
    for (const c of [again, made]) {
      if (c.json?.ok === false)
        f.check(
          /no space|ENOSPC|disk|full/i.test(c.json.error.message),
          () => `unclear error on a full disk: ${describeCall(c)}`,
        );
    }
    const after = readdirSync(root).length;
    const created = [again, made].filter((c) => c.json?.ok === true).length;
    f.check(after === before + created, () => `failed calls left ${after - before - created} job directories behind`);

    // Once space is freed, the end is persisted.
    rmSync(filler);
    const fin = await cli(["wait", "--timeout-ms", "10000", id]);
    const st = readJsonFile(join(root, id, "state.json"));
    f.check(
      TERMINAL.has(st?.job?.status) && (st.job.status !== "failed" || typeof st.reason === "string"),
      () => `after freeing space, state.json of ${id} is ${JSON.stringify(st)} (wait: ${describeCall(fin)})`,
    );
    if (st?.job?.status === "failed" && st.reason === "supervisor_lost")
      f.fail(
        `the supervisor (pid ${sup}) crashed on the full disk: nobody recorded the end, a reader reconciled it to failed/supervisor_lost`,
      );
    f.fig(
      `job ended ${st?.job?.status}${st?.reason ? `/${st.reason}` : ""}${seen ? ` (seen while full: ${seen.json.state})` : ""}`,
    );

    // Every call: one JSON object, the documented exit code, no stack trace.
    for (const c of calls) {
      f.runs++;
      f.check(c.json !== undefined && !c.timedOut, () => `not one JSON object: ${describeCall(c)}`);
      if (c.json) f.check(c.exitCode === documentedExit(c.json), () => `undocumented exit code: ${describeCall(c)}`);
      const sign = crashSign(c.stdout + c.stderr);
      f.check(sign === undefined, () => `crash sign ${JSON.stringify(sign)}: ${describeCall(c)}`);
    }
    const errs = calls.filter((c) => c.json?.ok === false).length;
    f.fig(`${calls.length} CLI calls, ${errs} error envelopes`);
    return f.result();
  } finally {
    sb.killAll();
    unmount(mnt);
  }
}
