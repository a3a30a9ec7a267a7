// Sizing and removing job directories, for gc and delete.
import { lstatSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

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

/** Removes a job directory; a job directory is never a symlink we would follow out of the root. */
export function removeJobDir(dir: string): void {
  rmSync(dir, { recursive: true, force: false });
}
