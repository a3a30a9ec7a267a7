import { describe, expect, test } from "bun:test";
import { cleanLines, foldRepeats, lastState, stripAnsi } from "../../../src/views/clean.ts";

describe("clean view (X14)", () => {
  test("ANSI escapes are removed: colours, cursor moves, OSC titles and links", () => {
    expect(stripAnsi("\x1b[1m\x1b[31mFAILED\x1b[0m x")).toBe("FAILED x");
    expect(stripAnsi("\x1b[2K\x1b[1Gdone")).toBe("done");
    expect(stripAnsi("\x1b]0;title\x07text \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\")).toBe("text link");
    expect(stripAnsi("plain")).toBe("plain");
  });

  test("a line rewritten with \\r shows its last state", () => {
    expect(lastState("10%\r50%\r100% done")).toBe("100% done");
    expect(lastState("spinner |\rspinner /\r")).toBe("spinner /");
    expect(lastState("no rewrite")).toBe("no rewrite");
  });

  test("runs of 3+ identical lines fold into the line and `… repeated N times`", () => {
    expect(foldRepeats(["a", "a", "a", "a", "b", "b", "c"])).toEqual(["a", "… repeated 4 times", "b", "b", "c"]);
    expect(foldRepeats([])).toEqual([]);
  });

  test("colour and progress go first, so coloured repeats fold too", () => {
    const lines = ["\x1b[32mok\x1b[0m", "ok", "0%\rok", "\x1b[33mwarn\x1b[0m"];
    expect(cleanLines(lines)).toEqual(["ok", "… repeated 3 times", "warn"]);
  });
});
