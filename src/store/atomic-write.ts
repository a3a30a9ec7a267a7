// Whole-file replacement through a temp file and rename(2) in the same directory.
import { renameSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

let counter = 0;

/**
 * Writes `data` to `path` so that a reader sees the old file or the new one, never a part:
 * rename(2) within one directory is atomic. Files are private by default (0600, D44): records
 * hold env values and logs hold secrets. Temp names start with `.tmp-`, which every reader
 * ignores. No fsync: atomicity against crashes of our own processes is what the contract needs,
 * and an fsync per state write would cost milliseconds on every job.
 */
export function atomicWrite(path: string, data: string | Uint8Array, mode = 0o600, inPlaceWhenFull = false): void {
  const tmp = join(dirname(path), `.tmp-${basename(path)}-${process.pid}-${++counter}`);
  try {
    writeFileSync(tmp, data, { mode });
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // The temp file was never created, or is already gone.
    }
    // A full disk has no room for a second copy; a small record can still replace itself in
    // place (truncating frees its blocks first). Not atomic, but better than no record at all.
    const code = (err as { code?: string }).code;
    if (inPlaceWhenFull && (code === "ENOSPC" || code === "EDQUOT")) {
      writeFileSync(path, data, { mode });
      return;
    }
    throw err;
  }
}

/** Pretty JSON (2-space indent) with a final newline, as the persisted files use. */
export function prettyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
