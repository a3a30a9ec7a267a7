// F1–F4 (issue 14): the agent loop over the fronts. SSE /follow throughput against `cat`, 100
// concurrent followers, `wait --until-match` latency, `tail --since` on a huge log.
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { memory, timed } from "./proc.ts";
import { aeOk, cleanRoot, newRoot, settleJob } from "./store.ts";
import { type Ctx, errorRow, fmtMs, fmtRatio, MiB, type Row, stats, verdict } from "./util.ts";

/** A file of `bytes` bytes of numbered text lines (the same bytes every time). */
function textFile(path: string, bytes: number): void {
  const fd = openSync(path, "w");
  try {
    let line = 0;
    let written = 0;
    while (written < bytes) {
      let chunk = "";
      while (chunk.length < MiB)
        chunk += `${String(++line).padStart(10, "0")} the quick brown fox jumps over the lazy dog\n`;
      const buf = Buffer.from(chunk).subarray(0, Math.min(chunk.length, bytes - written));
      writeSync(fd, buf);
      written += buf.length;
    }
  } finally {
    closeSync(fd);
  }
}

/** The anonymous (heap, buffers) part of a process's resident set: RSS less the mapped binary. */
function anonBytes(pid: number): number {
  try {
    return Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** `serve --port 0` on `root` (loopback, no token); its url and pid. */
async function serve(ctx: Ctx, root: string): Promise<{ base: string; proc: Bun.Subprocess }> {
  const proc = Bun.spawn([ctx.bin, "--root", root, "serve", "--port", "0"], {
    env: ctx.env,
    stdout: "pipe",
    stderr: "ignore",
  });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve exited: ${out}`);
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return { base: JSON.parse(out.slice(0, out.indexOf("\n"))).url as string, proc };
}

/**
 * Reads an SSE body as a lean client would: frames are cut on bytes (no string buffer that grows
 * and is re-sliced), each `output` frame's data parsed once, the stdout text hashed, until `end`.
 */
async function followClient(
  url: string,
): Promise<{ sha: string; bytes: number; ms: number; streamMs: number; ended: boolean }> {
  const t0 = performance.now();
  let first = 0;
  const res = await fetch(url);
  const hash = new Bun.CryptoHasher("sha256");
  const decoder = new TextDecoder();
  let bytes = 0;
  let ended = false;
  const frame = (f: Buffer) => {
    // "event: end" / "event: output": the 8th byte tells them apart; only the data is decoded.
    if (f[7] === 0x65) ended = true;
    if (f[7] !== 0x6f) return;
    const at = f.indexOf("\ndata: ");
    const data = JSON.parse(decoder.decode(f.subarray(at + 7))) as { stream: string; text: string };
    if (data.stream !== "stdout") return;
    if (first === 0) first = performance.now();
    hash.update(data.text);
    bytes += Buffer.byteLength(data.text);
  };
  let parts: Buffer[] = [];
  let lastByte = -1;
  for await (const c of res.body as ReadableStream<Uint8Array>) {
    const chunk = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    let start = 0;
    if (lastByte === 10 && chunk[0] === 10) {
      // The blank line that ends a frame straddles two reads.
      frame(Buffer.concat(parts));
      parts = [];
      start = 1;
    }
    for (let cut = chunk.indexOf("\n\n", start); cut >= 0; cut = chunk.indexOf("\n\n", start)) {
      const tail = chunk.subarray(start, cut);
      frame(parts.length > 0 ? Buffer.concat([...parts, tail]) : tail);
      parts = [];
      start = cut + 2;
    }
    if (start < chunk.length) parts.push(chunk.subarray(start));
    lastByte = chunk[chunk.length - 1] ?? -1;
  }
  const t1 = performance.now();
  return { sha: hash.digest("hex"), bytes, ms: t1 - t0, streamMs: t1 - (first || t0), ended };
}

/** The reference client: the same file through `cat` into a pipe, hashed as it arrives. */
async function catClient(path: string): Promise<{ sha: string; bytes: number; ms: number; streamMs: number }> {
  const t0 = performance.now();
  let first = 0;
  const proc = Bun.spawn(["cat", path], { stdout: "pipe" });
  const hash = new Bun.CryptoHasher("sha256");
  let bytes = 0;
  for await (const chunk of proc.stdout) {
    if (first === 0) first = performance.now();
    hash.update(chunk);
    bytes += chunk.length;
  }
  const t1 = performance.now();
  await proc.exited;
  return { sha: hash.digest("hex"), bytes, ms: t1 - t0, streamMs: t1 - (first || t0) };
}

/** F1: /follow of a job writing 100 MB, every byte in order, against `cat` of the same file. */
async function f1(ctx: Ctx): Promise<Row> {
  const size = ctx.quick ? 20 * MiB : 100 * 1e6;

  const root = newRoot(ctx, "f1");
  const file = join(root, "..", "f1-output.txt");
  textFile(file, size);
  const s = await serve(ctx, root);
  try {
    // Throughput from the first byte to the last: the job's launch (P2's business) is not in it.
    const ours: number[] = [];
    const cats: number[] = [];
    const oursTotal: number[] = [];
    let expected = "";
    for (let i = 0; i < 3; i++) {
      const c = await catClient(file);
      expected = c.sha;
      cats.push(c.streamMs);
      const run = aeOk(ctx, root, ["run", "--snapshot-after", "0", "--", "cat", file]);
      const f = await followClient(`${s.base}/follow/${run.job_id}`);
      if (f.sha !== expected || f.bytes !== size || !f.ended) {
        throw new Error(`follow lost or reordered bytes: ${f.bytes} of ${size}, ended ${f.ended}`);
      }
      ours.push(f.streamMs);
      oursTotal.push(f.ms);
      await settleJob(root, run.job_id as string);
    }
    const o = stats(ours);
    const c = stats(cats);
    const share = c.median / o.median;
    const mbps = (ms: number) => `${(size / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
    return {
      id: "F1",
      measure: `SSE /follow of a job writing ${Math.round(size / 1e6)} MB, every byte in order, first byte to last (median of 3)`,
      ours: `${mbps(o.median)} = ${(share * 100).toFixed(0)}% of cat`,
      budget: "≥ 50% of cat",
      peer: `cat into the same kind of client: ${mbps(c.median)}; ours from the request (job launch included): ${mbps(stats(oursTotal).median)}`,
      verdict: verdict(share >= 0.5),
      figures: { bytes: size, follow_ms: o, follow_total_ms: stats(oursTotal), cat_ms: c, share },
    };
  } finally {
    s.proc.kill("SIGTERM");
    await s.proc.exited;
    await cleanRoot(root);
  }
}

/** F2: 100 concurrent /follow clients of one job: the server's peak RSS; every client gets every byte. */
export async function f2(ctx: Ctx): Promise<Row> {
  const clients = 100;
  const size = ctx.quick ? 5 * MiB : 20 * MiB;
  const root = newRoot(ctx, "f2");
  const file = join(root, "..", "f2-output.txt");
  textFile(file, size);
  const expected = (await catClient(file)).sha;
  const s = await serve(ctx, root);
  let peak = 0;
  let peakAnon = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, memory(s.proc.pid)?.rss ?? 0);
    peakAnon = Math.max(peakAnon, anonBytes(s.proc.pid));
  }, 20);
  try {
    const idle = memory(s.proc.pid)?.rss ?? 0;
    // The job waits a moment, so every client is connected before the first byte.
    const run = aeOk(ctx, root, ["run", "--snapshot-after", "0", "--", "sh", "-c", `sleep 2; cat ${file}`]);
    const results = await Promise.all(
      Array.from({ length: clients }, () => followClient(`${s.base}/follow/${run.job_id}`)),
    );
    const whole = results.filter((r) => r.sha === expected && r.ended).length;
    const ms = stats(results.map((r) => r.ms));
    return {
      id: "F2",
      measure: `${clients} concurrent /follow clients of one job writing ${size / MiB} MiB`,
      ours: `peak RSS ${(peak / 1e6).toFixed(0)} MB; ${whole}/${clients} got every byte`,
      budget: "≤ 150 MB; all",
      peer: `idle server ${(idle / 1e6).toFixed(0)} MB; peak anonymous ${(peakAnon / 1e6).toFixed(0)} MB; slowest client ${fmtMs(ms.max)}`,
      verdict: verdict(peak <= 150e6 && whole === clients),
      figures: {
        clients,
        bytes: size,
        peak_rss: peak,
        peak_anon: peakAnon,
        idle_rss: idle,
        complete: whole,
        client_ms: ms,
      },
    };
  } finally {
    clearInterval(sampler);
    s.proc.kill("SIGTERM");
    await s.proc.exited;
    await cleanRoot(root);
  }
}

