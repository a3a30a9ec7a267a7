// The command-line table: every command's flags, positionals and help, shared by the parser and cac.

/** One flag. `value` names the placeholder when the flag takes a value. */
export interface FlagSpec {
  name: string;
  value?: string;
  multi?: boolean;
  desc: string;
  default?: string;
}

/** One subcommand. `trailing`: the first positional word starts a command that takes the rest. */
export interface CommandSpec {
  name: string;
  args: string;
  desc: string;
  flags: FlagSpec[];
  positionals: number;
  /** Positionals that may follow the required ones. */
  optionalPositionals?: number;
  trailing?: boolean;
  conflicts?: [string, string][];
  /** More lines for `--help`, printed under the usage line. */
  details?: string;
}

/** Global flags, accepted before or after the subcommand. */
export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: "root", value: "path", desc: "Jobs root (default: $AGENT_EXEC_ROOT, $XDG_DATA_HOME/agent-exec/jobs)" },
  { name: "yaml", desc: "Print the response as YAML instead of JSON" },
  { name: "verbose", desc: "More diagnostics on stderr (-v info, -vv debug, -vvv trace)" },
  { name: "help", desc: "Display help" },
];

/** A duration flag (D34): bare milliseconds, or 500ms, 30s, 10m, 2h, 1d. */
const ms = (name: string, desc: string, def?: string): FlagSpec => ({
  name,
  value: "duration",
  desc,
  ...(def ? { default: def } : {}),
});

/** run/create flags that cannot go together. */
const INPUT_CONFLICTS: [string, string][] = [
  ["inherit-env", "no-inherit-env"],
  ["stdin", "stdin-file"],
  ["interactive", "stdin"],
  ["interactive", "stdin-file"],
];

const RUN_DEFINITION: FlagSpec[] = [
  ms("timeout", "TERM the job's process group after this long (0 = none)", "0"),
  ms("kill-after", "Then KILL what is still alive after this long (0 = at once)", "0"),
  { name: "cwd", value: "dir", desc: "Working directory of the job (default: the current one)" },
  { name: "env", value: "KEY=VALUE", multi: true, desc: "Set a variable for the job (repeatable)" },
  { name: "env-file", value: "file", multi: true, desc: "Read KEY=VALUE lines from a file (repeatable)" },
  { name: "inherit-env", desc: "Start from the caller's environment (the default)" },
  { name: "no-inherit-env", desc: "Start from an empty environment" },
  {
    name: "no-agent-env",
    desc: "Do not add PAGER=cat, GIT_TERMINAL_PROMPT=0, NO_COLOR=1, TERM=dumb, ... (AGENT_EXEC_JOB_ID stays)",
  },
  { name: "mask", value: "KEY", multi: true, desc: "Show the value of this --env key as *** (repeatable)" },
  { name: "tag", value: "tag", multi: true, desc: "Tag the job, e.g. ci or project.build (repeatable)" },
  { name: "key", value: "key", desc: "Idempotency key: while a job with it is live, answer that job (reused)" },
  { name: "stdin-file", value: "path", desc: "Feed this file (at most 64 MiB) to the job's stdin" },
  { name: "stdin", value: "-", desc: "With -: feed the caller's stdin, read to its end (at most 64 MiB)" },
  { name: "interactive", desc: "Keep the job's stdin open: write to it with `send`" },
  { name: "queue", value: "name", desc: "Run in this queue, at most its --parallel at once (waits as queued)" },
  { name: "after", value: "id[,id...]", multi: true, desc: "Start once these jobs have ended (repeatable)" },
  {
    name: "after-ok",
    value: "id[,id...]",
    multi: true,
    desc: "Start once these jobs have exited 0; else fail with dependency_failed (repeatable)",
  },
  {
    name: "backend",
    value: "local|slurm",
    desc: "Where the job's supervisor runs (default: config backend, else local)",
  },
  { name: "slurm-partition", value: "name", desc: "Slurm partition of a --backend slurm job" },
  {
    name: "slurm-arg",
    value: "ARG",
    multi: true,
    desc: "Extra sbatch argument, e.g. --slurm-arg=--mem=4G (repeatable; not --output/--error/--wrap/--parsable)",
  },
  ms("progress-every", "Refresh state.json's updated_at this often while running (0 = off)", "0"),
  { name: "config", value: "path", desc: "config.toml to read the shell wrapper from" },
  { name: "shell-wrapper", value: '"PROG ARGS"', desc: 'Shell wrapper for this job, e.g. "bash -lc"' },
  {
    name: "max-log-bytes",
    value: "size",
    desc: "Keep at most this much of each log, its first and last half (bytes, KiB, MiB, GiB; 0 = unlimited; default: config max_log_bytes, else 1GiB)",
  },
];

