// `agent-exec mcp` fed raw lines: JSON-RPC errors for bad input and never an exit (D45), strict
// tool arguments (D36, D43), until_ms without wait, and `mcp --help` (issue 13 item 9).
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startRawMcp } from "../helpers/mcp-raw.ts";
import { pollUntil } from "../helpers/poll.ts";

const BIN = process.env.AGENT_EXEC_BIN
  ? resolve(process.env.AGENT_EXEC_BIN)
  : resolve(import.meta.dir, "..", "..", "dist", "agent-exec");
const dir = mkdtempSync(join(tmpdir(), "mcp-harden-"));
const root = join(dir, "jobs");
const pgids: number[] = [];
const servers: { kill: (signal?: number | NodeJS.Signals) => void }[] = [];
afterAll(() => {
  for (const s of servers) s.kill("SIGKILL");
  for (const g of pgids) {
    try {
      process.kill(-g, "SIGKILL");
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: JSON-RPC replies, checked with toEqual/toMatchObject.
type Json = any;

/** A raw MCP server: write lines, read reply lines (by id, or in order for id-less errors). */
function start() {
  const raw = startRawMcp([BIN, "mcp"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, AGENT_EXEC_ROOT: root },
    cwd: dir,
  });
  servers.push(raw.proc);
  const { replies } = raw;
  const next = (n: number) =>
    pollUntil(() => (replies.length >= n ? replies[n - 1] : undefined), { what: `reply #${n}`, timeoutMs: 20_000 });
  const byId = (id: number) =>
    pollUntil(() => replies.find((r) => r.id === id), { what: `the reply to id ${id}`, timeoutMs: 20_000 });
  return { ...raw, next, byId };
}

const INIT = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
};

async function initialized() {
  const s = start();
  s.write(`${JSON.stringify(INIT)}\n`);
  await s.byId(1);
  s.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
  return s;
}

/** The envelope a tools/call answered with. */
async function tool(s: ReturnType<typeof start>, id: number, name: string, args: unknown): Promise<Json> {
  s.write(`${JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } })}\n`);
  const reply = await s.byId(id);
  const doc = reply.result.structuredContent;
  if (doc?.type === "run" && doc.job_id) {
    const state = JSON.parse(readFileSync(join(root, doc.job_id, "state.json"), "utf8"));
    if (state.pgid) pgids.push(state.pgid);
  }
  return doc;
}

test("malformed lines, unknown methods and a 10 MB line get JSON-RPC errors; the server keeps serving", async () => {
  const s = start();
  s.write("{not json\n");
  expect(await s.next(1)).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700 } });
  s.write(`${JSON.stringify({ jsonrpc: "2.0", id: 7, method: "no/such/method" })}\n`);
  expect(await s.next(2)).toMatchObject({ jsonrpc: "2.0", id: 7, error: { code: -32601 } });
  s.write('{"hello":"world"}\n');
  expect(await s.next(3)).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
  // 10 MB without a newline, in pieces, then its newline: one -32600, and the server lives on.
  const piece = new Uint8Array(1 << 20).fill(0x61);
  for (let i = 0; i < 10; i++) s.write(piece);
  s.write("\n");
  expect(await s.next(4)).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
  expect((await s.next(4)).error.message).toContain("longer than");
  s.write(`${JSON.stringify(INIT)}\n`);
  expect(await s.byId(1)).toMatchObject({ result: { serverInfo: { name: "agent-exec" } } });
  expect(s.proc.exitCode).toBeNull();
  // It exits at the end of its stdin, and only then.
  s.proc.stdin.end();
  expect(await s.proc.exited).toBe(0);
});

test("unknown or mistyped tool arguments are usage_error naming the field; nothing starts", async () => {
  const s = await initialized();
  expect(await tool(s, 2, "run", { command: ["true"], timeout: 5 })).toMatchObject({
    ok: false,
    error: { code: "usage_error", message: expect.stringContaining('"timeout"') },
  });
  expect(await tool(s, 3, "run", { command: ["true"], timeout_ms: "5" })).toMatchObject({
    error: { code: "usage_error", message: expect.stringContaining("timeout_ms") },
  });
  expect(await tool(s, 4, "status", { job_id: "X", verbose: true })).toMatchObject({
    error: { code: "usage_error", message: expect.stringContaining('"verbose"') },
  });
  expect(await tool(s, 5, "run", { command: ["true"], env: { "A=B": "v" } })).toMatchObject({
    error: { code: "usage_error", message: expect.stringContaining('"A=B"') },
  });
  expect(await tool(s, 6, "run", { command: ["echo", "a\u0000b"] })).toMatchObject({
    error: { code: "usage_error", message: expect.stringContaining("NUL") },
  });
  expect(await tool(s, 8, "list", {})).toMatchObject({ ok: true, type: "list", jobs: [] });
  s.proc.stdin.end();
  await s.proc.exited;
});

test("until_ms without wait waits; with wait:false it is refused", async () => {
  const s = await initialized();
  const waited = await tool(s, 2, "run", { command: ["sh", "-c", "echo waited"], until_ms: 20_000 });
  expect(waited).toMatchObject({ ok: true, state: "exited", exit_code: 0, final_snapshot: { stdout_tail: "waited" } });
  expect(await tool(s, 3, "run", { command: ["true"], until_ms: 100, wait: false })).toMatchObject({
    error: { code: "usage_error", message: expect.stringContaining("until_ms") },
  });
  s.proc.stdin.end();
  await s.proc.exited;
});

test("mcp --help lists every tool and the environment variables it reads", async () => {
  const help = Bun.spawnSync([BIN, "mcp", "--help"], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  expect(help.exitCode).toBe(0);
  const text = help.stdout.toString();
  for (const name of ["run", "create", "start", "status", "tail", "wait", "kill", "list", "delete"]) {
    expect(text).toMatch(new RegExp(`\\b${name}\\b`));
  }
  for (const v of ["AGENT_EXEC_ROOT", "AGENT_EXEC_MCP_MAX_WAIT_MS", "AGENT_EXEC_LOG"]) expect(text).toContain(v);
});

// D29: a timeout of 2^31 ms or more overflowed the timer and fired at once.
test("a timeout_ms of 2^31 does not fire at once", async () => {
  const s = await initialized();
  const r = await tool(s, 2, "run", { command: ["sh", "-c", "sleep 0.2; echo done"], timeout_ms: 2 ** 31, wait: true });
  s.proc.stdin.end();
  await s.proc.exited;
  expect(r).toMatchObject({ ok: true, state: "exited", exit_code: 0, final_snapshot: { stdout_tail: "done" } });
});
