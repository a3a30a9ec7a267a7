// `completions bash|zsh|fish`: static scripts generated from the command table, plus job-id
// completion through the hidden `_complete <command>` call (ids of the caller's cwd, by state).

import { COMMANDS, type CommandSpec, GLOBAL_FLAGS } from "../cli/spec.ts";
import { usageError } from "../core/errors.ts";
import type { Ctx } from "./context.ts";
import { listCommand } from "./list.ts";

export const SHELLS = ["bash", "zsh", "fish"] as const;

/** Which job states each id-taking command offers (§3.14, with the upstream filter bug fixed). */
const ID_STATES: Record<string, readonly string[] | undefined> = {
  status: undefined,
  tail: undefined,
  "tag set": undefined,
  "notify set": undefined,
  start: ["created"],
  kill: ["running"],
  delete: ["exited", "killed", "failed", "unknown"],
  wait: ["created", "running"],
};

const takesId = (c: CommandSpec) => c.name in ID_STATES;
const flagWords = (c: CommandSpec) => [...c.flags, ...GLOBAL_FLAGS].map((f) => `--${f.name}`).join(" ");
const valueFlags = () => [
  ...new Set([...GLOBAL_FLAGS, ...COMMANDS.flatMap((c) => c.flags)].filter((f) => f.value).map((f) => `--${f.name}`)),
];
const topWords = () => [...new Set(COMMANDS.map((c) => c.name.split(" ")[0] as string)), "help"].join(" ");
const SIGNALS = "TERM INT KILL HUP QUIT USR1 USR2 STOP CONT";
const STATES = "created running exited killed failed unknown";
/** Flags with a closed set of values, offered after the flag. */
const CHOICES: [string, string][] = [
  ["--signal", SIGNALS],
  ["--state", STATES],
  ["--output-stream", "stdout stderr either"],
  ["--output-match-type", "contains regex"],
];
const CHOICE_FLAGS = CHOICES.map(([f]) => f);
const FILE_FLAGS = ["--cwd", "--root", "--log", "--env-file", "--config"];

/** Job ids for the completion of `command`: the caller's cwd, filtered by state; one per line. */
export async function completeIds(command: string, ctx: Ctx): Promise<string> {
  const states = ID_STATES[command];
  const { payload } = await listCommand({ all: false, limit: 0, tags: [] }, ctx);
  const jobs = payload.jobs as { job_id: string; state: string }[];
  return jobs
    .filter((j) => !states || states.includes(j.state))
    .map((j) => `${j.job_id}\n`)
    .join("");
}

function bash(): string {
  const cases = COMMANDS.map((c) => `    "${c.name}") opts="${flagWords(c)}"; ids=${takesId(c) ? 1 : 0} ;;`).join("\n");
  return `# bash completion for agent-exec. Load with: source <(agent-exec completions bash)
_agent_exec() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" root="" i=1 w
  while [ "$i" -lt "$COMP_CWORD" ]; do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      --root) root="\${COMP_WORDS[i+1]}"; i=$((i+2)); continue ;;
      ${valueFlags().join("|")}) i=$((i+2)); continue ;;
      -*) ;;
      *) if [ -z "$cmd" ]; then
           cmd="$w"
           if [ "$w" = tag ] || [ "$w" = notify ]; then cmd="$w \${COMP_WORDS[i+1]}"; i=$((i+1)); fi
         elif [ "$cmd" = run ] || [ "$cmd" = create ]; then
           COMPREPLY=(); return 0
         fi ;;
    esac
    i=$((i+1))
  done
  case "$prev" in
${CHOICES.map(([f, words]) => `    ${f}) COMPREPLY=($(compgen -W "${words}" -- "$cur")); return 0 ;;`).join("\n")}
    ${FILE_FLAGS.join("|")}) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    ${valueFlags()
      .filter((f) => !CHOICE_FLAGS.includes(f) && !FILE_FLAGS.includes(f))
      .join("|")}) COMPREPLY=(); return 0 ;;
  esac
  if [ -z "$cmd" ]; then
    if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "--root --yaml --verbose --help --version" -- "$cur"))
    else COMPREPLY=($(compgen -W "${topWords()}" -- "$cur")); fi
    return 0
  fi
  case "$cmd" in "tag "|"notify ") COMPREPLY=($(compgen -W "set" -- "$cur")); return 0 ;; esac
  local opts="" ids=0
  case "$cmd" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); return 0; fi
  if [ "$cmd" = completions ]; then COMPREPLY=($(compgen -W "${SHELLS.join(" ")}" -- "$cur")); return 0; fi
  if [ "$ids" = 1 ]; then
    local list
    if [ -n "$root" ]; then list=$("\${COMP_WORDS[0]}" _complete "$cmd" --root "$root" 2>/dev/null)
    else list=$("\${COMP_WORDS[0]}" _complete "$cmd" 2>/dev/null); fi
    COMPREPLY=($(compgen -W "$list" -- "$cur"))
  fi
  return 0
}
complete -F _agent_exec agent-exec
`;
}

