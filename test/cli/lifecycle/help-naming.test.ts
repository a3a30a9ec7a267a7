// Help and naming pass (issue 13, item 9): -V prints what the README says, every command's --help
// ends with examples, --no-inherit-env is not shown as on by default, completions offer the values
// of the enum flags and the shells, and two-word commands answer with a dotted type (tag.set).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, VERSION } from "../../helpers/bin.ts";
import { expectSuccess } from "../../helpers/envelope.ts";
import { Sandbox } from "../../helpers/sandbox.ts";
import { bashComplete, createJob } from "./util.ts";

const COMMANDS = [
  "run",
  "status",
  "tail",
  "wait",
  "kill",
  "list",
  "create",
  "start",
  "tag set",
  "delete",
  "gc",
  "notify set",
  "serve",
  "mcp",
  "schema",
  "completions",
];

describe("help and naming", () => {
  test.concurrent("-V prints the form the README documents", async () => {
    await using sb = Sandbox.create();
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const claim = /`-V\/--version` prints `([^`]+)`/.exec(readme)?.[1];
    expect(claim).toBe("agent-exec <version>+<commit>");
    const out = (await sb.cli(["-V"], { root: false })).stdout;
    expect(out).toMatch(new RegExp(`^agent-exec ${VERSION.replaceAll(".", "\\.")}\\+[0-9a-f]{7,40}\\n$`));
  });

  test.concurrent.each(COMMANDS)("%s --help ends with one or two examples of that command", async (cmd) => {
    await using sb = Sandbox.create();
    const r = await sb.cli([...cmd.split(" "), "--help"], { root: false });
    expect(r.exitCode).toBe(0);
    const tail = r.stdout.trimEnd().split("Examples:\n").at(-1) ?? "";
    const lines = tail.split("\n").map((l) => l.trim());
    expect({ cmd, has: r.stdout.includes("\nExamples:\n"), n: lines.length >= 1 && lines.length <= 2 }).toEqual({
      cmd,
      has: true,
      n: true,
    });
    for (const l of lines) expect(l).toContain(`agent-exec ${cmd}`);
  });

  test.concurrent("--no-inherit-env is not described as on by default", async () => {
    await using sb = Sandbox.create();
    for (const cmd of ["run", "create"]) {
      const line = (await sb.cli([cmd, "--help"], { root: false })).stdout
        .split("\n")
        .find((l) => l.includes("--no-inherit-env"));
      expect(line).toBeDefined();
      expect(line).not.toContain("default");
    }
  });

  test.concurrent("bash completion offers the values of the enum flags and the shells", async () => {
    await using sb = Sandbox.create();
    const script = (await sb.cli(["completions", "bash"], { root: false })).stdout;
    const offered = (words: string[]) => bashComplete(sb, script, ["agent-exec", ...words]);
    expect(await offered(["run", "--output-stream", ""])).toEqual(["stdout", "stderr", "either"]);
    expect(await offered(["notify", "set", "--output-match-type", ""])).toEqual(["contains", "regex"]);
    expect(await offered(["create", "--output-match-type", "r"])).toEqual(["regex"]);
    expect(await offered(["kill", "--signal", "KI"])).toEqual(["KILL"]);
    expect(await offered(["completions", ""])).toEqual(["bash", "zsh", "fish"]);
    for (const shell of ["zsh", "fish"]) {
      const text = (await sb.cli(["completions", shell], { root: false })).stdout;
      expect({ shell, stream: text.includes("stdout stderr either"), type: text.includes("contains regex") }).toEqual({
        shell,
        stream: true,
        type: true,
      });
      expect(text).toContain("bash zsh fish");
    }
  });

  test.concurrent("tag set answers type tag.set like notify.set; schema keeps tag_set readable", async () => {
    await using sb = Sandbox.create();
    const id = await createJob(sb, ["true"]);
    expect(expectSuccess(await sb.cli(["tag", "set", "--tag", "ci", id]), "tag.set")).toMatchObject({ tags: ["ci"] });
    const defs = (await sb.ok(["schema"])).schema.definitions;
    const types = Object.values(defs).map(
      (d: unknown) => (d as { properties?: { type?: { const?: string } } }).properties?.type?.const,
    );
    expect(types).toEqual(expect.arrayContaining(["tag.set", "tag_set", "notify.set"]));
  });
});
