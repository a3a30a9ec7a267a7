// Follows stdout.log / stderr.log as the job writes them and derives the full.log lines.
//
// Why files and not pipes: the job writes straight into its log files, so its output never
// depends on a live supervisor (D8: SIGKILL of the supervisor loses no byte) and costs nothing
// extra (P8). The supervisor reads behind the writer to stamp lines for full.log and to feed
// output matching.
import { isUtf8 } from "node:buffer";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { writeAll } from "../core/output.ts";
import type { Hole } from "../logs/cap-record.ts";
import type { FullLogCap } from "./log-cap.ts";

const CHUNK = 1 << 20;
/** A line longer than this is cut into pieces, so a job printing no newline cannot grow our memory. */
export const MAX_LINE = 1 << 20;
const NL = 10;
const decoder = new TextDecoder("utf-8");

/** Called with each decoded line (no `\n`; a `\r` is kept) and the file offset where it starts. */
export type LineListener = (line: string, stream: "stdout" | "stderr", offset: number) => void;

/** Reads one log file from where it last stopped and emits its complete lines. */
export class LineCapture {
  /** Set while output matching is configured; the fast path runs only without one. */
  listener: LineListener | undefined;
  readonly stream: "stdout" | "stderr";
  private readonly fd: number;
  private readonly outFd: number;
  private readonly tag: Buffer;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  /** A partial line waiting for its end, and the file offset where it starts. */
  private carry: Buffer | undefined;
  private carryStart = 0;
  /** Bytes of full.log lines that could not be written (a full disk). */
  droppedBytes = 0;
  /** Told once, at the first failed full.log write. */
  onWriteError: ((err: unknown) => void) | undefined;
  /** What the log cap dropped from this log (X9): never read, skipped with a note in full.log. */
  dropped: (() => Hole | undefined) | undefined;
  /** Bounds full.log itself (X9). */
  fullCap: FullLogCap | undefined;
  /** Called after each chunk read: lets the log cap keep up while a long backlog is read. */
  between: (() => void) | undefined;

  constructor(path: string, stream: "stdout" | "stderr", outFd: number, listener?: LineListener) {
    this.stream = stream;
    this.outFd = outFd;
    this.listener = listener;
    this.fd = openSync(path, "r");
    this.tag = Buffer.from(stream === "stdout" ? " [STDOUT] " : " [STDERR] ");
  }

  /** Reads up to `budget` bytes of what is available now; returns how many bytes it read. */
  pump(budget = 8 * CHUNK): number {
    let total = 0;
    while (total < budget) {
      const hole = this.dropped?.();
      if (hole && this.pos >= hole.start && this.pos < hole.end) this.skip(hole.end);
      // Never read across the start of a dropped range: its bytes may be punched before we get there.
      const limit = hole && this.pos < hole.start ? hole.start - this.pos : CHUNK;
      const n = readSync(this.fd, this.buf, 0, Math.min(CHUNK, limit, budget - total), this.pos);
      if (n <= 0) break;
      const start = this.pos;
      this.pos += n;
      total += n;
      this.consume(this.buf.subarray(0, n), start);
      this.between?.();
    }
    return total;
  }

  /**
   * Jumps over a range the log cap dropped: a pending partial line ends where the kept head
   * ends, and full.log notes how much is missing.
   */
  private skip(to: number): void {
    if (this.carry && this.carry.length > 0) this.emit([this.carry], [this.carryStart]);
    this.carry = undefined;
    this.write(
      Buffer.from(
        `${new Date().toISOString()}${this.tag}[agent-exec: ${to - this.pos} bytes omitted by max_log_bytes]\n`,
      ),
    );
    this.pos = to;
  }

  /** How far this log has been read. */
  get position(): number {
    return this.pos;
  }

  /** The log's current size. */
  size(): number {
    return fstatSync(this.fd).size;
  }

