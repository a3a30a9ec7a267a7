// The HTTP API through its fetch function (no socket), plus one real server on port 0.
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RESPONSES } from "../../src/core/envelope.ts";
import { createFetchHandler } from "../../src/http/server.ts";
import { httpBed } from "../helpers/http-handler.ts";

const TOKEN = "test-token-123";
const { dir, root, env, handler, track } = httpBed("http-", TOKEN);

async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await handler(new Request(`http://agent-exec.test${path}`, init));
  // biome-ignore lint/suspicious/noExplicitAny: a parsed response, checked against its zod schema below.
  const json = (await res.json()) as any;
  if (json.ok) {
    const schema = RESPONSES[json.type as keyof typeof RESPONSES];
    expect(schema.safeParse(json).success).toBe(true);
  }
  track(json);
  return { status: res.status, json, headers: res.headers };
}

/** A job directory with just enough of a record for lookups (used for prefix tests). */
function fakeJob(id: string): void {
  mkdirSync(join(root, id), { recursive: true });
  writeFileSync(
    join(root, id, "meta.json"),
    JSON.stringify({
      job: { id },
      schema_version: "0.1",
      command: ["true"],
      created_at: "2026-01-01T00:00:00Z",
      root,
      env_keys: [],
    }),
  );
  writeFileSync(
    join(root, id, "state.json"),
    JSON.stringify({
      job: { id, status: "exited", started_at: "2026-01-01T00:00:00Z" },
      result: { exit_code: 0, signal: null, duration_ms: 1 },
      finished_at: "2026-01-01T00:00:01Z",
      updated_at: "2026-01-01T00:00:01Z",
    }),
  );
}

describe("auth", () => {
  test("/health needs no token", async () => {
    expect(await call("GET", "/health", undefined, null)).toMatchObject({
      status: 200,
      json: { schema_version: "0.1", ok: true, type: "health" },
    });
  });
  test("every other route needs the bearer token", async () => {
    for (const token of [null, "wrong", ""]) {
      const r = await call("GET", "/list", undefined, token);
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe("unauthorized");
    }
    expect((await call("GET", "/list")).status).toBe(200);
  });
});

describe("web pages cannot drive the API", () => {
  test("any request with an Origin header is 403", async () => {
    const res = await handler(
      new Request("http://127.0.0.1/exec", {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, origin: "https://evil.example", "content-type": "text/plain" },
        body: JSON.stringify({ command: ["true"] }),
      }),
    );
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("forbidden");
  });

  test("without a token, only loopback Host names are served (no DNS rebinding)", async () => {
    const open = createFetchHandler({ root, env, cwd: dir });
    const get = (host: string) => open(new Request(`http://${host}/list`, { headers: { host } }));
    for (const host of ["127.0.0.1:19263", "localhost:19263", "[::1]:19263"])
      expect((await get(host)).status).toBe(200);
    for (const host of ["evil.example:19263", "10.0.0.5:19263"]) expect((await get(host)).status).toBe(403);
  });
});

describe("/exec", () => {
  test("runs a job, waits, and answers with the run envelope", async () => {
    const r = await call("POST", "/exec", { command: ["sh", "-c", "echo hi; echo err >&2"], wait: true, tags: ["ci"] });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      ok: true,
      type: "run",
      state: "exited",
      exit_code: 0,
      tags: ["ci"],
      final_snapshot: { stdout_tail: "hi", stderr_tail: "err" },
    });
  });

  test("bad bodies are 400 invalid_request naming the field", async () => {
    const cases: [unknown, string][] = [
      ["", "body is required"],
      ["{bad", "invalid JSON"],
      [{ command: "echo" }, "command"],
      [{ command: [] }, "command"],
      [{ command: ["true"], timeout_ms: -1 }, "timeout_ms"],
      [{ command: ["true"], env: { A: 1 } }, "env.A"],
      [{ command: ["true"], wait: "yes" }, "wait"],
    ];
    for (const [body, needle] of cases) {
      const r = await call("POST", "/exec", body);
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
      expect(r.json.error.message).toContain(needle);
    }
  });

  test("a cwd that does not exist is invalid_input and creates no job", async () => {
    const before = (await call("GET", "/list?limit=0")).json.jobs.length;
    const r = await call("POST", "/exec", { command: ["true"], cwd: join(dir, "missing") });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("invalid_input");
    expect((await call("GET", "/list?limit=0")).json.jobs.length).toBe(before);
  });

  test("bodies over 1 MiB are 413", async () => {
    const r = await call("POST", "/exec", { command: ["true"], pad: "x".repeat(1 << 20) });
    expect(r.status).toBe(413);
  });
});

