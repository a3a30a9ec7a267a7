// An MCP client on `agent-exec mcp` from the binary, as a host would run it: a sealed env, a root.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { BIN } from "./bin.ts";

/** Connects a client to a new `agent-exec mcp` in `dir` with jobs under `root`. */
export async function connectMcp(dir: string, root: string, extraEnv: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: BIN,
    args: ["mcp"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, AGENT_EXEC_ROOT: root, ...extraEnv },
    cwd: dir,
    stderr: "ignore",
  });
  const client = new Client({ name: "agent-exec-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}
