// `guide`: plain text for a model, within its token budget, naming only commands and flags the
// binary's own `--help` lists for the command they are used with.
import { expect, test } from "bun:test";
import { Sandbox } from "../helpers/sandbox.ts";

/** Commands that open with two words. */
const TWO_WORD = ["tag set", "notify set", "queue set", "queue list"];

/** The long flags a command's `--help` lists (its own and the global ones). */
async function helpFlags(sb: Sandbox, command: string): Promise<Set<string>> {
  const r = await sb.cli([...command.split(" "), "--help"], { root: false });
  expect(r.exitCode).toBe(0);
  return new Set([...r.stdout.matchAll(/--([a-z][a-z-]*[a-z])\b/g)].map((m) => m[1] as string));
}

/** The command names `agent-exec --help` lists. */
async function helpCommands(sb: Sandbox): Promise<string[]> {
  const r = await sb.cli(["--help"], { root: false });
  const section = r.stdout.split("Commands:")[1]?.split("\n\n")[0] ?? "";
  return section
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const two = TWO_WORD.find((t) => l.startsWith(`${t} `) || l === t);
      return two ?? (l.split(/\s+/)[0] as string);
    });
}

/**
 * Every `--flag` in the guide with the command it belongs to: the nearest `agent-exec CMD` before
 * it on its line, else the command that opens an index line (`  CMD args: ...`) or heads a flag
 * list (`run:`), else undefined (a flag named in prose must then exist on some command).
 */
function flagUses(text: string, commands: string[]): { flag: string; command: string | undefined; line: string }[] {
  const byLength = [...commands].sort((a, b) => b.length - a.length);
  const uses: { flag: string; command: string | undefined; line: string }[] = [];
  let heading: string | undefined;
  for (const line of text.split("\n")) {
    const head = /^([a-z]+):$/.exec(line);
    if (head) heading = head[1];
    else if (!line.startsWith("  --")) heading = undefined;
    const indexed = byLength.find((c) => line.startsWith(`  ${c} `) || line.startsWith(`  ${c}:`));
    const calls = [...line.matchAll(/agent-exec ([a-z]+(?: set| list)?)/g)].map((m) => ({
      at: m.index,
      command: byLength.find((c) => (m[1] as string).startsWith(c)),
    }));
    for (const m of line.matchAll(/(?<![\w-])--([a-z][a-z-]*[a-z])\b/g)) {
      const call = calls.filter((c) => c.at < m.index).pop();
      uses.push({ flag: m[1] as string, command: call?.command ?? indexed ?? heading, line });
    }
  }
  return uses;
}

test("guide prints plain text within ~2,500 tokens and exits 0", async () => {
  await using sb = Sandbox.create();
  const r = await sb.cli(["guide"], { root: false });
  expect({ exitCode: r.exitCode, stderr: r.stderr, json: r.json }).toEqual({
    exitCode: 0,
    stderr: "",
    json: undefined,
  });
  expect(r.stdout).toStartWith("agent-exec: ");
  // Words and punctuation marks counted separately: more pieces than a BPE tokenizer makes.
  const pieces = r.stdout.match(/\w+|[^\w\s]/g)?.length ?? 0;
  expect(pieces).toBeLessThanOrEqual(2500);
  for (const section of ["THE LOOP", "FIELDS", "ALL COMMANDS"]) expect(r.stdout).toContain(section);
});

test("every command and flag the guide names is real for the command it is used with", async () => {
  await using sb = Sandbox.create();
  const text = (await sb.cli(["guide"], { root: false })).stdout;
  const commands = await helpCommands(sb);
  expect(commands).toContain("guide");
  // The index covers every command of --help, so a new command shows up in the guide.
  for (const c of commands) expect(text).toMatch(new RegExp(`(^  |\\b)${c}\\b`, "m"));
  const flags = new Map<string, Set<string>>();
  for (const c of commands) flags.set(c, await helpFlags(sb, c));
  const any = new Set([...flags.values()].flatMap((s) => [...s]));
  const uses = flagUses(text, commands);
  expect(uses.length).toBeGreaterThan(50);
  const unknown = uses.filter((u) => !(u.command ? flags.get(u.command)?.has(u.flag) : any.has(u.flag)));
  expect(unknown).toEqual([]);
  // The loop's key steps are there, with the flags that make them bounded and incremental.
  for (const f of ["timeout-ms", "since", "until-match", "interactive", "newline", "snapshot-after"]) {
    expect(uses.map((u) => u.flag)).toContain(f);
  }
  for (const c of ["run", "wait", "tail", "send", "restart", "kill", "delete"])
    expect(text).toContain(`agent-exec ${c} `);
});