  /** End of stream: reads what is there now, then emits the trailing partial line, if any. */
  finish(): void {
    // Read up to the size seen now: a daemon that keeps writing must not keep us here forever.
    this.pump(Math.max(0, fstatSync(this.fd).size - this.pos));
    if (this.carry && this.carry.length > 0) this.emit([this.carry], [this.carryStart]);
    this.carry = undefined;
    closeSync(this.fd);
  }

  private consume(data: Buffer, at: number): void {
    const last = data.lastIndexOf(NL);
    // Fast path, the common case: no partial line pending, no listener, valid UTF-8. The lines
    // are copied straight from the read buffer with one native UTF-8 check for the whole chunk.
    if (last >= 0 && !this.carry && !this.listener && isUtf8(data.subarray(0, last))) {
      this.emitRegion(data.subarray(0, last + 1));
      if (last + 1 < data.length) this.keep(data.subarray(last + 1), at + last + 1);
      return;
    }
    const lines: Buffer[] = [];
    const offsets: number[] = [];
    let start = 0;
    for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL, start)) {
      let line = data.subarray(start, nl);
      let offset = at + start;
      if (this.carry) {
        line = Buffer.concat([this.carry, line]);
        offset = this.carryStart;
        this.carry = undefined;
      }
      lines.push(line);
      offsets.push(offset);
      start = nl + 1;
    }
    if (lines.length > 0) this.emit(lines, offsets);
    if (start < data.length) this.keep(data.subarray(start), at + start);
  }

  /** Keeps a partial line for the next read (copied: the read buffer is reused). */
  private keep(rest: Buffer, at: number): void {
    if (this.carry) this.carry = Buffer.concat([this.carry, rest]);
    else {
      this.carry = Buffer.from(rest);
      this.carryStart = at;
    }
    while (this.carry.length >= MAX_LINE) {
      this.emit([this.carry.subarray(0, MAX_LINE)], [this.carryStart]);
      this.carry = Buffer.from(this.carry.subarray(MAX_LINE));
      this.carryStart += MAX_LINE;
    }
  }

  /** Writes a region of complete, valid lines (each ending in `\n`) with one prefix per line. */
  private emitRegion(region: Buffer): void {
    const prefix = this.prefix();
    let count = 0;
    for (let i = region.indexOf(NL); i >= 0; i = region.indexOf(NL, i + 1)) count++;
    const out = Buffer.allocUnsafe(region.length + count * prefix.length);
    let off = 0;
    let start = 0;
    for (let nl = region.indexOf(NL); nl >= 0; nl = region.indexOf(NL, start)) {
      off += prefix.copy(out, off);
      off += region.copy(out, off, start, nl + 1);
      start = nl + 1;
    }
    this.write(out);
  }

  /**
   * Appends to full.log. A failed write (a full disk) drops those full.log lines but never the
   * read position or the output matching: stdout.log and stderr.log stay the complete record.
   */
  private write(out: Buffer): void {
    try {
      writeAll(this.outFd, out);
      this.fullCap?.wrote(out.length);
    } catch (err) {
      this.droppedBytes += out.length;
      if (this.droppedBytes === out.length) this.onWriteError?.(err);
    }
  }

  private prefix(): Buffer {
    return Buffer.concat([Buffer.from(new Date().toISOString()), this.tag]);
  }

  /** Writes `<ts> [STREAM] <text>\n` for each line in one write; invalid UTF-8 becomes U+FFFD. */
  private emit(lines: Buffer[], offsets: number[]): void {
    const prefix = this.prefix();
    const texts = lines.map((l) => (isUtf8(l) ? l : Buffer.from(decoder.decode(l))));
    let size = 0;
    for (const t of texts) size += prefix.length + t.length + 1;
    const out = Buffer.allocUnsafe(size);
    let off = 0;
    for (const t of texts) {
      off += prefix.copy(out, off);
      off += t.copy(out, off);
      out[off++] = NL;
    }
    this.write(out);
    const listener = this.listener;
    if (!listener) return;
    for (let i = 0; i < texts.length; i++)
      listener((texts[i] as Buffer).toString("utf8"), this.stream, offsets[i] as number);
  }
}
