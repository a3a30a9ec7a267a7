// Drives `agent-exec mcp` as a real client would: the SDK's client over the binary's stdio.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { connectMcp } from "../helpers/mcp-client.ts";

const BIN = process.env.AGENT_EXEC_BIN
  ? resolve(process.env.AGENT_EXEC_BIN)
  : resolve(import.meta.dir, "..", "..", "dist", "agent-exec");
const dir = mkdtempSync(join(tmpdir(), "mcp-"));
const root = join(dir, "jobs");
const pgids: number[] = [];
afterAll(() => {
  for (const g of pgids) {
    try {
      process.kill(-g, "SIGKILL");
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: tool results are checked field by field.
type Doc = any;

const connect = (extraEnv: Record<string, string> = {}): Promise<Client> => connectMcp(dir, root, extraEnv);

async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<{ doc: Doc; isError: boolean }> {
  const r = await client.callTool({ name, arguments: args });
  const doc = r.structuredContent as Doc;
  const text = (r.content as { type: string; text: string }[])[0]?.text ?? "";
  expect(JSON.parse(text)).toEqual(doc);
  if (doc?.job_id && doc.type === "run") {
    const state = JSON.parse(readFileSync(join(root, doc.job_id, "state.json"), "utf8"));
    if (state.pgid) pgids.push(state.pgid);
  }
  return { doc, isError: r.isError === true };
}

test("initialize, list tools, run, wait, tail, kill; jobs outlive the server", async () => {
  const client = await connect();
  const tools = (await client.listTools()).tools.map((t) => t.name).sort();
  expect(tools).toEqual([
    "create",
    "delete",
    "kill",
    "list",
    "queue_list",
    "queue_set",
    "restart",
    "run",
    "send",
    "start",
    "status",
    "tag",
    "tail",
    "wait",
  ]);
  const run = (await client.listTools()).tools.find((t) => t.name === "run");
  expect(run?.inputSchema.properties).toHaveProperty("command");

  const done = await call(client, "run", { command: ["sh", "-c", "echo from-mcp"], wait: true });
  expect(done.doc).toMatchObject({
    ok: true,
    type: "run",
    state: "exited",
    exit_code: 0,
    final_snapshot: { stdout_tail: "from-mcp" },
  });
  const tail = await call(client, "tail", { job_id: done.doc.job_id });
  expect(tail.doc).toMatchObject({ type: "tail", stdout_tail: "from-mcp" });

  const long = await call(client, "run", { command: ["sleep", "30"] });
  expect(long.doc).toMatchObject({ type: "run", state: "running" });
  const waited = await call(client, "wait", { job_id: long.doc.job_id, until_ms: 50 });
  expect(waited.doc).toMatchObject({ type: "wait", state: "running", deadline_reached: true });
  await client.close();

  // The job is an ordinary detached job: the CLI still sees it running after the server left.
  const status = Bun.spawnSync([BIN, "status", long.doc.job_id], {
    env: { PATH: process.env.PATH, AGENT_EXEC_ROOT: root },
  });
  expect(JSON.parse(status.stdout.toString())).toMatchObject({ type: "status", state: "running" });

  const again = await connect();
  const killed = await call(again, "kill", { job_id: long.doc.job_id });
  expect(killed.doc).toMatchObject({ type: "kill", signal: "TERM", state: "killed" });
  await again.close();
});

test("waits are capped by AGENT_EXEC_MCP_MAX_WAIT_MS", async () => {
  const client = await connect({ AGENT_EXEC_MCP_MAX_WAIT_MS: "100" });
  const began = performance.now();
  const r = await call(client, "run", { command: ["sleep", "30"], wait: true, until_ms: 60_000 });
  expect(performance.now() - began).toBeLessThan(20_000);
  expect(r.doc).toMatchObject({ type: "run", state: "running", deadline_reached: true });
  await call(client, "kill", { job_id: r.doc.job_id, signal: "KILL" });
  await client.close();
});

test("bad arguments are MCP errors, never a crash", async () => {
  const client = await connect();
  const missing = await client.callTool({ name: "status", arguments: {} });
  expect(missing.isError).toBe(true);
  const wrongType = await client.callTool({ name: "run", arguments: { command: "not-an-array" } });
  expect(wrongType.isError).toBe(true);
  const unknownJob = await call(client, "status", { job_id: "NOSUCHJOB" });
  expect(unknownJob).toMatchObject({ isError: true, doc: { ok: false, error: { code: "job_not_found" } } });
  const traversal = await call(client, "delete", { job_id: ".." });
  expect(traversal.doc.error.code).toBe("job_not_found");
  const badSignal = await call(client, "kill", { job_id: "NOSUCHJOB", signal: "BOGUS" });
  expect(badSignal.doc.error.code).toBe("usage_error");
  // still alive after all that
  expect((await client.listTools()).tools.length).toBe(14);
  await client.close();
});

test("D29 and D28 over MCP: a huge timeout_ms does not fire at once; masked values are ***", async () => {
  const client = await connect();
  try {
    const long = await call(client, "run", {
      command: ["sh", "-c", "sleep 1; echo survived"],
      timeout_ms: 3_000_000_000,
      kill_after_ms: 3_000_000_000,
      wait: true,
    });
    expect(long.doc).toMatchObject({ state: "exited", exit_code: 0, final_snapshot: { stdout_tail: "survived" } });

    const secret = "mcp-s3cret";
    const masked = await call(client, "run", {
      command: ["sh", "-c", 'echo "v=$S"'],
      env: { S: secret },
      mask: ["S"],
      wait: true,
    });
    expect(masked.doc.final_snapshot.stdout_tail).toBe("v=***");
    const tail = await call(client, "tail", { job_id: masked.doc.job_id });
    expect(tail.doc.stdout_tail).toBe("v=***");
    // call() checked that the text content is this same document.
    for (const r of [masked, tail]) expect(JSON.stringify(r.doc)).not.toContain(secret);
  } finally {
    await client.close();
  }
});
