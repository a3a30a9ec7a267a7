// Idempotency keys (X7): which job holds a key in a root, kept as `<root>/.key-<hex>` files (not
// directories, so `list`, `gc` and `delete` never take them for jobs), changed under a lock.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AgentExecError, usageError } from "../core/errors.ts";
import { atomicWrite } from "./atomic-write.ts";
import { tryReadState } from "./job-store.ts";
import { withFileLock } from "./lock.ts";
import { reconcile } from "./observe.ts";
import { isValidIdArgument, jobPaths } from "./paths.ts";
import { TERMINAL } from "./records.ts";

const KEY = /^[A-Za-z0-9._:/-]{1,128}$/;

/** Throws a usage error unless `key` is 1–128 chars of [A-Za-z0-9._:/-]. */
export function checkKey(key: string): void {
  if (!KEY.test(key)) {
    throw usageError(`invalid --key ${JSON.stringify(key)}: use 1 to 128 characters of A-Z a-z 0-9 . _ : / -`);
  }
}

/** The index file of a key: hex keeps any key a safe, fixed-alphabet file name. */
const keyFile = (root: string, key: string) => join(root, `.key-${Buffer.from(key).toString("hex")}`);

/** The job that holds `key` while it is not terminal (created, queued, running), if any. */
function liveHolder(root: string, key: string): string | undefined {
  let id: string;
  try {
    id = readFileSync(keyFile(root, key), "utf8").trim();
  } catch {
    return undefined;
  }
  if (!isValidIdArgument(id)) return undefined;
  const paths = jobPaths(root, id);
  const raw = tryReadState(paths);
  if (!raw) return undefined; // deleted, or gone: the key is free
  const state = raw.job.status === "running" ? reconcile(paths, raw).state : raw;
  return TERMINAL.has(state.job.status) ? undefined : id;
}

/**
 * Under the key's lock: answers the live job that holds `key`, or runs `create` (which writes a
 * new job), records it as the holder, then runs `launch` for it. Of many concurrent calls with
 * one key, exactly one creates; the others get its id.
 */
export async function withKey(
  root: string,
  key: string,
  create: () => Promise<string>,
  launch: (id: string) => void,
): Promise<{ id: string; reused: boolean }> {
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new AgentExecError("internal_error", `cannot create jobs root ${root}: ${(err as Error).message}`);
  }
  const file = keyFile(root, key);
  return withFileLock(`${file}.lock`, async () => {
    const live = liveHolder(root, key);
    if (live !== undefined) return { id: live, reused: true };
    const id = await create();
    try {
      atomicWrite(file, `${id}\n`, 0o600);
    } catch (err) {
      // Not launched yet: leave nothing half-made behind.
      rmSync(jobPaths(root, id).dir, { recursive: true, force: true });
      throw err;
    }
    launch(id);
    return { id, reused: false };
  });
}
