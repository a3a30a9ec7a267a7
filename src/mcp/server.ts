// `agent-exec mcp`: the job runner as MCP tools over stdio. Every tool calls the CLI's own handler
// and returns the very envelope the CLI prints; jobs are ordinary detached jobs of the same store.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { CallToolRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Ctx, Outcome } from "../commands/context.ts";
import { createCommand } from "../commands/create.ts";
import type { DefinitionInput } from "../commands/define.ts";
import { deleteCommand } from "../commands/delete.ts";
import { killCommand } from "../commands/kill.ts";
import { LIST_STATES, listCommand } from "../commands/list.ts";
import { runCommand } from "../commands/run.ts";
import { startCommand } from "../commands/start.ts";
import { statusCommand } from "../commands/status.ts";
import { tailCommand } from "../commands/tail.ts";
import { waitCommand } from "../commands/wait.ts";
import { AgentExecError, toAgentExecError } from "../core/errors.ts";
import { errorEnvelope, successEnvelope } from "../core/output.ts";
import { describeIssue, EnvMap, Str } from "../http/request.ts";
import { normalizeSignal } from "../process/signal-names.ts";
import { LineTransport } from "./line-transport.ts";

/** The longest a tool call may block by default: under a typical 60 s client timeout. */
export const DEFAULT_MAX_WAIT_MS = 50_000;

/** AGENT_EXEC_MCP_MAX_WAIT_MS, or 50 s. */
export function maxWaitMs(env: Record<string, string | undefined>): number {
  const v = Number(env.AGENT_EXEC_MCP_MAX_WAIT_MS);
  return Number.isInteger(v) && v > 0 ? v : DEFAULT_MAX_WAIT_MS;
}

const UInt = z.number().int().min(0);
const jobId = Str.describe("Job id or a unique prefix of it");

/** Definition fields shared by the run and create tools (the CLI's flags, snake_case). */
const definition = {
  command: z.array(Str).min(1).describe('argv, e.g. ["make","test"]; one element runs through `sh -lc`'),
  cwd: Str.optional().describe("Working directory (default: the server's)"),
  env: EnvMap.optional().describe("Extra environment variables"),
  env_files: z.array(Str).optional(),
  inherit_env: z.boolean().optional(),
  mask: z.array(Str).optional().describe("env keys whose values are shown as ***"),
  tags: z.array(Str).optional(),
  timeout_ms: UInt.optional().describe("TERM the job's process group after this many ms"),
  kill_after_ms: UInt.optional().describe("Then KILL what is still alive after this many ms"),
  max_log_bytes: z.union([UInt, Str]).optional().describe('Log cap per stream: bytes or e.g. "64MiB"; 0 = unlimited'),
  notify_command: Str.optional(),
  notify_file: Str.optional(),
};

/** The tool names, in the order `tools/list` and `mcp --help` show them. */
export const MCP_TOOLS = ["run", "create", "start", "status", "tail", "wait", "kill", "list", "delete"] as const;

