// Sizing and removing job directories, for gc and delete.
import { lstatSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * The sum of regular file sizes below `dir`, recursively (links are not followed). The job lock,
 * which the caller holds while it measures, is not part of the job.
 */
export function dirSize(dir: string): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of entries) {
    if (name === ".lock") continue;
    const p = join(dir, name);
    try {
      const st = lstatSync(p);
      if (st.isFile()) total += st.size;
      else if (st.isDirectory()) total += dirSize(p);
    } catch {}
  }
  return total;
}

/**
 * Removes a job directory. It is first renamed to a hidden tombstone beside it, atomically: the
 * job lock lives inside the directory, and a recursive delete in place would remove that lock
 * while a racing `start` could still take a new one in the half-deleted directory. After the
 * rename the job is simply gone (its name is not a job id, so every reader ignores it).
 */
export function removeJobDir(dir: string): void {
  const tomb = join(dirname(dir), `.deleting-${basename(dir)}-${process.pid}`);
  renameSync(dir, tomb);
  rmSync(tomb, { recursive: true, force: true });
}
