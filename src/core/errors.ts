// The one error type of agent-exec and the table that maps each code to an exit code and HTTP status.

/** Every error code a response can carry. */
export type ErrorCode =
  | "usage_error"
  | "invalid_input"
  | "job_not_found"
  | "ambiguous_job_id"
  | "invalid_state"
  | "invalid_tag"
  | "invalid_request"
  | "unauthorized"
  | "forbidden"
  | "internal_error";

/** code -> how the CLI exits and what HTTP status the server answers with. */
export const ERROR_TABLE: Record<ErrorCode, { exit: number; http: number }> = {
  usage_error: { exit: 2, http: 400 },
  invalid_input: { exit: 1, http: 400 },
  job_not_found: { exit: 1, http: 404 },
  ambiguous_job_id: { exit: 1, http: 409 },
  invalid_state: { exit: 1, http: 400 },
  invalid_tag: { exit: 2, http: 400 },
  invalid_request: { exit: 1, http: 400 },
  unauthorized: { exit: 1, http: 401 },
  forbidden: { exit: 1, http: 403 },
  internal_error: { exit: 1, http: 500 },
};

/** I/O error codes worth retrying unchanged (transient contention). */
const TRANSIENT_ERRNO = new Set(["EAGAIN", "EBUSY", "EWOULDBLOCK", "EINTR", "EMFILE", "ENFILE"]);

/** A failure with enough detail for an agent to act on. */
export class AgentExecError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "AgentExecError";
    this.code = code;
    this.retryable = opts.retryable ?? false;
    if (opts.details) this.details = opts.details;
  }
}

/** Shorthand for a usage error (exit 2). */
export function usageError(message: string): AgentExecError {
  return new AgentExecError("usage_error", message);
}

/** The errno code of a Node-style system error, if it is one. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Wraps an unexpected failure as internal_error, saying what we were doing.
 * Transient errno values (EAGAIN, EBUSY, ...) are marked retryable.
 */
export function toAgentExecError(err: unknown, doing?: string): AgentExecError {
  if (err instanceof AgentExecError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const errno = errnoOf(err);
  return new AgentExecError("internal_error", doing ? `${doing}: ${msg}` : msg, {
    retryable: errno !== undefined && TRANSIENT_ERRNO.has(errno),
    cause: err,
  });
}
