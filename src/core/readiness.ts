// Readiness conditions (X2): a line in the output, a TCP port that accepts, a path that exists.
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { connect } from "node:net";
import { type Hole, readCapRecord } from "../logs/cap-record.ts";
import { decodeCursor, encodeCursor } from "../logs/cursor.ts";
import { redactText } from "../logs/redact.ts";
import { readMasks } from "../store/masks.ts";
import type { JobPaths } from "../store/paths.ts";
import { usageError } from "./errors.ts";

/** What the caller waits for; the first condition to hold wins. */
export interface Readiness {
  /** A JavaScript RegExp source (no flags), tested against each line. */
  match?: string;
  stream: "stdout" | "stderr" | "either";
  port?: number;
  host: string;
  file?: string;
}

/** Why a wait ended ready (`ready_by` of X2). */
export type ReadyBy =
  | { kind: "match"; line: string; stream: "stdout" | "stderr"; cursor: string }
  | { kind: "port"; port: number }
  | { kind: "file"; path: string };

/** True when any readiness condition was asked for. */
export const wantsReadiness = (r: Readiness | undefined): r is Readiness =>
  r !== undefined && (r.match !== undefined || r.port !== undefined || r.file !== undefined);

/** The most a scan reads per stream in one step, so a huge backlog never holds a whole log in memory. */
const SCAN_CHUNK = 1 << 20;

/**
 * Scans a job's logs line by line for a pattern, from where a cursor points (or the start), and
 * remembers how far it got, so each byte is read once however often it is woken. Complete lines
 * are tested once each, and so is the line still being written each time more of it arrives (a
 * prompt ends without a newline); a line split across writes thus matches as soon as enough of it
 * is there.
 */
export class LineScanner {
  private readonly re: RegExp;
  private readonly paths: JobPaths;
  private readonly jobId: string;
  private readonly attempt: number;
  private readonly masks: readonly Uint8Array[];
  private readonly streams: ("stdout" | "stderr")[];
  private readonly offset: Record<"stdout" | "stderr", number>;
  private readonly carry: Record<"stdout" | "stderr", Buffer> = {
    stdout: Buffer.alloc(0),
    stderr: Buffer.alloc(0),
  };

  constructor(
    job: { paths: JobPaths; id: string; attempt: number; masks: readonly Uint8Array[] },
    pattern: string,
    stream: Readiness["stream"],
    from: { stdout: number; stderr: number },
  ) {
    this.re = new RegExp(pattern);
    this.paths = job.paths;
    this.jobId = job.id;
    this.attempt = job.attempt;
    this.masks = job.masks;
    this.streams = stream === "either" ? ["stdout", "stderr"] : [stream];
    this.offset = { ...from };
  }

  /** Reads what is new and returns the first matching line's `ready_by`, if any. */
  scan(final: boolean): ReadyBy | undefined {
    for (const stream of this.streams) {
      const hit = this.scanStream(stream, final);
      if (hit) return hit;
    }
    return undefined;
  }

