// How the waiting parent's record reads (store/exit-status.ts): codes, signals, and torn records.
import { describe, expect, test } from "bun:test";
import { parseExitStatus } from "../../src/store/exit-status.ts";

describe("parseExitStatus", () => {
  test("an exit code", () => {
    expect(parseExitStatus("0 -\n")).toEqual({ exitCode: 0, signal: null });
    expect(parseExitStatus("7 -\n")).toEqual({ exitCode: 7, signal: null });
  });
  test("128+N is the signal when the waiter saw it too (sent to the group)", () => {
    expect(parseExitStatus("143 TERM TERM\n")).toEqual({ exitCode: null, signal: "TERM" });
    expect(parseExitStatus("130 INT HUP INT\n")).toEqual({ exitCode: null, signal: "INT" });
  });
  test("a crash or the OOM killer is a signal even unseen; a chosen 130 stays an exit code", () => {
    expect(parseExitStatus("139 SEGV\n")).toEqual({ exitCode: null, signal: "SEGV" });
    expect(parseExitStatus("137 KILL\n")).toEqual({ exitCode: null, signal: "KILL" });
    expect(parseExitStatus("130 INT\n")).toEqual({ exitCode: 130, signal: null });
    expect(parseExitStatus("143 TERM INT\n")).toEqual({ exitCode: 143, signal: null });
  });
  test("an incomplete or malformed record is no record", () => {
    for (const bad of ["", "0", "0 -", "143 TERM", "999 -\n", "x -\n"]) expect(parseExitStatus(bad)).toBeUndefined();
  });
});
