// `--forward-exit` (X4): the exit status a CI step sees for the job a wait ended on.
import { signalNumber } from "../process/signal-names.ts";
import type { StateRecord } from "../store/records.ts";

/** The wait ended before the job did (its deadline came first). */
export const WAIT_ENDED_EXIT = 125;
/** The job's timeout fired, as timeout(1) reports it. */
export const TIMED_OUT_EXIT = 124;

/**
 * The job's own exit code; 128+N when signal N ended it; 124 when its timeout fired; 1 when it
 * `failed` without running to an end of its own (spawn_failed, supervisor_lost); 125 when it is
 * not terminal yet.
 */
export function forwardedExit(state: StateRecord, terminal: boolean): number {
  if (!terminal) return WAIT_ENDED_EXIT;
  const r = state.result;
  if (r.timed_out) return TIMED_OUT_EXIT;
  if (r.exit_code !== null) return r.exit_code;
  if (r.signal !== null) return 128 + (signalNumber(r.signal) ?? 0);
  return 1;
}
