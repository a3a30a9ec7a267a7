// `completions` (§3.14): static bash/zsh/fish scripts, sourced for real in bash, and job-id
// completion of the caller's cwd through the hidden `_complete` call, filtered by each command's
// states (start: created, kill: running, delete: terminal, wait: created|running, others: all).
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectUsageError } from "../../helpers/envelope.ts";
import { fx } from "../../helpers/fixtures.ts";
import { Sandbox } from "../../helpers/sandbox.ts";
import { bashComplete, createJob, runToEnd } from "./util.ts";

const COMMANDS = [
  "run",
  "status",
  "tail",
  "wait",
  "kill",
  "list",
  "create",
  "start",
  "tag",
  "delete",
  "gc",
  "schema",
  "completions",
];
const RUN_FLAGS = [
  "--snapshot-after",
  "--tail-lines",
  "--max-bytes",
  "--wait",
  "--wait-poll-ms",
  "--timeout",
  "--kill-after",
  "--cwd",
  "--env",
  "--env-file",
  "--inherit-env",
  "--no-inherit-env",
  "--mask",
  "--tag",
  "--progress-every",
  "--config",
  "--shell-wrapper",
  "--log",
];
const OBSERVATION_FLAGS = ["--snapshot-after", "--tail-lines", "--max-bytes", "--wait", "--wait-poll-ms", "--log"];

async function script(sb: Sandbox, shell: string): Promise<string> {
  const r = await sb.cli(["completions", shell]);
  expect({ shell, exit: r.exitCode, json: r.json, empty: r.stdout.trim() === "" }).toEqual({
    shell,
    exit: 0,
    json: undefined,
    empty: false,
  });
  return r.stdout;
}

const sorted = (xs: string[]) => [...xs].sort();