describe("job routes", () => {
  test("status, tail and wait answer with the resolved id; ambiguous prefixes are 409", async () => {
    fakeJob("01HTTPAAAAAAAAAAAAAAAAAAAA");
    fakeJob("01HTTPAAAAAAAAAAAAAAAAAAAB");
    fakeJob("01HTTPBBBBBBBBBBBBBBBBBBBB");
    const s = await call("GET", "/status/01httpb");
    expect(s.json).toMatchObject({
      type: "status",
      job_id: "01HTTPBBBBBBBBBBBBBBBBBBBB",
      state: "exited",
      exit_code: 0,
    });
    expect((await call("GET", "/status/01HTTPA")).status).toBe(409);
    expect((await call("GET", "/status/ZZZZ")).status).toBe(404);
    for (const bad of ["..", "%2e%2e", "..%2Fetc", "%00", "%zz", "%", "%C0%AE"])
      expect((await call("GET", `/status/${bad}`)).status).toBe(404);
    const t = await call("GET", "/tail/01HTTPB?tail_lines=5&max_bytes=10");
    expect(t.json).toMatchObject({ type: "tail", job_id: "01HTTPBBBBBBBBBBBBBBBBBBBB" });
    expect((await call("GET", "/tail/01HTTPB?tail_lines=-1")).status).toBe(400);
    expect((await call("GET", "/wait/01HTTPB")).json).toMatchObject({ type: "wait", state: "exited" });
  });

  test("/wait is bounded by timeout_ms; /kill takes a signal body", async () => {
    const run = await call("POST", "/exec", { command: ["sleep", "30"] });
    const id = run.json.job_id as string;
    const w = await call("GET", `/wait/${id}?timeout_ms=50&poll_ms=10`);
    expect(w.json).toMatchObject({ type: "wait", state: "running", deadline_reached: true });
    expect((await call("POST", `/kill/${id}`, { signal: "BOGUS" })).status).toBe(400);
    const k = await call("POST", `/kill/${id}`, { signal: "INT" });
    expect(k.json).toMatchObject({ type: "kill", job_id: id, signal: "INT", state: "killed" });
  });

  test("unknown routes are 404 and wrong methods 405, both with JSON bodies", async () => {
    const nf = await call("GET", "/nope");
    expect(nf.status).toBe(404);
    expect(nf.json.ok).toBe(false);
    const na = await call("DELETE", "/status/X");
    expect(na.status).toBe(405);
    expect(na.headers.get("allow")).toBe("GET");
  });

  test("/list takes the list filters as query parameters", async () => {
    expect((await call("GET", "/list?state=bogus")).status).toBe(400);
    expect((await call("GET", "/list?tag=a..b")).status).toBe(400);
    const r = await call("GET", "/list?state=exited&limit=1");
    expect(r.json.jobs.length).toBe(1);
    expect(r.json.truncated).toBe(true);
  });
});

test("a real server on port 0 speaks the same API", async () => {
  await using server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handler });
  const res = await fetch(`http://127.0.0.1:${server.port}/health`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/json");
  expect(await res.json()).toEqual({ schema_version: "0.1", ok: true, type: "health" });
  const denied = await fetch(`http://127.0.0.1:${server.port}/list`);
  expect(denied.status).toBe(401);
});

describe("issue 11 over HTTP", () => {
  test("D29: timeout_ms and kill_after_ms past 2^31-1 do not kill a short job", async () => {
    const r = await call("POST", "/exec", {
      command: ["sh", "-c", "sleep 1; echo survived"],
      timeout_ms: 3_000_000_000,
      kill_after_ms: 3_000_000_000,
      wait: true,
    });
    expect(r).toMatchObject({
      status: 200,
      json: { state: "exited", exit_code: 0, final_snapshot: { stdout_tail: "survived" } },
    });
  });

  test("D28: masked values are *** in /exec, /tail and /wait answers", async () => {
    const secret = "http-s3cret";
    const r = await call("POST", "/exec", {
      command: ["sh", "-c", 'echo "v=$S"'],
      env: { S: secret },
      mask: ["S"],
      wait: true,
    });
    expect(r.json.final_snapshot.stdout_tail).toBe("v=***");
    const id = r.json.job_id as string;
    const tail = await call("GET", `/tail/${id}`);
    expect(tail.json.stdout_tail).toBe("v=***");
    const waited = await call("GET", `/wait/${id}`);
    for (const doc of [r.json, tail.json, waited.json]) expect(JSON.stringify(doc)).not.toContain(secret);
  });
});