/** F3: `wait --until-match` answers this long after the job wrote the line (50 trials). */
async function f3(ctx: Ctx): Promise<Row> {
  const trials = ctx.quick ? 20 : 50;
  const root = newRoot(ctx, "f3");
  const samples: number[] = [];
  try {
    for (let i = 0; i < trials; i++) {
      const fifo = join(root, `..`, `f3-${i}.fifo`);
      timed(["mkfifo", fifo], ctx.env);
      // The job blocks on the fifo; the line is written the moment the bench writes to it.
      const run = aeOk(ctx, root, [
        "run",
        "--snapshot-after",
        "0",
        "--",
        "sh",
        "-c",
        `read l < ${fifo}; echo "$l"; sleep 30`,
      ]);
      const id = run.job_id as string;
      const wait = Bun.spawn(
        [ctx.bin, "--root", root, "wait", "--until-match", "^READY", "--timeout-ms", "20000", id],
        {
          env: ctx.env,
          stdout: "pipe",
        },
      );
      // Let the wait reach its watch (start-up is P1's business, not this measure's).
      await Bun.sleep(300);
      const fd = openSync(fifo, "w");
      const t0 = performance.now();
      writeSync(fd, "READY\n");
      closeSync(fd);
      const reader = (wait.stdout as ReadableStream<Uint8Array>).getReader();
      const { value } = await reader.read();
      const t1 = performance.now();
      const out = new TextDecoder().decode(value);
      if (!out.includes('"ready":true')) throw new Error(`wait did not answer ready: ${out.slice(0, 200)}`);
      samples.push(t1 - t0);
      await wait.exited;
      aeOk(ctx, root, ["kill", "--signal", "KILL", id]);
    }
    const s = stats(samples);
    return {
      id: "F3",
      measure: `\`wait --until-match\` answer after the line is written (median of ${trials})`,
      ours: fmtMs(s.median),
      budget: "≤ 20 ms",
      peer: `p90 ${fmtMs(s.p90)}, max ${fmtMs(s.max)}; includes the job's shell waking up`,
      verdict: verdict(s.median <= 20),
      figures: { ms: s },
    };
  } finally {
    await cleanRoot(root);
  }
}