describe("completions scripts (§3.14)", () => {
  test.concurrent("bash: command names, subcommand flags and option values", async () => {
    await using sb = Sandbox.create();
    const bash = await script(sb, "bash");
    expect(await bashComplete(sb, bash, ["agent-exec", ""])).toEqual(expect.arrayContaining(COMMANDS));
    expect(sorted(await bashComplete(sb, bash, ["agent-exec", "st"]))).toEqual(["start", "status"]);
    expect(sorted(await bashComplete(sb, bash, ["agent-exec", "--root", sb.root, "ta"]))).toEqual(["tag", "tail"]);
    expect(await bashComplete(sb, bash, ["agent-exec", "tag", ""])).toEqual(["set"]);
    expect(await bashComplete(sb, bash, ["agent-exec", "notify", ""])).toEqual(["set"]);

    const runFlags = await bashComplete(sb, bash, ["agent-exec", "run", "--"]);
    expect(runFlags).toEqual(expect.arrayContaining(RUN_FLAGS));
    expect(sorted(await bashComplete(sb, bash, ["agent-exec", "run", "--wa"]))).toEqual([
      "--wait",
      "--wait-poll-ms",
      "--wait-timeout-ms",
    ]);
    const createFlags = await bashComplete(sb, bash, ["agent-exec", "create", "--"]);
    expect(createFlags).toEqual(expect.arrayContaining(RUN_FLAGS.filter((f) => !OBSERVATION_FLAGS.includes(f))));
    expect(createFlags.filter((f) => OBSERVATION_FLAGS.includes(f))).toEqual([]);
    expect(await bashComplete(sb, bash, ["agent-exec", "start", "--"])).toEqual(
      expect.arrayContaining(["--snapshot-after", "--tail-lines", "--max-bytes", "--wait", "--wait-poll-ms"]),
    );
    expect(await bashComplete(sb, bash, ["agent-exec", "gc", "--"])).toEqual(
      expect.arrayContaining(["--older-than", "--dry-run"]),
    );
    expect(await bashComplete(sb, bash, ["agent-exec", "delete", "--"])).toEqual(
      expect.arrayContaining(["--all", "--dry-run"]),
    );
    expect(await bashComplete(sb, bash, ["agent-exec", "kill", "--signal", ""])).toEqual(
      expect.arrayContaining(["TERM", "INT", "KILL"]),
    );
    expect(sorted(await bashComplete(sb, bash, ["agent-exec", "list", "--state", ""]))).toEqual(
      sorted(["created", "running", "exited", "killed", "failed", "unknown"]),
    );
    // Words of the job's own command are not agent-exec's to complete.
    expect(await bashComplete(sb, bash, ["agent-exec", "run", "echo", "--w"])).toEqual([]);
  });

  test.concurrent("bash: job ids of the caller's cwd, filtered by state per command", async () => {
    await using sb = Sandbox.create();
    const bash = await script(sb, "bash");
    const other = join(sb.dir, "other");
    mkdirSync(other);
    const created = await createJob(sb, ["true"]);
    const running = await sb.start(fx.sleepForever());
    const exited = await runToEnd(sb, fx.exitWithCode(1));
    const killed = await sb.start(fx.sleepForever());
    await sb.stdoutMatch(killed, /^ready/);
    await sb.ok(["kill", "--signal", "KILL", killed]);
    await sb.terminalState(killed);
    const otherCreated = await createJob(sb, ["true"], [], { cwd: other });
    const otherExited = await runToEnd(sb, ["true"], [], { cwd: other });

    const ids = (words: string[], opts = {}) =>
      bashComplete(sb, bash, ["agent-exec", "--root", sb.root, ...words], opts);
    const expected: [string[], string[]][] = [
      [["start", ""], [created]],
      [["kill", ""], [running]],
      [
        ["delete", ""],
        [exited, killed],
      ],
      [
        ["wait", ""],
        [created, running],
      ],
      [
        ["status", ""],
        [created, running, exited, killed],
      ],
      [
        ["tail", ""],
        [created, running, exited, killed],
      ],
      [
        ["tag", "set", ""],
        [created, running, exited, killed],
      ],
      [["kill", "--signal", "INT", ""], [running]],
      [["start", "--wait", ""], [created]],
    ];
    for (const [words, want] of expected) {
      expect({ words, got: sorted(await ids(words)) }).toEqual({ words, got: sorted(want) });
    }
    // The typed prefix narrows the candidates.
    expect(await ids(["status", exited.slice(0, 25)])).toEqual([exited]);
    // --root after the subcommand, and the root from AGENT_EXEC_ROOT, work the same.
    expect(await bashComplete(sb, bash, ["agent-exec", "start", "--root", sb.root, ""])).toEqual([created]);
    expect(await bashComplete(sb, bash, ["agent-exec", "kill", ""], { env: { AGENT_EXEC_ROOT: sb.root } })).toEqual([
      running,
    ]);
    // Another cwd sees only its own jobs.
    expect(await ids(["start", ""], { cwd: other })).toEqual([otherCreated]);
    expect(await ids(["delete", ""], { cwd: other })).toEqual([otherExited]);
    expect(await ids(["kill", ""], { cwd: other })).toEqual([]);
    // Commands that take no job id offer none.
    expect(await ids(["list", ""])).toEqual([]);
    expect(await ids(["gc", ""])).toEqual([]);
  });

  test.concurrent("the hidden _complete call prints ids one per line", async () => {
    await using sb = Sandbox.create();
    const created = await createJob(sb, ["true"]);
    const exited = await runToEnd(sb, ["true"]);
    const r = await sb.cli(["_complete", "start", "--root", sb.root], { root: false });
    expect({ exit: r.exitCode, out: r.stdout }).toEqual({ exit: 0, out: `${created}\n` });
    const all = await sb.cli(["_complete", "status", "--root", sb.root], { root: false });
    expect(sorted(all.stdout.split("\n").filter(Boolean))).toEqual(sorted([created, exited]));
    const none = await sb.cli(["_complete", "status", "--root", join(sb.dir, "missing")], { root: false });
    expect({ exit: none.exitCode, out: none.stdout }).toEqual({ exit: 0, out: "" });
  });

  test.concurrent("zsh and fish: non-empty and naming every command; other shells are usage errors", async () => {
    await using sb = Sandbox.create();
    for (const shell of ["zsh", "fish"]) {
      const text = await script(sb, shell);
      for (const c of COMMANDS)
        expect({ shell, c, named: new RegExp(`\\b${c}\\b`).test(text) }).toEqual({ shell, c, named: true });
      expect({ shell, ids: text.includes("_complete") }).toEqual({ shell, ids: true });
      const bin = Bun.which(shell);
      if (bin) {
        const file = join(sb.dir, `agent-exec.${shell}`);
        writeFileSync(file, text);
        const p = Bun.spawn([bin, "-n", file], { env: sb.env, stdout: "pipe", stderr: "pipe" });
        const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
        expect({ shell, code, err }).toEqual({ shell, code: 0, err: "" });
      }
    }
    for (const bad of [["tcsh"], ["powershell"], ["BASH"], []]) expectUsageError(await sb.cli(["completions", ...bad]));
  });

  test.concurrent("fish: descriptions are not expanded when the script is sourced", async () => {
    await using sb = Sandbox.create();
    const fish = await script(sb, "fish");
    // fish expands $VAR inside double quotes when it reads the script, so a description such as
    // "default: $AGENT_EXEC_ROOT" would show the caller's value (or nothing), not the text.
    const expanding = fish
      .split("\n")
      .filter((line) =>
        [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].some((m) => /(^|[^\\])\$[A-Za-z_(]/.test(m[1] ?? "")),
      );
    expect(expanding).toEqual([]);
  });
});
