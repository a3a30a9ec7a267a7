// The command and file sinks (§6.4): each delivery is recorded; a failing sink never throws.
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { isoNow } from "../core/time.ts";
import { signalGroup } from "../process/signal.ts";
import { INTERNAL_ENV_PREFIX } from "../supervisor/command.ts";

/** One sink attempt, as recorded in completion_event.json and notification_events.ndjson. */
export interface DeliveryResult {
  sink_type: "command" | "file";
  target: string;
  success: boolean;
  error?: string;
  attempted_at: string;
}

/** A command sink is killed after this long (D14); AGENT_EXEC_SINK_TIMEOUT_MS lowers it for tests. */
export function sinkTimeoutMs(env: Record<string, string | undefined>): number {
  const v = Number(env.AGENT_EXEC_SINK_TIMEOUT_MS);
  return Number.isInteger(v) && v > 0 ? v : 60_000;
}

/**
 * Runs `wrapper + [command]` with the event JSON on stdin and AGENT_EXEC_EVENT_PATH /
 * AGENT_EXEC_JOB_ID / AGENT_EXEC_EVENT_TYPE in its environment. Its output is discarded. It runs
 * in its own process group so a timeout kills everything it started.
 */
export async function commandSink(
  command: string,
  wrapper: readonly string[],
  eventJson: string,
  vars: { eventPath: string; jobId: string; eventType: string },
  env: Record<string, string | undefined>,
): Promise<DeliveryResult> {
  const attempted_at = isoNow();
  const result = (success: boolean, error?: string): DeliveryResult => ({
    sink_type: "command",
    target: command,
    success,
    ...(error === undefined ? {} : { error }),
    attempted_at,
  });
  if (command.trim() === "") return result(false, "empty shell command");
  if (wrapper.length === 0) return result(false, "shell wrapper must not be empty");
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith(INTERNAL_ENV_PREFIX)) childEnv[k] = v;
  childEnv.AGENT_EXEC_EVENT_PATH = vars.eventPath;
  childEnv.AGENT_EXEC_JOB_ID = vars.jobId;
  childEnv.AGENT_EXEC_EVENT_TYPE = vars.eventType;
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn({
      cmd: [...wrapper, command],
      env: childEnv,
      stdin: new TextEncoder().encode(eventJson),
      stdout: "ignore",
      stderr: "ignore",
      detached: true,
    });
  } catch (err) {
    return result(false, `spawn error: ${(err as Error).message}`);
  }
  const limit = sinkTimeoutMs(env);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalGroup(proc.pid, "KILL");
  }, limit);
  const code = await proc.exited;
  clearTimeout(timer);
  if (timedOut) return result(false, `timed out after ${limit} ms (killed)`);
  if (code === 0) return result(true);
  return result(false, proc.signalCode ? `killed by signal ${proc.signalCode}` : `exited with status ${code}`);
}

/** Appends the event as one compact JSON line, creating the parent directory. */
export function fileSink(path: string, eventJson: string): DeliveryResult {
  const attempted_at = isoNow();
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (err) {
    return {
      sink_type: "file",
      target: path,
      success: false,
      error: `create parent dir: ${(err as Error).message}`,
      attempted_at,
    };
  }
  try {
    appendFileSync(path, `${eventJson}\n`);
  } catch (err) {
    return {
      sink_type: "file",
      target: path,
      success: false,
      error: `write error: ${(err as Error).message}`,
      attempted_at,
    };
  }
  return { sink_type: "file", target: path, success: true, attempted_at };
}
