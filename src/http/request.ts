// zod schemas of HTTP request bodies and queries; failures name the field (400 invalid_request).
import { z } from "zod";
import { AgentExecError, type ErrorCode } from "../core/errors.ts";
import { ENV_KEY } from "../supervisor/command.ts";

const UInt = z.number().int().min(0);

/** A string without NUL bytes (D43): C strings (argv, env, paths) would silently cut it there. */
export const Str = z.string().refine((s) => !s.includes("\0"), "must not contain a NUL byte");
/** An environment variable name (D43). */
export const EnvKey = z.string().regex(ENV_KEY, "is not a variable name: use [A-Za-z_][A-Za-z0-9_]*");
/** Environment variables by name. */
export const EnvMap = z.record(EnvKey, Str);
const Signal = Str.min(1);

/** POST /exec: the run options (D17). Unknown fields are refused, naming the field (D36). */
export const ExecBody = z.strictObject({
  command: z.array(Str).min(1, "command must hold at least one word"),
  cwd: Str.optional(),
  env: EnvMap.optional(),
  env_files: z.array(Str).optional(),
  inherit_env: z.boolean().optional(),
  mask: z.array(Str).optional(),
  tags: z.array(Str).optional(),
  timeout_ms: UInt.optional(),
  kill_after_ms: UInt.optional(),
  progress_every_ms: UInt.optional(),
  max_log_bytes: z.union([UInt, z.string()]).optional(),
  snapshot_after_ms: UInt.optional(),
  tail_lines: UInt.optional(),
  max_bytes: UInt.optional(),
  wait: z.boolean().optional(),
  wait_timeout_ms: UInt.optional(),
  notify_command: Str.optional(),
  notify_file: Str.optional(),
  output_pattern: Str.optional(),
  output_match_type: z.enum(["contains", "regex"]).optional(),
  output_stream: z.enum(["stdout", "stderr", "either"]).optional(),
  output_command: Str.optional(),
  output_file: Str.optional(),
});
export type ExecBody = z.infer<typeof ExecBody>;

/** POST /kill/{id}: an optional signal. */
export const KillBody = z.strictObject({ signal: Signal.optional() });

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
