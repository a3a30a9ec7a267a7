// Where the binary under test lives: $AGENT_EXEC_BIN, else the build output <repo>/dist/agent-exec.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository root (test/helpers/../..). */
export const REPO = resolve(import.meta.dir, "..", "..");

/** The compiled agent-exec binary every black-box test spawns. */
export const BIN = process.env.AGENT_EXEC_BIN ? resolve(process.env.AGENT_EXEC_BIN) : join(REPO, "dist", "agent-exec");

if (!existsSync(BIN)) {
  throw new Error(`agent-exec binary not found at ${BIN}: run \`npm run build\` or set AGENT_EXEC_BIN`);
}

/** The Bun running the tests; fixtures are started with it, so they need no tools beyond `sh`. */
export const BUN = process.execPath;

/** The version the binary must report (taken from package.json, as the build does). */
export const VERSION: string = (await Bun.file(join(REPO, "package.json")).json()).version;
