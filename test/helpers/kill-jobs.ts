// Cleanup for tests that start jobs through a front: kill the process group of every job on record.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** SIGKILLs the group of every job under `root` whose state names one (restarted ones included). */
export function killJobsOf(root: string): void {
  if (!existsSync(root)) return;
  for (const id of readdirSync(root).filter((n) => !n.startsWith("."))) {
    try {
      const { pgid } = JSON.parse(readFileSync(join(root, id, "state.json"), "utf8"));
      if (pgid) process.kill(-pgid, "SIGKILL");
    } catch {}
  }
}
