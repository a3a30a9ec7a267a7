// The MCP tools (X12): each one's argument fields (the CLI flags in snake_case, shared with HTTP)
// and the handler call it makes; every wait is capped by the host deadline.
import { resolve } from "node:path";
import { z } from "zod";
import { jobCwd, type ListFields, Str, toDefinition, toList, toReadiness, UInt } from "../api/fields.ts";
import type { Ctx, Outcome } from "../commands/context.ts";
import { createCommand } from "../commands/create.ts";
import { deleteCommand } from "../commands/delete.ts";
import { killCommand } from "../commands/kill.ts";
import { LIST_STATES, listCommand } from "../commands/list.ts";
import { queueListCommand, queueSetCommand } from "../commands/queue.ts";
import { restartCommand } from "../commands/restart.ts";
import { runCommand } from "../commands/run.ts";
import { sendCommand, sendData } from "../commands/send.ts";
import { startCommand } from "../commands/start.ts";
import { statusCommand } from "../commands/status.ts";
import { tagSetCommand } from "../commands/tag.ts";
import { tailCommand } from "../commands/tail.ts";
import { WAIT_MAX_BYTES, WAIT_TAIL_LINES, waitCommand } from "../commands/wait.ts";
import { usageError } from "../core/errors.ts";
import type { ViewName } from "../views/types.ts";
import {
  boundOf,
  jobId,
  MCP_DEFAULT_VIEW,
  MCP_VIEW,
  type ObserveArgs,
  observeArgs,
  signal,
  signalOf,
  toolShapes,
} from "./tool-args.ts";

/** The tool names, in the order `tools/list` and `mcp --help` show them. */
export const MCP_TOOLS = [
  "run",
  "create",
  "start",
  "status",
  "tail",
  "wait",
  "kill",
  "restart",
  "list",
  "tag",
  "delete",
  "send",
  "queue_list",
  "queue_set",
] as const;
export type ToolName = (typeof MCP_TOOLS)[number];

/** One tool: what it is for, its argument fields, and the handler call. */
export interface ToolSpec {
  description: string;
  shape: z.ZodRawShape;
  call: (a: never) => Promise<Outcome>;
}

