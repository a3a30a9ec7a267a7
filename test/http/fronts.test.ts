// Every X feature over HTTP (X11): readiness waits, keys, the agent environment, cursors, several
// jobs, restart, create/start/tag, through the in-process fetch handler.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { RESPONSES } from "../../src/core/envelope.ts";
import { httpBed } from "../helpers/http-handler.ts";
import { killJobsOf } from "../helpers/kill-jobs.ts";

const TOKEN = "fronts-token";
const { dir, root, handler, track } = httpBed("http-fronts-", TOKEN);

// biome-ignore lint/suspicious/noExplicitAny: parsed responses, checked with toEqual/toMatchObject.
type Json = any;

afterAll(() => killJobsOf(root));

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${TOKEN}` } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await handler(new Request(`http://127.0.0.1${path}`, init));
  const json = (await res.json()) as Json;
  if (json.ok) {
    const parsed = RESPONSES[json.type as keyof typeof RESPONSES].safeParse(json);
    expect(parsed.error).toBeUndefined();
  }
  track(json);
  return { status: res.status, json };
}

const jobs = () => (existsSync(root) ? readdirSync(root).filter((n) => !n.startsWith(".")) : []);

/** A 400 invalid_request naming `needle`, and no job created. */
async function refused(method: string, path: string, body: unknown, needle: string): Promise<void> {
  const before = jobs();
  const r = await call(method, path, body);
  expect({ status: r.status, code: r.json.error?.code }).toEqual({ status: 400, code: "invalid_request" });
  expect(r.json.error.message).toContain(needle);
  expect(jobs()).toEqual(before);
}

const SERVER = ["sh", "-c", "echo booting; sleep 0.3; echo listening on 8080; sleep 30"];

describe("/exec", () => {
  test("until_match answers once the line is printed, with ready_by and the job still running", async () => {
    const r = await call("POST", "/exec", {
      command: SERVER,
      until_match: "listening on \\d+",
      until_stream: "stdout",
    });
    expect(r.json).toMatchObject({
      type: "run",
      state: "running",
      ready: true,
      ready_by: { kind: "match", line: "listening on 8080", stream: "stdout" },
      snapshot: { stdout_tail: "booting\nlistening on 8080" },
    });
    await call("POST", `/kill/${r.json.job_id}`, { signal: "KILL" });
  });

  test("until_file relative to the job's cwd; a job that dies first answers ready:false with its end", async () => {
    const r = await call("POST", "/exec", {
      command: ["sh", "-c", "touch ready.flag; sleep 30"],
      cwd: dir,
      until_file: "ready.flag",
    });
    expect(r.json).toMatchObject({ ready: true, ready_by: { kind: "file", path: join(dir, "ready.flag") } });
    await call("POST", `/kill/${r.json.job_id}`, { signal: "KILL" });
    const died = await call("POST", "/exec", { command: ["sh", "-c", "echo oops >&2; exit 3"], until_port: 1 });
    expect(died.json).toMatchObject({ ready: false, state: "exited", exit_code: 3 });
  });

  test("key: a live job with the key answers (reused); /list?key= finds it", async () => {
    const first = await call("POST", "/exec", { command: ["sleep", "30"], key: "http:dev-server" });
    const again = await call("POST", "/exec", { command: ["sleep", "30"], key: "http:dev-server" });
    expect(again.json).toMatchObject({ job_id: first.json.job_id, reused: true });
    const listed = await call("GET", "/list?key=http:dev-server");
    expect(listed.json.jobs.map((j: Json) => j.job_id)).toEqual([first.json.job_id]);
    await call("POST", `/kill/${first.json.job_id}`, { signal: "KILL" });
  });

  test("agent_env:false leaves only AGENT_EXEC_JOB_ID", async () => {
    const on = await call("POST", "/exec", { command: ["true"], wait: true });
    expect(on.json.agent_env).toContain("PAGER");
    const off = await call("POST", "/exec", { command: ["true"], wait: true, agent_env: false });
    expect(off.json.agent_env).toEqual(["AGENT_EXEC_JOB_ID"]);
  });

  test("bad readiness fields and keys are refused, naming the field; nothing starts", async () => {
    const cmd = ["true"];
    await refused("POST", "/exec", { command: cmd, until_match: "(" }, "until_match");
    await refused("POST", "/exec", { command: cmd, until_port: 0 }, "until_port");
    await refused("POST", "/exec", { command: cmd, until_port: 70000 }, "until_port");
    await refused("POST", "/exec", { command: cmd, until_file: "" }, "until_file");
    await refused("POST", "/exec", { command: cmd, until_stream: "stdout" }, "until_stream");
    await refused("POST", "/exec", { command: cmd, until_host: "::1" }, "until_host");
    await refused("POST", "/exec", { command: cmd, key: "no spaces" }, "--key");
    await refused("POST", "/exec", { command: cmd, until: "x" }, '"until"');
    await refused("POST", "/exec", { command: cmd, agent_env: "no" }, "agent_env");
    // No caller-named file is opened for writing by the server.
    await refused("POST", "/exec", { command: cmd, log: "/tmp/x.log" }, '"log"');
  });
});

