// Bounded logs (X9): --max-log-bytes and config max_log_bytes, the head and rolling tail kept, the
// disk use in allocated blocks, *_omitted_bytes everywhere output is shown, cursors into the
// dropped range, and bad sizes refused before anything exists.
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectUsageError } from "../helpers/envelope.ts";
import { pollUntil } from "../helpers/poll.ts";
import { Sandbox } from "../helpers/sandbox.ts";

/** `seq 1 N` as a job: numbered lines, so what was kept can be checked line by line. */
const seq = (n: number, extra = "") => ["sh", "-c", `seq 1 ${n}${extra}`];
/** The bytes `seq 1 n` prints. */
const seqBytes = (n: number) => {
  let total = 0;
  for (let i = 1; i <= n; i++) total += String(i).length + 1;
  return total;
};
const allocated = (path: string) => statSync(path).blocks * 512;

describe("bad sizes", () => {
  for (const [args, what] of [
    [["run", "--max-log-bytes", "100"], "below 4096"],
    [["run", "--max-log-bytes", "4095"], "below 4096"],
    [["run", "--max-log-bytes", "1XB"], "an unknown unit"],
    [["run", "--max-log-bytes", "1.5MiB"], "a fraction"],
    [["create", "--max-log-bytes", "-1"], "negative"],
  ] as const) {
    test(`${args.join(" ")} (${what}): usage error naming the value, no job directory`, async () => {
      await using sb = Sandbox.create();
      const r = await sb.cli([...args, "--", "true"]);
      expectUsageError(r);
      expect(r.json.error.message).toContain(JSON.stringify(args[2]));
      expect(sb.entries()).toEqual([]);
    });
  }

  test("a bad max_log_bytes in config.toml is a usage error too, and starts nothing", async () => {
    await using sb = Sandbox.create();
    const dir = join(sb.env.XDG_CONFIG_HOME as string, "agent-exec");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "config.toml"), 'max_log_bytes = "12 parsecs"\n');
    const r = await sb.cli(["run", "--", "true"]);
    expectUsageError(r);
    expect(r.json.error.message).toContain("max_log_bytes");
    expect(sb.entries()).toEqual([]);
  });
});

describe("where the cap comes from", () => {
  test("default 1 GiB, config.toml max_log_bytes, the flag wins, 0 = unlimited", async () => {
    await using sb = Sandbox.create();
    const a = await sb.start(["true"]);
    expect(sb.meta(a).max_log_bytes).toBe(1 << 30);
    const dir = join(sb.env.XDG_CONFIG_HOME as string, "agent-exec");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "config.toml"), 'max_log_bytes = "8KiB"\n');
    const b = await sb.start(["true"]);
    expect(sb.meta(b).max_log_bytes).toBe(8192);
    const c = await sb.start(["true"], ["--max-log-bytes", "2MiB"]);
    expect(sb.meta(c).max_log_bytes).toBe(2 << 20);
    const d = (await sb.ok(["create", "--max-log-bytes", "0", "--", "true"])).job_id;
    expect(sb.meta(d).max_log_bytes).toBe(0);
    for (const id of [a, b, c]) await sb.terminalState(id);
  });

  test("--max-log-bytes 0 keeps everything", async () => {
    await using sb = Sandbox.create();
    const n = 40_000;
    const r = await sb.ok(["run", "--wait", "--max-log-bytes", "0", "--", ...seq(n)]);
    expect(r.state).toBe("exited");
    expect(r.final_snapshot.stdout_omitted_bytes).toBeUndefined();
    expect(sb.file(r.job_id, "stdout.log").length).toBe(seqBytes(n));
    expect(allocated(join(sb.jobDir(r.job_id), "stdout.log"))).toBeGreaterThanOrEqual(seqBytes(n) - 4096);
  });
});

