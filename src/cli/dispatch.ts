// Turns parsed argv into each command's typed input and calls its handler.

import { resolve } from "node:path";
import type { Ctx, Outcome } from "../commands/context.ts";
import type { DefinitionInput } from "../commands/define.ts";
import type { ObserveInput } from "../commands/run.ts";
import { statusCommand } from "../commands/status.ts";
import { tailCommand } from "../commands/tail.ts";
import { AgentExecError, usageError } from "../core/errors.ts";
import type { Readiness } from "../core/readiness.ts";
import type { NotifyFlags } from "../notify/config.ts";
import { isValidTagPattern } from "../store/tags.ts";
import { VIEW_NAMES } from "../views/types.ts";
import { durationFlag, flagSet, flagValue, flagValues, type ParsedArgs, uintFlag } from "./parse.ts";

type Dispatch = (args: ParsedArgs, ctx: Ctx) => Promise<Outcome>;

/** The package version (baked in at build time). */
declare const AGENT_EXEC_VERSION: string | undefined;
const AGENT_EXEC_VERSION_TEXT = () => (typeof AGENT_EXEC_VERSION === "string" ? AGENT_EXEC_VERSION : "0.0.0-dev");

const jobId = (args: ParsedArgs): string => args.positionals[0] as string;

/** The definition flags shared by run and create. */
function definition(args: ParsedArgs): DefinitionInput {
  return {
    command: args.trailing,
    cwd: flagValue(args, "cwd"),
    env: flagValues(args, "env"),
    envFiles: flagValues(args, "env-file"),
    inheritEnv: !flagSet(args, "no-inherit-env"),
    ...(flagSet(args, "no-agent-env") ? { agentEnv: false } : {}),
    queue: flagValue(args, "queue"),
    after: idList(args, "after"),
    afterOk: idList(args, "after-ok"),
    backend: flagValue(args, "backend"),
    slurmPartition: flagValue(args, "slurm-partition"),
    slurmArgs: flagValues(args, "slurm-arg"),
    key: flagValue(args, "key"),
    mask: flagValues(args, "mask"),
    tags: flagValues(args, "tag"),
    timeoutMs: durationFlag(args, "timeout", 0),
    killAfterMs: durationFlag(args, "kill-after", 0),
    progressEveryMs: durationFlag(args, "progress-every", 0),
    shellWrapper: flagValue(args, "shell-wrapper"),
    config: flagValue(args, "config"),
    maxLogBytes: flagValue(args, "max-log-bytes"),
    notify: {
      ...outputFlags(args),
      notifyCommand: flagValue(args, "notify-command"),
      notifyFile: flagValue(args, "notify-file"),
    },
  };
}

/** An enum flag; any other value is a usage error naming the choices. */
function enumFlag<T extends string>(args: ParsedArgs, name: string, choices: readonly T[]): T | undefined {
  const v = flagValue(args, name);
  if (v !== undefined && !(choices as readonly string[]).includes(v)) {
    throw usageError(`invalid value ${JSON.stringify(v)} for '--${name}': expected one of ${choices.join(", ")}`);
  }
  return v as T | undefined;
}

/** A repeatable enum flag: every value must be one of the choices. */
function enumFlags<T extends string>(args: ParsedArgs, name: string, choices: readonly T[]): T[] {
  const values = flagValues(args, name);
  for (const v of values) {
    if (!(choices as readonly string[]).includes(v)) {
      throw usageError(`invalid value ${JSON.stringify(v)} for '--${name}': expected one of ${choices.join(", ")}`);
    }
  }
  return values as T[];
}

/** The five output-match flags (run, create, notify set). */
function outputFlags(args: ParsedArgs): NotifyFlags {
  return {
    outputPattern: flagValue(args, "output-pattern"),
    outputMatchType: enumFlag(args, "output-match-type", ["contains", "regex"] as const),
    outputStream: enumFlag(args, "output-stream", ["stdout", "stderr", "either"] as const),
    outputCommand: flagValue(args, "output-command"),
    outputFile: flagValue(args, "output-file"),
  };
}

/**
 * The input flags of run and create (X5): `--stdin-file PATH` (a regular file, at most 64 MiB),
 * `--stdin -` (the caller's stdin, read to its end, same cap), `--interactive`.
 */
