// LineCapture turns the raw logs into full.log lines; it reads real temp files (fast, no processes).
import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LineCapture, MAX_LINE } from "../../src/supervisor/capture.ts";

const dir = mkdtempSync(join(tmpdir(), "capture-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Runs a capture over `writes` (appended one by one, pumping after each) and returns full.log's lines. */
function capture(writes: (string | Uint8Array)[], listener?: (l: string) => void): string[] {
  const src = join(dir, `src-${++n}.log`);
  const full = join(dir, `full-${n}.log`);
  writeFileSync(src, "");
  const fd = openSync(full, "a");
  const cap = new LineCapture(src, "stdout", fd, listener && ((line) => listener(line)));
  for (const w of writes) {
    appendFileSync(src, w);
    cap.pump();
  }
  cap.finish();
  closeSync(fd);
  return readFileSync(full, "utf8").split("\n").slice(0, -1);
}

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[STDOUT\] /;

describe("LineCapture", () => {
  test("stamps each line, joins lines split across reads, keeps \\r, flushes the trailing partial line", () => {
    const lines = capture(["one\ntw", "o\r\nthr", "ee"]);
    expect(lines.map((l) => l.replace(TS, ""))).toEqual(["one", "two\r", "three"]);
    for (const l of lines) expect(l).toMatch(TS);
  });

  test("invalid UTF-8 becomes U+FFFD in full.log (the raw log keeps the bytes)", () => {
    const lines = capture([new Uint8Array([0x61, 0xff, 0x62, 0x0a])]);
    expect(lines.map((l) => l.replace(TS, ""))).toEqual(["a\uFFFDb"]);
  });

  test("a line longer than MAX_LINE is cut into pieces instead of growing without bound", () => {
    const lines = capture(["x".repeat(MAX_LINE + 10)]);
    expect(lines.map((l) => l.replace(TS, "").length)).toEqual([MAX_LINE, 10]);
  });

  test("the listener sees every line once, in order", () => {
    const seen: string[] = [];
    capture(["a\nb", "\nc"], (l) => seen.push(l));
    expect(seen).toEqual(["a", "b", "c"]);
  });

  test("many lines in one read", () => {
    const body = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join("\n");
    const lines = capture([`${body}\n`]);
    expect(lines.length).toBe(5000);
    expect(lines[4999]?.replace(TS, "")).toBe("line 4999");
  });
});