function zsh(): string {
  const cases = COMMANDS.map((c) => `    "${c.name}") opts=(${flagWords(c)}); ids=${takesId(c) ? 1 : 0} ;;`).join("\n");
  return `#compdef agent-exec
# zsh completion for agent-exec. Load with: source <(agent-exec completions zsh)
_agent_exec() {
  local cmd="" root="" i=2 w
  local -a opts
  local ids=0
  while (( i < CURRENT )); do
    w="\${words[i]}"
    case "$w" in
      --root) root="\${words[i+1]}"; (( i += 2 )); continue ;;
      ${valueFlags().join("|")}) (( i += 2 )); continue ;;
      -*) ;;
      *) if [[ -z "$cmd" ]]; then
           cmd="$w"
           if [[ "$w" == tag || "$w" == notify ]]; then cmd="$w \${words[i+1]}"; (( i += 1 )); fi
         elif [[ "$cmd" == run || "$cmd" == create ]]; then
           _normal; return
         fi ;;
    esac
    (( i += 1 ))
  done
  case "\${words[CURRENT-1]}" in
${CHOICES.map(([f, words]) => `    ${f}) compadd -- ${words}; return ;;`).join("\n")}
    ${FILE_FLAGS.join("|")}) _files; return ;;
  esac
  if [[ -z "$cmd" ]]; then
    if [[ "$PREFIX" == -* ]]; then compadd -- --root --yaml --verbose --help --version
    else compadd -- ${topWords()}; fi
    return
  fi
  if [[ "$cmd" == "tag " || "$cmd" == "notify " ]]; then compadd -- set; return; fi
  case "$cmd" in
${cases}
  esac
  if [[ "$PREFIX" == -* ]]; then compadd -- $opts; return; fi
  if [[ "$cmd" == completions ]]; then compadd -- ${SHELLS.join(" ")}; return; fi
  if (( ids )); then
    local -a list
    if [[ -n "$root" ]]; then list=(\${(f)"$(\${words[1]} _complete "$cmd" --root "$root" 2>/dev/null)"})
    else list=(\${(f)"$(\${words[1]} _complete "$cmd" 2>/dev/null)"}); fi
    compadd -- $list
  fi
}
compdef _agent_exec agent-exec
`;
}

/** A fish single-quoted string: nothing in it is expanded when the script is loaded. */
const fishQuote = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

function fish(): string {
  const lines = [
    "# fish completion for agent-exec. Load with: agent-exec completions fish | source",
    "complete -c agent-exec -f",
    "function __agent_exec_ids; agent-exec _complete $argv 2>/dev/null; end",
    `complete -c agent-exec -n __fish_use_subcommand -a "${topWords()}"`,
    `complete -c agent-exec -n "__fish_seen_subcommand_from tag notify; and not __fish_seen_subcommand_from set" -a set`,
  ];
  for (const f of GLOBAL_FLAGS)
    lines.push(`complete -c agent-exec -l ${f.name}${f.value ? " -r" : ""} -d ${fishQuote(f.desc)}`);
  for (const c of COMMANDS) {
    const word = c.name.split(" ").at(-1) as string;
    const cond = `__fish_seen_subcommand_from ${word}`;
    for (const f of c.flags) {
      lines.push(`complete -c agent-exec -n "${cond}" -l ${f.name}${f.value ? " -r" : ""} -d ${fishQuote(f.desc)}`);
    }
    if (takesId(c)) lines.push(`complete -c agent-exec -n "${cond}" -a "(__agent_exec_ids '${c.name}')"`);
  }
  for (const c of COMMANDS) {
    const word = c.name.split(" ").at(-1) as string;
    for (const [flag, words] of CHOICES) {
      if (!c.flags.some((f) => `--${f.name}` === flag)) continue;
      lines.push(`complete -c agent-exec -n "__fish_seen_subcommand_from ${word}" -l ${flag.slice(2)} -a "${words}"`);
    }
  }
  lines.push(`complete -c agent-exec -n "__fish_seen_subcommand_from completions" -a "${SHELLS.join(" ")}"`);
  return `${lines.join("\n")}\n`;
}

/** The script for one shell; any other name is a usage error. */
export function completionScript(shell: string): string {
  if (shell === "bash") return bash();
  if (shell === "zsh") return zsh();
  if (shell === "fish") return fish();
  throw usageError(`unsupported shell ${JSON.stringify(shell)}: use bash, zsh or fish`);
}
