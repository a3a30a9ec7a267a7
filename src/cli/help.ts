// Help text, rendered by cac from the same table the parser uses (loaded only for --help).
import { cac } from "cac";
import { COMMANDS, type FlagSpec, GLOBAL_FLAGS } from "./spec.ts";

const rawFlag = (f: FlagSpec): string => (f.value ? `--${f.name} <${f.value}>` : `--${f.name}`);
const config = (f: FlagSpec) => (f.default === undefined ? undefined : { default: f.default });

/** Prints the global help, or one command's help, on stdout. */
export function printHelp(command: string | undefined, version: string): void {
  const cli = cac("agent-exec");
  cli.usage("<command> [options]\n\n  Runs commands as background jobs; every call prints one JSON object on stdout.");
  for (const f of GLOBAL_FLAGS) {
    const name = f.name === "verbose" ? "-v, --verbose" : f.name === "help" ? "-h, --help" : rawFlag(f);
    cli.option(name, f.desc);
  }
  for (const spec of COMMANDS) {
    const c = cli.command(`${spec.name} ${spec.args}`.trim(), spec.desc);
    for (const f of spec.flags) c.option(rawFlag(f), f.desc, config(f));
    if (spec.trailing) c.usage(`${spec.name} [options] [--] <command>...`);
    if (spec.details) c.usage(`${spec.name}\n\n  ${spec.details}`);
  }
  cli.version(version.replace(/^agent-exec /, ""), "-V, --version");
  const matched = command ? cli.commands.find((c) => c.name === command) : undefined;
  if (matched) matched.outputHelp();
  else cli.globalCommand.outputHelp();
}
