// zod schemas of every response document: the contract of stdout, checked by the tests and
// turned into JSON Schema by `schema` (D18). Loaded only by the commands that need it.
import { z } from "zod";
import { Timestamp } from "../store/job-schema.ts";

const Int = z.number().int();
const UInt = Int.min(0);
const State = z.enum(["created", "queued", "running", "exited", "killed", "failed"]);

const envelope = <T extends string>(type: T) => ({
  schema_version: z.literal("0.1"),
  ok: z.literal(true),
  type: z.literal(type),
});

/** What the job's root process used (X3). */
const Resources = z.strictObject({ max_rss_kb: UInt.optional(), user_cpu_ms: UInt, system_cpu_ms: UInt });

/** The D26 and X3 fields a job-describing response may carry. */
const outcome = {
  exit_code: Int.optional(),
  timed_out: z.literal(true).optional(),
  reason: z.string().optional(),
  signal: z.string().optional().describe("Bare name of the signal that ended the job"),
  killed_by: z.literal("agent-exec").optional().describe("Set when `kill` ended the job"),
  duration_ms: UInt.optional(),
  resources: Resources.optional(),
  paused: z.literal(true).optional().describe("The job's process group is stopped (kill --signal STOP)"),
  waiting_for_input: z.literal(true).optional().describe("An interactive job is blocked reading its stdin"),
};

/** An opaque mark of how far both logs were read (X1). */
const Cursor = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);

/** Why a wait ended ready (X2). */
const ReadyBy = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("match"),
    line: z.string(),
    stream: z.enum(["stdout", "stderr"]),
    cursor: Cursor,
  }),
  z.strictObject({ kind: z.literal("port"), port: UInt }),
  z.strictObject({ kind: z.literal("file"), path: z.string() }),
]);

/** Readiness fields (X2), present when a condition was asked for. */
const readiness = { ready: z.boolean().optional(), ready_by: ReadyBy.optional() };

/** Bytes the log cap dropped from the middle of each stream (X9), present once it dropped some. */
const dropped = {
  stdout_omitted_bytes: UInt.optional().describe("Bytes the log cap (--max-log-bytes) dropped from the middle"),
  stderr_omitted_bytes: UInt.optional(),
};

/** What a view other than raw adds to the tails (X14). */
const viewed = {
  view: z
    .enum(["clean", "errors", "tests", "summary"])
    .optional()
    .describe("The view the tails are shown in (absent: raw)"),
  stdout_view_dropped_lines: UInt.optional().describe("Lines of what was read that the view left out"),
  stderr_view_dropped_lines: UInt.optional(),
  tests: z
    .strictObject({
      runner: z.enum(["pytest", "jest", "vitest", "go", "cargo", "bun"]),
      passed: UInt,
      failed: UInt,
      skipped: UInt,
    })
    .optional()
    .describe("The counts of a test runner's final summary (views tests and summary)"),
};

export const SnapshotSchema = z.strictObject({
  stdout_tail: z.string(),
  stderr_tail: z.string(),
  truncated: z.boolean(),
  encoding: z.literal("utf-8-lossy"),
  stdout_observed_bytes: UInt,
  stderr_observed_bytes: UInt,
  stdout_included_bytes: UInt,
  stderr_included_bytes: UInt,
  ...dropped,
  ...viewed,
});

const runShape = {
  job_id: z.string(),
  state: State,
  tags: z.array(z.string()),
  reused: z.literal(true).optional().describe("--key: a live job with this key answered (X7)"),
  env_vars: z.array(z.string()).optional(),
  agent_env: z.array(z.string()).optional().describe("Variables the job got from agent-exec (X6)"),
  snapshot: SnapshotSchema.optional(),
  stdout_log_path: z.string(),
  stderr_log_path: z.string(),
  waited_ms: UInt,
  elapsed_ms: UInt,
  finished_at: Timestamp.optional(),
  final_snapshot: SnapshotSchema.optional(),
  deadline_reached: z.literal(true).optional(),
  ...outcome,
  ...readiness,
  cursor: Cursor,
};

export const RunResponse = z.strictObject({ ...envelope("run"), ...runShape });
export const StartResponse = z.strictObject({ ...envelope("start"), ...runShape });
export const RestartResponse = z.strictObject({
  ...envelope("restart"),
  ...runShape,
  attempt: Int.min(1).describe("Which run of the job this is: 1, then one more per restart (X8)"),
});

/** D35: which job is which. */
const described = {
  command: z.string().describe("argv joined for display, masked values as ***, at most 200 chars"),
  command_truncated: z.literal(true).optional(),
  cwd: z.string().optional(),
};

