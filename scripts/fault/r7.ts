// R7: `serve` under attack: no token, wrong token, oversized bodies, slow clients, and a flood of
// requests with many in flight. Must hold: 401 / 413 / 408 as appropriate, 0 errors (every answer
// is the expected status with a JSON envelope, no 5xx, no dropped connection), memory flat.
// Loopback only.
import { Sandbox } from "../../test/helpers/sandbox.ts";
import {
  type AttackResult,
  Findings,
  oneJson,
  pool,
  type RawResponse,
  Rng,
  rawHttp,
  rssOf,
  type Server,
  startServer,
} from "./common.ts";

export interface R7LoadOptions {
  requests: number;
  inFlight: number;
  seed: number;
  /** Share of requests that carry an oversized (2 MiB) body. */
  bigBodyShare?: number;
}

const MiB = 1 << 20;

/** A request of the mix and the status it must get. */
interface Probe {
  kind: string;
  method: string;
  path: string;
  auth?: string;
  body?: string | Uint8Array;
  expect: number;
}

interface Fixture {
  sb: Sandbox;
  server: Server;
  token: string;
  jobId: string;
}

async function setUp(sb: Sandbox): Promise<Fixture> {
  const token = `tok-${crypto.randomUUID()}`;
  const jobId = (await sb.ok(["run", "--wait", "--", "/bin/sh", "-c", "echo one; echo two; echo err >&2"])).job_id;
  const server = await startServer(sb, { token });
  return { sb, server, token, jobId };
}