/** The tools, bound to `ctx`, every wait capped at `cap` ms (AGENT_EXEC_MCP_MAX_WAIT_MS). */
export function buildTools(ctx: Ctx, cap: number): Record<ToolName, ToolSpec> {
  const { observeShape, definitionShape, waitShape } = toolShapes(cap);
  const observe = (a: ObserveArgs, base: string) => observeArgs(a, base, cap);
  type DefinitionArgs = z.infer<z.ZodObject<typeof definitionShape>>;
  type RunArgs = DefinitionArgs & ObserveArgs;
  type WaitArgs = z.infer<z.ZodObject<typeof waitShape>>;

  const tools: Record<ToolName, ToolSpec> = {
    run: {
      description:
        "Start a command as a detached background job. Returns its id at once, or waits (bounded) with wait:true, or until a line, port or file says it is ready (until_*).",
      shape: { ...definitionShape, ...observeShape },
      call: (a: RunArgs) => runCommand({ ...toDefinition(a), ...observe(a, resolve(ctx.cwd, a.cwd ?? ".")) }, ctx),
    },
    create: {
      description: "Define a job without starting it (state created).",
      shape: definitionShape,
      call: (a: DefinitionArgs) => createCommand(toDefinition(a), ctx),
    },
    start: {
      description: "Start a created job; observe it as run does.",
      shape: { job_id: jobId, ...observeShape },
      call: (a: ObserveArgs & { job_id: string }) =>
        startCommand({ jobId: a.job_id, ...observe(a, jobCwd(ctx.root, a.job_id, ctx.cwd)) }, ctx),
    },
    status: {
      description: "A job's state, exit code, timestamps and cursor.",
      shape: { job_id: jobId },
      call: (a: { job_id: string }) => statusCommand({ jobId: a.job_id }, ctx),
    },
    tail: {
      description: "The last lines of a job's stdout and stderr, or with since only what is new after a cursor.",
      shape: {
        job_id: jobId,
        tail_lines: UInt.optional(),
        max_bytes: UInt.optional(),
        since: Str.optional().describe("The cursor of an earlier answer"),
        view: MCP_VIEW,
      },
      call: (a: { job_id: string; tail_lines?: number; max_bytes?: number; since?: string; view?: ViewName }) =>
        tailCommand(
          {
            jobId: a.job_id,
            tailLines: a.tail_lines ?? 50,
            maxBytes: a.max_bytes ?? 65_536,
            since: a.since,
            view: a.view ?? MCP_DEFAULT_VIEW,
          },
          ctx,
        ),
    },
    wait: {
      description:
        "Wait until a job ends (or several: job_ids, any), or until it is ready (until_*), at most timeout_ms; deadline_reached when the bound came first.",
      shape: waitShape,
      call: (a: WaitArgs) => {
        if ((a.job_id === undefined) === (a.job_ids === undefined))
          throw usageError("give job_id or job_ids (one of them)");
        const ids = a.job_ids ?? [a.job_id as string];
        const base = ids.length === 1 ? jobCwd(ctx.root, ids[0] as string, ctx.cwd) : ctx.cwd;
        return waitCommand(
          {
            jobIds: ids,
            timeoutMs: boundOf(a.timeout_ms, a.until_ms, "timeout_ms", cap) ?? cap,
            pollMs: a.poll_ms ?? 200,
            any: a.any ?? false,
            tailLines: a.tail_lines ?? WAIT_TAIL_LINES,
            maxBytes: a.max_bytes ?? WAIT_MAX_BYTES,
            noOutput: a.no_output ?? false,
            until: toReadiness(a, base),
            since: a.since,
            view: a.view ?? MCP_DEFAULT_VIEW,
          },
          ctx,
        );
      },
    },
    kill: {
      description: "Signal a job's whole process group (default TERM) and report the state it ends in.",
      shape: { job_id: jobId, signal },
      call: (a: { job_id: string; signal?: string }) =>
        killCommand({ jobId: a.job_id, signal: signalOf(a.signal) }, ctx),
    },
    restart: {
      description:
        "Stop the job if it runs (signal, then KILL after kill_after_ms), then run the same definition again under the same id (logs cleared); observe it as run does.",
      shape: {
        job_id: jobId,
        signal,
        kill_after_ms: UInt.optional().describe("KILL what is still alive this long after the signal (default 5000)"),
        ...observeShape,
      },
      call: (a: ObserveArgs & { job_id: string; signal?: string; kill_after_ms?: number }) =>
        restartCommand(
          {
            jobId: a.job_id,
            signal: signalOf(a.signal),
            killAfterMs: Math.min(a.kill_after_ms ?? 5000, cap),
            ...observe(a, jobCwd(ctx.root, a.job_id, ctx.cwd)),
          },
          ctx,
        ),
    },
    list: {
      description: "List jobs, newest first (all directories unless cwd is given).",
      shape: {
        cwd: Str.optional(),
        state: z.enum(LIST_STATES).optional(),
        limit: UInt.optional().describe("Default 50; 0 = all"),
        tags: z.array(Str).optional().describe("Tag patterns, ANDed; ns.* matches a namespace"),
        key: Str.optional().describe("Only the job started with this key"),
        queue: Str.optional().describe("Only the jobs of this queue"),
      },
      call: (a: ListFields) => listCommand(toList(a), ctx),
    },
    tag: {
      description: "Replace a job's tags (an empty list clears them).",
      shape: { job_id: jobId, tags: z.array(Str) },
      call: (a: { job_id: string; tags: string[] }) => tagSetCommand({ jobId: a.job_id, tags: a.tags }, ctx),
    },
    delete: {
      description: "Delete a finished job.",
      shape: { job_id: jobId, dry_run: z.boolean().optional() },
      call: (a: { job_id: string; dry_run?: boolean }) =>
        deleteCommand({ jobId: a.job_id, all: false, dryRun: a.dry_run ?? false }, ctx),
    },
    send: {
      description:
        "Write to the stdin of a job started with interactive:true (answer a prompt: text with newline:true); eof closes it.",
      shape: {
        job_id: jobId,
        text: z.string().optional(),
        newline: z.boolean().optional().describe("Add a newline after text"),
        eof: z.boolean().optional().describe("Close the job's stdin after the text"),
      },
      call: (a: { job_id: string; text?: string; newline?: boolean; eof?: boolean }) =>
        sendCommand({ jobId: a.job_id, ...sendData(a.text, a.newline, a.eof) }, ctx),
    },
    queue_list: {
      description: "Each queue: its limit (parallel), running and queued jobs.",
      shape: {},
      call: () => queueListCommand(ctx),
    },
    queue_set: {
      description: "Set how many jobs of a queue run at once.",
      shape: { name: Str, parallel: z.number().int().min(1) },
      call: (a: { name: string; parallel: number }) => queueSetCommand(a, ctx),
    },
  };
  return tools;
}
