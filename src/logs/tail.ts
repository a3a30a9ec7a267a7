// Reads a byte/line window from the end of a log file (§5), never more than max_bytes of it.
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { longestMask, redactBytes } from "./redact.ts";

/** The tail of one log file. */
export interface TailPart {
  text: string;
  truncated: boolean;
  observedBytes: number;
  includedBytes: number;
  /** The offset up to which the log was read: where a cursor made from this read points (X1). */
  end: number;
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
): TailPart {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    let observed = 0;
    try {
      observed = statSync(path).size;
    } catch {}
    return { text: "", truncated: false, observedBytes: observed, includedBytes: 0, end: 0 };
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const lead = Math.min(size - len, Math.max(0, longestMask(masks) - 1));
    const buf = readAt(fd, size - len - lead, len + lead);
    let bytes = redactBytes(buf, masks, Math.min(lead, buf.length), true);
    let byteTruncated = size > maxBytes;
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
    return { text, truncated, observedBytes: observed, includedBytes: Buffer.byteLength(text), end: size };
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
): SincePart {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return { text: "", truncated: false, observedBytes: 0, includedBytes: 0, end: from, omittedBytes: 0 };
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(from, size - maxBytes);
    const lead = Math.min(start, Math.max(0, longestMask(masks) - 1));
    let buf = readAt(fd, start - lead, size - start + lead);
    buf = buf.subarray(0, buf.length - incompleteUtf8Tail(buf, lead));
    const end = start - lead + buf.length;
    const keepFrom = tailLines > 0 ? lastLinesStart(buf, lead, tailLines) : lead;
    const omittedBytes = start - from + (keepFrom - lead);
    const shown = redactBytes(buf, masks, keepFrom, true);
    const { text } = windowText(shown, false, tailLines);
    return {
      text,
      truncated: omittedBytes > 0,
      observedBytes: size,
      includedBytes: Buffer.byteLength(text),
      end: Math.max(end, from),
      omittedBytes,
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