export const StatusResponse = z.strictObject({
  ...envelope("status"),
  job_id: z.string(),
  state: State,
  ...described,
  created_at: Timestamp,
  started_at: Timestamp.optional(),
  finished_at: Timestamp.optional(),
  key: z.string().optional(),
  queue: z.string().optional(),
  after: z.array(z.string()).optional(),
  after_ok: z.array(z.string()).optional(),
  attempt: Int.min(1).optional().describe("Present after a restart (X8)"),
  supervisor_alive: z.literal(false).optional(),
  ...outcome,
  ...dropped,
  cursor: Cursor,
});

export const TailResponse = z.strictObject({
  ...envelope("tail"),
  job_id: z.string(),
  ...SnapshotSchema.shape,
  stdout_log_path: z.string(),
  stderr_log_path: z.string(),
  stdout_omitted_bytes: UInt.optional().describe(
    "With --since: new bytes left out by the bounds or dropped by the log cap; without: bytes the log cap dropped",
  ),
  stderr_omitted_bytes: UInt.optional(),
  cursor: Cursor,
  cursor_reset: z.literal(true).optional().describe("The cursor was past the end: read from the start"),
  waiting_for_input: z.literal(true).optional(),
});

export const QueueSetResponse = z.strictObject({
  ...envelope("queue.set"),
  queue: z.string(),
  parallel: Int.min(1),
});

export const QueueListResponse = z.strictObject({
  ...envelope("queue.list"),
  root: z.string(),
  queues: z.array(z.strictObject({ name: z.string(), parallel: Int.min(1), running: UInt, queued: UInt })),
});

export const SendResponse = z.strictObject({
  ...envelope("send"),
  job_id: z.string(),
  bytes: UInt.describe("Bytes written to the job's stdin"),
  eof: z.literal(true).optional().describe("The job's stdin was closed after them"),
});

/** One job's wait answer (X2, X3): alone, or as an entry of `jobs` (X3b). */
const waitOne = {
  job_id: z.string(),
  state: State,
  deadline_reached: z.literal(true).optional(),
  supervisor_alive: z.literal(false).optional(),
  ...outcome,
  ...readiness,
  final_snapshot: SnapshotSchema.optional(),
  cursor: Cursor,
};

/**
 * One job: the fields of that job's answer. Several (X3b): `jobs`, one answer per id, and with
 * --any the `first` to end. One object, not a union, so every tool reading the schema sees `type`.
 */
export const WaitResponse = z.strictObject({
  ...envelope("wait"),
  ...waitOne,
  job_id: z.string().optional(),
  state: State.optional(),
  cursor: Cursor.optional(),
  jobs: z.array(z.strictObject(waitOne)).optional().describe("wait ID ID…: one answer per job"),
  first: z.string().optional().describe("With --any: the job that ended first"),
});

export const KillResponse = z.strictObject({
  ...envelope("kill"),
  job_id: z.string(),
  signal_sent: z.boolean(),
  signal: z.string().optional(),
  state: State,
  exit_code: Int.optional(),
});

export const JobSummarySchema = z.strictObject({
  job_id: z.string(),
  state: z.enum(["created", "queued", "running", "exited", "killed", "failed", "unknown"]),
  ...described,
  created_at: Timestamp,
  started_at: Timestamp.optional(),
  finished_at: Timestamp.optional(),
  updated_at: Timestamp.optional(),
  tags: z.array(z.string()),
  key: z.string().optional(),
  queue: z.string().optional(),
  ...outcome,
});

export const ListResponse = z.strictObject({
  ...envelope("list"),
  root: z.string(),
  jobs: z.array(JobSummarySchema),
  truncated: z.boolean(),
  skipped: UInt,
});

export const ErrorResponse = z.strictObject({
  schema_version: z.literal("0.1"),
  ok: z.literal(false),
  type: z.literal("error"),
  error: z.strictObject({
    code: z.enum([
      "usage_error",
      "invalid_input",
      "job_not_found",
      "ambiguous_job_id",
      "invalid_state",
      "invalid_tag",
      "invalid_request",
      "unauthorized",
      "forbidden",
      "internal_error",
    ]),
    message: z.string(),
    retryable: z.boolean(),
  }),
});

export const CreateResponse = z.strictObject({
  ...envelope("create"),
  job_id: z.string(),
  state: State.describe("created, or with reused the state of the job that holds the key"),
  reused: z.literal(true).optional(),
  stdout_log_path: z.string(),
  stderr_log_path: z.string(),
});

export const NotifySetResponse = z.strictObject({
  ...envelope("notify.set"),
  job_id: z.string(),
  notification: z.strictObject({
    notify_command: z.string().optional(),
    notify_file: z.string().optional(),
    on_output_match: z
      .strictObject({
        pattern: z.string(),
        match_type: z.enum(["contains", "regex"]),
        stream: z.enum(["stdout", "stderr", "either"]),
        command: z.string().optional(),
        file: z.string().optional(),
      })
      .optional(),
  }),
});