describe("/tail and /wait", () => {
  test("tail since a cursor returns only what is new; bad cursors are refused", async () => {
    const cmd = ["sh", "-c", "echo one; sleep 0.3; echo two"];
    const r = await call("POST", "/exec", { command: cmd, until_match: "^one$" });
    expect(r.json.ready).toBe(true);
    const id = r.json.job_id as string;
    const done = await call("GET", `/wait/${id}?timeout_ms=20000`);
    expect(done.json).toMatchObject({ state: "exited", final_snapshot: { stdout_tail: "one\ntwo" } });
    const fresh = await call("GET", `/tail/${id}?since=${r.json.ready_by.cursor}`);
    expect(fresh.json).toMatchObject({ stdout_tail: "two", stdout_omitted_bytes: 0 });
    const none = await call("GET", `/tail/${id}?since=${fresh.json.cursor}`);
    expect(none.json).toMatchObject({ stdout_tail: "", stderr_tail: "" });
    await refused("GET", `/tail/${id}?since=garbage!`, undefined, "garbage!");
    const other = await call("POST", "/exec", { command: ["true"], wait: true });
    await refused("GET", `/tail/${id}?since=${other.json.cursor}`, undefined, "belongs to job");
    await refused("GET", `/tail/${id}?since=a&since=b`, undefined, "since");
  });

  test("wait with until_match and since; tail_lines, max_bytes, no_output", async () => {
    const r = await call("POST", "/exec", { command: ["sh", "-c", "echo ready 1; sleep 0.3; echo ready 2; sleep 30"] });
    const id = r.json.job_id as string;
    const first = await call("GET", `/wait/${id}?until_match=ready&timeout_ms=20000`);
    expect(first.json).toMatchObject({ type: "wait", ready: true, ready_by: { line: "ready 1" } });
    const second = await call(
      "GET",
      `/wait/${id}?until_match=ready&since=${first.json.ready_by.cursor}&timeout_ms=20000`,
    );
    expect(second.json).toMatchObject({ ready: true, ready_by: { line: "ready 2" } });
    await call("POST", `/kill/${id}`, { signal: "KILL" });
    const ended = await call("GET", `/wait/${id}?tail_lines=1`);
    expect(ended.json).toMatchObject({ state: "killed", final_snapshot: { stdout_tail: "ready 2" } });
    const bare = await call("GET", `/wait/${id}?no_output=true`);
    expect(bare.json.final_snapshot).toBeUndefined();
    await refused("GET", `/wait/${id}?until_port=0`, undefined, "until_port");
    await refused("GET", `/wait/${id}?until_port=70000`, undefined, "until_port");
    await refused("GET", `/wait/${id}?until_match=(`, undefined, "until_match");
    await refused("GET", `/wait/${id}?until_file=`, undefined, "until_file");
    await refused("GET", `/wait/${id}?no_output=maybe`, undefined, "no_output");
    await refused("GET", `/wait/${id}?since=junk`, undefined, "since");
    await refused("GET", `/wait/${id}?timeout=5`, undefined, '"timeout"');
  });

  test("wait of several jobs: all, or the first with any=true", async () => {
    const quick = await call("POST", "/exec", { command: ["sh", "-c", "exit 4"] });
    const slow = await call("POST", "/exec", { command: ["sleep", "30"] });
    const a = quick.json.job_id as string;
    const b = slow.json.job_id as string;
    const any = await call("GET", `/wait?ids=${a},${b}&any=true&timeout_ms=20000`);
    expect(any.json).toMatchObject({ type: "wait", first: a, jobs: [{ job_id: a, exit_code: 4 }, { job_id: b }] });
    const all = await call("GET", `/wait?ids=${a}&ids=${b}&timeout_ms=100`);
    expect(all.json).toMatchObject({ deadline_reached: true, jobs: [{ state: "exited" }, { state: "running" }] });
    await call("POST", `/kill/${b}`, { signal: "KILL" });
    await refused("GET", "/wait?any=true", undefined, "ids");
    await refused("GET", `/wait?ids=${a},${b}&until_match=x`, undefined, "one job");
  });
});

