// config.toml and the shell wrapper (§8, D15, D4, D5): precedence flag > --config > default file >
// built-in, the wrapper really runs the job, start uses the stored wrapper, and a broken config or a
// missing wrapper program is a clear error that creates no job.
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectError } from "../../helpers/envelope.ts";
import { Sandbox } from "../../helpers/sandbox.ts";
import { writeScript } from "./util.ts";

/** A sandbox with wrapper programs wrapA/wrapB/wrapC on PATH: each prints "via-X", then `sh "$@"`. */
function withWrappers(sb: Sandbox): Record<string, string> {
  const dir = join(sb.dir, "wbin");
  mkdirSync(dir);
  for (const x of ["A", "B", "C"]) writeScript(join(dir, `wrap${x}`), `echo "via-${x}"\nexec sh "$@"`);
  return { PATH: `${dir}:${sb.env.PATH}` };
}

function writeDefaultConfig(sb: Sandbox, text: string, base = sb.env.XDG_CONFIG_HOME as string): string {
  const dir = join(base, "agent-exec");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "config.toml");
  writeFileSync(path, text);
  return path;
}

const shell = (...argv: string[]) => `[shell]\nunix = ${JSON.stringify(argv)}\n`;

describe("shell wrapper precedence (§8)", () => {
  test.concurrent("default file, then --config, then --shell-wrapper; the wrapper runs the job", async () => {
    await using sb = Sandbox.create();
    const env = withWrappers(sb);
    writeDefaultConfig(sb, shell("wrapA", "-c"));
    const other = join(sb.dir, "other.toml");
    writeFileSync(other, shell("wrapB", "-c"));
    const cases: [string[], string][] = [
      [[], "A"],
      [["--config", other], "B"],
      [["--shell-wrapper", "wrapC   -c"], "C"],
      [["--config", other, "--shell-wrapper", "wrapC -c"], "C"],
    ];
    for (const [flags, x] of cases) {
      const j = await sb.ok(["run", "--wait", ...flags, "--", "echo job"], { env });
      expect({ flags, out: j.final_snapshot.stdout_tail }).toEqual({ flags, out: `via-${x}\njob` });
      expect({ flags, wrapper: sb.meta(j.job_id).shell_wrapper }).toEqual({ flags, wrapper: [`wrap${x}`, "-c"] });
      const c = await sb.ok(["create", ...flags, "--", "echo job"], { env });
      expect({ flags, wrapper: sb.meta(c.job_id).shell_wrapper }).toEqual({ flags, wrapper: [`wrap${x}`, "-c"] });
    }
  });

  test.concurrent("without XDG_CONFIG_HOME the file is ~/.config/agent-exec/config.toml", async () => {
    await using sb = Sandbox.create();
    const env = { ...withWrappers(sb), XDG_CONFIG_HOME: undefined };
    writeDefaultConfig(sb, shell("wrapB", "-c"), join(sb.env.HOME as string, ".config"));
    const j = await sb.ok(["run", "--wait", "--", "echo job"], { env });
    expect(j.final_snapshot.stdout_tail).toBe("via-B\njob");
  });

  test.concurrent("no config at all: the built-in sh -lc; a --config naming a missing file is ignored", async () => {
    await using sb = Sandbox.create();
    const a = await sb.ok(["create", "--", "true"]);
    const b = await sb.ok(["create", "--config", join(sb.dir, "missing.toml"), "--", "true"]);
    for (const id of [a.job_id, b.job_id]) expect(sb.meta(id).shell_wrapper).toEqual(["sh", "-lc"]);
    expect(await sb.ok(["start", "--wait", b.job_id])).toMatchObject({ state: "exited", exit_code: 0 });
  });

  test.concurrent("unknown keys and tables are ignored; a relative --config is read from the caller's cwd", async () => {
    await using sb = Sandbox.create();
    const env = withWrappers(sb);
    writeFileSync(
      join(sb.cwd, "rel.toml"),
      `top = 1\n[other]\nx = "y"\n[shell]\nwindows = ["cmd", "/C"]\nextra = true\nunix = ["wrapC", "-c"]\n`,
    );
    const j = await sb.ok(["run", "--wait", "--config", "rel.toml", "--", "echo job"], { env });
    expect(j.final_snapshot.stdout_tail).toBe("via-C\njob");
  });

  test.concurrent("start uses the stored wrapper: the config is not re-read, even when broken", async () => {
    await using sb = Sandbox.create();
    const env = withWrappers(sb);
    const path = writeDefaultConfig(sb, shell("wrapA", "-c"));
    const id = (await sb.ok(["create", "--", "echo job"], { env })).job_id;
    writeFileSync(path, "[shell\nunix = [");
    const j = await sb.ok(["start", "--wait", id], { env });
    expect(j).toMatchObject({ state: "exited", exit_code: 0, final_snapshot: { stdout_tail: "via-A\njob" } });
  });
});

describe("config and wrapper errors (§8, D4, D5)", () => {
  const broken: [string, string][] = [
    ["a TOML syntax error", "[shell\nunix = ["],
    ["an empty array", shell()],
    ["a string instead of an array", `[shell]\nunix = "bash -lc"\n`],
    ["an array of numbers", `[shell]\nunix = [1, 2]\n`],
  ];
  test.concurrent.each(broken)("%s in the default file: internal_error, no job directory", async (_name, text) => {
    await using sb = Sandbox.create();
    writeDefaultConfig(sb, text);
    for (const [cmd, ...flags] of [["run", "--snapshot-after", "0"], ["create"]] as string[][]) {
      expectError(await sb.cli([cmd as string, ...flags, "--", "true"]), "internal_error", 1);
      expect({ cmd, entries: sb.entries() }).toEqual({ cmd, entries: [] });
    }
  });

  test.concurrent("a broken --config file: internal_error, no job directory", async () => {
    await using sb = Sandbox.create();
    const bad = join(sb.dir, "bad.toml");
    writeFileSync(bad, "this is = = not toml");
    expectError(await sb.cli(["create", "--config", bad, "--", "true"]), "internal_error", 1);
    expectError(await sb.cli(["run", "--config", bad, "--", "true"]), "internal_error", 1);
    expect(sb.entries()).toEqual([]);
  });

  test.concurrent("a wrapper program not on PATH, from the flag or the file: invalid_input, no job", async () => {
    await using sb = Sandbox.create();
    expectError(await sb.cli(["create", "--shell-wrapper", "no-such-shell -c", "--", "true"]), "invalid_input", 1);
    expectError(await sb.cli(["run", "--shell-wrapper", "no-such-shell -c", "--", "true"]), "invalid_input", 1);
    writeDefaultConfig(sb, shell("no-such-shell", "-c"));
    expectError(await sb.cli(["create", "--", "true"]), "invalid_input", 1);
    expectError(await sb.cli(["run", "--", "true"]), "invalid_input", 1);
    expect(sb.entries()).toEqual([]);
  });

  test.concurrent("an empty --shell-wrapper: internal_error (§1.3), no job", async () => {
    await using sb = Sandbox.create();
    for (const w of ["", "   "]) {
      expectError(await sb.cli(["create", "--shell-wrapper", w, "--", "true"]), "internal_error", 1);
    }
    expect(sb.entries()).toEqual([]);
  });
});
