// Fields shared by responses that describe a job's state (run, status, wait, kill, list entries).
import type { StateRecord } from "../store/records.ts";
import { put } from "./context.ts";

/** Adds the D26 fields: `timed_out` only when true, `reason` only for `failed`. */
export function addD26(out: Record<string, unknown>, state: StateRecord): Record<string, unknown> {
  if (state.result.timed_out === true) out.timed_out = true;
  if (state.job.status === "failed") put(out, "reason", state.reason ?? "unknown");
  return out;
}
