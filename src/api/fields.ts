// The wire fields HTTP bodies and MCP tool arguments share (the CLI flags in snake_case, X11, X12),
// as zod shapes, and the conversions to the handlers' inputs.
import { resolve } from "node:path";
import { z } from "zod";
import type { DefinitionInput } from "../commands/define.ts";
import type { LIST_STATES, ListInput } from "../commands/list.ts";
import type { ObserveInput } from "../commands/run.ts";
import { usageError } from "../core/errors.ts";
import type { Readiness } from "../core/readiness.ts";
import { resolveJob, tryReadMeta } from "../store/job-store.ts";
import { ENV_KEY } from "../supervisor/command.ts";
import { VIEW_NAMES } from "../views/types.ts";

/** A non-negative integer (counts, bytes, milliseconds). */
export const UInt = z.number().int().min(0);
/** A string without NUL bytes (D43): C strings (argv, env, paths) would silently cut it there. */
export const Str = z.string().refine((s) => !s.includes("\0"), "must not contain a NUL byte");
/** An environment variable name (D43). */
export const EnvKey = z.string().regex(ENV_KEY, "is not a variable name: use [A-Za-z_][A-Za-z0-9_]*");
/** Environment variables by name. */
export const EnvMap = z.record(EnvKey, Str);
const Stream = z.enum(["stdout", "stderr", "either"]);

/** A JavaScript RegExp source that compiles; the message quotes the value and the engine's reason. */
const Regex = Str.superRefine((s, ctx) => {
  try {
    new RegExp(s);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `invalid regex ${JSON.stringify(s)}: ${(err as Error).message}` });
  }
});

/** Everything a job is defined by (run, create; `/exec`, MCP run/create). */
export const DEFINITION_FIELDS = {
  command: z.array(Str).min(1, "command must hold at least one word"),
  cwd: Str.optional(),
  env: EnvMap.optional(),
  env_files: z.array(Str).optional(),
  inherit_env: z.boolean().optional(),
  agent_env: z.boolean().optional(),
  key: Str.optional(),
  mask: z.array(Str).optional(),
  tags: z.array(Str).optional(),
  timeout_ms: UInt.optional(),
  kill_after_ms: UInt.optional(),
  progress_every_ms: UInt.optional(),
  shell_wrapper: Str.optional(),
  config: Str.optional(),
  notify_command: Str.optional(),
  notify_file: Str.optional(),
  output_pattern: Str.optional(),
  output_match_type: z.enum(["contains", "regex"]).optional(),
  output_stream: Stream.optional(),
  output_command: Str.optional(),
  output_file: Str.optional(),
  /** X9: bytes, or a size such as "64MiB"; 0 = unlimited. */
  max_log_bytes: z.union([UInt, Str]).optional(),
  /** X10: the queue, and the jobs (ids or prefixes) to start after. */
  queue: Str.optional(),
  after: z.array(Str).optional(),
  after_ok: z.array(Str).optional(),
  /** X5: the job's stdin, base64 (`stdin`) or text (`stdin_text`), at most 64 MiB; or kept open for send. */
  stdin: z.base64().optional(),
  stdin_text: z.string().optional(),
  interactive: z.boolean().optional(),
  /** X13: where the job's supervisor runs, and Slurm's own options. */
  backend: z.enum(["local", "slurm"]).optional(),
  slurm_partition: Str.optional(),
  slurm_arg: z.array(Str).optional(),
};
export type DefinitionFields = z.infer<z.ZodObject<typeof DEFINITION_FIELDS>>;

/** Readiness conditions (X2): wait, run, start, restart. */
export const UNTIL_FIELDS = {
  until_match: Regex.optional(),
  until_stream: Stream.optional(),
  until_port: z
    .number()
    .int()
    .min(1, "must be a TCP port from 1 to 65535")
    .max(65_535, "must be a TCP port from 1 to 65535")
    .optional(),
  until_host: Str.min(1, "must not be empty").optional(),
  until_file: Str.min(1, "must not be empty").optional(),
};
export type UntilFields = z.infer<z.ZodObject<typeof UNTIL_FIELDS>>;

/** How run, start and restart observe the job they launched (without the wait bound, which differs). */
/** X14: the view of the tails an answer shows. */
export const ViewField = z.enum(VIEW_NAMES).optional();

export const OBSERVE_FIELDS = {
  view: ViewField,
  snapshot_after_ms: UInt.optional(),
  tail_lines: UInt.optional(),
  max_bytes: UInt.optional(),
  wait: z.boolean().optional(),
  wait_poll_ms: UInt.optional(),
  ...UNTIL_FIELDS,
};
export type ObserveFields = z.infer<z.ZodObject<typeof OBSERVE_FIELDS>>;