/** Sends one probe with fetch (keep-alive pool); returns status or the network error. */
async function send(fx: Fixture, p: Probe): Promise<{ status: number; text: string; ms: number; error?: string }> {
  const began = performance.now();
  try {
    const headers: Record<string, string> = {};
    if (p.auth !== undefined) headers.authorization = p.auth;
    if (p.body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${fx.server.base}${p.path}`, {
      method: p.method,
      headers,
      ...(p.body !== undefined ? { body: p.body } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - began };
  } catch (err) {
    return { status: 0, text: "", ms: performance.now() - began, error: (err as Error).message };
  }
}

/** The status and body a probe got are what the contract says. */
function judge(p: Probe, r: { status: number; text: string; error?: string }): string | undefined {
  if (r.error) return `${p.kind}: ${p.method} ${p.path.slice(0, 60)}: network error ${r.error}`;
  if (r.status !== p.expect)
    return `${p.kind}: ${p.method} ${p.path.slice(0, 60)}: ${r.status} (expected ${p.expect}) ${r.text.slice(0, 200)}`;
  // Bun itself answers bodies over its 2 MiB transport limit, with an empty 413.
  if (r.status === 413 && r.text === "") return undefined;
  const doc = oneJson(`${r.text}\n`);
  if (doc?.schema_version !== "0.1" || doc.ok !== (r.status === 200))
    return `${p.kind}: ${p.method} ${p.path.slice(0, 60)}: ${r.status} without a JSON envelope: ${r.text.slice(0, 200)}`;
  return undefined;
}

/** A JSON /exec body of exactly `size` bytes (padded with whitespace: unknown fields are refused, D36). */
export function execBodyOfSize(size: number): string {
  const head = '{"command":["true"]';
  const tail = "}";
  return head + " ".repeat(size - head.length - tail.length) + tail;
}

/** R7a: authentication and body limits, probe by probe. */
export async function r7Limits(seed: number): Promise<AttackResult> {
  const f = new Findings("R7 limits", seed);
  await using sb = Sandbox.create();
  const fx = await setUp(sb);
  try {
    const bearer = `Bearer ${fx.token}`;
    const big = new Uint8Array(2 * MiB).fill(0x78);
    const probes: Probe[] = [
      { kind: "health without token", method: "GET", path: "/health", expect: 200 },
      { kind: "list with token", method: "GET", path: "/list", auth: bearer, expect: 200 },
      { kind: "status with token", method: "GET", path: `/status/${fx.jobId}`, auth: bearer, expect: 200 },
      // The scheme name is case-insensitive (RFC 7235, D41).
      { kind: "lower-case scheme", method: "GET", path: "/list", auth: `bearer ${fx.token}`, expect: 200 },
      { kind: "two spaces (1*SP)", method: "GET", path: "/list", auth: `Bearer  ${fx.token}`, expect: 200 },
      ...["/list", `/status/${fx.jobId}`, `/tail/${fx.jobId}`, `/wait/${fx.jobId}`].map((path) => ({
        kind: "no token",
        method: "GET",
        path,
        expect: 401,
      })),
      { kind: "no token", method: "POST", path: `/kill/${fx.jobId}`, expect: 401 },
      { kind: "no token", method: "POST", path: "/exec", body: '{"command":["true"]}', expect: 401 },
      ...[
        `Bearer ${fx.token}x`,
        `Bearer ${fx.token.slice(0, -1)}`,
        `Basic ${btoa(`u:${fx.token}`)}`,
        fx.token,
        "Bearer ",
        `Bearer ${fx.token}\u00e9`.normalize(),
      ].map((auth) => ({
        kind: `wrong token ${JSON.stringify(auth.slice(0, 12))}`,
        method: "GET",
        path: "/list",
        auth,
        expect: 401,
      })),
      { kind: "no token, 2 MiB body", method: "POST", path: "/exec", body: big, expect: 401 },
      {
        kind: "exactly 1 MiB body",
        method: "POST",
        path: "/exec",
        auth: bearer,
        body: execBodyOfSize(MiB),
        expect: 200,
      },
      {
        kind: "1 MiB + 1 body",
        method: "POST",
        path: "/exec",
        auth: bearer,
        body: execBodyOfSize(MiB + 1),
        expect: 413,
      },
      { kind: "2 MiB body", method: "POST", path: "/exec", auth: bearer, body: big, expect: 413 },
      {
        kind: "2 MiB + 1 body",
        method: "POST",
        path: "/exec",
        auth: bearer,
        body: new Uint8Array(2 * MiB + 1),
        expect: 413,
      },
      { kind: "8 MiB body", method: "POST", path: "/exec", auth: bearer, body: new Uint8Array(8 * MiB), expect: 413 },
      { kind: "2 MiB kill body", method: "POST", path: `/kill/${fx.jobId}`, auth: bearer, body: big, expect: 413 },
    ];
    for (const p of probes) {
      f.runs++;
      const broke = judge(p, await send(fx, p));
      f.check(broke === undefined, () => broke as string);
    }
    // Chunked bodies carry no Content-Length: the limit must still hold.
    for (const [size, expect] of [
      [MiB + 1, 413],
      [2 * MiB, 413],
      [3 * MiB, 413],
    ] as const) {
      f.runs++;
      const head = `POST /exec HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${fx.token}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
      const chunks: (string | Uint8Array)[] = [head];
      for (let sent = 0; sent < size; sent += 64 * 1024) {
        const n = Math.min(64 * 1024, size - sent);
        chunks.push(`${n.toString(16)}\r\n`, new Uint8Array(n).fill(0x20), "\r\n");
      }
      chunks.push("0\r\n\r\n");
      const r = await rawHttp(fx.server.port, chunks, { timeoutMs: 20_000 });
      // The server answers 413 and closes while we are still sending: the kernel then resets the
      // connection, and a reset that arrives before the answer was read discards it (a TCP race
      // no server can close). A reset with no answer at all is still the body refused.
      const reset = r.status === undefined && r.end === "error" && /ECONNRESET|EPIPE/.test(r.error ?? "");
      f.check(
        r.status === expect || reset,
        () => `chunked ${size} B body: ${r.status ?? r.end} (expected ${expect}) ${r.head.slice(0, 100)}`,
      );
    }
    const h = await send(fx, { kind: "health after", method: "GET", path: "/health", expect: 200 });
    f.check(h.status === 200, () => `server unhealthy after the limit probes: ${h.status} ${h.error ?? ""}`);
    f.fig(
      `${f.runs} probes: 401 ×${probes.filter((p) => p.expect === 401).length}, 413 ×${probes.filter((p) => p.expect === 413).length + 3}`,
    );
  } finally {
    await fx.server.stop();
  }
  return f.result();
}