  private scanStream(stream: "stdout" | "stderr", final: boolean): ReadyBy | undefined {
    let fd: number;
    try {
      fd = openSync(this.paths[stream], "r");
    } catch {
      return undefined;
    }
    try {
      for (;;) {
        const size = fstatSync(fd).size;
        // X9: skip what the log cap dropped (a line cut by it is not tested), and never read
        // across the start of a dropped range: those bytes may be gone by the time they are read.
        const hole = this.hole(stream, size);
        if (hole && this.offset[stream] >= hole.start && this.offset[stream] < hole.end) {
          this.offset[stream] = hole.end;
          this.carry[stream] = Buffer.alloc(0);
        }
        const at = this.offset[stream];
        const limit = hole && at < hole.start ? hole.start : size;
        const len = Math.min(SCAN_CHUNK, limit - at);
        if (len <= 0) break;
        const chunk = Buffer.allocUnsafe(len);
        const got = readSync(fd, chunk, 0, len, at);
        if (got <= 0) break;
        // Dropped meanwhile: what was read before the new end may be zeros (see logs/tail.ts).
        const now = this.hole(stream, size);
        let data = chunk.subarray(0, got);
        if (now && now.end > at) {
          data = data.subarray(Math.min(got, now.end - at));
          this.offset[stream] = Math.min(at + got, now.end);
          this.carry[stream] = Buffer.alloc(0);
        }
        const hit = this.lines(stream, data);
        if (hit) return hit;
      }
      const rest = this.carry[stream];
      if (final && rest.length > 0) {
        this.carry[stream] = Buffer.alloc(0);
        return this.test(stream, rest, this.offset[stream]);
      }
      // The line being written counts too: a prompt ("Continue? [y/N] ") ends without a newline
      // and waits for an answer, so it would never become a complete line.
      if (rest.length > 0) return this.test(stream, rest, this.offset[stream]);
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  /** The range the log cap dropped from `stream`, as far as it reaches into a log of `size` bytes. */
  private hole(stream: "stdout" | "stderr", size: number): Hole | undefined {
    const h = readCapRecord(this.paths.logCap)?.[stream];
    return h && h.end > h.start && h.start < size ? { start: h.start, end: Math.min(h.end, size) } : undefined;
  }

  /** Tests each complete line of `carry + bytes`; stops after the first match. */
  private lines(stream: "stdout" | "stderr", bytes: Buffer): ReadyBy | undefined {
    const buf = this.carry[stream].length > 0 ? Buffer.concat([this.carry[stream], bytes]) : bytes;
    const base = this.offset[stream] - this.carry[stream].length;
    let start = 0;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
      const line = buf.subarray(start, nl);
      start = nl + 1;
      const hit = this.test(stream, line, base + start);
      if (hit) {
        this.carry[stream] = Buffer.from(buf.subarray(start));
        this.offset[stream] = base + buf.length;
        return hit;
      }
    }
    this.carry[stream] = Buffer.from(buf.subarray(start));
    this.offset[stream] = base + buf.length;
    return undefined;
  }

  private test(stream: "stdout" | "stderr", raw: Buffer, end: number): ReadyBy | undefined {
    let line = raw.toString("utf8");
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (!this.re.test(line)) return undefined;
    const other = stream === "stdout" ? "stderr" : "stdout";
    const at = { [stream]: end, [other]: this.offset[other] } as { stdout: number; stderr: number };
    return {
      kind: "match",
      line: redactText(line, this.masks),
      stream,
      cursor: encodeCursor({ jobId: this.jobId, attempt: this.attempt, ...at }),
    };
  }
}

/** True when a TCP connection to host:port succeeds within half a second. */
export function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Checks the port and file conditions once (the match condition is the scanner's). */
export async function probeOnce(r: Readiness): Promise<ReadyBy | undefined> {
  if (r.file !== undefined && existsSync(r.file)) return { kind: "file", path: r.file };
  if (r.port !== undefined && (await portOpen(r.host, r.port))) return { kind: "port", port: r.port };
  return undefined;
}

/**
 * Checks the conditions before anything starts (X2): a regex that compiles, a port in 1..65535,
 * a non-empty path. Throws a usage error naming the value.
 */
export function checkReadiness(r: Readiness | undefined): void {
  if (!r) return;
  if (r.match !== undefined) {
    try {
      new RegExp(r.match);
    } catch (err) {
      throw usageError(`invalid --until-match ${JSON.stringify(r.match)}: ${(err as Error).message}`);
    }
  }
  if (r.port !== undefined && !(Number.isInteger(r.port) && r.port >= 1 && r.port <= 65_535)) {
    throw usageError(`invalid --until-port ${JSON.stringify(String(r.port))}: expected a TCP port from 1 to 65535`);
  }
  if (r.file === "") throw usageError('invalid --until-file "": expected a path');
  if (r.host === "") throw usageError('invalid --until-host "": expected a host name or address');
}

/**
 * The watch for one job's readiness: the line scanner starts at `since` (a cursor of this job) or
 * at the start of its logs, so a line printed before the call is found.
 */
export function readyWatch(
  r: Readiness,
  job: { paths: JobPaths; id: string; attempt: number },
  since: string | undefined,
): { readiness: Readiness; scanner?: LineScanner } {
  if (r.match === undefined) return { readiness: r };
  let from = { stdout: 0, stderr: 0 };
  if (since !== undefined) {
    const c = decodeCursor(since, job.id);
    if (c.attempt === job.attempt) from = { stdout: c.stdout, stderr: c.stderr };
  }
  const scanner = new LineScanner({ ...job, masks: readMasks(job.paths) }, r.match, r.stream, from);
  return { readiness: r, scanner };
}
