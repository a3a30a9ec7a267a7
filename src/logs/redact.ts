// Masked values (D28): pure redaction of bytes and text before agent-exec shows them.

/** What a masked value is shown as. */
export const REDACTED = "***";
const REDACTED_BYTES = new TextEncoder().encode(REDACTED);

/** The values to hide, as bytes, longest first; empty values hide nothing and are dropped. */
export function maskBytes(values: readonly string[]): Buffer[] {
  return values
    .filter((v) => v !== "")
    .map((v) => Buffer.from(v, "utf8"))
    .sort((a, b) => b.length - a.length);
}

/** The longest masked value in bytes (0 without any). */
export function longestMask(masks: readonly Uint8Array[]): number {
  return masks.reduce((n, m) => Math.max(n, m.length), 0);
}

/**
 * Byte ranges [start, end) of `buf` covered by any occurrence of any masked value, overlapping and
 * adjacent ranges merged, so values that are substrings of each other (or overlap) become one
 * `***`. With `openEnd`, a proper prefix of a value at the very end of `buf` counts too: the rest
 * of the value may be written a moment later, and a tail read in between must not show its start.
 */
export function maskedRanges(buf: Uint8Array, masks: readonly Uint8Array[], openEnd = false): [number, number][] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const ranges: [number, number][] = [];
  for (const m of masks) {
    for (let at = b.indexOf(m); at >= 0; at = b.indexOf(m, at + 1)) ranges.push([at, at + m.length]);
    if (openEnd) {
      for (let len = Math.min(m.length - 1, b.length); len > 0; len--) {
        if (b.subarray(b.length - len).equals(m.subarray(0, len))) {
          ranges.push([b.length - len, b.length]);
          break;
        }
      }
    }
  }
  if (ranges.length < 2) return ranges;
  ranges.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [ranges[0] as [number, number]];
  for (const r of ranges.slice(1)) {
    const last = merged[merged.length - 1] as [number, number];
    if (r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push(r);
  }
  return merged;
}

/**
 * `buf` from byte `from` on, each masked range replaced by `***`. Bytes before `from` are context
 * only: a value that starts there and ends after `from` is still recognised (a read window that
 * cuts a value in two shows `***`, never the value's second half).
 */
export function redactBytes(buf: Uint8Array, masks: readonly Uint8Array[], from = 0, openEnd = false): Uint8Array {
  if (masks.length === 0) return from === 0 ? buf : buf.subarray(from);
  const ranges = maskedRanges(buf, masks, openEnd).filter((r) => r[1] > from);
  if (ranges.length === 0) return from === 0 ? buf : buf.subarray(from);
  const parts: Uint8Array[] = [];
  let at = from;
  for (const [start, end] of ranges) {
    const s = Math.max(start, from);
    if (s > at) parts.push(buf.subarray(at, s));
    parts.push(REDACTED_BYTES);
    at = end;
  }
  if (at < buf.length) parts.push(buf.subarray(at));
  return Buffer.concat(parts);
}

/** `text` with every masked value replaced by `***` (lines, commands, events). */
export function redactText(text: string, masks: readonly Uint8Array[]): string {
  if (masks.length === 0 || text === "") return text;
  const buf = Buffer.from(text, "utf8");
  const out = redactBytes(buf, masks);
  return out === buf ? text : Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString("utf8");
}
