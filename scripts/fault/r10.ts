// R10: awkward output: a huge stream without a single newline, a job that closes its stdout early,
// and a job that forks a daemon holding stdout open. Must hold: the logs are complete (stdout.log
// byte-exact already when the terminal state is first seen; full.log complete once the supervisor
// is done) and the terminal state is recorded within the D9 window, 2 s after the root process
// exits. The daemons are killed at the end (their process group, from state.json).
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { pidAlive } from "../../test/helpers/pid-alive.ts";
import { Sandbox } from "../../test/helpers/sandbox.ts";
import { type AttackResult, Findings, groupMembers, readJsonFile, TERMINAL } from "./common.ts";

/** The D9 window: how long after the root process exits the end must be recorded. */
const D9_MS = 2000;

export type R10Case = "no-newlines" | "stdout-closed" | "daemon-holds-stdout" | "daemon-keeps-writing";
export const R10_CASES: readonly R10Case[] = [
  "no-newlines",
  "stdout-closed",
  "daemon-holds-stdout",
  "daemon-keeps-writing",
];

interface Watched {
  st: Record<string, unknown> & {
    job: { status: string };
    finished_at: string;
    supervisor_pid?: number;
    pgid?: number;
  };
  /** stdout.log / stderr.log sizes the moment the terminal state was first seen. */
  outAtEnd: number;
  errAtEnd: number;
  /** performance.now() when the terminal state was first seen. */
  at: number;
}

/** Polls state.json every 5 ms until terminal; then records the log sizes at once. */
async function watchEnd(sb: Sandbox, id: string, ms: number): Promise<Watched | undefined> {
  const deadline = performance.now() + ms;
  const path = join(sb.root, id, "state.json");
  while (performance.now() < deadline) {
    const st = readJsonFile(path);
    if (TERMINAL.has(st?.job?.status)) {
      const size = (n: string) => statSync(join(sb.root, id, n)).size;
      return { st, outAtEnd: size("stdout.log"), errAtEnd: size("stderr.log"), at: performance.now() };
    }
    await Bun.sleep(5);
  }
  return undefined;
}

/** The wall-clock ms the job wrote into `file` just before its root process exited. */
function exitStamp(file: string): number | undefined {
  try {
    const v = Number(readFileSync(file, "utf8").trim());
    return Number.isFinite(v) && v > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Checks that full.log's STDOUT pieces, joined, are exactly `size` bytes of `byte` (streamed). */
function fullLogCarries(path: string, size: number, byte: number): string | undefined {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    let carry = Buffer.alloc(0);
    let payload = 0;
    let lines = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      let data = Buffer.concat([carry, buf.subarray(0, n)]);
      for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10)) {
        const line = data.subarray(0, nl);
        const tag = line.indexOf(" [STDOUT] ");
        if (tag < 0) return `full.log line ${lines + 1} has no [STDOUT] tag: ${line.subarray(0, 60).toString()}`;
        const body = line.subarray(tag + 10);
        for (let i = 0; i < body.length; i++)
          if (body[i] !== byte) return `full.log line ${lines + 1} holds a foreign byte`;
        payload += body.length;
        lines++;
        data = data.subarray(nl + 1);
      }
      carry = Buffer.from(data);
    }
    if (carry.length > 0) return `full.log ends without a newline (${carry.length} bytes)`;
    return payload === size ? undefined : `full.log carries ${payload} of ${size} bytes (${lines} lines)`;
  } finally {
    closeSync(fd);
  }
}

/** True when the whole file is `size` bytes of `byte` (streamed, so 1 GiB is fine). */
function allBytes(path: string, size: number, byte: number): boolean {
  if (statSync(path).size !== size) return false;
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(8 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) return true;
      for (let i = 0; i < n; i++) if (buf[i] !== byte) return false;
    }
  } finally {
    closeSync(fd);
  }
}

