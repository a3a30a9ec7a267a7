// `tail` (§3.5) and the window algorithm of §5, byte-exact logs with invalid UTF-8 (§4.4), the
// full.log line format (D2), and logs complete once the job is terminal (D9).
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { CURSOR, expectKeyOrder, expectSuccess, expectUsageError } from "../helpers/envelope.ts";
import { fx } from "../helpers/fixtures.ts";
import { Sandbox } from "../helpers/sandbox.ts";

const TAIL_ORDER = [
  "job_id",
  "stdout_tail",
  "stderr_tail",
  "truncated",
  "encoding",
  "stdout_log_path",
  "stderr_log_path",
  "stdout_observed_bytes",
  "stderr_observed_bytes",
  "stdout_included_bytes",
  "stderr_included_bytes",
];

const FULL_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \[(STDOUT|STDERR)\] (.*)$/s;

/** The tail response for `id`, with `stdout`/`stderr` as given and everything else derived. */
function tailOf(
  sb: Sandbox,
  id: string,
  stdout: string,
  stderr: string,
  truncated: boolean,
  observed: [number, number],
): Record<string, unknown> {
  return {
    schema_version: "0.1",
    ok: true,
    type: "tail",
    job_id: id,
    stdout_tail: stdout,
    stderr_tail: stderr,
    truncated,
    encoding: "utf-8-lossy",
    stdout_log_path: join(sb.root, id, "stdout.log"),
    stderr_log_path: join(sb.root, id, "stderr.log"),
    stdout_observed_bytes: observed[0],
    stderr_observed_bytes: observed[1],
    stdout_included_bytes: Buffer.byteLength(stdout),
    stderr_included_bytes: Buffer.byteLength(stderr),
    cursor: CURSOR,
  };
}

describe("tail window (§5)", () => {
  // stdout: "l1\nl2\nl3\n" (9 bytes); stderr: "e1\r\ne2\r\n" (8 bytes)
  const cmd = "printf 'l1\\nl2\\nl3\\n'; printf 'e1\\r\\ne2\\r\\n' >&2";
  const cases: [string, string[], string, string, boolean][] = [
    ["defaults (50 lines, 64 KiB): no trailing newline, CR before LF dropped", [], "l1\nl2\nl3", "e1\ne2", false],
    ["--tail-lines 2 keeps the last lines", ["--tail-lines", "2"], "l2\nl3", "e1\ne2", true],
    ["--tail-lines 3 is exactly everything", ["--tail-lines", "3"], "l1\nl2\nl3", "e1\ne2", false],
    ["--tail-lines 0 returns the raw text", ["--tail-lines", "0"], "l1\nl2\nl3\n", "e1\r\ne2\r\n", false],
    ["--tail-lines 0 with a byte cut", ["--tail-lines", "0", "--max-bytes", "4"], "\nl3\n", "e2\r\n", true],
    ["a byte cut leaves a partial first line that counts", ["--max-bytes", "5"], "2\nl3", "\ne2", true],
    ["--max-bytes 0 on non-empty logs", ["--max-bytes", "0"], "", "", true],
    ["lines and bytes together", ["--tail-lines", "1", "--max-bytes", "3"], "l3", "2", true],
    ["a byte budget larger than the file", ["--max-bytes", "9"], "l1\nl2\nl3", "e1\ne2", false],
  ];

  test.concurrent("each flag combination gives the documented window", async () => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["run", "--wait", "--", cmd])).job_id;
    for (const [name, flags, out, err, truncated] of cases) {
      const r = await sb.cli(["tail", ...flags, id]);
      const j = expectSuccess(r, "tail");
      expect({ name, j }).toEqual({ name, j: tailOf(sb, id, out, err, truncated, [9, 8]) });
      expectKeyOrder(j, TAIL_ORDER);
    }
    // Flags may come after the id as well.
    expect(await sb.ok(["tail", id, "--tail-lines", "1"])).toEqual(tailOf(sb, id, "l3", "e2", true, [9, 8]));
  });

  test.concurrent("output without a trailing newline; a cut inside a UTF-8 character gives U+FFFD", async () => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["run", "--wait", "--", "printf 'a\\nb'; printf 'x\\303\\251' >&2"])).job_id;
    expect(await sb.ok(["tail", id])).toEqual(tailOf(sb, id, "a\nb", "xé", false, [3, 3]));
    expect(await sb.ok(["tail", id, "--tail-lines", "1"])).toEqual(tailOf(sb, id, "b", "xé", true, [3, 3]));
    expect(await sb.ok(["tail", id, "--tail-lines", "0"])).toEqual(tailOf(sb, id, "a\nb", "xé", false, [3, 3]));
    // The last byte of "é" alone is invalid: one replacement character, 3 bytes included of 1 read.
    expect(await sb.ok(["tail", id, "--max-bytes", "1"])).toEqual(tailOf(sb, id, "b", "\uFFFD", true, [3, 3]));
    expect(await sb.ok(["tail", id, "--max-bytes", "2"])).toEqual(tailOf(sb, id, "\nb", "é", true, [3, 3]));
  });

  test.concurrent("empty logs, a running job, and a log longer than the window", async () => {
    await using sb = Sandbox.create();
    const empty = (await sb.ok(["run", "--wait", "--", "true"])).job_id;
    expect(await sb.ok(["tail", empty])).toEqual(tailOf(sb, empty, "", "", false, [0, 0]));
    expect(await sb.ok(["tail", empty, "--max-bytes", "0"])).toEqual(tailOf(sb, empty, "", "", false, [0, 0]));

    const running = await sb.start(fx.sleepForever());
    const m = await sb.stdoutMatch(running, /^ready \d+\n$/);
    expect(await sb.ok(["tail", running])).toEqual(tailOf(sb, running, m[0].trimEnd(), "", false, [m[0].length, 0]));

    const long = (await sb.ok(["run", "--wait", "--", ...fx.printLines(2000)])).job_id;
    const size = sb.file(long, "stdout.log").length;
    const lines = Array.from({ length: 50 }, (_, i) => `line ${1951 + i}`).join("\n");
    expect(await sb.ok(["tail", long])).toEqual(tailOf(sb, long, lines, "", true, [size, 0]));
    expect(await sb.ok(["tail", long, "--tail-lines", "0", "--max-bytes", "20"])).toEqual(
      tailOf(sb, long, "line 1999\nline 2000\n", "", true, [size, 0]),
    );
  });

  test.concurrent.each([
    ["--tail-lines", "-1"],
    ["--tail-lines", "x"],
    ["--max-bytes", "-1"],
    ["--max-bytes", "1.5"],
  ])("tail %s %s is a usage error", async (flag, value) => {
    await using sb = Sandbox.create();
    const id = (await sb.ok(["run", "--wait", "--", "true"])).job_id;
    expectUsageError(await sb.cli(["tail", flag, value, id]));
  });
});

