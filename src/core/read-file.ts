// Reads a file a caller named, only when it is a regular file within a size cap (D42).
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { AgentExecError, errnoOf } from "./errors.ts";

/** The caps of D42. */
export const ENV_FILE_CAP = 1 << 20;
export const CONFIG_FILE_CAP = 1 << 20;
export const TOKEN_FILE_CAP = 4096;
/** `--stdin-file`, `--stdin -` and `send --file` (X5). */
export const STDIN_CAP = 64 << 20;

/**
 * The bytes of `path`, or invalid_input naming `label` and the path. The file is opened with
 * O_NONBLOCK, so opening a FIFO with no writer returns at once instead of blocking the caller's
 * loop (serve and mcp have only one), and fstat on the open descriptor decides: anything but a
 * regular file (FIFO, device such as /dev/zero, socket, directory) is refused before a byte is
 * read. At most `cap` + 1 bytes are ever read, so a file that grows while we read cannot exhaust
 * memory. `check` may refuse the file from its stat (e.g. its mode) before it is read.
 */
export function readRegularFile(
  path: string,
  label: string,
  cap: number,
  check?: (st: import("node:fs").Stats) => void,
): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw new AgentExecError("invalid_input", `cannot read ${label} ${JSON.stringify(path)}: ${errnoOf(err) ?? err}`, {
      cause: err,
    });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new AgentExecError(
        "invalid_input",
        `cannot read ${label} ${JSON.stringify(path)}: not a regular file (${kindOf(st)})`,
      );
    }
    if (st.size > cap) throw tooBig(label, path, cap);
    check?.(st);
    // Sized for the file as it is now (a 64 MiB cap must not cost 64 MiB for a small file); one
    // byte over the cap tells a file that grew while we read it from one that fits.
    let buf = Buffer.allocUnsafe(Math.min(cap, st.size) + 1);
    let got = 0;
    for (;;) {
      if (got === buf.length) {
        const bigger = Buffer.allocUnsafe(Math.min(cap + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, got);
        buf = bigger;
      }
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got > cap) throw tooBig(label, path, cap);
    }
    return buf.subarray(0, got);
  } catch (err) {
    if (err instanceof AgentExecError) throw err;
    throw new AgentExecError("invalid_input", `cannot read ${label} ${JSON.stringify(path)}: ${errnoOf(err) ?? err}`, {
      cause: err,
    });
  } finally {
    closeSync(fd);
  }
}

function tooBig(label: string, path: string, cap: number): AgentExecError {
  return new AgentExecError("invalid_input", `cannot read ${label} ${JSON.stringify(path)}: larger than ${cap} bytes`);
}

function kindOf(st: import("node:fs").Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isDirectory()) return "a directory";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  return "not a file";
}