const OUTPUT_MATCH: FlagSpec[] = [
  { name: "output-pattern", value: "pattern", desc: "Send job.output.matched for each new line matching this" },
  { name: "output-match-type", value: "contains|regex", desc: "Substring (default) or JavaScript RegExp" },
  { name: "output-stream", value: "stdout|stderr|either", desc: "Which stream to match (default either)" },
  { name: "output-command", value: "cmd", desc: "Shell command run per match, event JSON on stdin" },
  { name: "output-file", value: "path", desc: "NDJSON file that gets one line per match" },
];

const NOTIFY: FlagSpec[] = [
  { name: "notify-command", value: "cmd", desc: "Shell command run when the job ends, event JSON on stdin" },
  { name: "notify-file", value: "path", desc: "NDJSON file that gets the job.finished event" },
  ...OUTPUT_MATCH,
];

/** Readiness conditions (X2): wait, run and start. */
const UNTIL: FlagSpec[] = [
  { name: "until-match", value: "regex", desc: "Ready when a line of output matches this JavaScript RegExp" },
  { name: "until-stream", value: "stdout|stderr|either", desc: "Where --until-match looks (default either)" },
  { name: "until-port", value: "port", desc: "Ready when a TCP connect to --until-host:PORT succeeds" },
  { name: "until-host", value: "host", desc: "Host for --until-port", default: "127.0.0.1" },
  { name: "until-file", value: "path", desc: "Ready when this path exists" },
];

/** The view of the tails a response shows (X14). */
const VIEW: FlagSpec = {
  name: "view",
  value: "raw|clean|errors|tests|summary",
  desc: "Show the tails as: raw bytes, clean (no colours or progress), errors, tests (failures, summary) or summary (default: config view, else raw)",
};

const FORWARD_EXIT: FlagSpec = {
  name: "forward-exit",
  desc: "Exit with the job's code (128+N for signal N, 124 timeout, 125 wait ended first)",
};

const OBSERVE: FlagSpec[] = [
  ms("snapshot-after", "Observe up to this long (max 10s) before answering (0 = answer at once)", "10000"),
  { name: "tail-lines", value: "n", desc: "Lines of each log in the snapshot (0 = no limit)", default: "50" },
  { name: "max-bytes", value: "n", desc: "Bytes of each log in the snapshot", default: "65536" },
  VIEW,
  { name: "wait", desc: "Block until the job ends" },
  ms("wait-poll-ms", "Fallback poll interval while waiting", "200"),
  ms("wait-timeout-ms", "With --wait or --until-*: give up waiting after this long (0 = never)"),
  ...UNTIL,
  FORWARD_EXIT,
];

/** gc and delete --all: the bound on listed entries (D37). */
const REMOVAL_LIMIT: FlagSpec = {
  name: "limit",
  value: "n",
  desc: "List at most N jobs, deleted first (0 = all); the counts cover all",
  default: "50",
};

