// MCP parity (X12) from the binary: readiness waits, keys, the agent environment, cursors, several
// jobs, restart, tag, and the host-deadline cap on every wait.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { killJobsOf } from "../helpers/kill-jobs.ts";
import { connectMcp } from "../helpers/mcp-client.ts";

const dir = mkdtempSync(join(tmpdir(), "mcp-fronts-"));
const root = join(dir, "jobs");
afterAll(() => {
  killJobsOf(root);
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: tool results are checked with toMatchObject.
type Doc = any;

const connect = (extraEnv: Record<string, string> = {}): Promise<Client> => connectMcp(dir, root, extraEnv);

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Doc> {
  const r = await client.callTool({ name, arguments: args });
  const doc = r.structuredContent as Doc;
  const text = (r.content as { type: string; text: string }[])[0]?.text ?? "";
  expect(JSON.parse(text)).toEqual(doc);
  expect(r.isError === true).toBe(doc.ok === false);
  return doc;
}

/** A usage_error whose message names `needle`. */
async function refused(client: Client, name: string, args: Record<string, unknown>, needle: string): Promise<void> {
  const doc = await call(client, name, args);
  expect(doc).toMatchObject({ ok: false, error: { code: "usage_error" } });
  expect(doc.error.message).toContain(needle);
}

const SERVER = ["sh", "-c", "echo booting; sleep 0.3; echo listening on 8080; sleep 30"];

test("run until a line says the server listens; key reuses it; list finds it by key; restart runs it again", async () => {
  const client = await connect();
  const run = await call(client, "run", { command: SERVER, until_match: "listening on", key: "mcp:dev" });
  expect(run).toMatchObject({ type: "run", state: "running", ready: true, ready_by: { line: "listening on 8080" } });
  const again = await call(client, "run", { command: SERVER, key: "mcp:dev" });
  expect(again).toMatchObject({ job_id: run.job_id, reused: true });
  const listed = await call(client, "list", { key: "mcp:dev" });
  expect(listed.jobs.map((j: Doc) => j.job_id)).toEqual([run.job_id]);
  const restarted = await call(client, "restart", { job_id: run.job_id, signal: "KILL", until_match: "listening" });
  expect(restarted).toMatchObject({ type: "restart", job_id: run.job_id, attempt: 2, ready: true });
  await call(client, "kill", { job_id: run.job_id, signal: "KILL" });
  await client.close();
});

test("tail since a cursor; wait until_match since; agent_env; tag", async () => {
  const client = await connect();
  const run = await call(client, "run", {
    command: ["sh", "-c", "echo ready 1; sleep 0.3; echo ready 2; sleep 0.3"],
    agent_env: false,
    tags: ["a"],
  });
  expect(run.agent_env).toEqual(["AGENT_EXEC_JOB_ID"]);
  const first = await call(client, "wait", { job_id: run.job_id, until_match: "^ready" });
  expect(first).toMatchObject({ type: "wait", ready: true, ready_by: { line: "ready 1" } });
  const second = await call(client, "wait", {
    job_id: run.job_id,
    until_match: "^ready",
    since: first.ready_by.cursor,
  });
  expect(second).toMatchObject({ ready: true, ready_by: { line: "ready 2" } });
  const end = await call(client, "wait", { job_id: run.job_id, timeout_ms: 20_000 });
  expect(end).toMatchObject({ state: "exited", final_snapshot: { stdout_tail: "ready 1\nready 2" } });
  const fresh = await call(client, "tail", { job_id: run.job_id, since: first.ready_by.cursor });
  expect(fresh).toMatchObject({ type: "tail", stdout_tail: "ready 2", stdout_omitted_bytes: 0 });
  const tagged = await call(client, "tag", { job_id: run.job_id, tags: ["b"] });
  expect(tagged).toMatchObject({ type: "tag.set", tags: ["b"] });
  await client.close();
});

test("wait of several jobs, any; create then start until a file exists", async () => {
  const client = await connect();
  const quick = await call(client, "run", { command: ["sh", "-c", "exit 2"] });
  const slow = await call(client, "run", { command: ["sleep", "30"] });
  const any = await call(client, "wait", { job_ids: [quick.job_id, slow.job_id], any: true });
  expect(any).toMatchObject({ type: "wait", first: quick.job_id, jobs: [{ exit_code: 2 }, { state: "running" }] });
  await call(client, "kill", { job_id: slow.job_id, signal: "KILL" });
  const made = await call(client, "create", { command: ["sh", "-c", "touch up.flag; sleep 30"], cwd: dir });
  const started = await call(client, "start", { job_id: made.job_id, until_file: "up.flag" });
  expect(started).toMatchObject({ type: "start", ready: true, ready_by: { kind: "file", path: join(dir, "up.flag") } });
  await call(client, "kill", { job_id: made.job_id, signal: "KILL" });
  await client.close();
});

test("every wait is capped by the host deadline, readiness waits included", async () => {
  const client = await connect({ AGENT_EXEC_MCP_MAX_WAIT_MS: "300" });
  const began = performance.now();
  const run = await call(client, "run", { command: ["sleep", "30"], until_match: "never", wait_timeout_ms: 600_000 });
  expect(run).toMatchObject({ ready: false, deadline_reached: true, state: "running" });
  const w = await call(client, "wait", { job_id: run.job_id, until_port: 1, timeout_ms: 600_000 });
  expect(w).toMatchObject({ ready: false, deadline_reached: true });
  const many = await call(client, "wait", { job_ids: [run.job_id], until_ms: 600_000 });
  expect(many).toMatchObject({ deadline_reached: true });
  expect(performance.now() - began).toBeLessThan(20_000);
  await call(client, "kill", { job_id: run.job_id, signal: "KILL" });
  await client.close();
});

test("bad input is a usage_error naming the value; nothing starts", async () => {
  const client = await connect();
  const before = existsSync(root) ? readdirSync(root).length : 0;
  const cmd = ["true"];
  await refused(client, "run", { command: cmd, until_match: "(" }, "until_match");
  await refused(client, "run", { command: cmd, until_port: 0 }, "until_port");
  await refused(client, "run", { command: cmd, until_port: 70000 }, "until_port");
  await refused(client, "run", { command: cmd, until_file: "" }, "until_file");
  await refused(client, "run", { command: cmd, until_host: "h" }, "until_host");
  await refused(client, "run", { command: cmd, key: "a b" }, "--key");
  await refused(client, "run", { command: cmd, wait_timeout_ms: 5, until_ms: 6 }, "until_ms");
  await refused(client, "run", { command: cmd, send: "x" }, '"send"');
  expect(existsSync(root) ? readdirSync(root).length : 0).toBe(before);
  const done = await call(client, "run", { command: cmd, wait: true });
  const other = await call(client, "run", { command: cmd, wait: true });
  await refused(client, "tail", { job_id: done.job_id, since: "garbage" }, "garbage");
  await refused(client, "tail", { job_id: done.job_id, since: other.cursor }, "belongs to job");
  await refused(client, "wait", { job_id: done.job_id, job_ids: [done.job_id] }, "job_ids");
  await refused(client, "wait", {}, "job_id");
  await refused(client, "wait", { job_ids: [done.job_id, other.job_id], until_match: "x" }, "one job");
  await refused(client, "restart", { job_id: done.job_id, signal: "BOGUS" }, "BOGUS");
  await refused(client, "tag", { job_id: done.job_id, tags: ["a..b"] }, "a..b");
  await client.close();
});

test("send, stdin_text, queue_set and queue_list over MCP", async () => {
  const client = await connect();
  try {
    const fed = await call(client, "run", { command: ["cat"], stdin_text: "fed\n", wait: true });
    expect(fed.final_snapshot.stdout_tail).toBe("fed");
    const live = await call(client, "run", { command: ["sh", "-c", "read a; echo got $a"], interactive: true });
    expect(await call(client, "send", { job_id: live.job_id, text: "yes", newline: true })).toMatchObject({
      type: "send",
      bytes: 4,
    });
    const done = await call(client, "wait", { job_id: live.job_id, timeout_ms: 30_000 });
    expect(done).toMatchObject({ state: "exited", final_snapshot: { stdout_tail: "got yes" } });
    await refused(client, "send", { job_id: live.job_id }, "text or eof");
    expect(await call(client, "queue_set", { name: "mcpq", parallel: 2 })).toMatchObject({ type: "queue.set" });
    const queued = await call(client, "run", { command: ["true"], queue: "mcpq", wait: true });
    expect(queued).toMatchObject({ state: "exited" });
    const list = await call(client, "queue_list", {});
    expect(list.queues).toContainEqual({ name: "mcpq", parallel: 2, running: 0, queued: 0 });
  } finally {
    await client.close();
  }
});

test("MCP tails default to the clean view (X14); raw on request", async () => {
  const client = await connect();
  try {
    const r = await call(client, "run", { command: ["sh", "-c", 'printf "\\033[1mbold\\033[0m\\n"'], wait: true });
    expect(r.final_snapshot).toMatchObject({ view: "clean", stdout_tail: "bold" });
    const raw = await call(client, "tail", { job_id: r.job_id, view: "raw" });
    expect(raw.stdout_tail).toContain("\u001b[1m");
    expect(raw.view).toBeUndefined();
    expect((await call(client, "tail", { job_id: r.job_id })).view).toBe("clean");
  } finally {
    await client.close();
  }
});