/** R7b: a flood of mixed requests with `inFlight` in flight while slow clients hold connections. */
export async function r7Load(opts: R7LoadOptions): Promise<AttackResult> {
  const f = new Findings("R7 load", opts.seed);
  const rng = new Rng(opts.seed);
  await using sb = Sandbox.create();
  const fx = await setUp(sb);
  const bearer = `Bearer ${fx.token}`;
  const big = new Uint8Array(2 * MiB).fill(0x78);
  const unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  const bigShare = opts.bigBodyShare ?? 0.005;
  const mix = (): Probe => {
    const r = rng.next();
    if (r < 0.28) return { kind: "health", method: "GET", path: "/health", expect: 200 };
    if (r < 0.43) return { kind: "status", method: "GET", path: `/status/${fx.jobId}`, auth: bearer, expect: 200 };
    if (r < 0.53)
      return { kind: "tail", method: "GET", path: `/tail/${fx.jobId}?tail_lines=5`, auth: bearer, expect: 200 };
    if (r < 0.62) return { kind: "list", method: "GET", path: "/list?limit=5", auth: bearer, expect: 200 };
    if (r < 0.69)
      return { kind: "wait", method: "GET", path: `/wait/${fx.jobId}?timeout_ms=50`, auth: bearer, expect: 200 };
    if (r < 0.76) return { kind: "no token", method: "GET", path: "/list", expect: 401 };
    if (r < 0.81) return { kind: "wrong token", method: "GET", path: "/list", auth: `${bearer}x`, expect: 401 };
    if (r < 0.86) return { kind: "unknown id", method: "GET", path: `/status/${unknown}`, auth: bearer, expect: 404 };
    if (r < 0.9) return { kind: "no route", method: "GET", path: "/nope", auth: bearer, expect: 404 };
    if (r < 0.92) return { kind: "wrong method", method: "DELETE", path: "/health", expect: 405 };
    if (r < 0.96) return { kind: "bad json", method: "POST", path: "/exec", auth: bearer, body: "{nope", expect: 400 };
    if (r < 0.96 + bigShare)
      return { kind: "2 MiB", method: "POST", path: "/exec", auth: bearer, body: big, expect: 413 };
    if (r < 0.97 + bigShare)
      return { kind: "exec", method: "POST", path: "/exec", auth: bearer, body: '{"command":["true"]}', expect: 200 };
    return { kind: "kill finished", method: "POST", path: `/kill/${fx.jobId}`, auth: bearer, expect: 200 };
  };

  // Slow clients for the whole flood: one stalled in its headers, one trickling a valid body.
  let cancel!: () => void;
  const cancelled = new Promise<void>((r) => (cancel = r));
  const stalled = rawHttp(fx.server.port, [`GET /list HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer}\r\n`], {
    timeoutMs: 120_000,
    cancel: cancelled,
  });
  const body = '{"command":["true"],"tags":["slow"]}';
  const slowBody = rawHttp(
    fx.server.port,
    [
      `POST /exec HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      ...body.match(/.{1,2}/g)!,
    ],
    { gapMs: 50, timeoutMs: 30_000 },
  );

  try {
    const probes = Array.from({ length: opts.requests }, mix);
    const rss: number[] = [];
    const lat: number[] = [];
    const errors = new Map<string, number>();
    let done = 0;
    const warmAt = Math.max(1, Math.floor(opts.requests / 10));
    const began = performance.now();
    await pool(probes, opts.inFlight, async (p) => {
      const r = await send(fx, p);
      lat.push(r.ms);
      const broke = judge(p, r);
      if (broke) {
        errors.set(p.kind, (errors.get(p.kind) ?? 0) + 1);
        f.fail(broke);
      }
      if (++done % warmAt === 0) rss.push(rssOf(fx.server.pid) ?? 0);
    });
    const secs = (performance.now() - began) / 1000;
    f.runs = opts.requests;
    lat.sort((a, b) => a - b);
    const q = (x: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(x * lat.length))] as number);
    const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
    f.fig(
      `${opts.requests} requests, ${opts.inFlight} in flight, ${Math.round(opts.requests / secs)} req/s, ${errorCount} errors`,
    );
    f.fig(`latency p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);

    // Memory flat: after warm-up (the first tenth), RSS may not keep growing.
    const warm = rss[0] ?? 0;
    const end = rss[rss.length - 1] ?? 0;
    const peak = Math.max(...rss);
    const mb = (b: number) => (b / MiB).toFixed(1);
    f.fig(`serve RSS ${mb(warm)} → ${mb(end)} MiB (peak ${mb(peak)})`);
    f.check(
      end <= warm * 1.5 + 32 * MiB,
      () => `memory not flat: RSS ${mb(warm)} MiB after warm-up, ${mb(end)} MiB at the end`,
    );

    const sb2 = await slowBody;
    f.check(
      sb2.status === 200,
      () =>
        `a slow but valid client (2 bytes / 50 ms) got ${sb2.status ?? sb2.end} ${sb2.body.toString().slice(0, 200)}`,
    );
    const h = await send(fx, { kind: "health", method: "GET", path: "/health", expect: 200 });
    f.check(h.status === 200, () => `server unhealthy after the flood: ${h.status} ${h.error ?? ""}`);
  } finally {
    cancel();
    await stalled;
    await fx.server.stop();
  }
  return f.result();
}

