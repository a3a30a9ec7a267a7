// zod schemas of the persisted records (meta.json, state.json): the declared truth that the fast
// guards in records.ts mirror, and the source of the JSON Schema the `schema` command prints.
import { z } from "zod";
import { JOB_STATUSES } from "./records.ts";

export const Timestamp = z.string().describe("UTC RFC 3339, e.g. 2026-11-21T05:00:00.123Z");
const Int = z.number().int();

export const OutputMatchSchema = z.object({
  pattern: z.string(),
  match_type: z.enum(["contains", "regex"]).optional(),
  stream: z.enum(["stdout", "stderr", "either"]).optional(),
  command: z.string().optional(),
  file: z.string().optional(),
});

export const NotificationSchema = z.object({
  notify_command: z.string().optional(),
  notify_file: z.string().optional(),
  on_output_match: OutputMatchSchema.optional(),
});

/** meta.json (§2.4). */
export const MetaSchema = z.looseObject({
  job: z.looseObject({ id: z.string() }),
  schema_version: z.string(),
  command: z.array(z.string()).min(1),
  created_at: Timestamp,
  root: z.string(),
  env_keys: z.array(z.string()),
  env_vars: z.array(z.string()).optional(),
  env_vars_runtime: z.array(z.string()).optional(),
  mask: z.array(z.string()).optional(),
  cwd: z.string().optional(),
  notification: NotificationSchema.optional(),
  tags: z.array(z.string()).optional(),
  inherit_env: z.boolean().optional(),
  env_files: z.array(z.string()).optional(),
  timeout_ms: Int.optional(),
  kill_after_ms: Int.optional(),
  progress_every_ms: Int.optional(),
  shell_wrapper: z.array(z.string()).optional(),
  agent_env: z.array(z.string()).optional(),
  key: z.string().optional(),
  log_path: z.string().optional(),
  stdin: z.enum(["file", "interactive"]).optional(),
  queue: z.string().optional(),
  after: z.array(z.string()).optional(),
  after_ok: z.array(z.string()).optional(),
  command_display: z.string().optional(),
  command_display_truncated: z.boolean().optional(),
  max_log_bytes: Int.optional(),
  output_match_since: z.object({ stdout: Int, stderr: Int }).optional(),
  backend: z.enum(["local", "slurm"]).optional(),
  slurm: z.object({ partition: z.string().optional(), args: z.array(z.string()) }).optional(),
});

/** state.json (§2.5, D26, plus the supervisor's pid and the job's process group). */
export const StateSchema = z.looseObject({
  job: z.looseObject({ id: z.string(), status: z.enum(JOB_STATUSES), started_at: Timestamp.optional() }),
  result: z.looseObject({
    exit_code: Int.nullable().optional(),
    signal: z.string().nullable().optional(),
    duration_ms: Int.nullable().optional(),
    timed_out: z.boolean().optional(),
    resources: z.object({ max_rss_kb: Int.optional(), user_cpu_ms: Int, system_cpu_ms: Int }).optional(),
    killed_by: z.string().optional(),
  }),
  attempt: Int.optional(),
  pid: Int.optional(),
  finished_at: Timestamp.optional(),
  updated_at: Timestamp,
  reason: z.string().optional(),
  supervisor_pid: Int.optional(),
  pgid: Int.optional(),
});
