import { describe, expect, test } from "bun:test";
import { buildChildEnv, childArgv, maskEnvItems, parseEnvFile, splitEnvItem } from "../../src/supervisor/command.ts";

describe("childArgv (§4.2)", () => {
  test("one element: shell-string mode", () => {
    expect(childArgv(["sh", "-lc"], ["echo hi && ls"])).toEqual(["sh", "-lc", "echo hi && ls"]);
  });
  test('two or more: argv mode hands off with exec "$@"', () => {
    expect(childArgv(["bash", "-c"], ["sleep", "60"])).toEqual(["bash", "-c", 'exec "$@"', "--", "sleep", "60"]);
  });
  test("D33: a POSIX shell wrapper sets the job's PATH again after the profile, quoted", () => {
    expect(childArgv(["sh", "-lc"], ["ls"], "/a b:/it's")).toEqual([
      "sh",
      "-lc",
      "PATH='/a b:/it'\\''s'; export PATH; ls",
    ]);
    expect(childArgv(["/bin/bash", "-lc"], ["ls", "-l"], "/x")).toEqual([
      "/bin/bash",
      "-lc",
      `PATH='/x'; export PATH; exec "$@"`,
      "--",
      "ls",
      "-l",
    ]);
  });
  test("D33: no PATH, or a wrapper that is not a POSIX shell -c: the command is untouched", () => {
    expect(childArgv(["sh", "-lc"], ["ls"])).toEqual(["sh", "-lc", "ls"]);
    expect(childArgv(["python3", "-c"], ["print(1)"], "/x")).toEqual(["python3", "-c", "print(1)"]);
  });
});

describe("env", () => {
  test("splitEnvItem splits at the first =; no = gives an empty value", () => {
    expect(splitEnvItem("A=b=c")).toEqual(["A", "b=c"]);
    expect(splitEnvItem("A")).toEqual(["A", ""]);
    expect(splitEnvItem("A=")).toEqual(["A", ""]);
  });

  test("parseEnvFile (D20): comments, blanks, export, one pair of matching quotes", () => {
    const text = [
      "# comment",
      "",
      "A=1",
      "export B=two words",
      'C="quoted"',
      "D='single'",
      "E=\"mismatch'",
      "F",
      "  G = spaced  ",
      "H=a#b",
    ].join("\n");
    expect(parseEnvFile(text)).toEqual([
      ["A", "1"],
      ["B", "two words"],
      ["C", "quoted"],
      ["D", "single"],
      ["E", "\"mismatch'"],
      ["F", ""],
      ["G", "spaced"],
      ["H", "a#b"],
    ]);
  });

  test("buildChildEnv: inherit, then files, then --env; internal variables never reach the child", () => {
    const base = { PATH: "/bin", A: "base", AGENT_EXEC_SUPERVISOR_ENV: "[]" };
    expect(
      buildChildEnv(
        base,
        true,
        [
          [
            ["A", "file"],
            ["B", "file"],
          ],
        ],
        ["B=flag"],
      ),
    ).toEqual({ PATH: "/bin", A: "file", B: "flag" });
    expect(buildChildEnv(base, false, [], ["X=1"])).toEqual({ X: "1" });
  });

  test("maskEnvItems shows masked keys as ***", () => {
    expect(maskEnvItems(["K=secret", "L=open", "M"], ["K"])).toEqual(["K=***", "L=open", "M="]);
  });
});
