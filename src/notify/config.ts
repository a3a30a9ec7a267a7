// Pure rules of notification settings: building them from flags, merging `notify set`, matching lines.
import { AgentExecError } from "../core/errors.ts";
import type { NotificationConfig, OutputMatchConfig } from "../store/records.ts";

/** The notification flags of run/create/notify set, as given (undefined = not given). */
export interface NotifyFlags {
  notifyCommand?: string;
  notifyFile?: string;
  outputPattern?: string;
  outputMatchType?: "contains" | "regex";
  outputStream?: "stdout" | "stderr" | "either";
  outputCommand?: string;
  outputFile?: string;
}

/** A regex pattern must compile as a JavaScript RegExp without flags (D14); checked when set. */
export function checkPattern(match: OutputMatchConfig | undefined): void {
  if (match?.match_type !== "regex") return;
  try {
    new RegExp(match.pattern);
  } catch (err) {
    throw new AgentExecError(
      "invalid_input",
      `invalid --output-pattern regex ${JSON.stringify(match.pattern)}: ${(err as Error).message}`,
    );
  }
}

/**
 * §3.10 merge: notify_command replaced when given; notify_file replaced when given (run/create
 * only); on_output_match overlaid field by field when any output flag is given, and dropped when
 * the resulting pattern is empty. Returns undefined when nothing remains configured.
 */
export function mergeNotification(
  prev: NotificationConfig | undefined,
  f: NotifyFlags,
): NotificationConfig | undefined {
  const out: NotificationConfig = {};
  const command = f.notifyCommand ?? prev?.notify_command;
  const file = f.notifyFile ?? prev?.notify_file;
  if (command !== undefined) out.notify_command = command;
  if (file !== undefined) out.notify_file = file;
  const touched = [f.outputPattern, f.outputMatchType, f.outputStream, f.outputCommand, f.outputFile].some(
    (v) => v !== undefined,
  );
  let match = prev?.on_output_match;
  if (touched) {
    const base: OutputMatchConfig = match ?? { pattern: "", match_type: "contains", stream: "either" };
    const next: OutputMatchConfig = {
      pattern: f.outputPattern ?? base.pattern,
      match_type: f.outputMatchType ?? base.match_type ?? "contains",
      stream: f.outputStream ?? base.stream ?? "either",
    };
    const cmd = f.outputCommand ?? base.command;
    const file2 = f.outputFile ?? base.file;
    if (cmd !== undefined) next.command = cmd;
    if (file2 !== undefined) next.file = file2;
    match = next.pattern === "" ? undefined : next;
  }
  if (match) out.on_output_match = match;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A compiled matcher for one output-match config. */
export type LineMatcher = (line: string, stream: "stdout" | "stderr") => boolean;

/** Compiles the config once (not per line, D14); an invalid stored regex never matches. */
export function compileMatcher(match: OutputMatchConfig): LineMatcher {
  const stream = match.stream ?? "either";
  const wants = (s: "stdout" | "stderr") => stream === "either" || stream === s;
  if (match.match_type === "regex") {
    let re: RegExp | undefined;
    try {
      re = new RegExp(match.pattern);
    } catch {
      re = undefined;
    }
    return (line, s) => re !== undefined && wants(s) && re.test(line);
  }
  const pattern = match.pattern;
  return (line, s) => wants(s) && line.includes(pattern);
}