function toDefinition(a: z.infer<z.ZodObject<typeof definition>>): DefinitionInput {
  return {
    command: a.command,
    cwd: a.cwd,
    env: Object.entries(a.env ?? {}).map(([k, v]) => `${k}=${v}`),
    envFiles: a.env_files ?? [],
    inheritEnv: a.inherit_env ?? true,
    mask: a.mask ?? [],
    tags: a.tags ?? [],
    timeoutMs: a.timeout_ms ?? 0,
    killAfterMs: a.kill_after_ms ?? 0,
    progressEveryMs: 0,
    maxLogBytes: a.max_log_bytes,
    notify: { notifyCommand: a.notify_command, notifyFile: a.notify_file },
  };
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
  const tools = new Map<string, { schema: z.ZodType; run: (a: never) => Promise<unknown> }>();
  const registerTool = <S extends z.ZodRawShape>(
    name: (typeof MCP_TOOLS)[number],
    config: { description: string; inputSchema: S },
    run: (a: z.infer<z.ZodObject<S>>) => Promise<unknown>,
  ) => {
    const schema = z.strictObject(config.inputSchema);
    tools.set(name, { schema, run: run as (a: never) => Promise<unknown> });
    server.registerTool(name, { description: config.description, inputSchema: schema }, run as never);
  };
  const cap = maxWaitMs(ctx.env);
  const bound = (ms: number | undefined) => Math.min(ms ?? cap, cap);
  const observe = {
    wait: z.boolean().optional().describe("Wait for the job to end, at most until_ms"),
    until_ms: UInt.optional().describe(`Longest wait in ms (capped at ${cap}); the job keeps running after it`),
    snapshot_after_ms: UInt.optional().describe("Without wait: observe this long before answering (default 0)"),
    tail_lines: UInt.optional(),
    max_bytes: UInt.optional(),
  };
  const observeInput = (a: {
    wait?: boolean;
    until_ms?: number;
    snapshot_after_ms?: number;
    tail_lines?: number;
    max_bytes?: number;
  }) => ({
    snapshotAfterMs: Math.min(a.snapshot_after_ms ?? 0, cap),
    tailLines: a.tail_lines ?? 50,
    maxBytes: a.max_bytes ?? 65_536,
    // until_ms bounds a wait: given alone it asks for one (issue 13), never silently ignored.
    wait: untilMeansWait(a),
    waitPollMs: 200,
    waitTimeoutMs: bound(a.until_ms),
  });

  registerTool(
    "run",
    {
      description:
        "Start a command as a detached background job. Returns its id at once, or waits (bounded) with wait:true.",
      inputSchema: { ...definition, ...observe },
    },
    (a) => result(() => runCommand({ ...toDefinition(a), ...observeInput(a) }, ctx)),
  );
  registerTool(
    "create",
    { description: "Define a job without starting it (state created).", inputSchema: definition },
    (a) => result(() => createCommand(toDefinition(a), ctx)),
  );
  registerTool("start", { description: "Start a created job.", inputSchema: { job_id: jobId, ...observe } }, (a) =>
    result(() => startCommand({ jobId: a.job_id, ...observeInput(a) }, ctx)),
  );
  registerTool(
    "status",
    { description: "A job's state, exit code and timestamps.", inputSchema: { job_id: jobId } },
    (a) => result(() => statusCommand({ jobId: a.job_id }, ctx)),
  );
  registerTool(
    "tail",
    {
      description: "The last lines of a job's stdout and stderr.",
      inputSchema: { job_id: jobId, tail_lines: UInt.optional(), max_bytes: UInt.optional() },
    },
    (a) =>
      result(() =>
        tailCommand({ jobId: a.job_id, tailLines: a.tail_lines ?? 50, maxBytes: a.max_bytes ?? 65_536 }, ctx),
      ),
  );
  registerTool(
    "wait",
    {
      description: "Wait until a job ends, at most until_ms; reports deadline_reached when the bound came first.",
      inputSchema: { job_id: jobId, until_ms: observe.until_ms },
    },
    (a) => result(() => waitCommand({ jobIds: [a.job_id], timeoutMs: bound(a.until_ms), pollMs: 200 }, ctx)),
  );
  registerTool(
    "kill",
    {
      description: "Signal a job's whole process group (default TERM) and report the state it ends in.",
      inputSchema: { job_id: jobId, signal: z.string().optional().describe("TERM, INT, KILL, HUP, ... or a number") },
    },
    (a) =>
      result(() => {
        const signal = normalizeSignal(a.signal ?? "TERM");
        if (!signal) throw new AgentExecError("usage_error", `unknown signal ${JSON.stringify(a.signal)}`);
        return killCommand({ jobId: a.job_id, signal }, ctx);
      }),
  );
  registerTool(
    "list",
    {
      description: "List jobs, newest first (all directories unless cwd is given).",
      inputSchema: {
        cwd: z.string().optional(),
        state: z.enum(LIST_STATES).optional(),
        limit: UInt.optional().describe("Default 50; 0 = all"),
        tags: z.array(z.string()).optional().describe("Tag patterns, ANDed; ns.* matches a namespace"),
      },
    },
    (a) =>
      result(() =>
        listCommand(
          { all: a.cwd === undefined, cwd: a.cwd, state: a.state, limit: a.limit ?? 50, tags: a.tags ?? [] },
          ctx,
        ),
      ),
  );
  registerTool(
    "delete",
    { description: "Delete a finished job.", inputSchema: { job_id: jobId, dry_run: z.boolean().optional() } },
    (a) => result(() => deleteCommand({ jobId: a.job_id, all: false, dryRun: a.dry_run ?? false }, ctx)),
  );
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
    // Each tool's function already wraps its answer (or its error) in the CLI's envelope.
    return tool.run(parsed.data as never) as ReturnType<typeof result>;
  });
  return server;
}

/** `until_ms` without `wait` waits; with `wait:false` the two contradict each other. */
function untilMeansWait(a: { wait?: boolean; until_ms?: number }): boolean {
  if (a.until_ms !== undefined && a.wait === false) {
    throw new AgentExecError("usage_error", "until_ms bounds a wait: drop it, or drop wait:false");
  }
  return a.wait ?? a.until_ms !== undefined;
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
