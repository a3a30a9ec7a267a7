// Reads a log forward from an offset, a bounded chunk at a time (X11): the stream that follows a
// job sends every byte once, in order, so it never skips to the end as a tail does.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { longestMask, maskedRanges, redactBytes } from "./redact.ts";
import { incompleteUtf8Tail } from "./tail.ts";

/** One chunk of a log: its text and the offset the next read starts at. */
export interface ForwardPart {
  text: string;
  end: number;
}

const decoder = new TextDecoder("utf-8");
let scratch = Buffer.allocUnsafe(0);

/**
 * At most `maxBytes` of the log after `from`, masked values redacted (D28). Unless `final` (the
 * job has ended and nothing more will come), the read stops before an incomplete UTF-8 character
 * and before what may be the start of a masked value at the end, so neither is split between two
 * chunks: they come with the next read. `end === from` means nothing new.
 */
export function readForward(
  path: string,
  from: number,
  maxBytes: number,
  masks: readonly Uint8Array[],
  final: boolean,
): ForwardPart {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return { text: "", end: from };
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= from) return { text: "", end: from };
    // Context before `from`: a value that began in the previous chunk is still recognised.
    const lead = Math.min(from, Math.max(0, longestMask(masks) - 1));
    // A little over maxBytes: a character or masked value that starts at `from` always fits, so
    // holding back what may be cut at the end can never leave a read with nothing to return.
    const want = Math.min(Math.max(1, maxBytes) + longestMask(masks) + 3, size - from) + lead;
    // One scratch buffer for every read: the bytes become a string before the next read, and a
    // fresh 256 KiB buffer per chunk per client is garbage the GC reclaims late.
    if (scratch.length < want) scratch = Buffer.allocUnsafe(Math.max(want, scratch.length * 2));
    const buf = scratch;
    let got = 0;
    while (got < want) {
      const n = readSync(fd, buf, got, want - got, from - lead + got);
      if (n <= 0) break;
      got += n;
    }
    let bytes = buf.subarray(0, got);
    const whole = final && from - lead + got >= size;
    if (!whole) {
      bytes = bytes.subarray(0, bytes.length - incompleteUtf8Tail(bytes, lead));
      if (masks.length > 0) {
        const last = maskedRanges(bytes, masks, true).at(-1);
        if (last && last[1] === bytes.length) bytes = bytes.subarray(0, Math.max(lead, last[0]));
      }
    }
    if (bytes.length <= lead) return { text: "", end: from };
    const shown = masks.length > 0 ? redactBytes(bytes, masks, lead, false) : bytes.subarray(lead);
    return { text: decoder.decode(shown), end: from - lead + bytes.length };
  } finally {
    closeSync(fd);
  }
}