async function inputFlags(args: ParsedArgs, cwd: string): Promise<{ stdin?: Uint8Array; interactive?: boolean }> {
  const file = flagValue(args, "stdin-file");
  const dash = flagValue(args, "stdin");
  const interactive = flagSet(args, "interactive") ? { interactive: true } : {};
  if (dash !== undefined && dash !== "-") {
    throw usageError(`invalid value ${JSON.stringify(dash)} for '--stdin': use '-' (or --stdin-file PATH)`);
  }
  if (file === undefined && dash === undefined) return interactive;
  const { readRegularFile, STDIN_CAP } = await import("../core/read-file.ts");
  if (file !== undefined) return { stdin: readRegularFile(resolve(cwd, file), "--stdin-file", STDIN_CAP) };
  return { stdin: await readCallerStdin(STDIN_CAP) };
}

/** The caller's stdin to its end; more than `cap` bytes is invalid_input (and stops the read). */
async function readCallerStdin(cap: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of Bun.stdin.stream()) {
    size += chunk.length;
    if (size > cap) throw new AgentExecError("invalid_input", `--stdin -: the input is larger than ${cap} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** A repeatable flag of comma-separated job ids (`--after A,B --after C`). */
function idList(args: ParsedArgs, name: string): string[] {
  const ids = flagValues(args, name).flatMap((v) => v.split(","));
  for (const id of ids) if (id === "") throw usageError(`'--${name}' needs job ids, e.g. --${name} 01J…,01K…`);
  return ids;
}

/** `--signal NAME` as a bare signal name (default TERM); anything else is a usage error. */
async function signalFlag(args: ParsedArgs): Promise<string> {
  const raw = flagValue(args, "signal") ?? "TERM";
  const { normalizeSignal } = await import("../process/signal-names.ts");
  const signal = normalizeSignal(raw);
  if (!signal)
    throw usageError(`unknown signal ${JSON.stringify(raw)}: use a name like TERM, INT, KILL, HUP, USR1 or a number`);
  return signal;
}

/** The readiness flags (X2), or undefined when none was given. */
function untilFlags(args: ParsedArgs, cwd: string): Readiness | undefined {
  const match = flagValue(args, "until-match");
  const file = flagValue(args, "until-file");
  const port = flagValue(args, "until-port") === undefined ? undefined : uintFlag(args, "until-port", 0);
  const stream = enumFlag(args, "until-stream", ["stdout", "stderr", "either"] as const);
  const host = flagValue(args, "until-host");
  if (match === undefined && file === undefined && port === undefined) {
    for (const [name, v] of [
      ["until-stream", stream],
      ["until-host", host],
    ] as const) {
      if (v !== undefined) throw usageError(`'--${name}' needs --until-match or --until-port`);
    }
    return undefined;
  }
  if (stream !== undefined && match === undefined) throw usageError("'--until-stream' needs --until-match");
  if (host !== undefined && port === undefined) throw usageError("'--until-host' needs --until-port");
  return {
    ...(match === undefined ? {} : { match }),
    stream: stream ?? "either",
    ...(port === undefined ? {} : { port }),
    host: host ?? "127.0.0.1",
    // A relative path means the caller's directory, wherever the check runs.
    ...(file === undefined ? {} : { file: file === "" ? "" : resolve(cwd, file) }),
  };
}

/** The observe flags of run and start (§3.1.2, X2, X4). */
function observeFlags(args: ParsedArgs, cwd: string): ObserveInput {
  const until = untilFlags(args, cwd);
  const wait = flagSet(args, "wait");
  const forwardExit = flagSet(args, "forward-exit");
  if (forwardExit && !wait) throw usageError("'--forward-exit' needs --wait: there is no exit code to forward yet");
  const waitTimeout = flagValue(args, "wait-timeout-ms");
  if (waitTimeout !== undefined && !wait && !until) {
    throw usageError("'--wait-timeout-ms' bounds --wait or --until-*; give one of them");
  }
  return {
    snapshotAfterMs: durationFlag(args, "snapshot-after", 10_000),
    tailLines: uintFlag(args, "tail-lines", 50),
    maxBytes: uintFlag(args, "max-bytes", 65_536),
    wait,
    waitPollMs: durationFlag(args, "wait-poll-ms", 200),
    ...(waitTimeout === undefined ? {} : { waitTimeoutMs: durationFlag(args, "wait-timeout-ms", 0) }),
    ...(until ? { until } : {}),
    forwardExit,
    ...viewFlag(args),
  };
}

/** `--view` (X14), when given: one of the views, else a usage error naming it and the choices. */
function viewFlag(args: ParsedArgs): { view?: (typeof VIEW_NAMES)[number] } {
  const view = enumFlag(args, "view", VIEW_NAMES);
  return view === undefined ? {} : { view };
}

/**
 * One entry per subcommand. status and tail, the calls agents make in loops, are linked in;
 * the others are imported on use, so a call loads only what it needs.
 */
export const DISPATCH: Record<string, Dispatch> = {
  async run(args, ctx) {
    const { runCommand } = await import("../commands/run.ts");
    return runCommand(
      {
        ...definition(args),
        ...(await inputFlags(args, ctx.cwd)),
        ...observeFlags(args, ctx.cwd),
        logPath: flagValue(args, "log"),
      },
      ctx,
    );
  },
  async create(args, ctx) {
    const { createCommand } = await import("../commands/create.ts");
    return createCommand({ ...definition(args), ...(await inputFlags(args, ctx.cwd)) }, ctx);
  },
  async start(args, ctx) {
    const { startCommand } = await import("../commands/start.ts");
    return startCommand({ jobId: jobId(args), ...observeFlags(args, ctx.cwd) }, ctx);
  },
  async restart(args, ctx) {
    const signal = await signalFlag(args);
    const { restartCommand } = await import("../commands/restart.ts");
    return restartCommand(
      {
        jobId: jobId(args),
        signal,
        killAfterMs: durationFlag(args, "kill-after", 5000),
        ...observeFlags(args, ctx.cwd),
      },
      ctx,
    );
  },
  async "queue set"(args, ctx) {
    const raw = flagValue(args, "parallel");
    if (raw === undefined) throw usageError("'queue set' needs --parallel N");
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
      throw usageError(`invalid value ${JSON.stringify(raw)} for '--parallel': expected an integer of at least 1`);
    }
    const { queueSetCommand } = await import("../commands/queue.ts");
    return queueSetCommand({ name: args.positionals[0] as string, parallel: Number(raw) }, ctx);
  },
  async "queue list"(_args, ctx) {
    const { queueListCommand } = await import("../commands/queue.ts");
    return queueListCommand(ctx);
  },
  async send(args, ctx) {
    const text = args.positionals[1];
    const file = flagValue(args, "file");
    const eof = flagSet(args, "eof");
    if (text !== undefined && file !== undefined) throw usageError("'send' takes TEXT or --file, not both");
    if (text === undefined && file === undefined && !eof) throw usageError("'send' needs TEXT, --file PATH or --eof");
    let data: Uint8Array = new Uint8Array(0);
    if (file !== undefined) {
      const { readRegularFile, STDIN_CAP } = await import("../core/read-file.ts");
      data = readRegularFile(resolve(ctx.cwd, file), "--file", STDIN_CAP);
    } else if (text !== undefined) {
      data = Buffer.from(flagSet(args, "newline") ? `${text}\n` : text);
    }
    const { sendCommand } = await import("../commands/send.ts");
    return sendCommand({ jobId: jobId(args), data, eof }, ctx);
  },
  async "tag set"(args, ctx) {
    const tags = flagValues(args, "tag");
    const { checkTags } = await import("../commands/define.ts");
    checkTags(tags);
    const { tagSetCommand } = await import("../commands/tag.ts");
    return tagSetCommand({ jobId: jobId(args), tags }, ctx);
  },
  async delete(args, ctx) {
    const all = flagSet(args, "all");
    const id = args.positionals[0];
    if (all && id !== undefined) throw usageError("'delete --all' cannot be used with a JOB_ID");
    if (!all && id === undefined) throw usageError("'delete' needs a JOB_ID or --all");
    const { deleteCommand } = await import("../commands/delete.ts");
    return deleteCommand({ jobId: id, all, dryRun: flagSet(args, "dry-run"), limit: uintFlag(args, "limit", 50) }, ctx);
  },
  async gc(args, ctx) {
    const { gcCommand } = await import("../commands/gc.ts");
    return gcCommand(
      {
        olderThan: flagValue(args, "older-than"),
        dryRun: flagSet(args, "dry-run"),
        limit: uintFlag(args, "limit", 50),
      },
      ctx,
    );
  },
  async "notify set"(args, ctx) {
    const flags: NotifyFlags = { ...outputFlags(args), notifyCommand: flagValue(args, "command") };
    const { notifySetCommand } = await import("../commands/notify.ts");
    return notifySetCommand({ jobId: jobId(args), flags }, ctx);
  },
  async serve(args, ctx) {
    const port = flagValue(args, "port") === undefined ? undefined : uintFlag(args, "port", 0);
    if (port !== undefined && port > 65_535)
      throw usageError(`invalid value "${port}" for '--port': expected 0 to 65535`);
    const { serveCommand } = await import("../commands/serve.ts");
    return serveCommand(
      {
        bind: flagValue(args, "bind"),
        port,
        token: flagValue(args, "token"),
        tokenFile: flagValue(args, "token-file"),
        insecure: flagSet(args, "insecure"),
      },
      ctx,
    );
  },
  async mcp(_args, ctx) {
    const { serveMcp } = await import("../mcp/server.ts");
    await serveMcp(ctx, AGENT_EXEC_VERSION_TEXT());
    return { payload: { type: "mcp" }, text: "" };
  },
  async schema() {
    const { schemaCommand } = await import("../commands/schema.ts");
    return schemaCommand();
  },
  async completions(args) {
    const { completionScript } = await import("../commands/completions.ts");
    return { payload: { type: "completions" }, text: completionScript(args.positionals[0] as string) };
  },
  async guide() {
    const { guideText } = await import("../commands/guide.ts");
    return { payload: { type: "guide" }, text: guideText() };
  },
  async status(args, ctx) {
    return statusCommand({ jobId: jobId(args) }, ctx);
  },
  async tail(args, ctx) {
    return tailCommand(
      {
        jobId: jobId(args),
        tailLines: uintFlag(args, "tail-lines", 50),
        maxBytes: uintFlag(args, "max-bytes", 65_536),
        since: flagValue(args, "since"),
        ...viewFlag(args),
      },
      ctx,
    );
  },
  async wait(args, ctx) {
    const { waitCommand, WAIT_MAX_BYTES, WAIT_TAIL_LINES } = await import("../commands/wait.ts");
    return waitCommand(
      {
        jobIds: args.positionals,
        pollMs: durationFlag(args, "poll-ms", 200),
        timeoutMs: durationFlag(args, "timeout-ms", 0),
        any: flagSet(args, "any"),
        tailLines: uintFlag(args, "tail-lines", WAIT_TAIL_LINES),
        maxBytes: uintFlag(args, "max-bytes", WAIT_MAX_BYTES),
        noOutput: flagSet(args, "no-output"),
        forwardExit: flagSet(args, "forward-exit"),
        until: untilFlags(args, ctx.cwd),
        since: flagValue(args, "since"),
        ...viewFlag(args),
      },
      ctx,
    );
  },
  async kill(args, ctx) {
    const signal = await signalFlag(args);
    const { killCommand } = await import("../commands/kill.ts");
    return killCommand({ jobId: jobId(args), signal }, ctx);
  },
  async list(args, ctx) {
    const { listCommand, LIST_STATES } = await import("../commands/list.ts");
    const states = enumFlags(args, "state", LIST_STATES);
    const tags = flagValues(args, "tag");
    for (const t of tags) {
      if (!isValidTagPattern(t)) {
        throw new AgentExecError(
          "usage_error",
          `invalid tag pattern ${JSON.stringify(t)}: use a tag like ci, or ns.* for a namespace`,
        );
      }
    }
    return listCommand(
      {
        all: flagSet(args, "all"),
        cwd: flagValue(args, "cwd"),
        states,
        limit: uintFlag(args, "limit", 50),
        tags,
        key: flagValue(args, "key"),
        queue: flagValue(args, "queue"),
      },
      ctx,
    );
  },
};