describe("/restart, /create, /start, /tag", () => {
  test("restart stops the job and runs it again under the same id, waiting for readiness", async () => {
    const r = await call("POST", "/exec", { command: SERVER });
    const id = r.json.job_id as string;
    const again = await call("POST", `/restart/${id}`, { signal: "KILL", until_match: "listening" });
    expect(again.json).toMatchObject({ type: "restart", job_id: id, attempt: 2, ready: true, state: "running" });
    // The match cursor belongs to the new run: tail since it is not reset.
    const tail = await call("GET", `/tail/${id}?since=${again.json.ready_by.cursor}`);
    expect(tail.json.cursor_reset).toBeUndefined();
    await refused("POST", `/restart/${id}`, { signal: "BOGUS" }, "signal");
    await refused("POST", `/restart/${id}`, { kill_after: 5 }, '"kill_after"');
    await refused("POST", `/restart/${id}`, { until_port: 0 }, "until_port");
    expect((await call("POST", "/restart/NOSUCHJOB", {})).status).toBe(404);
    await call("POST", `/kill/${id}`, { signal: "KILL" });
  });

  test("create, then start with a wait; tag replaces the tags", async () => {
    const c = await call("POST", "/create", { command: ["sh", "-c", "echo made"], tags: ["a"] });
    expect(c.json).toMatchObject({ type: "create", state: "created" });
    const id = c.json.job_id as string;
    const t = await call("POST", `/tag/${id}`, { tags: ["b", "c"] });
    expect(t.json).toEqual({ schema_version: "0.1", ok: true, type: "tag.set", job_id: id, tags: ["b", "c"] });
    const s = await call("POST", `/start/${id}`, { wait: true });
    expect(s.json).toMatchObject({ type: "start", state: "exited", final_snapshot: { stdout_tail: "made" } });
    await refused("POST", `/tag/${id}`, { tags: ["a..b"] }, "a..b");
    await refused("POST", "/create", { command: ["true"], wait: true }, '"wait"');
  });
});

test("every new route needs the token", async () => {
  for (const [method, path] of [
    ["GET", "/follow/X"],
    ["GET", "/events"],
    ["GET", "/wait?ids=X"],
    ["POST", "/restart/X"],
    ["POST", "/create"],
    ["POST", "/start/X"],
    ["POST", "/tag/X"],
  ] as const) {
    const res = await handler(new Request(`http://127.0.0.1${path}`, { method }));
    expect({ path, status: res.status }).toEqual({ path, status: 401 });
  }
});

test("every wait bound is capped at the server's MAX_WAIT_MS; 0 or none is the default", async () => {
  const { bound, DEFAULT_WAIT_MS, MAX_WAIT_MS } = await import("../../src/http/route-calls.ts");
  expect([bound(2 ** 53 - 1), bound(MAX_WAIT_MS + 1), bound(0), bound(undefined), bound(5)]).toEqual([
    MAX_WAIT_MS,
    MAX_WAIT_MS,
    DEFAULT_WAIT_MS,
    DEFAULT_WAIT_MS,
    5,
  ]);
});

