// `agent-exec mcp`: the job runner as MCP tools over stdio. Every tool calls the CLI's own handler
// and returns the very envelope the CLI prints; jobs are ordinary detached jobs of the same store.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { CallToolRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Ctx, Outcome } from "../commands/context.ts";
import { AgentExecError, toAgentExecError } from "../core/errors.ts";
import { errorEnvelope, successEnvelope } from "../core/output.ts";
import { describeIssue } from "../http/request.ts";
import { LineTransport } from "./line-transport.ts";
import { buildTools, MCP_TOOLS } from "./tools.ts";

export { MCP_TOOLS } from "./tools.ts";

/** The longest a tool call may block by default: under a typical 60 s client timeout. */
export const DEFAULT_MAX_WAIT_MS = 50_000;

/** AGENT_EXEC_MCP_MAX_WAIT_MS, or 50 s. */
export function maxWaitMs(env: Record<string, string | undefined>): number {
  const v = Number(env.AGENT_EXEC_MCP_MAX_WAIT_MS);
  return Number.isInteger(v) && v > 0 ? v : DEFAULT_MAX_WAIT_MS;
}

/** Turns a handler's outcome (or its error) into a tool result holding the CLI's envelope. */
async function result(work: () => Promise<Outcome>) {
  try {
    const { payload } = await work();
    const doc = successEnvelope(payload);
    return { content: [{ type: "text" as const, text: JSON.stringify(doc) }], structuredContent: doc };
  } catch (caught) {
    const doc = errorEnvelope(toAgentExecError(caught));
    return { isError: true, content: [{ type: "text" as const, text: JSON.stringify(doc) }], structuredContent: doc };
  }
}

/** Builds the MCP server with every tool bound to `ctx`. */
export function createMcpServer(ctx: Ctx, version: string): McpServer {
  const server = new McpServer({ name: "agent-exec", version });
  // Every tool's arguments are a strict object (D36): an unknown or mistyped field is refused
  // with usage_error naming it, never dropped (a `timeout` meant as `timeout_ms` must not run
  // the job unbounded). The SDK would strip unknown fields and answer in its own words.
  const specs = buildTools(ctx, maxWaitMs(ctx.env));
  const tools = new Map<string, { schema: z.ZodType; call: (a: never) => Promise<Outcome> }>();
  for (const name of MCP_TOOLS) {
    const { description, shape, call } = specs[name];
    const schema = z.strictObject(shape);
    tools.set(name, { schema, call });
    // Registered for tools/list (the JSON Schema); calls come through the handler below.
    server.registerTool(name, { description, inputSchema: schema }, (() => {}) as never);
  }
  server.server.setRequestHandler(CallToolRequestSchema, (request) => {
    const tool = tools.get(request.params.name);
    if (!tool) {
      return result(async () => {
        throw new AgentExecError(
          "usage_error",
          `unknown tool ${JSON.stringify(request.params.name)}; tools: ${MCP_TOOLS.join(", ")}`,
        );
      });
    }
    const parsed = tool.schema.safeParse(request.params.arguments ?? {});
    if (!parsed.success) {
      return result(async () => {
        throw new AgentExecError("usage_error", `invalid arguments: ${describeIssue(parsed.error.issues[0])}`);
      });
    }
    return result(() => tool.call(parsed.data as never));
  });
  return server;
}

/** Serves MCP on stdin/stdout until the client closes the stream. */
export async function serveMcp(ctx: Ctx, version: string): Promise<void> {
  const server = createMcpServer(ctx, version);
  const transport = new LineTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  await closed;
  await server.close();
}
