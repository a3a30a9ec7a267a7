// Splits argv into global flags, the subcommand, its flags, positionals and a trailing command.
//
// Why a pass of our own before cac: `run` takes everything from its first positional word on as
// the job's command (`run echo --wait` passes --wait to echo), numbers must stay exact strings
// (mri would turn `1e3` into 1000 and read `-5` as a flag), and conflicting flags must be caught.
import { DURATION_FORMS, parseDurationMs } from "../core/duration.ts";
import { usageError } from "../core/errors.ts";
import { COMMAND_GROUPS, type CommandSpec, type FlagSpec, findCommand, GLOBAL_FLAGS } from "./spec.ts";

/** What the command line asked for. Flag values are kept as the exact strings given. */
export interface ParsedArgs {
  command?: CommandSpec;
  help: boolean;
  version: boolean;
  root?: string;
  yaml: boolean;
  verbose: number;
  /** Command flags by name: every value given, in order (booleans hold "true"). */
  flags: Map<string, string[]>;
  positionals: string[];
  trailing: string[];
}

const SHORTS: Record<string, string> = { v: "verbose", h: "help", V: "version" };

/** Parses argv (without the program name). Throws usage_error for anything malformed. */
export function parseArgv(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = {
    help: false,
    version: false,
    yaml: false,
    verbose: 0,
    flags: new Map(),
    positionals: [],
    trailing: [],
  };
  let helpTopic = false;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i] as string;
    if (tok === "--") {
      const rest = argv.slice(i + 1);
      if (out.command?.trailing) out.trailing = rest;
      else out.positionals.push(...rest);
      break;
    }
    if (tok.startsWith("-") && tok !== "-") {
      if (!tok.startsWith("--")) {
        for (const ch of tok.slice(1)) {
          const name = SHORTS[ch];
          if (!name) throw usageError(`unknown option '-${ch}'${where(out)}`);
          setGlobal(out, name);
        }
        continue;
      }
      const eq = tok.indexOf("=");
      const name = tok.slice(2, eq < 0 ? undefined : eq);
      const inline = eq < 0 ? undefined : tok.slice(eq + 1);
      const global = GLOBAL_FLAGS.find((f) => f.name === name) ?? (name === "version" ? { name, desc: "" } : undefined);
      const spec: FlagSpec | undefined = global ?? out.command?.flags.find((f) => f.name === name);
      if (!spec) throw usageError(`unknown option '--${name}'${where(out)}`);
      let value = "true";
      if (spec.value) {
        if (inline !== undefined) value = inline;
        else if (i + 1 < argv.length) value = argv[++i] as string;
        else throw usageError(`option '--${name} <${spec.value}>' needs a value`);
      } else if (inline !== undefined) {
        throw usageError(`option '--${name}' takes no value`);
      }
      if (global) {
        if (name === "root")
          out.root = value; // the last one wins: after the subcommand beats before (D15)
        else setGlobal(out, name);
        continue;
      }
      const list = out.flags.get(name) ?? [];
      list.push(value);
      out.flags.set(name, list);
      continue;
    }
    if (!out.command && !helpTopic) {
      if (tok === "help") {
        helpTopic = true;
        out.help = true;
        continue;
      }
      const grouped = COMMAND_GROUPS.has(tok) ? `${tok} ${argv[i + 1] ?? ""}` : tok;
      const cmd = findCommand(grouped);
      if (!cmd) throw usageError(`unknown command '${grouped.trim()}' (see 'agent-exec --help')`);
      if (grouped !== tok) i++;
      out.command = cmd;
      continue;
    }
    if (helpTopic && !out.command) {
      out.command = findCommand(COMMAND_GROUPS.has(tok) ? `${tok} ${argv[i + 1] ?? ""}` : tok);
      if (out.command && COMMAND_GROUPS.has(tok)) i++;
      continue;
    }
    if (out.command?.trailing) {
      out.trailing = argv.slice(i);
      break;
    }
    out.positionals.push(tok);
  }
  return out;
}

function setGlobal(out: ParsedArgs, name: string): void {
  if (name === "verbose") out.verbose++;
  else if (name === "help") out.help = true;
  else if (name === "version") out.version = true;
  else if (name === "yaml") out.yaml = true;
}

function where(out: ParsedArgs): string {
  return out.command ? ` for '${out.command.name}'` : "";
}

/** Checks positionals and conflicts once the command is known; throws usage_error. */
export function checkShape(args: ParsedArgs): void {
  const cmd = args.command;
  if (!cmd) throw usageError("missing command (see 'agent-exec --help')");
  for (const [a, b] of cmd.conflicts ?? []) {
    if (args.flags.has(a) && args.flags.has(b)) throw usageError(`'--${a}' cannot be used with '--${b}'`);
  }
  if (cmd.trailing && args.trailing.length === 0) throw usageError(`'${cmd.name}' needs a command to run`);
  if (args.positionals.length < cmd.positionals) {
    throw usageError(`'${cmd.name}' needs ${cmd.args} (see 'agent-exec ${cmd.name} --help')`);
  }
  if (args.positionals.length > cmd.positionals + (cmd.optionalPositionals ?? 0)) {
    const extra = args.positionals[cmd.positionals + (cmd.optionalPositionals ?? 0)];
    throw usageError(`unexpected argument '${extra}' for '${cmd.name}'`);
  }
}

/** The last value of a single-valued flag, if given. */
export function flagValue(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return v?.[v.length - 1];
}

/** Every value of a repeatable flag. */
export function flagValues(args: ParsedArgs, name: string): string[] {
  return args.flags.get(name) ?? [];
}

/** True when a switch was given. */
export function flagSet(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name);
}

/** An unsigned integer flag (ms, lines, bytes); non-numeric or negative values are usage errors. */
export function uintFlag(args: ParsedArgs, name: string, fallback: number): number {
  const raw = flagValue(args, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw usageError(`invalid value ${JSON.stringify(raw)} for '--${name}': expected a non-negative integer`);
  }
  return Number(raw);
}

/** A duration flag (D34): bare milliseconds or 500ms, 30s, 10m, 2h, 1d; anything else is a usage error. */
export function durationFlag(args: ParsedArgs, name: string, fallback: number): number {
  const raw = flagValue(args, name);
  if (raw === undefined) return fallback;
  const ms = parseDurationMs(raw);
  if (ms === undefined)
    throw usageError(`invalid duration ${JSON.stringify(raw)} for '--${name}': expected ${DURATION_FORMS}`);
  return ms;
}
