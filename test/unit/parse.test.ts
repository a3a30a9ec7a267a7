import { describe, expect, test } from "bun:test";
import { checkShape, flagValue, flagValues, parseArgv, uintFlag } from "../../src/cli/parse.ts";
import { AgentExecError } from "../../src/core/errors.ts";

const usage = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AgentExecError);
    expect((err as AgentExecError).code).toBe("usage_error");
    return (err as AgentExecError).message;
  }
  throw new Error("expected a usage error");
};

describe("parseArgv", () => {
  test("the first positional word of run starts the command; later flags belong to it", () => {
    const a = parseArgv(["run", "--timeout", "5", "echo", "--wait", "-v"]);
    expect(a.command?.name).toBe("run");
    expect(a.trailing).toEqual(["echo", "--wait", "-v"]);
    expect(flagValue(a, "timeout")).toBe("5");
    expect(a.verbose).toBe(0);
  });

  test("-- starts the command too, and a later -- is part of it", () => {
    expect(parseArgv(["run", "--", "ls", "--", "x"]).trailing).toEqual(["ls", "--", "x"]);
    expect(parseArgv(["run", "echo", "--", "x"]).trailing).toEqual(["echo", "--", "x"]);
  });

  test("global flags work before and after the subcommand; the later --root wins", () => {
    const a = parseArgv(["--root", "/a", "-vv", "status", "--root=/b", "--yaml", "ID"]);
    expect(a.root).toBe("/b");
    expect(a.verbose).toBe(2);
    expect(a.yaml).toBe(true);
    expect(a.positionals).toEqual(["ID"]);
  });

  test("values are kept as exact strings, even ones that look like numbers or flags", () => {
    const a = parseArgv(["run", "--timeout", "1e3", "--env", "A=-5", "--tag", "x", "--tag", "y", "true"]);
    expect(flagValue(a, "timeout")).toBe("1e3");
    expect(flagValues(a, "env")).toEqual(["A=-5"]);
    expect(flagValues(a, "tag")).toEqual(["x", "y"]);
    usage(() => uintFlag(a, "timeout", 0));
  });

  test("numbers: non-negative integers only", () => {
    for (const bad of ["-5", "abc", "1.5", "", " 1", "0x10", "99999999999999999999"]) {
      usage(() => uintFlag(parseArgv(["wait", "--timeout-ms", bad, "ID"]), "timeout-ms", 0));
    }
    expect(uintFlag(parseArgv(["wait", "--timeout-ms", "0", "ID"]), "timeout-ms", 9)).toBe(0);
    expect(uintFlag(parseArgv(["wait", "ID"]), "timeout-ms", 9)).toBe(9);
  });

  test("unknown commands, unknown flags and missing values are usage errors", () => {
    expect(usage(() => parseArgv(["frobnicate"]))).toContain("frobnicate");
    expect(usage(() => parseArgv(["status", "--bogus", "ID"]))).toContain("--bogus");
    expect(usage(() => parseArgv(["-x"]))).toContain("-x");
    expect(usage(() => parseArgv(["run", "--timeout"]))).toContain("--timeout");
    expect(usage(() => parseArgv(["list", "--all=yes"]))).toContain("--all");
    // a flag of another command is unknown here
    usage(() => parseArgv(["status", "--wait", "ID"]));
  });

  test("checkShape: missing command, missing id, extra args and conflicts", () => {
    usage(() => checkShape(parseArgv([])));
    usage(() => checkShape(parseArgv(["status"])));
    usage(() => checkShape(parseArgv(["status", "A", "B"])));
    usage(() => checkShape(parseArgv(["run"])));
    usage(() => checkShape(parseArgv(["run", "--wait"])));
    expect(usage(() => checkShape(parseArgv(["list", "--all", "--cwd", "x"])))).toContain("--all");
    usage(() => checkShape(parseArgv(["run", "--inherit-env", "--no-inherit-env", "true"])));
    expect(() => checkShape(parseArgv(["run", "true"]))).not.toThrow();
  });

  test("help and version", () => {
    expect(parseArgv(["--help"]).help).toBe(true);
    const h = parseArgv(["help", "run"]);
    expect(h.help && h.command?.name).toBe("run");
    expect(parseArgv(["run", "-h"]).help).toBe(true);
    expect(parseArgv(["-V"]).version).toBe(true);
    expect(parseArgv(["--version"]).version).toBe(true);
  });
});
