// Entry point: parses argv, runs one command, prints one document, and sets the exit code.

import { DISPATCH } from "./cli/dispatch.ts";
import { checkShape, type ParsedArgs, parseArgv } from "./cli/parse.ts";
import { createInterrupt, type Interrupt, NEVER } from "./commands/context.ts";
import { AgentExecError, ERROR_TABLE, toAgentExecError } from "./core/errors.ts";
import { configureLog, log, writeStderr } from "./core/log.ts";
import { errorEnvelope, render, successEnvelope, writeStdout } from "./core/output.ts";
import { resolveRoot } from "./store/paths.ts";

declare const AGENT_EXEC_VERSION: string | undefined;
declare const AGENT_EXEC_COMMIT: string | undefined;

/**
 * `agent-exec <version>+<commit>`: the package version with the build's git commit as semver
 * build metadata, so the line stays one `agent-exec <version>` token (§1.7) and still names the
 * exact build. From source, the package version alone.
 */
export function versionText(): string {
  const version = typeof AGENT_EXEC_VERSION === "string" ? AGENT_EXEC_VERSION : "0.0.0-dev";
  const commit = typeof AGENT_EXEC_COMMIT === "string" && AGENT_EXEC_COMMIT !== "" ? `+${AGENT_EXEC_COMMIT}` : "";
  return `agent-exec ${version}${commit}\n`;
}

/** Commands that loop over many jobs or keep running: they run with the normal JIT policy. */
const HOT_COMMANDS = new Set(["list", "gc", "delete", "serve", "mcp"]);

/** Installs SIGINT/SIGTERM handlers that end waits instead of the process (D22). */
function interruptible(): Interrupt {
  const { interrupt, fire } = createInterrupt();
  process.on("SIGINT", fire);
  process.on("SIGTERM", fire);
  return interrupt;
}

/** Runs the CLI and returns the exit code; prints exactly one document on stdout. */
async function main(argv: string[]): Promise<number> {
  if (argv[0] === "_supervise") {
    const { supervise } = await import("./supervisor/supervise.ts");
    return supervise(argv.slice(1));
  }
  if (argv[0] === "_complete") return completeIds(argv.slice(1));
  let args: ParsedArgs | undefined;
  const end = argv.indexOf("--");
  let yaml = (end < 0 ? argv : argv.slice(0, end)).includes("--yaml");
  try {
    args = parseArgv(argv);
    yaml = args.yaml;
    configureLog(process.env, args.verbose);
    if (args.version && !args.command) {
      writeStdout(versionText());
      return 0;
    }
    if (args.help) {
      const { printHelp } = await import("./cli/help.ts");
      printHelp(args.command?.name, versionText().trim());
      return 0;
    }
    checkShape(args);
    const cmd = args.command;
    if (!cmd) return 2;
    const handler = DISPATCH[cmd.name];
    if (!handler) throw new AgentExecError("usage_error", `unknown command '${cmd.name}'`);
    // The binary starts with a reluctant JIT (scripts/build.ts): right for one short call, wrong
    // for a loop over thousands of jobs or a server, which get the normal policy back.
    if (HOT_COMMANDS.has(cmd.name)) Bun.unsafe.setJITPolicy(1);
    const waits = cmd.name === "run" || cmd.name === "wait" || cmd.name === "start" || cmd.name === "restart";
    const interrupt = waits ? interruptible() : NEVER;
    const cwd = process.cwd();
    const ctx = { root: resolveRoot(args.root, process.env, cwd), env: process.env, cwd, interrupt };
    const { payload, exitCode, text } = await handler(args, ctx);
    writeStdout(text ?? (await render(successEnvelope(payload), yaml)));
    return exitCode ?? 0;
  } catch (caught) {
    const err = toAgentExecError(caught);
    if (err.code === "internal_error" && err.cause instanceof Error) log("debug", err.cause.stack ?? err.message);
    // Usage errors: a human line on stderr and the envelope on stdout (D3), in YAML with --yaml, exit 2.
    if (err.code === "usage_error") {
      writeStderr(`error: ${err.message}\n`);
      writeStdout(await render(errorEnvelope(err), yaml));
      return ERROR_TABLE.usage_error.exit;
    }
    log("info", `${err.code}: ${err.message}`);
    writeStdout(await render(errorEnvelope(err), yaml));
    return ERROR_TABLE[err.code].exit;
  }
}

/** Hidden `_complete <command> [--root R]`: job ids for shell completion, one per line, never an error. */
async function completeIds(argv: string[]): Promise<number> {
  try {
    const at = argv.indexOf("--root");
    const cwd = process.cwd();
    const root = resolveRoot(at >= 0 ? argv[at + 1] : undefined, process.env, cwd);
    const { completeIds } = await import("./commands/completions.ts");
    writeStdout(await completeIds(argv[0] ?? "", { root, env: process.env, cwd, interrupt: NEVER }));
  } catch {
    // Completion must never print an error into the user's command line.
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    // Only a bug in the printing itself lands here: still keep stdout parseable.
    try {
      writeStdout(`${JSON.stringify(errorEnvelope(toAgentExecError(err)))}\n`);
    } catch {}
    process.exit(1);
  },
);