/** Every subcommand, in help order. */
export const COMMANDS: CommandSpec[] = [
  {
    name: "run",
    args: "[...command]",
    desc: "Start a command as a background job",
    flags: [
      ...OBSERVE,
      ...RUN_DEFINITION,
      ...NOTIFY,
      { name: "log", value: "path", desc: "Write full.log lines to this file instead" },
    ],
    positionals: 0,
    trailing: true,
    conflicts: INPUT_CONFLICTS,
  },
  { name: "status", args: "<job_id>", desc: "Show a job's state", flags: [], positionals: 1 },
  {
    name: "tail",
    args: "<job_id>",
    desc: "Show the end of a job's stdout and stderr",
    flags: [
      { name: "tail-lines", value: "n", desc: "Lines of each log (0 = no limit)", default: "50" },
      { name: "max-bytes", value: "n", desc: "Bytes of each log read from its end", default: "65536" },
      { name: "since", value: "cursor", desc: "Only output written after this cursor (from an earlier response)" },
      VIEW,
    ],
    positionals: 1,
  },
  {
    name: "wait",
    args: "<job_id...>",
    desc: "Wait until jobs end, or a readiness condition holds (or the timeout)",
    flags: [
      ms("poll-ms", "Fallback poll interval", "200"),
      ms("timeout-ms", "Give up after this long (0 = never)", "0"),
      { name: "any", desc: "With several jobs: end when the first one ends" },
      { name: "tail-lines", value: "n", desc: "Lines of each log in final_snapshot (0 = no limit)", default: "50" },
      { name: "max-bytes", value: "n", desc: "Bytes of each log in final_snapshot", default: "16384" },
      { name: "no-output", desc: "Leave final_snapshot out" },
      VIEW,
      ...UNTIL,
      { name: "since", value: "cursor", desc: "--until-match scans from this cursor (default: the start)" },
      FORWARD_EXIT,
    ],
    positionals: 1,
    optionalPositionals: Number.MAX_SAFE_INTEGER,
  },
  {
    name: "kill",
    args: "<job_id>",
    desc: "Signal a job's whole process group",
    flags: [{ name: "signal", value: "name", desc: "TERM, INT, KILL, HUP, USR1, ... or a number", default: "TERM" }],
    positionals: 1,
  },
  {
    name: "list",
    args: "",
    desc: "List jobs (of the current directory unless --all)",
    flags: [
      { name: "all", desc: "Jobs of every directory" },
      { name: "cwd", value: "dir", desc: "Jobs started in this directory" },
      {
        name: "state",
        value: "state",
        multi: true,
        desc: "created|running|exited|killed|failed|unknown (repeatable, any matches)",
      },
      { name: "limit", value: "n", desc: "At most N jobs (0 = all)", default: "50" },
      { name: "key", value: "key", desc: "Only the job started with this --key" },
      { name: "queue", value: "name", desc: "Only the jobs of this queue" },
      {
        name: "tag",
        value: "pattern",
        multi: true,
        desc: "Only jobs with this tag, or ns.* for a namespace (repeatable, AND)",
      },
    ],
    positionals: 0,
    conflicts: [["all", "cwd"]],
  },
];

