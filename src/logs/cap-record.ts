// The record of what a log cap dropped (X9): per stream, the range of the log whose bytes are
// gone. The supervisor writes it; every reader of the logs consults it.
//
// Why a record and not the holes themselves: a hole is only visible at the filesystem's block
// granularity (and not at all where holes are unsupported), while readers need the exact byte
// range. The offsets in the log files stay the stream's logical offsets, so cursors keep working.
import { closeSync, openSync, readSync, writeSync } from "node:fs";

/** The dropped range of one stream: `[start, end)` of the log holds no output any more. */
export interface Hole {
  start: number;
  end: number;
}

/** What the cap dropped from each stream; `end <= start` means nothing. */
export interface CapRecord {
  stdout: Hole;
  stderr: Hole;
}

/** Fixed width, so an in-place rewrite never leaves a longer old record's tail behind. */
const WIDTH = 96;

const checksum = (n: number[]) => n.reduce((a, v, i) => (a * 31 + v * (i + 7)) % 2147483647, 17);

/** The record's text: `1 <start> <end> <start> <end> <check>` (stdout, then stderr), padded. */
export function encodeCapRecord(r: CapRecord): string {
  const nums = [r.stdout.start, r.stdout.end, r.stderr.start, r.stderr.end];
  const line = `1 ${nums.join(" ")} ${checksum(nums)}`;
  return `${line.padEnd(WIDTH - 1, " ")}\n`;
}

/** Parses a record; undefined when it is torn or malformed (the caller reads it again). */
export function decodeCapRecord(text: string): CapRecord | undefined {
  const m = /^1 (\d+) (\d+) (\d+) (\d+) (\d+) *\n$/.exec(text);
  if (!m) return undefined;
  const nums = [m[1], m[2], m[3], m[4]].map(Number);
  if (checksum(nums) !== Number(m[5])) return undefined;
  const [a, b, c, d] = nums as [number, number, number, number];
  return { stdout: { start: a, end: b }, stderr: { start: c, end: d } };
}

/**
 * Reads the record at `path`: undefined when there is none (no cap was ever reached, or a job
 * from before X9). The supervisor rewrites it in place, so a read that races a write can see a
 * mix of both: the checksum catches it and the read is repeated.
 */
export function readCapRecord(path: string): CapRecord | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(WIDTH);
    for (let i = 0; i < 20; i++) {
      const n = readSync(fd, buf, 0, WIDTH, 0);
      const rec = decodeCapRecord(buf.toString("latin1", 0, n));
      if (rec) return rec;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Bytes dropped from the middle of a stream (0 when nothing was). */
export const droppedBytes = (h: Hole | undefined): number => (h && h.end > h.start ? h.end - h.start : 0);

/** Rewrites the record in place through an open descriptor (one small pwrite; see readCapRecord). */
export function writeCapRecord(fd: number, r: CapRecord): void {
  const buf = Buffer.from(encodeCapRecord(r), "latin1");
  writeSync(fd, buf, 0, buf.length, 0);
}

/**
 * The bytes the log cap dropped from each stream, as response fields (X9), for what shows no
 * output (status, job.finished); empty while nothing was dropped.
 */
export function omittedFields(path: string): { stdout_omitted_bytes?: number; stderr_omitted_bytes?: number } {
  const rec = readCapRecord(path);
  const out = droppedBytes(rec?.stdout);
  const err = droppedBytes(rec?.stderr);
  return out > 0 || err > 0 ? { stdout_omitted_bytes: out, stderr_omitted_bytes: err } : {};
}
