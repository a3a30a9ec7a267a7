import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tailFile, windowText } from "../../src/logs/tail.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("windowText (§5)", () => {
  test("last N lines, no trailing newline, CRLF folded", () => {
    expect(windowText(enc("a\r\nb\nc\n"), false, 2)).toEqual({ text: "b\nc", truncated: true });
    expect(windowText(enc("a\nb\n"), false, 5)).toEqual({ text: "a\nb", truncated: false });
    expect(windowText(enc("a\nb"), false, 2)).toEqual({ text: "a\nb", truncated: false });
  });

  test("0 lines returns the text as-is, trailing newline included", () => {
    expect(windowText(enc("a\nb\n"), false, 0)).toEqual({ text: "a\nb\n", truncated: false });
    expect(windowText(enc("b\n"), true, 0)).toEqual({ text: "b\n", truncated: true });
  });

  test("invalid UTF-8 and a cut character become U+FFFD", () => {
    expect(windowText(new Uint8Array([0x61, 0xff, 0x62]), false, 10).text).toBe("a\uFFFDb");
    // the last two bytes of "é" (0xC3 0xA9) cut to one continuation byte
    expect(windowText(new Uint8Array([0xa9, 0x78]), true, 10).text).toBe("\uFFFDx");
  });

  test("empty input", () => {
    expect(windowText(new Uint8Array(), false, 10)).toEqual({ text: "", truncated: false });
  });
});

describe("tailFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "tail-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("reads only the last max_bytes and reports observed/included bytes", () => {
    const p = join(dir, "a.log");
    writeFileSync(p, "one\ntwo\nthree\n");
    expect(tailFile(p, 50, 65536)).toEqual({
      text: "one\ntwo\nthree",
      truncated: false,
      observedBytes: 14,
      includedBytes: 13,
      end: 14,
      droppedBytes: 0,
    });
    expect(tailFile(p, 50, 6)).toEqual({
      text: "three",
      truncated: true,
      observedBytes: 14,
      includedBytes: 5,
      end: 14,
      droppedBytes: 0,
    });
    expect(tailFile(p, 50, 8)).toEqual({
      text: "o\nthree",
      truncated: true,
      observedBytes: 14,
      includedBytes: 7,
      end: 14,
      droppedBytes: 0,
    });
  });

  test("max_bytes 0 on a non-empty file gives '' and truncated", () => {
    const p = join(dir, "b.log");
    writeFileSync(p, "x\n");
    expect(tailFile(p, 50, 0)).toEqual({
      text: "",
      truncated: true,
      observedBytes: 2,
      includedBytes: 0,
      end: 2,
      droppedBytes: 0,
    });
  });

  test("a missing file is empty, not an error", () => {
    expect(tailFile(join(dir, "missing.log"), 50, 10)).toEqual({
      text: "",
      truncated: false,
      observedBytes: 0,
      includedBytes: 0,
      end: 0,
      droppedBytes: 0,
    });
  });
});
