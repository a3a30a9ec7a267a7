// R12: a resource run against one `serve` (issue 12): oversized and chunked bodies, a slowloris
// client trickling headers, many parallel /wait long-polls, and a flood of mixed requests, all
// while /health is polled. Reports server RSS before/after, requests per second, and how /health
// answered throughout. Loopback only, bounded in count and time.
import { Sandbox } from "../../test/helpers/sandbox.ts";
import { type AttackResult, Findings, pool, Rng, rawHttp, rssOf, startServer } from "./common.ts";

const MiB = 1 << 20;

export interface R12Options {
  seed: number;
  /** Parallel /wait long-polls on a running job. */
  waits: number;
  /** Mixed requests in the flood. */
  requests: number;
  inFlight: number;
}

/** One bounded request; the status, or 0 and the error. */
async function hit(url: string, init: RequestInit = {}): Promise<{ status: number; error?: string }> {
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
    await r.arrayBuffer();
    return { status: r.status };
  } catch (err) {
    return { status: 0, error: (err as Error).message };
  }
}

export async function r12(opts: R12Options): Promise<AttackResult> {
  const f = new Findings("R12 resources", opts.seed);
  const rng = new Rng(opts.seed);
  await using sb = Sandbox.create();
  const token = `tok-${crypto.randomUUID()}`;
  const done = (await sb.ok(["run", "--wait", "--", "/bin/sh", "-c", "echo one; echo two >&2"])).job_id as string;
  const sleeper = (await sb.ok(["run", "--", "sleep", "600"])).job_id as string;
  const server = await startServer(sb, { token });
  const auth = { authorization: `Bearer ${token}` };
  const base = server.base;
  // /health throughout: every 100 ms on a fresh connection of its own (fetch's pool would queue
  // it behind the long-polls, measuring the client instead of the server); worst latency, failures.
  let stop = false;
  const health = { n: 0, fails: 0, maxMs: 0 };
  const monitor = (async () => {
    while (!stop) {
      const r = await rawHttp(server.port, ["GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"], {
        timeoutMs: 30_000,
      });
      health.n++;
      health.maxMs = Math.max(health.maxMs, r.ms);
      if (r.status !== 200) health.fails++;
      await Bun.sleep(100);
    }
  })();
  const slowCancel = Promise.withResolvers<void>();
  try {
    const rssBefore = rssOf(server.pid) ?? 0;
    // A slowloris client trickling one header byte every 500 ms for the whole run.
    const slowloris = rawHttp(
      server.port,
      ["GET /list HTTP/1.1\r\nHost: 127.0.0.1\r\n", ..."X-Slow: aaaaaaaaaaaaaaaa"],
      {
        gapMs: 500,
        timeoutMs: 10 * 60_000,
        cancel: slowCancel.promise,
      },
    );

    // 1 MiB+ bodies, with a length and chunked without one: 413 each.
    const big = new Uint8Array(MiB + 1).fill(0x20);
    for (const body of [big, new Uint8Array(2 * MiB).fill(0x20)]) {
      f.runs++;
      const r = await hit(`${base}/exec`, { method: "POST", headers: auth, body });
      f.check(r.status === 413, () => `a ${body.length} B body: ${r.status} ${r.error ?? ""} (expected 413)`);
    }
    for (const size of [MiB + 1, 3 * MiB]) {
      f.runs++;
      const chunks: (string | Uint8Array)[] = [
        `POST /exec HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
      ];
      for (let sent = 0; sent < size; sent += 64 * 1024) {
        const n = Math.min(64 * 1024, size - sent);
        chunks.push(`${n.toString(16)}\r\n`, new Uint8Array(n).fill(0x20), "\r\n");
      }
      chunks.push("0\r\n\r\n");
      const r = await rawHttp(server.port, chunks, { timeoutMs: 30_000 });
      // Past Bun's 2 MiB transport limit the server may answer 413 and close while we still
      // write, so the client sees the connection reset before it reads the answer: also a refusal.
      const refused = r.status === 413 || (size > 2 * MiB && r.status === undefined && r.end !== "deadline");
      f.check(refused, () => `a chunked ${size} B body: ${r.status ?? r.end} (expected 413)`);
    }

    // Parallel /wait long-polls on a job that keeps running: each ends with deadline_reached.
    const waitBegan = performance.now();
    // One socket each (fetch's pool would run only a few hundred at a time).
    const waits = await Promise.all(
      Array.from({ length: opts.waits }, () =>
        rawHttp(
          server.port,
          [
            `GET /wait/${sleeper}?timeout_ms=3000&poll_ms=500 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
          ],
          { timeoutMs: 120_000 },
        ),
      ),
    );
    const waitSecs = (performance.now() - waitBegan) / 1000;
    const waitBad = waits
      .filter((w) => w.status !== 200 || !w.body.toString().includes('"deadline_reached":true'))
      .map((w) => ({ status: w.status, end: w.end, body: w.body.toString().slice(0, 200) }));
    f.runs += opts.waits;
    f.check(
      waitBad.length === 0,
      () => `${waitBad.length} of ${opts.waits} /wait failed: ${JSON.stringify(waitBad[0])}`,
    );
    f.fig(`${opts.waits} parallel /wait (3 s each) done in ${waitSecs.toFixed(1)} s`);

    // The flood: mixed requests with their expected status.
    const mix = (): [string, RequestInit, number] => {
      const r = rng.next();
      if (r < 0.25) return [`${base}/health`, {}, 200];
      if (r < 0.4) return [`${base}/status/${done}`, { headers: auth }, 200];
      if (r < 0.5) return [`${base}/tail/${done}?tail_lines=5`, { headers: auth }, 200];
      if (r < 0.6) return [`${base}/list?limit=5`, { headers: auth }, 200];
      if (r < 0.67) return [`${base}/wait/${done}?timeout_ms=50`, { headers: auth }, 200];
      if (r < 0.75) return [`${base}/list`, {}, 401];
      if (r < 0.82) return [`${base}/list?bogus=1`, { headers: auth }, 400];
      if (r < 0.9) return [`${base}/exec`, { method: "POST", headers: auth, body: '{"command":["true"],"x":1}' }, 400];
      if (r < 0.96) return [`${base}/exec`, { method: "POST", headers: auth, body: "{nope" }, 400];
      return [`${base}/status/01ARZ3NDEKTSV4RRFFQ69G5FAV`, { headers: auth }, 404];
    };
    const probes = Array.from({ length: opts.requests }, mix);
    const errors: string[] = [];
    const floodBegan = performance.now();
    await pool(probes, opts.inFlight, async ([url, init, expect]) => {
      const r = await hit(url, init);
      if (r.status !== expect)
        errors.push(`${init.method ?? "GET"} ${url.slice(base.length)}: ${r.status} ${r.error ?? ""}`);
    });
    const floodSecs = (performance.now() - floodBegan) / 1000;
    f.runs += opts.requests;
    for (const e of errors.slice(0, 10)) f.fail(`flood: ${e}`);
    const rps = Math.round(opts.requests / floodSecs);
    f.fig(`${opts.requests} mixed requests, ${opts.inFlight} in flight: ${rps} req/s, ${errors.length} errors`);

    const rssAfter = rssOf(server.pid) ?? 0;
    f.fig(`serve RSS ${(rssBefore / MiB).toFixed(1)} → ${(rssAfter / MiB).toFixed(1)} MiB`);
    f.check(rssAfter < rssBefore + 128 * MiB, () => `RSS grew by ${((rssAfter - rssBefore) / MiB).toFixed(0)} MiB`);
    stop = true;
    await monitor;
    f.check(health.fails === 0, () => `/health failed ${health.fails} of ${health.n} times during the run`);
    f.fig(`/health ${health.n - health.fails}/${health.n} answered, worst ${Math.round(health.maxMs)} ms`);
    slowCancel.resolve();
    await slowloris;
  } finally {
    stop = true;
    slowCancel.resolve();
    await monitor;
    await server.stop();
    await sb.cli(["kill", "--signal", "KILL", sleeper]);
  }
  return f.result();
}
