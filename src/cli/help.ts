// Help text, rendered by cac from the same table the parser uses (loaded only for --help).
import { cac } from "cac";
import { COMMANDS, type FlagSpec, GLOBAL_FLAGS } from "./spec.ts";

const rawFlag = (f: FlagSpec): string => (f.value ? `--${f.name} <${f.value}>` : `--${f.name}`);
const config = (f: FlagSpec) => (f.default === undefined ? undefined : { default: f.default });

/** One or two examples per command, printed at the end of its `--help`. */
const EXAMPLES: Record<string, string[]> = {
  run: ["agent-exec run --timeout 10m -- npm test", "agent-exec run --wait --tag ci -- make build"],
  status: ["agent-exec status 01JDZ7", "agent-exec status 01JDZ7 | jq -r .state"],
  tail: ["agent-exec tail --tail-lines 20 01JDZ7"],
  wait: ["agent-exec wait --timeout-ms 30s 01JDZ7"],
  kill: ["agent-exec kill 01JDZ7", "agent-exec kill --signal KILL 01JDZ7"],
  list: ["agent-exec list --state running --state created", "agent-exec list --all --tag ci"],
  create: ["agent-exec create --tag nightly -- ./backup.sh"],
  start: ["agent-exec start --wait 01JDZ7"],
  "tag set": ["agent-exec tag set --tag ci --tag project.build 01JDZ7"],
  delete: ["agent-exec delete 01JDZ7", "agent-exec delete --all --dry-run"],
  gc: ["agent-exec gc --older-than 7d --dry-run", "agent-exec gc --older-than 24h --limit 0"],
  "notify set": ["agent-exec notify set --command 'notify-send done' 01JDZ7"],
  serve: ["agent-exec serve --port 0", "AGENT_EXEC_TOKEN=secret agent-exec serve --bind 0.0.0.0:19263"],
  mcp: ["agent-exec mcp"],
  schema: ["agent-exec schema | jq '.schema.definitions | keys'"],
  completions: ["agent-exec completions bash > ~/.local/share/bash-completion/completions/agent-exec"],
  guide: ["agent-exec guide > AGENTS.md"],
};

/** Prints the global help, or one command's help, on stdout. */
export function printHelp(command: string | undefined, version: string): void {
  const cli = cac("agent-exec");
  cli.usage(
    "<command> [options]\n\n  Runs commands as background jobs; every call prints one JSON object on stdout.\n" +
      "  Durations: bare milliseconds (1500) or 500ms, 30s, 10m, 2h, 1d.",
  );
  for (const f of GLOBAL_FLAGS) {
    const name = f.name === "verbose" ? "-v, --verbose" : f.name === "help" ? "-h, --help" : rawFlag(f);
    cli.option(name, f.desc);
  }
  for (const spec of COMMANDS) {
    const c = cli.command(`${spec.name} ${spec.args}`.trim(), spec.desc);
    for (const f of spec.flags) {
      c.option(rawFlag(f), f.desc, config(f));
      // cac gives every --no-X option a default of true, which reads as if it were on by default.
      const added = c.options[c.options.length - 1];
      if (added?.negated) added.config.default = undefined;
    }
    for (const e of EXAMPLES[spec.name] ?? []) c.example(`  ${e}`);
    if (spec.trailing) c.usage(`${spec.name} [options] [--] <command>...`);
    if (spec.details) c.usage(`${spec.name}\n\n  ${spec.details}`);
  }
  cli.version(version.replace(/^agent-exec /, ""), "-V, --version");
  const matched = command ? cli.commands.find((c) => c.name === command) : undefined;
  if (matched) matched.outputHelp();
  else cli.globalCommand.outputHelp();
}
