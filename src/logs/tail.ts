// Reads a byte/line window from the end of a log file (§5), never more than max_bytes of it.
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import type { Hole } from "./cap-record.ts";
import { longestMask, redactBytes } from "./redact.ts";

/**
 * Tells the range a log cap dropped (X9), read afresh at each call: readers ask before and after
 * reading, because the supervisor may drop more while they read.
 */
export type HoleProbe = () => Hole | undefined;

/**
 * The dropped range as it applies to a log of `size` bytes: the supervisor, which saw the log
 * grow further since, may already drop past `size`.
 */
function holeIn(probe: HoleProbe | undefined, size: number): Hole | undefined {
  const h = probe?.();
  return h && h.end > h.start && h.start < size ? { start: h.start, end: Math.min(h.end, size) } : undefined;
}

/**
 * The part of `buf` (read from offset `at`) that is still output: when the dropped range grew
 * into it while it was read, its bytes before the new end may be zeros. The supervisor publishes
 * a new end before it punches, so what lies past the end seen after the read was read intact.
 */
function keptPart(buf: Buffer, at: number, after: Hole | undefined): { buf: Buffer; at: number } {
  if (!after || after.end <= at) return { buf, at };
  const skip = Math.min(buf.length, after.end - at);
  return { buf: buf.subarray(skip), at: at + skip };
}

/** The tail of one log file. */
export interface TailPart {
  text: string;
  truncated: boolean;
  observedBytes: number;
  includedBytes: number;
  /** The offset up to which the log was read: where a cursor made from this read points (X1). */
  end: number;
  /** Bytes the log cap dropped from the middle of this log (X9). */
  droppedBytes: number;
}

const decoder = new TextDecoder("utf-8");

/**
 * Pure window maths over the last bytes of a file: lossy UTF-8 (a cut character becomes U+FFFD),
 * then the last `tailLines` lines joined by `\n` with no trailing newline (0 = no line limit).
 */
export function windowText(
  bytes: Uint8Array,
  byteTruncated: boolean,
  tailLines: number,
): { text: string; truncated: boolean } {
  const decoded = decoder.decode(bytes);
  if (tailLines === 0) return { text: decoded, truncated: byteTruncated };
  const lines = decoded.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.endsWith("\r")) lines[i] = l.slice(0, -1);
  }
  const lineTruncated = lines.length > tailLines;
  const kept = lineTruncated ? lines.slice(lines.length - tailLines) : lines;
  return { text: kept.join("\n"), truncated: byteTruncated || lineTruncated };
}

/**
 * Tails one file, seeking to `size - maxBytes` so a 1 GiB log costs what a 1 KiB one does.
 * Masked values (D28) are replaced by `***`: the read starts up to one value's length earlier,
 * so a value cut by the window's start is still recognised, and a value's beginning at the
 * current end of the file (the job is still writing it) is hidden too.
 */
export function tailFile(
  path: string,
  tailLines: number,
  maxBytes: number,
  masks: readonly Uint8Array[] = [],
  holes?: HoleProbe,
): TailPart {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    let observed = 0;
    try {
      observed = statSync(path).size;
    } catch {}
    return { text: "", truncated: false, observedBytes: observed, includedBytes: 0, end: 0, droppedBytes: 0 };
  }
  try {
    const size = fstatSync(fd).size;
    const hole = holeIn(holes, size);
    let len = Math.min(size, maxBytes);
    // X9: the window never reaches back across a dropped range: it starts at the oldest byte
    // kept after it, so no NUL of a hole is ever shown and the text is one contiguous run.
    let clipped = hole !== undefined && size - len < hole.end;
    if (clipped && hole) len = size - hole.end;
    let lead = clipped ? 0 : Math.min(size - len, Math.max(0, longestMask(masks) - 1));
    const from = size - len - lead;
    const buf = readAt(fd, from, len + lead);
    // Probed after the read: what the range covers now may have been zeros when we read it.
    const kept = keptPart(buf, from, holeIn(holes, size));
    if (kept.at > from) {
      clipped = true;
      lead = 0;
    }
    let bytes = redactBytes(kept.buf, masks, Math.min(lead, kept.buf.length), true);
    let byteTruncated = size > maxBytes || clipped;
    // `***` is longer than a 1- or 2-byte value: keep the window within max_bytes.
    if (bytes.length > maxBytes) {
      bytes = bytes.subarray(bytes.length - maxBytes);
      byteTruncated = true;
    }
    const { text, truncated } = windowText(bytes, byteTruncated, tailLines);
    let observed = size;
    try {
      observed = fstatSync(fd).size;
    } catch {}
    const last = holeIn(holes, size);
    const droppedBytes = last ? last.end - last.start : 0;
    return {
      text,
      truncated,
      observedBytes: observed,
      includedBytes: Buffer.byteLength(text),
      end: size,
      droppedBytes,
    };
  } finally {
    closeSync(fd);
  }
}

