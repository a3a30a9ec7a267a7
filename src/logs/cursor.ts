// Cursors (X1): an opaque mark of how far both logs of one job had been read.
import { usageError } from "../core/errors.ts";

/** Where a cursor points: the job, its run (attempt, X8) and the end offset of each log. */
export interface Cursor {
  jobId: string;
  attempt: number;
  stdout: number;
  stderr: number;
}

/** `<job id>.<attempt>.<stdout offset>.<stderr offset>`, numbers in base 36: at most 63 chars. */
export function encodeCursor(c: Cursor): string {
  return `${c.jobId}.${c.attempt.toString(36)}.${c.stdout.toString(36)}.${c.stderr.toString(36)}`;
}

const SHAPE = /^([0-9A-Za-z]{1,26})\.([0-9a-z]{1,11})\.([0-9a-z]{1,11})\.([0-9a-z]{1,11})$/;

/**
 * Decodes a cursor given for job `jobId`. A malformed cursor, or one made for another job, is a
 * usage error naming the value: reading from a wrong offset would silently skip or repeat output.
 */
export function decodeCursor(text: string, jobId: string): Cursor {
  const m = SHAPE.exec(text);
  const nums = m ? [m[2], m[3], m[4]].map((n) => Number.parseInt(n as string, 36)) : [];
  if (!m || !nums.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw usageError(
      `invalid cursor ${JSON.stringify(text)}: pass the \`cursor\` value of an earlier tail, wait, status or run response`,
    );
  }
  if (m[1] !== jobId) {
    throw usageError(`cursor ${JSON.stringify(text)} belongs to job ${m[1]}, not ${jobId}`);
  }
  const [attempt, stdout, stderr] = nums as [number, number, number];
  return { jobId, attempt, stdout, stderr };
}
