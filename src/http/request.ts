// zod schemas of HTTP request bodies and queries; failures name the field (400 invalid_request).
import { z } from "zod";
import { DEFINITION_FIELDS, OBSERVE_FIELDS, Str, UInt, UNTIL_FIELDS, ViewField } from "../api/fields.ts";
import { LIST_STATES } from "../commands/list.ts";
import { AgentExecError, type ErrorCode } from "../core/errors.ts";

export { EnvKey, EnvMap, Str } from "../api/fields.ts";

const Signal = Str.min(1);

/**
 * POST /exec: the run options (D17, X2, X6, X7). Unknown fields are refused, naming the field
 * (D36). Not `--log`: opening a path the caller names for writing could block the server (a
 * FIFO) or write where the caller could not (D42).
 */
export const ExecBody = z.strictObject({
  ...DEFINITION_FIELDS,
  ...OBSERVE_FIELDS,
  wait_timeout_ms: UInt.optional(),
});
export type ExecBody = z.infer<typeof ExecBody>;

/** POST /kill/{id}: an optional signal. */
export const KillBody = z.strictObject({ signal: Signal.optional() });

/** POST /restart/{id}: how to stop the current run, then how to observe the new one (X8). */
export const RestartBody = z.strictObject({
  signal: Signal.optional(),
  kill_after_ms: UInt.optional(),
  ...OBSERVE_FIELDS,
  wait_timeout_ms: UInt.optional(),
});
export type RestartBody = z.infer<typeof RestartBody>;

/** POST /create: a job definition, not started (as `create`). */
export const CreateBody = z.strictObject(DEFINITION_FIELDS);

/** POST /start/{id}: how to observe the job once started (as `start`). */
export const StartBody = z.strictObject({ ...OBSERVE_FIELDS, wait_timeout_ms: UInt.optional() });
export type StartBody = z.infer<typeof StartBody>;

/** POST /tag/{id}: the job's new tags (as `tag set`; an empty list clears them). */
export const TagBody = z.strictObject({ tags: z.array(Str) });

/** GET /tail/{id}: the bounds, and a cursor (X1). */
export const TailQuery = z.strictObject({
  view: ViewField,
  tail_lines: UInt.optional(),
  max_bytes: UInt.optional(),
  since: Str.optional(),
});

const WAIT_FIELDS = {
  view: ViewField,
  timeout_ms: UInt.optional(),
  poll_ms: UInt.optional(),
  any: z.boolean().optional(),
  tail_lines: UInt.optional(),
  max_bytes: UInt.optional(),
  no_output: z.boolean().optional(),
  since: Str.optional(),
  ...UNTIL_FIELDS,
};
/** GET /wait/{id}: the wait's bound, its answer's bounds, readiness conditions (X2, X3). */
export const WaitQuery = z.strictObject(WAIT_FIELDS);
export type WaitQuery = z.infer<typeof WaitQuery>;
/** GET /wait?ids=A,B: several jobs (X3b). */
export const WaitManyQuery = z.strictObject({
  ids: z.array(Str.min(1)).min(1, "name at least one job id"),
  ...WAIT_FIELDS,
});

/** GET /list: the list filters (D40 tags, X7 key). */
export const ListQuery = z.strictObject({
  state: z.enum(LIST_STATES).optional(),
  tag: z.array(Str).optional(),
  all: z.boolean().optional(),
  cwd: Str.optional(),
  limit: UInt.optional(),
  key: Str.optional(),
  queue: Str.optional(),
});

/** POST /send/{id}: text (or base64 data), a newline after the text, and whether to close stdin (X5). */
export const SendBody = z.strictObject({
  text: z.string().optional(),
  data: z.base64().optional(),
  newline: z.boolean().optional(),
  eof: z.boolean().optional(),
});
export type SendBody = z.infer<typeof SendBody>;

/** POST /queues/{name}: the queue's limit (X10). */
export const QueueBody = z.strictObject({ parallel: z.number().int().min(1) });

