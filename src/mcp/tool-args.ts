// The argument fields of the MCP tools (the CLI flags in snake_case, as over HTTP) and the wait
// bounds they carry, capped by the host deadline (X12).
import { z } from "zod";
import {
  DEFINITION_FIELDS,
  OBSERVE_FIELDS,
  type ObserveFields,
  Str,
  toObserve,
  toReadiness,
  UInt,
  UNTIL_FIELDS,
  ViewField,
} from "../api/fields.ts";
import type { ObserveInput } from "../commands/run.ts";
import { usageError } from "../core/errors.ts";
import { normalizeSignal } from "../process/signal-names.ts";

/** MCP hands output to a model: `clean` unless asked otherwise (X14). */
export const MCP_DEFAULT_VIEW = "clean" as const;
export const MCP_VIEW = ViewField.describe("raw, clean (the default here), errors, tests or summary");

/** The job a tool acts on. */
export const jobId = Str.describe("Job id or a unique prefix of it");
/** The signal of kill and restart. */
export const signal = Str.optional().describe("TERM, INT, KILL, HUP, ... or a number (default TERM)");

/** A signal name as the handlers take it; an unknown one is a usage error. */
export function signalOf(given: string | undefined): string {
  const s = normalizeSignal(given ?? "TERM");
  if (!s) throw usageError(`unknown signal ${JSON.stringify(given)}`);
  return s;
}

/** The bound of a wait (`timeout_ms`/`wait_timeout_ms`, `until_ms` its old alias): at most `cap`. */
export function boundOf(
  given: number | undefined,
  alias: number | undefined,
  name: string,
  cap: number,
): number | undefined {
  if (given !== undefined && alias !== undefined && given !== alias) {
    throw usageError(`${name} and until_ms (its alias) disagree: give one of them`);
  }
  const ms = given ?? alias;
  return ms === undefined ? undefined : Math.min(ms || cap, cap);
}

/** How run, start and restart observe their job, with the wait bound of MCP. */
export type ObserveArgs = ObserveFields & { wait_timeout_ms?: number; until_ms?: number };

/** The shapes of the tools' arguments, their bounds described with `cap`. */
export function toolShapes(cap: number) {
  const observeShape = {
    ...OBSERVE_FIELDS,
    view: MCP_VIEW,
    wait: OBSERVE_FIELDS.wait.describe("Wait for the job to end (bounded)"),
    until_match: OBSERVE_FIELDS.until_match.describe("Answer once a line of output matches this JavaScript RegExp"),
    until_port: OBSERVE_FIELDS.until_port.describe("Answer once a TCP connect to until_host (127.0.0.1):PORT succeeds"),
    until_file: OBSERVE_FIELDS.until_file.describe("Answer once this path exists (relative: the job's cwd)"),
    wait_timeout_ms: UInt.optional().describe(
      `Longest wait in ms for wait:true or until_* (capped at ${cap}); the job keeps running after it`,
    ),
    until_ms: UInt.optional().describe("Old name of wait_timeout_ms"),
  };
  const definitionShape = {
    ...DEFINITION_FIELDS,
    command: DEFINITION_FIELDS.command.describe('argv, e.g. ["make","test"]; one element runs through `sh -lc`'),
    key: DEFINITION_FIELDS.key.describe("Idempotency key: while a job with it is live, answer that job (reused)"),
    agent_env: DEFINITION_FIELDS.agent_env.describe("false: no PAGER=cat, NO_COLOR=1, TERM=dumb, ... defaults"),
    timeout_ms: DEFINITION_FIELDS.timeout_ms.describe("TERM the job's process group after this many ms"),
  };
  const waitShape = {
    view: MCP_VIEW,
    job_id: jobId.optional(),
    job_ids: z.array(Str).min(1).optional().describe("Several jobs: wait for all (or the first, with any)"),
    any: z.boolean().optional(),
    timeout_ms: UInt.optional().describe(`Longest wait in ms (capped at ${cap})`),
    until_ms: UInt.optional().describe("Old name of timeout_ms"),
    poll_ms: UInt.optional(),
    tail_lines: UInt.optional(),
    max_bytes: UInt.optional(),
    no_output: z.boolean().optional(),
    since: Str.optional().describe("until_match scans from this cursor"),
    ...UNTIL_FIELDS,
  };
  return { observeShape, definitionShape, waitShape };
}

/**
 * The observe input of run, start and restart: a bound alone (no until_*) asks for a wait, as
 * until_ms always did; with wait:false it contradicts itself. A relative until_file means `base`.
 */
export function observeArgs(a: ObserveArgs, base: string, cap: number): ObserveInput {
  const until = toReadiness(a, base);
  const given = boundOf(a.wait_timeout_ms, a.until_ms, "wait_timeout_ms", cap);
  if (given !== undefined && a.wait === false && !until) {
    throw usageError("until_ms (wait_timeout_ms) bounds a wait: drop it, or drop wait:false");
  }
  const wait = a.wait ?? (given !== undefined && !until);
  return { ...toObserve(a, until, wait, given ?? cap), view: a.view ?? MCP_DEFAULT_VIEW };
}
