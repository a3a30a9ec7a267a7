// `guide`: a compact usage guide written for a model, built from the command table (src/cli/spec.ts)
// that `--help` and the parser use, so a flag it names is one the CLI has.
import { COMMANDS, type CommandSpec, type FlagSpec } from "../cli/spec.ts";

/** The spec of `command`; a name the table lacks is a bug in this file, caught by its test. */
function spec(command: string): CommandSpec {
  const found = COMMANDS.find((c) => c.name === command);
  if (!found) throw new Error(`guide: no command '${command}' in the table`);
  return found;
}

/** The spec of a flag that `command` really has. */
function flagSpec(command: string, name: string): FlagSpec {
  const f = spec(command).flags.find((x) => x.name === name);
  if (!f) throw new Error(`guide: '${command}' has no flag --${name}`);
  return f;
}

/** `--name` of a flag that `command` really has, for use in an example. */
function flag(command: string, name: string): string {
  return `--${flagSpec(command, name).name}`;
}

/** One line per flag: name, placeholder, the table's description and default. */
function flagLines(command: string, names: string[]): string[] {
  return names.map((n) => {
    const f = flagSpec(command, n);
    const def = f.default === undefined ? "" : ` [default ${f.default}]`;
    return `  --${f.name}${f.value ? ` ${f.value.toUpperCase()}` : ""}: ${f.desc}${def}`;
  });
}

/** Commands the loop does not need; listed by name only. */
const SERVER_COMMANDS = new Set(["serve", "mcp", "schema", "completions", "guide"]);

/** Every command with its arguments and every flag name, one line each (no descriptions: --help has them). */
function index(): string[] {
  return COMMANDS.filter((c) => !SERVER_COMMANDS.has(c.name)).map((c) => {
    const names = c.flags.map((f) => `--${f.name}`).join(" ");
    return `  ${`${c.name} ${c.args}`.trim()}: ${c.desc}.${names ? ` Flags: ${names}` : ""}`;
  });
}

/** The guide's text (ends with a newline). */
export function guideText(): string {
  const r = (n: string) => flag("run", n);
  const w = (n: string) => flag("wait", n);
  return [
    "agent-exec: run shell commands as background jobs. Usage guide for an AI agent.",
    "",
    "RULES",
    "- Every call prints ONE JSON object on stdout: ok:true plus fields, or ok:false with",
    "  error:{code,message,retryable}. Exit 0 on success, 1 on an error, 2 on a usage error.",
    "  Retry only when retryable is true. Diagnostics go to stderr; ignore them.",
    "- Jobs outlive the call. Ids are ULIDs; any unique prefix works.",
    "- Durations: bare milliseconds (1500) or 500ms, 30s, 10m, 2h, 1d.",
    "- Put `--` before the job's command: agent-exec run [flags] -- CMD ARGS...",
    "",
    "THE LOOP",
    `1. Start: agent-exec run ${r("snapshot-after")} 0 -- CMD   -> job_id, state, cursor.`,
    `   Short command? agent-exec run ${r("wait")} ${r("wait-timeout-ms")} 10m ${r("tail-lines")} 30 -- CMD`,
    "   -> exit_code and final_snapshot in one call.",
    `   Retried by a harness? ${r("key")} NAME answers the live job with that key instead of starting another.`,
    `2. Wait with a bound: agent-exec wait ${w("timeout-ms")} 50s ID`,
    "   -> the end (state, exit_code, final_snapshot, cursor), or deadline_reached:true with a",
    "   non-terminal state: loop on it. Never wait without a bound.",
    `3. Read only new output: agent-exec tail ${flag("tail", "since")} CURSOR ID   (CURSOR from the last answer)`,
    "   -> stdout_tail, stderr_tail, new cursor. Pass each answer's cursor to the next call: no byte",
    "   is shown twice. truncated:true or stdout_omitted_bytes>0: more was written than shown.",
    `   Bound what you read: ${flag("tail", "tail-lines")} 20 ${flag("tail", "max-bytes")} 4000.`,
    `4. Servers, readiness: agent-exec run ${r("until-match")} 'listening on' ${r("wait-timeout-ms")} 60s -- CMD`,
    `   (or ${r("until-port")} 3000, ${r("until-file")} PATH; the same flags on wait).`,
    "   -> ready:true with ready_by, or ready:false with the job's end and tails.",
    `5. Prompts: start with agent-exec run ${r("interactive")} ${r("snapshot-after")} 0 -- CMD;`,
    "   waiting_for_input:true (status, tail, wait) means it is blocked reading stdin. Answer with",
    `   agent-exec send ID 'yes' ${flag("send", "newline")}; close stdin with agent-exec send ID ${flag("send", "eof")}.`,
    `6. Restart: agent-exec restart ID (stops it, clears logs, runs it again; attempt goes up; old cursors reset).`,
    `7. Stop: agent-exec kill ID (TERM to the whole process group; ${flag("kill", "signal")} KILL if it ignores TERM).`,
    `8. Clean up: agent-exec delete ID, or agent-exec delete ${flag("delete", "all")} (finished jobs of this directory).`,
    "   agent-exec list shows this directory's jobs (job_id, state, command, exit_code).",
    "",
    "FIELDS",
    "- state: created | running | exited (any exit code) | killed (by a signal) | failed (see reason).",
    "- exit_code (exited), signal (killed), reason (failed: spawn_failed, supervisor_lost, ...).",
    "- cursor: opaque position in the logs; cursor_reset:true means it was stale and reading restarted.",
    "- final_snapshot: {stdout_tail, stderr_tail, truncated} when the job ended during the call.",
    "- deadline_reached:true: the wait ended before the job; ok stays true.",
    "- ready, ready_by: readiness (--until-match, --until-port, --until-file). waiting_for_input: blocked on stdin (interactive jobs).",
    "- stdout_log_path, stderr_log_path: the full logs, if you need to grep them.",
    "- Common error.code values: usage_error, invalid_input, job_not_found, ambiguous_job_id, invalid_state.",
    "",
    "USEFUL FLAGS",
    "run:",
    ...flagLines("run", ["timeout", "cwd", "env", "tag", "forward-exit"]),
    "wait:",
    ...flagLines("wait", ["any", "no-output"]),
    "",
    "ALL COMMANDS (agent-exec COMMAND --help for details)",
    ...index(),
    "  Also: serve (HTTP API), mcp (MCP over stdio), schema (JSON Schemas), completions SHELL, guide (this text).",
    "",
  ].join("\n");
}