/** POST /delete/{id}. */
export const DeleteQuery = z.strictObject({ dry_run: z.boolean().optional() });

/** One zod issue as `field: message`, naming the field even for unknown keys and bad record keys. */
export function describeIssue(issue: z.core.$ZodIssue | undefined, what = "body"): string {
  if (!issue) return `${what}: invalid`;
  const at = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const names = issue.keys.map((k) => (at ? `${at}.${k}` : k));
    return `unknown field${names.length > 1 ? "s" : ""} ${names.map((n) => JSON.stringify(n)).join(", ")}`;
  }
  if (issue.code === "invalid_key") {
    const key = String(issue.path[issue.path.length - 1] ?? "");
    return `${at}: the name ${JSON.stringify(key)} ${issue.issues[0]?.message ?? "is invalid"}`;
  }
  return `${at || what}: ${issue.message}`;
}

/** Parses `input` with `schema`, or throws `code` (invalid_request, usage_error) naming the first bad field. */
export function parseStrict<T>(schema: z.ZodType<T>, input: unknown, code: ErrorCode, prefix: string): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new AgentExecError(code, `${prefix}${describeIssue(r.error.issues[0])}`, {
    details: { issues: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
  });
}

/** Parses `body` with `schema`, or throws invalid_request naming the first bad field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  return parseStrict(schema, body, "invalid_request", "invalid request: ");
}

/** Refuses query parameters a route does not know (D36), naming the first. */
export function checkQuery(url: URL, allowed: readonly string[]): void {
  for (const [name, value] of url.searchParams) {
    if (value.includes("\0") || name.includes("\0")) {
      throw new AgentExecError("invalid_request", `invalid request: query ${JSON.stringify(name)} contains a NUL byte`);
    }
    if (!allowed.includes(name)) {
      const known = allowed.length > 0 ? `; known: ${allowed.join(", ")}` : "";
      throw new AgentExecError(
        "invalid_request",
        `invalid request: unknown query parameter ${JSON.stringify(name)}${known}`,
      );
    }
  }
}

/** A boolean query parameter: true/1 or false/0; anything else is invalid_request. */
export function boolQuery(url: URL, name: string): boolean {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "false" || raw === "0") return false;
  if (raw === "true" || raw === "1") return true;
  throw new AgentExecError(
    "invalid_request",
    `invalid request: query ${name}=${JSON.stringify(raw)} is not true or false`,
  );
}

/** A query parameter as an unsigned integer, or the fallback; malformed values are invalid_request. */
export function uintQuery(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new AgentExecError(
      "invalid_request",
      `invalid request: query ${name}=${JSON.stringify(raw)} is not a non-negative integer`,
    );
  }
  return Number(raw);
}

/** How a query parameter is typed: an unsigned integer, a boolean, a string, or a list (repeated or comma-separated). */
export type QueryKind = "uint" | "bool" | "str" | "list";

/**
 * The query of a route as typed values, then checked by `schema` (ranges, patterns): an unknown
 * parameter, a malformed number or boolean, or a value the schema refuses is invalid_request
 * naming the parameter (D36). A string parameter given twice is refused rather than guessed at.
 */
export function parseQuery<T>(url: URL, kinds: Record<string, QueryKind>, schema: z.ZodType<T>): T {
  checkQuery(url, Object.keys(kinds));
  const out: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(kinds)) {
    const all = url.searchParams.getAll(name);
    if (all.length === 0) continue;
    if (kind === "list") {
      out[name] = all.flatMap((v) => v.split(",")).filter((v) => v !== "");
      continue;
    }
    if (all.length > 1) {
      throw new AgentExecError(
        "invalid_request",
        `invalid request: query ${JSON.stringify(name)} is given more than once`,
      );
    }
    if (kind === "uint") out[name] = uintQuery(url, name, 0);
    else if (kind === "bool") out[name] = boolQuery(url, name);
    else out[name] = all[0];
  }
  return parseStrict(schema, out, "invalid_request", "invalid request: query ");
}
