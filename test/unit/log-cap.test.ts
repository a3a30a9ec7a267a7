// The pure parts of bounded logs (X9): the cap's syntax, the drop record, and reads around a hole.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeCapRecord, encodeCapRecord } from "../../src/logs/cap-record.ts";
import { parseLogCap } from "../../src/logs/size.ts";
import { readSince, tailFile } from "../../src/logs/tail.ts";

describe("parseLogCap", () => {
  test("bytes, KiB, MiB, GiB and 0", () => {
    expect(parseLogCap("4096", "--max-log-bytes")).toBe(4096);
    expect(parseLogCap("64MiB", "--max-log-bytes")).toBe(64 * 1024 * 1024);
    expect(parseLogCap("8kib", "--max-log-bytes")).toBe(8192);
    expect(parseLogCap("1GiB", "--max-log-bytes")).toBe(1 << 30);
    expect(parseLogCap(0, "max_log_bytes")).toBe(0);
  });
  test("below 4096, other units and garbage are usage errors naming the value", () => {
    for (const bad of ["100", "4095", "1XB", "1MB", "-1", "", "1.5MiB", "MiB"]) {
      expect(() => parseLogCap(bad, "--max-log-bytes")).toThrow(JSON.stringify(bad));
    }
  });
});

describe("cap record", () => {
  test("round-trips and rejects a torn record", () => {
    const rec = { stdout: { start: 2048, end: 1 << 40 }, stderr: { start: 0, end: 0 } };
    const text = encodeCapRecord(rec);
    expect(text.length).toBe(96);
    expect(decodeCapRecord(text)).toEqual(rec);
    expect(decodeCapRecord(text.replace("2048", "2049"))).toBeUndefined();
    expect(decodeCapRecord(text.slice(0, 20))).toBeUndefined();
  });
});

describe("reads around a dropped range", () => {
  const dir = mkdtempSync(join(tmpdir(), "cap-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // head "h1\nh2\n" (6 bytes), a 10-byte hole of NULs, then "t1\nt2\n".
  const p = join(dir, "x.log");
  writeFileSync(p, Buffer.concat([Buffer.from("h1\nh2\n"), Buffer.alloc(10), Buffer.from("t1\nt2\n")]));
  const hole = () => ({ start: 6, end: 16 });

  test("a tail window never reaches back across the hole", () => {
    expect(tailFile(p, 50, 65536, [], hole)).toEqual({
      text: "t1\nt2",
      truncated: true,
      observedBytes: 22,
      includedBytes: 5,
      end: 22,
      droppedBytes: 10,
    });
  });

  test("a cursor in the head or the hole starts at the oldest kept byte and counts what it skipped", () => {
    for (const from of [0, 3, 6, 10]) {
      const r = readSince(p, from, 0, 65536, [], hole);
      expect(r.text).toBe("t1\nt2\n");
      expect(r.omittedBytes).toBe(16 - from);
      expect(r.end).toBe(22);
    }
    expect(readSince(p, 19, 0, 65536, [], hole).omittedBytes).toBe(0);
  });

  test("a hole that grows during the read is read again", () => {
    let calls = 0;
    const growing = () => (calls++ === 0 ? undefined : { start: 6, end: 16 });
    expect(readSince(p, 0, 0, 65536, [], growing).text).toBe("t1\nt2\n");
  });
});