/** F4: `tail --since` on a huge log with 1 KiB new, against `tail` of a 1 KiB log, interleaved. */
async function f4(ctx: Ctx): Promise<Row> {
  const big = ctx.quick ? 64 * MiB : 1024 * MiB;
  const root = newRoot(ctx, "f4");
  try {
    const ids = ["huge", "small"].map(() => aeOk(ctx, root, ["run", "--wait", "--", "true"]).job_id as string);
    const [huge, small] = ids as [string, string];
    await settleJob(root, huge);
    await settleJob(root, small);
    const kib = Buffer.from(`${"x".repeat(63)}\n`.repeat(16));
    textFile(join(root, huge, "stdout.log"), big);
    const cursor = aeOk(ctx, root, ["tail", "--max-bytes", "1", huge]).cursor as string;
    const fd = openSync(join(root, huge, "stdout.log"), "a");
    writeSync(fd, kib);
    closeSync(fd);
    const smallFd = openSync(join(root, small, "stdout.log"), "w");
    writeSync(smallFd, kib);
    closeSync(smallFd);
    const since = [ctx.bin, "--root", root, "tail", "--since", cursor, huge];
    const plain = [ctx.bin, "--root", root, "tail", small];
    const a: number[] = [];
    const b: number[] = [];
    const n = ctx.quick ? 40 : 100;
    for (let i = -5; i < n; i++) {
      const ra = timed(since, ctx.env);
      const rb = timed(plain, ctx.env);
      if (!ra.stdout.includes(`"stdout_included_bytes":1023`) || rb.code !== 0) {
        throw new Error(`tail --since did not return the 1 KiB: ${ra.stdout.slice(0, 300)}`);
      }
      if (i >= 0) {
        a.push(ra.ms);
        b.push(rb.ms);
      }
    }
    const sa = stats(a);
    const sb = stats(b);
    const ratio = sa.median / sb.median;
    return {
      id: "F4",
      measure: `\`tail --since\` on a ${big / MiB} MiB log with 1 KiB new vs \`tail\` of a 1 KiB log (median of ${n})`,
      ours: `${fmtMs(sa.median)} = ${fmtRatio(ratio)}`,
      budget: "≤ 1.2×",
      peer: `tail of 1 KiB: ${fmtMs(sb.median)}`,
      verdict: verdict(ratio <= 1.2),
      figures: { log_bytes: big, since_ms: sa, tail_ms: sb, ratio },
    };
  } finally {
    await cleanRoot(root);
  }
}

/** F1–F4, each isolated: one failing measure does not hide the others. */
export async function fronts(ctx: Ctx): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [id, name, run] of [
    ["F1", "SSE follow throughput", f1],
    ["F2", "100 followers", f2],
    ["F3", "until-match latency", f3],
    ["F4", "tail --since on a huge log", f4],
  ] as const) {
    ctx.log(`${id} (${name})…`);
    try {
      rows.push(await run(ctx));
    } catch (err) {
      rows.push(errorRow(id, name, err));
    }
  }
  return rows;
}
