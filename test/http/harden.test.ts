// Hardening of the HTTP front (issue 12, D41–D43; issue 13, D36), through the fetch function.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createFetchHandler } from "../../src/http/server.ts";
import { httpBed } from "../helpers/http-handler.ts";

const TOKEN = "hardening-token";
const { dir, root, env, handler, track } = httpBed("http-harden-", TOKEN);

// biome-ignore lint/suspicious/noExplicitAny: parsed responses, checked with toEqual/toMatchObject.
type Json = any;

async function call(
  method: string,
  path: string,
  body?: unknown,
  auth: string | null = `Bearer ${TOKEN}`,
  h = handler,
): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = {};
  if (auth !== null) headers.authorization = auth;
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await h(new Request(`http://127.0.0.1${path}`, init));
  const json = (await res.json()) as Json;
  track(json);
  return { status: res.status, json };
}

const jobs = () => (existsSync(root) ? readdirSync(root).filter((n) => !n.startsWith(".")) : []);

/** A 400 invalid_request whose message contains `needle`; nothing was created. */
async function refused(path: string, body: unknown, needle: string, method = "POST"): Promise<void> {
  const before = jobs();
  const r = await call(method, path, body);
  expect({ status: r.status, code: r.json.error?.code }).toEqual({ status: 400, code: "invalid_request" });
  expect(r.json.error.message).toContain(needle);
  expect(jobs()).toEqual(before);
}

describe("D41: tokens", () => {
  test("the Bearer scheme name is case-insensitive; an empty credential never matches", async () => {
    for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
      expect((await call("GET", "/list", undefined, `${scheme} ${TOKEN}`)).status).toBe(200);
    }
    for (const auth of ["Bearer ", "Bearer", "", "Basic aGVsbG8=", `Token ${TOKEN}`]) {
      expect((await call("GET", "/list", undefined, auth)).status).toBe(401);
    }
  });

  test("a handler given an empty token is not open: it is the loopback-only, token-less server", async () => {
    const open = createFetchHandler({ root, env, cwd: dir, token: "" });
    const remote = await open(
      new Request("http://192.0.2.7/list", { headers: { host: "192.0.2.7", authorization: "Bearer " } }),
    );
    expect(remote.status).toBe(403);
  });
});

describe("D36: strict bodies and queries", () => {
  test("unknown fields in /exec and /kill are refused, naming the field; nothing starts", async () => {
    await refused("/exec", { command: ["true"], timeout: 1000 }, '"timeout"');
    await refused("/exec", { command: ["true"], wait: true, waitTimeoutMs: 5 }, '"waitTimeoutMs"');
    await refused("/kill/NOPE", { signal: "TERM", force: true }, '"force"');
  });

  test("mistyped fields are refused, naming the field", async () => {
    await refused("/exec", { command: ["true"], timeout_ms: "1000" }, "timeout_ms");
    await refused("/exec", { command: ["true"], wait: "yes" }, "wait");
    await refused("/exec", { command: ["true"], env: { A: 1 } }, "env.A");
  });

  test("unknown or mistyped query parameters are refused, naming them", async () => {
    await refused("/list?limt=5", undefined, '"limt"', "GET");
    await refused("/list?all=yes", undefined, "all=", "GET");
    await refused("/tail/X?lines=5", undefined, '"lines"', "GET");
    await refused("/wait/X?timeout=5", undefined, '"timeout"', "GET");
    await refused("/status/X?verbose=1", undefined, '"verbose"', "GET");
    await refused("/delete/X?dryrun=true", undefined, '"dryrun"', "POST");
    await refused("/delete/X?dry_run=maybe", undefined, "dry_run=", "POST");
  });
});

describe("D43: names and bytes", () => {
  test("env names that are no variable names are refused", async () => {
    await refused("/exec", { command: ["true"], env: { "A=B": "v" } }, '"A=B"');
    await refused("/exec", { command: ["true"], env: { "": "v" } }, 'name ""');
    await refused("/exec", { command: ["true"], env: { "1X": "v" } }, '"1X"');
  });

  test("a NUL byte in a command word, env value, cwd or path is refused", async () => {
    await refused("/exec", { command: ["echo", "a\u0000b"] }, "NUL");
    await refused("/exec", { command: ["true"], env: { A: "x\u0000y" } }, "env.A");
    await refused("/exec", { command: ["true"], cwd: "/tmp\u0000/x" }, "cwd");
    await refused("/exec", { command: ["true"], env_files: ["/etc/hostname\u0000"] }, "env_files.0");
    await refused("/list?cwd=%2Ftmp%00x", undefined, "NUL", "GET");
  });
});

describe("D42: files a caller names", () => {
  test("a FIFO as env file is refused at once, naming it; the handler keeps answering", async () => {
    const fifo = join(dir, "env.fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const r = await call("POST", "/exec", { command: ["true"], env_files: [fifo] });
    expect({ status: r.status, code: r.json.error.code }).toEqual({ status: 400, code: "invalid_input" });
    expect(r.json.error.message).toContain(JSON.stringify(fifo));
    expect(r.json.error.message).toContain("FIFO");
    expect((await call("GET", "/health")).status).toBe(200);
    expect(jobs()).toEqual([]);
  });

  test("a device, a directory and a file over 1 MiB are refused", async () => {
    const big = join(dir, "big.env");
    writeFileSync(big, `A=${"x".repeat((1 << 20) + 10)}\n`);
    const sub = join(dir, "a-dir");
    mkdirSync(sub, { recursive: true });
    for (const [file, why] of [
      ["/dev/zero", "device"],
      [sub, "directory"],
      [big, "larger than"],
    ]) {
      const r = await call("POST", "/exec", { command: ["true"], env_files: [file] });
      expect({ status: r.status, code: r.json.error.code, file }).toEqual({ status: 400, code: "invalid_input", file });
      expect(r.json.error.message).toContain(why as string);
    }
    expect(jobs()).toEqual([]);
  });

  test("env file lines with names that are no variable names are refused", async () => {
    const bad = join(dir, "bad.env");
    writeFileSync(bad, "GOOD=1\nA-B=2\n");
    const r = await call("POST", "/exec", { command: ["true"], env_files: [bad] });
    expect({ status: r.status, code: r.json.error.code }).toEqual({ status: 400, code: "invalid_input" });
    expect(r.json.error.message).toContain('"A-B"');
  });

  test("the job gets the values the front-end read; the supervisor never opens the path again", async () => {
    const file = join(dir, "good.env");
    writeFileSync(file, "FROM_FILE=front-end\n");
    const r = await call("POST", "/exec", {
      command: ["sh", "-c", 'printf "%s" "$FROM_FILE"'],
      env_files: [file],
      wait: true,
    });
    expect(r.json).toMatchObject({
      ok: true,
      state: "exited",
      exit_code: 0,
      final_snapshot: { stdout_tail: "front-end" },
    });
    // The parsed values travel in a 0600 file of the job that the supervisor removes once read.
    expect(readdirSync(join(root, r.json.job_id))).not.toContain("env-files.runtime.json");
  });
});

describe("D29 over HTTP", () => {
  // A timeout of 2^31 ms or more overflowed the timer and fired at once. Lopsided: a job of a
  // moment with a 24-day budget must end on its own.
  test("a timeout_ms of 2^31 does not fire at once", async () => {
    const r = await call("POST", "/exec", {
      command: ["sh", "-c", "sleep 0.2; echo done"],
      timeout_ms: 2 ** 31,
      wait: true,
    });
    expect(r.json).toMatchObject({ ok: true, state: "exited", exit_code: 0, final_snapshot: { stdout_tail: "done" } });
  });
});