export async function r10(c: R10Case, seed: number, bytes = 64 << 20): Promise<AttackResult> {
  const f = new Findings(`R10 ${c}`, seed);
  f.runs = 1;
  await using sb = Sandbox.create();
  const stamp = join(sb.dir, "exit-ms");
  // `date +%s%3N` is the root shell's last act, so its value is the root process's exit time (± a fork).
  const mark = `date +%s%3N > '${stamp}'`;
  const scripts: Record<R10Case, string> = {
    "no-newlines": `head -c ${bytes} /dev/zero | tr '\\0' x; ${mark}`,
    "stdout-closed": `echo before-close; exec 1>&-; echo err-after-close >&2; sleep 0.2; echo err-last >&2; ${mark}`,
    "daemon-holds-stdout": `(sleep 30 &) ; echo hi; ${mark}`,
    "daemon-keeps-writing": `(while :; do echo tick; sleep 0.05; done &) ; echo hi; ${mark}`,
  };
  const id = await sb.start(["/bin/sh", "-c", scripts[c]]);
  try {
    const seen = await watchEnd(sb, id, c === "no-newlines" ? 600_000 : 20_000);
    if (!f.check(seen !== undefined, () => `job ${id} never became terminal`) || !seen) return f.result();
    const exitMs = exitStamp(stamp);
    const finishedMs = Date.parse(seen.st.finished_at);
    if (f.check(exitMs !== undefined, () => "the job's exit stamp is missing") && exitMs !== undefined) {
      const lag = finishedMs - exitMs;
      f.fig(`terminal ${lag} ms after the root exited`);
      f.check(lag <= D9_MS, () => `terminal recorded ${lag} ms after the root process exited (D9 window ${D9_MS} ms)`);
    }
    f.check(seen.st.job.status === "exited", () => `state ${JSON.stringify(seen.st)}`);
    const out = (n: string) => sb.file(id, n).toString();
    switch (c) {
      case "no-newlines": {
        f.check(
          seen.outAtEnd === bytes,
          () => `stdout.log held ${seen.outAtEnd} of ${bytes} bytes when the end was published`,
        );
        f.check(
          allBytes(join(sb.root, id, "stdout.log"), bytes, 0x78),
          () => "stdout.log is not exactly the job's bytes",
        );
        break;
      }
      case "stdout-closed": {
        f.check(out("stdout.log") === "before-close\n", () => `stdout.log ${JSON.stringify(out("stdout.log"))}`);
        f.check(
          /err-after-close/.test(out("stderr.log")) && out("stderr.log").endsWith("err-last\n"),
          () => `stderr.log ${JSON.stringify(out("stderr.log"))}`,
        );
        f.check(
          seen.errAtEnd === sb.file(id, "stderr.log").length,
          () => "stderr.log grew after the end was published",
        );
        break;
      }
      case "daemon-holds-stdout":
      case "daemon-keeps-writing": {
        f.check(
          out("stdout.log").startsWith("hi\n") || /(^|\n)hi\n/.test(out("stdout.log")),
          () => `stdout.log ${JSON.stringify(out("stdout.log").slice(0, 200))}`,
        );
        const pgid = seen.st.pgid;
        f.check(
          typeof pgid === "number" && groupMembers(pgid).length > 0,
          () => "the daemon is not running (the attack did not happen)",
        );
        break;
      }
    }
    // The supervisor finishes (it must not wait for a daemon), and full.log is complete by then.
    const sup = seen.st.supervisor_pid;
    const supDeadline = performance.now() + (c === "no-newlines" ? 600_000 : 60_000);
    while (typeof sup === "number" && pidAlive(sup) && performance.now() < supDeadline) await Bun.sleep(20);
    f.check(
      typeof sup !== "number" || !pidAlive(sup),
      () => `the supervisor is still running ${c === "no-newlines" ? "10 min" : "60 s"} after the end`,
    );
    const full = join(sb.root, id, "full.log");
    if (c === "no-newlines") {
      f.fig(`${bytes} B; full.log done ${Math.round(performance.now() - seen.at)} ms after the end was published`);
      const broke = existsSync(full) ? fullLogCarries(full, bytes, 0x78) : "full.log is missing";
      f.check(broke === undefined, () => broke as string);
    } else {
      const text = readFileSync(full, "utf8");
      const want =
        c === "stdout-closed"
          ? ["[STDOUT] before-close", "[STDERR] err-after-close", "[STDERR] err-last"]
          : ["[STDOUT] hi"];
      for (const w of want)
        f.check(text.includes(w), () => `full.log lacks ${JSON.stringify(w)}: ${JSON.stringify(text.slice(0, 300))}`);
    }
    const final = readJsonFile(join(sb.root, id, "state.json"));
    f.check(
      final?.job?.status === seen.st.job.status,
      () => `the end changed after it was published: ${JSON.stringify(final)}`,
    );
    return f.result();
  } finally {
    // The daemons live in the job's process group: end them.
    const st = readJsonFile(join(sb.root, id, "state.json"));
    if (typeof st?.pgid === "number" && st.pgid > 1) {
      try {
        process.kill(-st.pgid, "SIGKILL");
      } catch {}
    }
  }
}