export type SlowKind = "stalled-headers" | "trickled-headers" | "stalled-body";

/**
 * R7c: slow clients are cut off. `stalled-headers` stops mid-headers, `trickled-headers` sends one
 * header byte every 2 s (never finishing), `stalled-body` announces a body and sends only part of
 * it. A client whose headers never complete has made no request yet: Bun.serve gives no hook
 * there, so it must be disconnected within `limitMs`; a stalled body must be answered 408. All
 * while the server keeps answering others.
 */
export async function r7Slow(kinds: readonly SlowKind[], seed: number, limitMs = 45_000): Promise<AttackResult> {
  const f = new Findings("R7 slow client", seed);
  await using sb = Sandbox.create();
  const fx = await setUp(sb);
  try {
    const bearer = `Bearer ${fx.token}`;
    const header = `POST /exec HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer}\r\nContent-Type: application/json\r\n`;
    const runs = kinds.map(async (k): Promise<[SlowKind, RawResponse]> => {
      const opts = { timeoutMs: limitMs };
      if (k === "stalled-headers") return [k, await rawHttp(fx.server.port, [header], opts)];
      if (k === "trickled-headers") {
        const rest = `X-Slow: ${"a".repeat(100)}\r\n`;
        return [k, await rawHttp(fx.server.port, [header, ...rest], { ...opts, gapMs: 2000 })];
      }
      return [k, await rawHttp(fx.server.port, [`${header}Content-Length: 100\r\n\r\n{"command":`], opts)];
    });
    // Meanwhile the server answers everyone else.
    const deadline = performance.now() + 3000;
    let healthy = 0;
    while (performance.now() < deadline) {
      const r = await send(fx, { kind: "health", method: "GET", path: "/health", expect: 200 });
      if (r.status === 200 && r.ms < 1000) healthy++;
      else f.fail(`health during slow clients: ${r.status} in ${Math.round(r.ms)} ms ${r.error ?? ""}`);
      await Bun.sleep(100);
    }
    for (const [k, r] of await Promise.all(runs)) {
      f.runs++;
      const secs = (r.ms / 1000).toFixed(1);
      f.fig(
        `${k}: ${r.end === "deadline" ? `still open after ${secs} s` : `${r.status ?? "no answer"}, closed after ${secs} s`}`,
      );
      f.check(r.end !== "deadline", () => `${k}: the connection was still open after ${limitMs / 1000} s`);
      f.check(
        r.end === "deadline" || k !== "stalled-body" || r.status === 408,
        () =>
          `${k}: cut off after ${secs} s without a 408 (got ${r.status === undefined ? "no response at all" : r.status})`,
      );
    }
    f.fig(`health answered ${healthy}× meanwhile`);
  } finally {
    await fx.server.stop();
  }
  return f.result();
}