/** What a read from a cursor returned for one log (X1). */
export interface SincePart extends TailPart {
  /** New bytes between the cursor and what is returned, left out by the byte or line bound. */
  omittedBytes: number;
}

/**
 * The output written to a log after offset `from`, keeping its end: at most `maxBytes` bytes and
 * `tailLines` lines (0 = no line limit), masked values redacted (with context read from before the
 * window, so a value cut by it still shows as `***`). An incomplete UTF-8 character at the end is
 * left for the next read, so a character is never split between two responses. The caller checks
 * that `from` is not past the end.
 */
export function readSince(
  path: string,
  from: number,
  tailLines: number,
  maxBytes: number,
  masks: readonly Uint8Array[] = [],
  holes?: HoleProbe,
): SincePart {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return {
      text: "",
      truncated: false,
      observedBytes: 0,
      includedBytes: 0,
      end: from,
      omittedBytes: 0,
      droppedBytes: 0,
    };
  }
  try {
    const size = fstatSync(fd).size;
    const hole = holeIn(holes, size);
    let start = Math.max(from, size - maxBytes);
    // X9: a cursor (or window) that reaches into a dropped range starts at the oldest kept byte
    // after it; the skipped bytes count as omitted.
    const clipped = hole !== undefined && start < hole.end;
    if (clipped && hole) start = hole.end;
    let lead = clipped ? 0 : Math.min(start, Math.max(0, longestMask(masks) - 1));
    const read = readAt(fd, start - lead, size - start + lead);
    // Probed after the read: what the range covers now may have been zeros when we read it.
    const kept = keptPart(read, start - lead, holeIn(holes, size));
    if (kept.at > start - lead) {
      start = Math.max(start, kept.at);
      lead = start - kept.at;
    }
    const buf = kept.buf.subarray(0, kept.buf.length - incompleteUtf8Tail(kept.buf, lead));
    const end = kept.at + buf.length;
    const keepFrom = tailLines > 0 ? lastLinesStart(buf, lead, tailLines) : lead;
    const omittedBytes = Math.max(0, start - from) + (keepFrom - lead);
    const shown = redactBytes(buf, masks, keepFrom, true);
    const { text } = windowText(shown, false, tailLines);
    const last = holeIn(holes, size);
    return {
      text,
      truncated: omittedBytes > 0,
      observedBytes: size,
      includedBytes: Buffer.byteLength(text),
      end: Math.max(end, from),
      omittedBytes,
      droppedBytes: last ? last.end - last.start : 0,
    };
  } finally {
    closeSync(fd);
  }
}

/** The size of the logs right now: where a cursor made without reading points. */
export function logEnd(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * The number of bytes at the end of `buf` (after `from`) that start a UTF-8 character whose
 * remaining bytes are not written yet.
 */
export function incompleteUtf8Tail(buf: Uint8Array, from: number): number {
  for (let back = 1; back <= 3 && buf.length - back >= from; back++) {
    const b = buf[buf.length - back] as number;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Where the last `n` lines of `buf[from..]` begin (a final newline does not start a line). */
function lastLinesStart(buf: Uint8Array, from: number, n: number): number {
  let i = buf.length - 1;
  if (i >= from && buf[i] === 0x0a) i--;
  let lines = 0;
  for (; i >= from; i--) {
    if (buf[i] === 0x0a && ++lines === n) return i + 1;
  }
  return from;
}

/** Reads up to `len` bytes at `position` (fewer when the file is shorter). */
function readAt(fd: number, position: number, len: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, position + got);
    if (n <= 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** The tail fields shared by `tail`, `snapshot` and `final_snapshot`, in contract order. */
export interface Snapshot {
  stdout_tail: string;
  stderr_tail: string;
  truncated: boolean;
  encoding: "utf-8-lossy";
  stdout_observed_bytes: number;
  stderr_observed_bytes: number;
  stdout_included_bytes: number;
  stderr_included_bytes: number;
}
