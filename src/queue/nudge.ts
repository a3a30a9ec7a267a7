// The cheap check every command that reads the store makes (X10): jobs waiting in a queue start
// on the next command that sees their slot free, even after every supervisor died.
import { readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * One directory listing when nothing waits; otherwise loads the dispatcher and starts what can
 * start. Never fails the calling command: a busy or broken queue is the dispatcher's to report.
 */
export async function nudgeQueue(root: string): Promise<void> {
  let waiting: string[];
  try {
    waiting = readdirSync(join(root, ".queued"));
  } catch {
    return;
  }
  if (waiting.length === 0) return;
  try {
    const { dispatch } = await import("./dispatch.ts");
    await dispatch(root);
  } catch {
    // Another process holds the dispatcher for too long, or the store is unreadable: a later call retries.
  }
}