describe("input, queues and log caps over HTTP (X5, X9, X10)", () => {
  test("stdin (base64 and text), interactive with POST /send, waiting_for_input", async () => {
    const b64 = await call("POST", "/exec", {
      command: ["cat"],
      stdin: Buffer.from("from base64\n").toString("base64"),
      wait: true,
    });
    expect(b64.json.final_snapshot.stdout_tail).toBe("from base64");
    const text = await call("POST", "/exec", { command: ["cat"], stdin_text: "plain text\n", wait: true });
    expect(text.json.final_snapshot.stdout_tail).toBe("plain text");
    const live = await call("POST", "/exec", {
      command: ["sh", "-c", 'printf "Name? "; read n; echo "hi $n"'],
      interactive: true,
      snapshot_after_ms: 0,
    });
    const id = live.json.job_id as string;
    const asked = await call("GET", `/wait/${id}?timeout_ms=5000&until_match=${encodeURIComponent("Name\\?")}`);
    expect(asked.json.ready).toBe(true);
    expect((await call("POST", `/send/${id}`, { text: "bob", newline: true })).json).toMatchObject({
      type: "send",
      bytes: 4,
    });
    const done = await call("GET", `/wait/${id}?timeout_ms=30000`);
    expect(done.json).toMatchObject({ state: "exited", final_snapshot: { stdout_tail: "Name? hi bob" } });
    await refused("POST", `/send/${id}`, { text: "late", extra: 1 }, "extra");
    const late = await call("POST", `/send/${id}`, { text: "late" });
    expect({ status: late.status, code: late.json.error.code }).toEqual({ status: 400, code: "invalid_state" });
  });

  test("queue and after over /exec, GET /queues, POST /queues/{name}, list?queue=", async () => {
    expect((await call("POST", "/queues/web", { parallel: 1 })).json).toMatchObject({ type: "queue.set", parallel: 1 });
    await refused("POST", "/queues/web", { parallel: 0 }, "parallel");
    const first = await call("POST", "/exec", { command: ["sleep", "30"], queue: "web", snapshot_after_ms: 0 });
    const second = await call("POST", "/exec", { command: ["true"], queue: "web", snapshot_after_ms: 0 });
    expect(second.json.state).toBe("queued");
    const after = await call("POST", "/exec", {
      command: ["true"],
      after_ok: [second.json.job_id],
      snapshot_after_ms: 0,
    });
    expect(after.json.state).toBe("queued");
    const q = await call("GET", "/queues");
    expect(q.json.queues).toContainEqual({ name: "web", parallel: 1, running: 1, queued: 1 });
    expect((await call("GET", "/list?queue=web")).json.jobs).toHaveLength(2);
    await call("POST", `/kill/${first.json.job_id}`, { signal: "KILL" });
    const w = await call("GET", `/wait/${after.json.job_id}?timeout_ms=30000`);
    expect(w.json).toMatchObject({ state: "exited", exit_code: 0 });
    await refused("POST", "/exec", { command: ["true"], queue: "a/b" }, "queue");
  });

  test("max_log_bytes", async () => {
    const r = await call("POST", "/exec", { command: ["true"], max_log_bytes: "64KiB", wait: true });
    expect(r.json.state).toBe("exited");
    expect(JSON.parse(await Bun.file(join(root, r.json.job_id, "meta.json")).text()).max_log_bytes).toBe(65536);
  });
});

describe("views over HTTP (X14)", () => {
  test("view on /tail and /wait; a bad view is 400 naming it", async () => {
    const r = await call("POST", "/exec", {
      command: ["sh", "-c", 'printf "\\033[31mred\\033[0m\\n"; echo same; echo same; echo same'],
      wait: true,
      view: "clean",
    });
    expect(r.json).toMatchObject({ final_snapshot: { view: "clean" } });
    expect(r.json.final_snapshot.stdout_tail).toContain("red");
    expect(r.json.final_snapshot.stdout_tail).not.toContain("\u001b");
    const id = r.json.job_id as string;
    expect((await call("GET", `/tail/${id}?view=clean`)).json).toMatchObject({ view: "clean" });
    expect((await call("GET", `/wait/${id}?view=summary`)).json.final_snapshot.view).toBe("summary");
    await refused("GET", `/tail/${id}?view=fancy`, undefined, "view");
  });
});

test("backend over /exec: an unknown backend is 400 naming the field (X13)", async () => {
  await refused("POST", "/exec", { command: ["true"], backend: "kubernetes" }, "backend");
  await refused("POST", "/exec", { command: ["true"], slurm_arg: "--wrap" }, "slurm_arg");
});