describe("a job writing past its cap", () => {
  const cap = 64 * 1024;
  const n = 300_000; // ~2 MB of numbered lines on stdout
  const total = seqBytes(n);

  test("keeps the head and the rolling tail, within the cap on disk, exit unaffected", async () => {
    await using sb = Sandbox.create();
    const r = await sb.ok(["run", "--wait", "--max-log-bytes", "64KiB", "--", ...seq(n, "; echo bye >&2; exit 3")]);
    const id = r.job_id as string;
    expect({ state: r.state, exit_code: r.exit_code }).toEqual({ state: "exited", exit_code: 3 });
    const dir = sb.jobDir(id);
    const out = sb.file(id, "stdout.log");
    // Offsets stay the stream's offsets: the size is everything the job wrote.
    expect(out.length).toBe(total);
    // The head: the first half of the cap, byte for byte.
    const head = out.subarray(0, cap / 2).toString();
    expect(head.startsWith("1\n2\n3\n")).toBe(true);
    expect(head).not.toContain("\0");
    // Allocated blocks, not the apparent size: within the cap plus a few blocks. full.log is
    // derived by the supervisor and may be finished a moment after the end is published (D9).
    expect(allocated(join(dir, "stdout.log"))).toBeLessThanOrEqual(cap + 16 * 1024);
    await pollUntil(() => allocated(join(dir, "full.log")), {
      until: (n) => n <= cap + 16 * 1024,
      what: "full.log within its cap",
    });

    const omitted = r.final_snapshot.stdout_omitted_bytes as number;
    expect(omitted).toBeGreaterThan(total - cap - 8192);
    expect(omitted).toBeLessThanOrEqual(total - cap);
    expect(r.final_snapshot.stderr_omitted_bytes).toBe(0);
    expect(r.final_snapshot.stdout_tail.endsWith(`${n - 1}\n${n}`)).toBe(true);
    expect(r.final_snapshot.stderr_tail).toBe("bye");

    const status = await sb.ok(["status", id]);
    expect(status).toMatchObject({ stdout_omitted_bytes: omitted, stderr_omitted_bytes: 0, exit_code: 3 });
    const event = await pollUntil(() => JSON.parse(readFileSync(join(dir, "completion_event.json"), "utf8")), {
      what: "completion_event.json",
    });
    expect(event).toMatchObject({ stdout_omitted_bytes: omitted, stderr_omitted_bytes: 0 });

    // A window wider than what is kept starts at the oldest kept byte: no NUL, no head.
    const wide = await sb.ok(["tail", id, "--tail-lines", "0", "--max-bytes", String(10 * cap)]);
    expect(wide.stdout_tail).not.toContain("\0");
    expect(wide.stdout_tail.endsWith(`${n}\n`)).toBe(true);
    expect(wide.stdout_included_bytes).toBe(total - omitted - cap / 2);
    expect(wide).toMatchObject({ truncated: true, stdout_omitted_bytes: omitted });
  });

  test("a cursor into the head or the dropped range reads from the oldest kept byte, counting what it skipped", async () => {
    await using sb = Sandbox.create();
    const first = await sb.ok(["run", "--wait", "--max-log-bytes", "64KiB", "--", ...seq(n)]);
    const id = first.job_id as string;
    const omitted = first.final_snapshot.stdout_omitted_bytes as number;
    const keptFrom = cap / 2 + omitted;
    for (const from of [0, 100, cap / 2, keptFrom - 1]) {
      const cursor = `${id}.1.${from.toString(36)}.0`;
      const t = await sb.ok(["tail", id, "--since", cursor, "--tail-lines", "0", "--max-bytes", String(10 * cap)]);
      expect(t.stdout_tail).not.toContain("\0");
      expect(t.stdout_tail).toBe(sb.file(id, "stdout.log").subarray(keptFrom).toString());
      expect(t.stdout_omitted_bytes).toBe(keptFrom - from);
      expect(t.cursor).toBe(first.cursor);
    }
  });

  test("output written while the job runs: a follower of the cursor never sees a NUL", async () => {
    await using sb = Sandbox.create();
    // Keeps writing in bursts until told to stop, so the cap drops while we read.
    const stop = join(sb.dir, "stop");
    const script = `i=0; while [ ! -e ${stop} ]; do seq $i $((i+2000)); i=$((i+2001)); done; echo done`;
    const id = await sb.start(["sh", "-c", script], ["--max-log-bytes", "16KiB"]);
    let cursor = `${id}.1.0.0`;
    let reads = 0;
    let omittedSeen = 0;
    while (reads < 40 || omittedSeen === 0) {
      const t = await sb.ok(["tail", id, "--since", cursor, "--tail-lines", "0", "--max-bytes", "65536"]);
      expect(t.stdout_tail).not.toContain("\0");
      omittedSeen += t.stdout_omitted_bytes;
      cursor = t.cursor;
      reads++;
      if (reads > 2000) throw new Error("the cap never dropped anything");
    }
    writeFileSync(stop, "");
    const end = await sb.terminalState(id, sb.root, 60_000);
    expect(end.job.status).toBe("exited");
    const last = await sb.ok(["tail", id, "--since", cursor, "--tail-lines", "0"]);
    expect(last.stdout_tail.endsWith("done\n")).toBe(true);
    expect(last.stdout_tail).not.toContain("\0");
  });
});