/** The handler's definition input from the wire fields. */
export function toDefinition(a: DefinitionFields): DefinitionInput {
  if (a.stdin !== undefined && a.stdin_text !== undefined) throw usageError("give stdin or stdin_text, not both");
  const stdin =
    a.stdin !== undefined
      ? Buffer.from(a.stdin, "base64")
      : a.stdin_text !== undefined
        ? Buffer.from(a.stdin_text)
        : undefined;
  return {
    ...(a.max_log_bytes === undefined ? {} : { maxLogBytes: a.max_log_bytes }),
    ...(a.queue === undefined ? {} : { queue: a.queue }),
    ...(a.after === undefined ? {} : { after: a.after }),
    ...(a.after_ok === undefined ? {} : { afterOk: a.after_ok }),
    ...(stdin === undefined ? {} : { stdin }),
    ...(a.interactive ? { interactive: true } : {}),
    ...(a.backend === undefined ? {} : { backend: a.backend }),
    ...(a.slurm_partition === undefined ? {} : { slurmPartition: a.slurm_partition }),
    ...(a.slurm_arg === undefined ? {} : { slurmArgs: a.slurm_arg }),
    command: a.command,
    cwd: a.cwd,
    env: Object.entries(a.env ?? {}).map(([k, v]) => `${k}=${v}`),
    envFiles: a.env_files ?? [],
    inheritEnv: a.inherit_env ?? true,
    ...(a.agent_env === false ? { agentEnv: false } : {}),
    ...(a.key === undefined ? {} : { key: a.key }),
    mask: a.mask ?? [],
    tags: a.tags ?? [],
    timeoutMs: a.timeout_ms ?? 0,
    killAfterMs: a.kill_after_ms ?? 0,
    progressEveryMs: a.progress_every_ms ?? 0,
    shellWrapper: a.shell_wrapper,
    config: a.config,
    notify: {
      notifyCommand: a.notify_command,
      notifyFile: a.notify_file,
      outputPattern: a.output_pattern,
      outputMatchType: a.output_match_type,
      outputStream: a.output_stream,
      outputCommand: a.output_command,
      outputFile: a.output_file,
    },
  };
}

/**
 * The readiness conditions of the wire fields, or undefined when none was given. A relative
 * `until_file` means the job's directory (`base`): HTTP and MCP callers have no cwd of their own.
 */
export function toReadiness(a: UntilFields, base: string): Readiness | undefined {
  const { until_match: match, until_port: port, until_file: file } = a;
  if (match === undefined && port === undefined && file === undefined) {
    if (a.until_stream !== undefined) throw usageError("until_stream needs until_match");
    if (a.until_host !== undefined) throw usageError("until_host needs until_port");
    return undefined;
  }
  if (a.until_stream !== undefined && match === undefined) throw usageError("until_stream needs until_match");
  if (a.until_host !== undefined && port === undefined) throw usageError("until_host needs until_port");
  return {
    ...(match === undefined ? {} : { match }),
    stream: a.until_stream ?? "either",
    ...(port === undefined ? {} : { port }),
    host: a.until_host ?? "127.0.0.1",
    ...(file === undefined ? {} : { file: resolve(base, file) }),
  };
}

/**
 * The observe input of run, start and restart. `bound` is the wait's bound (already capped by the
 * front); `wait` says whether to wait for the end. Without wait and without a readiness condition
 * the snapshot window applies (capped by the bound too).
 */
export function toObserve(a: ObserveFields, until: Readiness | undefined, wait: boolean, bound: number): ObserveInput {
  return {
    snapshotAfterMs: Math.min(a.snapshot_after_ms ?? 0, bound),
    tailLines: a.tail_lines ?? 50,
    maxBytes: a.max_bytes ?? 65_536,
    wait,
    waitPollMs: a.wait_poll_ms ?? 200,
    waitTimeoutMs: bound,
    ...(until ? { until } : {}),
    ...(a.view === undefined ? {} : { view: a.view }),
  };
}

/** The directory job `jobId` runs in: where its relative `until_file` is looked up. */
export function jobCwd(root: string, jobId: string, fallback: string): string {
  return tryReadMeta(resolveJob(root, jobId).paths)?.cwd ?? fallback;
}

/** The list filters as the wire carries them (HTTP query, MCP arguments). */
export interface ListFields {
  all?: boolean;
  cwd?: string;
  state?: (typeof LIST_STATES)[number];
  limit?: number;
  tags?: string[];
  key?: string;
  queue?: string;
}

/** The list filters of the wire; without `cwd` every directory's jobs. */
export function toList(a: ListFields): ListInput {
  return {
    // A wire caller has no cwd of its own: without cwd, list every job.
    all: a.all === true || a.cwd === undefined,
    cwd: a.cwd,
    state: a.state,
    limit: a.limit ?? 50,
    tags: a.tags ?? [],
    ...(a.key === undefined ? {} : { key: a.key }),
    ...(a.queue === undefined ? {} : { queue: a.queue }),
  };
}
