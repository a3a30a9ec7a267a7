// Assertions on whole envelopes: exactly one JSON document on stdout, the error shape, exit codes.
import { expect } from "bun:test";
import type { CliResult, Json } from "./sandbox.ts";

/** stdout is exactly one compact JSON line ending in "\n" (§1.1). */
export function expectOneJsonLine(r: CliResult): void {
  expect({ args: r.args, oneLine: r.stdout.endsWith("\n") && r.stdout.indexOf("\n") === r.stdout.length - 1 }).toEqual({
    args: r.args,
    oneLine: true,
  });
  expect(r.json).toBeDefined();
}

/** An error envelope with `code`, exit status `exit`, and nothing else on stdout (§1.2, §1.3). */
export function expectError(r: CliResult, code: string, exit: number): void {
  expect({ args: r.args, exitCode: r.exitCode, json: r.json, stderr: r.stderr.slice(0, 500) }).toEqual({
    args: r.args,
    exitCode: exit,
    json: {
      schema_version: "0.1",
      ok: false,
      type: "error",
      error: { code, message: expect.any(String), retryable: false },
    },
    stderr: expect.any(String),
  });
  expectOneJsonLine(r);
  expect(Object.keys(r.json)).toEqual(["schema_version", "ok", "type", "error"]);
  expect((r.json.error.message as string).length).toBeGreaterThan(0);
}

/** A usage error (D3): the JSON envelope on stdout, a human message on stderr, exit 2. */
export function expectUsageError(r: CliResult): void {
  expectError(r, "usage_error", 2);
  expect(r.stderr.trim()).not.toBe("");
  expect(r.stderr.trimStart().startsWith("{")).toBe(false);
}

/** A success envelope of `type`, exit 0, envelope keys first (§1.1, §1.2). */
export function expectSuccess(r: CliResult, type: string): Json {
  expect({ args: r.args, exitCode: r.exitCode, stderr: r.stderr.slice(0, 500), head: r.json && head(r.json) }).toEqual({
    args: r.args,
    exitCode: 0,
    stderr: expect.any(String),
    head: { schema_version: "0.1", ok: true, type },
  });
  expectOneJsonLine(r);
  expect(Object.keys(r.json).slice(0, 3)).toEqual(["schema_version", "ok", "type"]);
  return r.json;
}

function head(j: Json): Json {
  return { schema_version: j.schema_version, ok: j.ok, type: j.type };
}

/**
 * The keys of `obj` that appear in `order`, in the order they appear in `obj`, must follow `order`
 * (the contract's field order, §1.1); extra keys (D26 additions) are ignored.
 */
export function expectKeyOrder(obj: Json, order: string[]): void {
  const seen = Object.keys(obj).filter((k) => order.includes(k));
  expect(seen).toEqual(order.filter((k) => k in obj));
}

/** The snapshot object of §3.1.3 / §5 with exact values. */
export function snapshotOf(
  stdoutTail: string | Json,
  stderrTail: string | Json,
  extra: Partial<Record<"truncated" | "stdout_observed_bytes" | "stderr_observed_bytes", unknown>> = {},
): Json {
  return {
    stdout_tail: stdoutTail,
    stderr_tail: stderrTail,
    truncated: false,
    encoding: "utf-8-lossy",
    stdout_observed_bytes: expect.any(Number),
    stderr_observed_bytes: expect.any(Number),
    stdout_included_bytes: typeof stdoutTail === "string" ? Buffer.byteLength(stdoutTail) : expect.any(Number),
    stderr_included_bytes: typeof stderrTail === "string" ? Buffer.byteLength(stderrTail) : expect.any(Number),
    ...extra,
  };
}

/** The field order of a run/start response (§3.1.3). */
export const RUN_ORDER = [
  "job_id",
  "state",
  "tags",
  "env_vars",
  "snapshot",
  "stdout_log_path",
  "stderr_log_path",
  "waited_ms",
  "elapsed_ms",
  "exit_code",
  "finished_at",
  "final_snapshot",
];

/** A cursor (X1): every response that shows or waits on output carries one. */
export const CURSOR = expect.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);

/** The evidence of X3 that every terminal answer carries. */
export const EVIDENCE = { duration_ms: expect.any(Number), resources: expect.any(Object) };

/** The names the agent environment added (X6): AGENT_EXEC_JOB_ID is always among them. */
export const AGENT_ENV = expect.arrayContaining(["AGENT_EXEC_JOB_ID"]);
