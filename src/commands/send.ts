// `send <id> [TEXT] [--file PATH] [--eof]`: writes to an interactive job's stdin (X5).
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { AgentExecError, errnoOf, usageError } from "../core/errors.ts";
import { monoMs } from "../core/time.ts";
import { encodeFrames } from "../input/frames.ts";
import { readMeta, resolveJob } from "../store/job-store.ts";
import { withFileLock } from "../store/lock.ts";
import { observe } from "../store/observe.ts";
import type { Ctx, Outcome } from "./context.ts";

export interface SendInput {
  jobId: string;
  /** The bytes to write (TEXT or the file's content); may be empty with `eof`. */
  data: Uint8Array;
  /** Close the job's stdin after the bytes. */
  eof: boolean;
}

/**
 * The bytes and EOF of a `send` from the wire fields (HTTP, MCP): TEXT, with a newline when
 * asked; nothing at all is a usage error.
 */
export function sendData(
  text: string | undefined,
  newline?: boolean,
  eof?: boolean,
): { data: Uint8Array; eof: boolean } {
  if (text === undefined && !eof) throw usageError("send needs text or eof");
  return { data: Buffer.from(text === undefined ? "" : newline ? `${text}\n` : text), eof: eof === true };
}

/** How long a send waits for a just-launched supervisor to open the job's input. */
const READER_WAIT_MS = 10_000;

/** How long a send waits for a full pipe (a job that reads nothing) before it gives up. */
const FULL_PIPE_WAIT_MS = 30_000;

/**
 * Writes the bytes, in order, under the job's input lock, so two concurrent sends never
 * interleave. A job that is not interactive, not running, or whose stdin was closed is
 * invalid_state; nothing is written then.
 */
export async function sendCommand(input: SendInput, ctx: Ctx): Promise<Outcome> {
  const job = resolveJob(ctx.root, input.jobId);
  const meta = readMeta(job.paths);
  if (meta.stdin !== "interactive") {
    throw new AgentExecError(
      "invalid_state",
      `invalid job state: job ${job.id} does not read input from send; start it with --interactive`,
    );
  }
  const { state } = observe(job.paths);
  if (state.job.status !== "running") {
    throw new AgentExecError(
      "invalid_state",
      `invalid job state: job ${job.id} is ${state.job.status}; only a running job takes input`,
    );
  }
  const frames = encodeFrames(input.data, input.eof);
  await withFileLock(join(job.paths.dir, "stdin.lock"), async () => {
    // A job launched a moment ago: its supervisor may not have opened the FIFO yet (no reader,
    // ENXIO). Wait for it while the job runs with a live supervisor, within a bound.
    const deadline = monoMs() + READER_WAIT_MS;
    for (;;) {
      try {
        return await writeAll(job.paths.stdinFifo, frames, job.id);
      } catch (err) {
        const noReader = err instanceof AgentExecError && err.details?.errno === "ENXIO";
        const o = observe(job.paths);
        if (!noReader || o.state.job.status !== "running" || !o.supervisorAlive || monoMs() > deadline) throw err;
        await Bun.sleep(10);
      }
    }
  });
  const out: Record<string, unknown> = { type: "send", job_id: job.id, bytes: input.data.length };
  if (input.eof) out.eof = true;
  return { payload: out as Outcome["payload"] };
}

/**
 * Opens the FIFO without blocking: its reader is the job's supervisor, so "no reader" (ENXIO)
 * means the supervisor is gone, and a missing FIFO means the input was closed (`--eof`, or the
 * job ended). A full pipe is waited out in short steps, within a bound.
 */
async function writeAll(fifo: string, bytes: Buffer, id: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = errnoOf(err);
    const why =
      code === "ENOENT"
        ? "its stdin is closed (send --eof, or the job is ending)"
        : code === "ENXIO"
          ? "nothing reads its stdin (its supervisor is gone)"
          : `its input cannot be opened (${code ?? String(err)})`;
    throw new AgentExecError("invalid_state", `invalid job state: job ${id}: ${why}`, {
      details: { errno: code ?? "" },
    });
  }
  try {
    const deadline = monoMs() + FULL_PIPE_WAIT_MS;
    let at = 0;
    while (at < bytes.length) {
      try {
        at += writeSync(fd, bytes, at, bytes.length - at);
      } catch (err) {
        if (errnoOf(err) !== "EAGAIN") throw err;
        if (monoMs() > deadline) {
          throw new AgentExecError("internal_error", `job ${id} has not read its input for 30 s; try again`, {
            retryable: true,
          });
        }
        await Bun.sleep(2);
      }
    }
  } finally {
    closeSync(fd);
  }
}