describe("invalid UTF-8 without a trailing newline (§4.4)", () => {
  test.concurrent("stdout.log and stderr.log are byte-exact; tail and full.log use U+FFFD", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok(["run", "--wait", "--", ...fx.invalidUtf8()]);
    const id = j.job_id;
    const out = Buffer.from([...Buffer.from("ok\nbad "), 0xc3, 0x28, ...Buffer.from(" x\nend "), 0xff]);
    const err = Buffer.from([...Buffer.from("err "), 0x80, 0x0a]);
    expect(sb.file(id, "stdout.log").equals(out)).toBe(true);
    expect(sb.file(id, "stderr.log").equals(err)).toBe(true);
    const text = "ok\nbad \uFFFD( x\nend \uFFFD";
    expect(j.final_snapshot).toEqual({
      stdout_tail: text,
      stderr_tail: "err \uFFFD",
      truncated: false,
      encoding: "utf-8-lossy",
      stdout_observed_bytes: out.length,
      stderr_observed_bytes: err.length,
      stdout_included_bytes: Buffer.byteLength(text),
      stderr_included_bytes: Buffer.byteLength("err \uFFFD"),
    });
    expect(await sb.ok(["tail", id])).toEqual(tailOf(sb, id, text, "err \uFFFD", false, [out.length, err.length]));
    expect(await sb.ok(["tail", id, "--tail-lines", "1"])).toEqual(
      tailOf(sb, id, "end \uFFFD", "err \uFFFD", true, [out.length, err.length]),
    );

    // full.log: one line per complete line, the trailing partial line included, lossy-decoded.
    const full = sb.file(id, "full.log").toString("utf8");
    expect(full.endsWith("\n")).toBe(true);
    const parsed = full
      .slice(0, -1)
      .split("\n")
      .map((l) => l.match(FULL_LINE)?.slice(2));
    expect(parsed.filter((p) => p?.[0] === "STDOUT")).toEqual([
      ["STDOUT", "ok"],
      ["STDOUT", "bad \uFFFD( x"],
      ["STDOUT", "end \uFFFD"],
    ]);
    expect(parsed.filter((p) => p?.[0] !== "STDOUT")).toEqual([["STDERR", "err \uFFFD"]]);
  });
});

describe("full.log (§4.4, D2)", () => {
  test.concurrent("lines are '<RFC 3339 ms>Z [STDOUT|STDERR] text', a CR is kept, per-stream order holds", async () => {
    await using sb = Sandbox.create();
    const j = await sb.ok([
      "run",
      "--wait",
      "--",
      "printf 'o1\\no2\\n'; printf 'e1\\ne2\\n' >&2; printf 'cr\\r\\n'; printf 'partial'",
    ]);
    const full = sb.file(j.job_id, "full.log").toString("utf8");
    const lines = full.split("\n");
    expect(lines.pop()).toBe("");
    const parsed = lines.map((l) => {
      const m = l.match(FULL_LINE);
      expect({ line: l, matches: m !== null }).toEqual({ line: l, matches: true });
      return { at: m?.[1] as string, stream: m?.[2], text: m?.[3] };
    });
    expect(parsed.filter((p) => p.stream === "STDOUT").map((p) => p.text)).toEqual(["o1", "o2", "cr\r", "partial"]);
    expect(parsed.filter((p) => p.stream === "STDERR").map((p) => p.text)).toEqual(["e1", "e2"]);
    for (const p of parsed) expect(Number.isNaN(Date.parse(p.at))).toBe(false);
  });

  test.concurrent("after wait returns, tail and full.log already hold every line (D9)", async () => {
    await using sb = Sandbox.create();
    const n = 5000;
    const id = await sb.start([
      "sh",
      "-c",
      `i=1; while [ $i -le ${n} ]; do echo "line $i"; echo "err $i" >&2; i=$((i+1)); done`,
    ]);
    const w = await sb.ok(["wait", id]);
    expect(w).toMatchObject({ state: "exited", exit_code: 0 });
    const t = await sb.ok(["tail", id, "--tail-lines", "1"]);
    expect(t).toMatchObject({ stdout_tail: `line ${n}`, stderr_tail: `err ${n}` });
    const full = sb.file(id, "full.log").toString("utf8").split("\n");
    expect(full.filter((l) => l.includes("[STDOUT] line ")).length).toBe(n);
    expect(full.filter((l) => l.includes("[STDERR] err ")).length).toBe(n);
    expect(full.at(-2)).toMatch(FULL_LINE);
  });
});
