// serve's event streams from the binary over a real socket (X11): the token guards them, every
// byte arrives in order, and a client that reads nothing stalls neither the job nor the server.
import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { BIN } from "../helpers/bin.ts";
import { pollUntil } from "../helpers/poll.ts";
import { Sandbox } from "../helpers/sandbox.ts";
import { sseReader } from "../helpers/sse.ts";

const TOKEN = "streams-token";

/** `serve --port 0` with a token; the port from its one stdout line (D38). */
async function serve(sb: Sandbox) {
  const proc = Bun.spawn([BIN, "--root", sb.root, "serve", "--port", "0"], {
    env: { ...sb.env, AGENT_EXEC_TOKEN: TOKEN },
    stdout: "pipe",
    stderr: "ignore",
  });
  let out = "";
  void (async () => {
    for await (const chunk of proc.stdout) out += new TextDecoder().decode(chunk);
  })();
  const line = await pollUntil(() => (out.includes("\n") ? JSON.parse(out.slice(0, out.indexOf("\n"))) : undefined), {
    what: "the serve line",
  });
  return { proc, base: `http://127.0.0.1:${line.port}`, port: line.port as number };
}

const auth = { authorization: `Bearer ${TOKEN}` };

async function exec(base: string, body: unknown) {
  const res = await fetch(`${base}/exec`, { method: "POST", headers: auth, body: JSON.stringify(body) });
  return (await res.json()) as { job_id: string };
}

/** The server's resident set, from /proc. */
const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);

test.concurrent("the token guards /follow and /events; a followed job arrives whole and in order", async () => {
  await using sb = Sandbox.create();
  const s = await serve(sb);
  try {
    for (const path of ["/follow/X", "/events"]) expect((await fetch(`${s.base}${path}`)).status).toBe(401);
    const run = await exec(s.base, { command: ["sh", "-c", "seq 1 300000"] });
    const reader = sseReader(await fetch(`${s.base}/follow/${run.job_id}`, { headers: auth }));
    const hash = createHash("sha256");
    let end: unknown;
    for (let f = await reader.next(); f; f = await reader.next()) {
      if (f.event === "output" && f.data.stream === "stdout") hash.update(f.data.text);
      if (f.event === "end") end = f.data;
    }
    let expected = "";
    for (let i = 1; i <= 300000; i++) expected += `${i}\n`;
    expect(hash.digest("hex")).toBe(createHash("sha256").update(expected).digest("hex"));
    expect(end).toMatchObject({ type: "wait", state: "exited", exit_code: 0 });
  } finally {
    s.proc.kill("SIGKILL");
  }
});

test.concurrent("a client that reads nothing stalls neither the job nor the server, and costs it little memory", async () => {
  await using sb = Sandbox.create();
  const s = await serve(sb);
  // A raw socket that sends the request and never reads: the server's writes back up.
  const sockets: ReturnType<typeof connect>[] = [];
  try {
    const run = await exec(s.base, {
      command: ["sh", "-c", "sleep 0.5; yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 60000000"],
    });
    const before = rssKb(s.proc.pid);
    for (let i = 0; i < 4; i++) {
      const socket = connect({ host: "127.0.0.1", port: s.port });
      socket.pause();
      socket.write(`GET /follow/${run.job_id} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
      sockets.push(socket);
    }
    // The job writes its 60 MB and ends on its own.
    const done = await pollUntil(
      async () =>
        (await (await fetch(`${s.base}/status/${run.job_id}`, { headers: auth })).json()) as { state: string },
      { until: (v) => v.state === "exited", timeoutMs: 60_000, what: "the job to end" },
    );
    expect(done.state).toBe("exited");
    // The server still answers at once, and its memory did not grow with the backlog.
    const t0 = performance.now();
    expect((await fetch(`${s.base}/health`)).status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(5000);
    const grown = rssKb(s.proc.pid) - before;
    expect(grown).toBeLessThan(40 * 1024);
  } finally {
    for (const socket of sockets) socket.destroy();
    s.proc.kill("SIGKILL");
  }
});

test.concurrent("SIGTERM ends open event streams and serve exits 0; the followed job runs on", async () => {
  await using sb = Sandbox.create();
  const s = await serve(sb);
  const run = await exec(s.base, { command: ["sleep", "30"] });
  const follow = sseReader(await fetch(`${s.base}/follow/${run.job_id}`, { headers: auth }));
  const events = sseReader(await fetch(`${s.base}/events`, { headers: auth }));
  expect((await follow.next())?.event).toBe("state");
  s.proc.kill("SIGTERM");
  expect(await s.proc.exited).toBe(0);
  // Both streams were closed by the server, not left hanging.
  for (let f = await follow.next(); f; f = await follow.next()) expect(f.event).not.toBe("end");
  expect(await events.next()).toBeUndefined();
  const status = await sb.ok(["status", run.job_id]);
  expect(status.state).toBe("running");
  await sb.cli(["kill", "--signal", "KILL", run.job_id]);
});