COMMANDS.push(
  {
    name: "create",
    args: "[...command]",
    desc: "Define a job without starting it",
    flags: [...RUN_DEFINITION, ...NOTIFY],
    positionals: 0,
    trailing: true,
    conflicts: INPUT_CONFLICTS,
  },
  { name: "start", args: "<job_id>", desc: "Start a created job", flags: OBSERVE, positionals: 1 },
  {
    name: "restart",
    args: "<job_id>",
    desc: "Stop the job if it runs, then run it again under the same id (logs cleared)",
    flags: [
      { name: "signal", value: "name", desc: "Signal that stops a running job", default: "TERM" },
      ms("kill-after", "KILL what is still alive this long after the signal", "5000"),
      ...OBSERVE,
    ],
    positionals: 1,
  },
  {
    name: "queue set",
    args: "<name>",
    desc: "Set how many jobs of a queue run at once",
    flags: [{ name: "parallel", value: "n", desc: "Jobs of this queue that may run at once (at least 1)" }],
    positionals: 1,
  },
  { name: "queue list", args: "", desc: "Each queue: its limit, running and queued jobs", flags: [], positionals: 0 },
  {
    name: "send",
    args: "<job_id> [text]",
    desc: "Write to an interactive job's stdin",
    flags: [
      { name: "file", value: "path", desc: "Send this file's bytes (at most 64 MiB) instead of TEXT" },
      { name: "newline", desc: "Add a newline after TEXT (answers a prompt)" },
      { name: "eof", desc: "Close the job's stdin after the bytes" },
    ],
    positionals: 1,
    optionalPositionals: 1,
    conflicts: [["file", "newline"]],
  },
  {
    name: "tag set",
    args: "<job_id>",
    desc: "Replace a job's tags (no --tag clears them)",
    flags: [{ name: "tag", value: "tag", multi: true, desc: "A tag, e.g. ci or project.build (repeatable)" }],
    positionals: 1,
  },
  {
    name: "delete",
    args: "[job_id]",
    desc: "Delete a finished job, or with --all every finished job of this directory",
    flags: [
      { name: "all", desc: "Every finished job whose cwd is the current directory" },
      { name: "dry-run", desc: "Report what would be deleted, delete nothing" },
      REMOVAL_LIMIT,
    ],
    positionals: 0,
    optionalPositionals: 1,
  },
  {
    name: "gc",
    args: "",
    desc: "Delete finished jobs older than a duration",
    flags: [
      { name: "older-than", value: "duration", desc: "30d, 24h, 60m, 3600s or seconds", default: "30d" },
      { name: "dry-run", desc: "Report what would be deleted, delete nothing" },
      REMOVAL_LIMIT,
    ],
    positionals: 0,
  },
  {
    name: "notify set",
    args: "<job_id>",
    desc: "Change a job's notification settings (never runs a sink)",
    flags: [{ name: "command", value: "cmd", desc: "Shell command run when the job ends" }, ...OUTPUT_MATCH],
    positionals: 1,
  },
  {
    name: "serve",
    args: "",
    desc: "Serve the API over HTTP (loopback by default)",
    flags: [
      { name: "bind", value: "ip:port", desc: "Address to listen on", default: "127.0.0.1:19263" },
      { name: "port", value: "port", desc: "Shorthand for --bind 127.0.0.1:PORT" },
      {
        name: "token-file",
        value: "path",
        desc: "Require Authorization: Bearer TOKEN, read from this 0600 file (recommended)",
      },
      {
        name: "token",
        value: "token",
        desc: "The token itself; shows in `ps`: prefer --token-file or AGENT_EXEC_TOKEN (empty = no token)",
      },
      { name: "insecure", desc: "Allow a non-loopback bind without a token" },
    ],
    positionals: 0,
    conflicts: [
      ["bind", "port"],
      ["token", "token-file"],
    ],
  },
  {
    name: "mcp",
    args: "",
    desc: "Serve the job runner as MCP tools over stdio",
    flags: [],
    positionals: 0,
    details: [
      "Speaks MCP (JSON-RPC 2.0, one message a line) on stdin/stdout until stdin ends.",
      "",
      "Tools: run, create, start, status, tail, wait, kill, restart, list, tag, delete",
      "  (each answers with the JSON document the CLI command of the same name prints;",
      "  tag is `tag set`; fields are the CLI flags in snake_case: until_match, since, key, ...)",
      "",
      "Environment:",
      "  AGENT_EXEC_ROOT             jobs root (else $XDG_DATA_HOME/agent-exec/jobs, ~/.local/share/...)",
      "  AGENT_EXEC_MCP_MAX_WAIT_MS  longest a tool call blocks (default 50000)",
      "  AGENT_EXEC_LOG, RUST_LOG    log level on stderr (error, warn, info, debug, trace)",
      "  XDG_CONFIG_HOME, HOME       where config.toml is found",
      "  PATH                        where the shell wrapper is looked up",
      "  Jobs inherit the server's environment unless inherit_env is false.",
    ].join("\n  "),
  },
  { name: "schema", args: "", desc: "Print the JSON Schema of every response and event", flags: [], positionals: 0 },
  {
    name: "completions",
    args: "<shell>",
    desc: "Print a completion script for bash, zsh or fish",
    flags: [],
    positionals: 1,
  },
  { name: "guide", args: "", desc: "Print a usage guide for AI agents (plain text)", flags: [], positionals: 0 },
);

/** Words that only open a two-word command (`tag set`). */
export const COMMAND_GROUPS: ReadonlySet<string> = new Set(["tag", "notify", "queue"]);

/** The spec of a subcommand, if it exists. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