/** Two-word commands answer with a dotted type, like the events: `tag.set`, `notify.set`. */
export const TagSetResponse = z.strictObject({ ...envelope("tag.set"), job_id: z.string(), tags: z.array(z.string()) });

/** What `tag set` answered before 0.3 (`tag_set`); still in `schema` so old documents stay readable. */
export const LegacyTagSetResponse = z.strictObject({
  ...envelope("tag_set"),
  job_id: z.string(),
  tags: z.array(z.string()),
});

const removal = {
  job_id: z.string(),
  state: z.string(),
  action: z.enum(["deleted", "would_delete", "skipped"]),
  reason: z.string(),
};

export const DeleteResponse = z.strictObject({
  ...envelope("delete"),
  root: z.string(),
  dry_run: z.boolean(),
  deleted: UInt,
  would_delete: UInt,
  skipped: UInt,
  jobs: z.array(z.strictObject(removal)),
  truncated: z.boolean(),
});

export const GcResponse = z.strictObject({
  ...envelope("gc"),
  root: z.string(),
  dry_run: z.boolean(),
  older_than: z.string(),
  older_than_source: z.enum(["flag", "default"]),
  deleted: UInt,
  would_delete: UInt,
  skipped: UInt,
  freed_bytes: UInt,
  jobs: z.array(z.strictObject({ ...removal, bytes: UInt })),
  truncated: z.boolean(),
});

export const SchemaResponse = z.strictObject({
  ...envelope("schema"),
  schema_format: z.literal("json-schema-draft-07"),
  schema: z.record(z.string(), z.unknown()),
  generated_at: z.string(),
});

export const HealthResponse = z.strictObject({ ...envelope("health") });

/** The one line `serve` prints once it accepts connections (D38), e.g. to learn the port of `--port 0`. */
export const ServeResponse = z.strictObject({
  ...envelope("serve"),
  url: z.string(),
  host: z.string(),
  port: Int.min(1).max(65_535),
  root: z.string(),
});

export const DeliveryResult = z.strictObject({
  sink_type: z.enum(["command", "file"]),
  target: z.string(),
  success: z.boolean(),
  error: z.string().optional(),
  attempted_at: Timestamp,
});

/** `job.finished` (§6.2, D26), as sent to sinks; completion_event.json adds delivery_results. */
export const JobFinishedEvent = z.strictObject({
  schema_version: z.literal("0.1"),
  event_type: z.literal("job.finished"),
  job_id: z.string(),
  state: z.enum(["exited", "killed", "failed"]),
  command: z.array(z.string()),
  cwd: z.string().optional(),
  started_at: Timestamp.optional(),
  finished_at: Timestamp.optional(),
  duration_ms: UInt.optional(),
  exit_code: Int.optional(),
  signal: z.string().optional(),
  timed_out: z.literal(true).optional(),
  reason: z.string().optional(),
  killed_by: z.literal("agent-exec").optional(),
  resources: Resources.optional(),
  ...dropped,
  stdout_log_path: z.string(),
  stderr_log_path: z.string(),
  delivery_results: z.array(DeliveryResult).optional(),
});

/** `job.output.matched` (§6.5); notification_events.ndjson records add delivery_results. */
export const OutputMatchedEvent = z.strictObject({
  schema_version: z.literal("0.1"),
  event_type: z.literal("job.output.matched"),
  job_id: z.string(),
  pattern: z.string(),
  match_type: z.enum(["contains", "regex"]),
  stream: z.enum(["stdout", "stderr"]),
  line: z.string(),
  stdout_log_path: z.string(),
  stderr_log_path: z.string(),
  delivery_results: z.array(DeliveryResult).optional(),
});

/** Every response type by its `type` value. */
export const RESPONSES = {
  run: RunResponse,
  start: StartResponse,
  restart: RestartResponse,
  send: SendResponse,
  "queue.set": QueueSetResponse,
  "queue.list": QueueListResponse,
  status: StatusResponse,
  tail: TailResponse,
  wait: WaitResponse,
  kill: KillResponse,
  list: ListResponse,
  create: CreateResponse,
  "tag.set": TagSetResponse,
  "notify.set": NotifySetResponse,
  delete: DeleteResponse,
  gc: GcResponse,
  schema: SchemaResponse,
  health: HealthResponse,
  serve: ServeResponse,
  error: ErrorResponse,
} as const;

/** Response types that were renamed, by their old `type` value: described, never produced. */
export const LEGACY_RESPONSES = { tag_set: LegacyTagSetResponse } as const;

/** Both event types by their `event_type` value. */
export const EVENTS = { "job.finished": JobFinishedEvent, "job.output.matched": OutputMatchedEvent } as const;
