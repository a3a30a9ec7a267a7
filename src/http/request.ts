// zod schemas of HTTP request bodies and queries; failures name the field (400 invalid_request).
import { z } from "zod";
import { AgentExecError } from "../core/errors.ts";

const UInt = z.number().int().min(0);
const Signal = z.string().min(1);

/** POST /exec: the run options (D17). Unknown fields are ignored. */
export const ExecBody = z.object({
  command: z.array(z.string()).min(1, "command must hold at least one word"),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  env_files: z.array(z.string()).optional(),
  inherit_env: z.boolean().optional(),
  mask: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
  timeout_ms: UInt.optional(),
  kill_after_ms: UInt.optional(),
  progress_every_ms: UInt.optional(),
  max_log_bytes: z.union([UInt, z.string()]).optional(),
  snapshot_after_ms: UInt.optional(),
  tail_lines: UInt.optional(),
  max_bytes: UInt.optional(),
  wait: z.boolean().optional(),
  wait_timeout_ms: UInt.optional(),
  notify_command: z.string().optional(),
  notify_file: z.string().optional(),
  output_pattern: z.string().optional(),
  output_match_type: z.enum(["contains", "regex"]).optional(),
  output_stream: z.enum(["stdout", "stderr", "either"]).optional(),
  output_command: z.string().optional(),
  output_file: z.string().optional(),
});
export type ExecBody = z.infer<typeof ExecBody>;

/** POST /kill/{id}: an optional signal. */
export const KillBody = z.object({ signal: Signal.optional() });

/** Parses `body` with `schema`, or throws invalid_request naming the first bad field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue?.path.length ? issue.path.join(".") : "body";
  throw new AgentExecError("invalid_request", `invalid request: ${field}: ${issue?.message ?? "invalid"}`, {
    details: { issues: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
  });
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
