// The MCP run/create tools take max_log_bytes (X9): stored in meta.json; a bad size is an error
// naming it, and creates nothing.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const BIN = process.env.AGENT_EXEC_BIN
  ? resolve(process.env.AGENT_EXEC_BIN)
  : resolve(import.meta.dir, "..", "..", "dist", "agent-exec");
const dir = mkdtempSync(join(tmpdir(), "mcp-cap-"));
const root = join(dir, "jobs");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("create with max_log_bytes; a bad one is refused before anything exists", async () => {
  const transport = new StdioClientTransport({
    command: BIN,
    args: ["mcp"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, AGENT_EXEC_ROOT: root },
    cwd: dir,
    stderr: "ignore",
  });
  const client = new Client({ name: "agent-exec-test", version: "1.0.0" });
  await client.connect(transport);
  try {
    const bad = await client.callTool({ name: "create", arguments: { command: ["true"], max_log_bytes: "1XB" } });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.structuredContent)).toContain("max_log_bytes");
    expect(existsSync(root) ? readdirSync(root) : []).toEqual([]);
    const ok = await client.callTool({ name: "create", arguments: { command: ["true"], max_log_bytes: "8KiB" } });
    const id = (ok.structuredContent as { job_id: string }).job_id;
    expect(JSON.parse(readFileSync(join(root, id, "meta.json"), "utf8")).max_log_bytes).toBe(8192);
  } finally {
    await client.close();
  }
});
