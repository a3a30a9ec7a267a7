// An in-process HTTP test bed: a temp root, a sealed env, the fetch handler, and cleanup that
// kills every job a test started through it and removes the temp dir.
import { afterAll, afterEach } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createFetchHandler } from "../../src/http/server.ts";

const REPO = resolve(import.meta.dir, "..", "..");

/** What a test file gets: where jobs go, the env the handler runs jobs with, the handler. */
export interface HttpBed {
  dir: string;
  root: string;
  env: Record<string, string>;
  handler: ReturnType<typeof createFetchHandler>;
  /** Remembers the process group of a job a `run` response names, so cleanup kills it. */
  track: (json: { job_id?: string; type?: string }) => void;
}

/** Call once at the top of a test file: registers the cleanup hooks of that file. */
export function httpBed(prefix: string, token: string): HttpBed {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const root = join(dir, "jobs");
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    // The handlers launch supervisors: from a test, name the CLI to re-run explicitly.
    AGENT_EXEC_SELF: JSON.stringify([process.execPath, join(REPO, "src", "cli.ts")]),
  };
  const started: number[] = [];
  afterEach(() => {
    for (const pgid of started.splice(0)) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {}
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const track = (json: { job_id?: string; type?: string }) => {
    if (!json.job_id || json.type !== "run") return;
    const state = JSON.parse(readFileSync(join(root, json.job_id, "state.json"), "utf8"));
    if (state.pgid) started.push(state.pgid);
  };
  return { dir, root, env, handler: createFetchHandler({ root, env, cwd: dir, token }), track };
}
