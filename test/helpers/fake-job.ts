// Writes job directories by hand, in the reference release's layout (§2.4, §2.5, D25): for
// prefix, ambiguity, corrupt-record and list-ordering tests that need exact ids and timestamps.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface FakeJob {
  id: string;
  status?: "created" | "running" | "exited" | "killed" | "failed";
  /** Whole-second timestamps, as upstream wrote them. */
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number | null;
  signal?: string | null;
  cwd?: string;
  tags?: string[];
  /** Raw text instead of a generated meta.json / state.json (undefined = generate; null = no file). */
  metaText?: string | null;
  stateText?: string | null;
  stdout?: string;
}

/** Creates `<root>/<id>/` with meta.json, state.json and logs. Returns the directory. */
export function writeFakeJob(root: string, job: FakeJob): string {
  const dir = join(root, job.id);
  mkdirSync(dir, { recursive: true });
  const status = job.status ?? "exited";
  const created = job.createdAt ?? "2025-01-01T00:00:00Z";
  const meta = {
    job: { id: job.id },
    schema_version: "0.1",
    command: ["echo", "fake"],
    created_at: created,
    root,
    env_keys: [],
    ...(job.cwd !== undefined ? { cwd: job.cwd } : {}),
    tags: job.tags ?? [],
    inherit_env: true,
    timeout_ms: 0,
    kill_after_ms: 0,
    progress_every_ms: 0,
  };
  const started = status === "created" ? undefined : (job.startedAt ?? created);
  const terminal = status === "exited" || status === "killed" || status === "failed";
  const finished = terminal ? (job.finishedAt ?? started) : undefined;
  const state = {
    job: { id: job.id, status, ...(started ? { started_at: started } : {}) },
    result: {
      exit_code: job.exitCode !== undefined ? job.exitCode : status === "exited" ? 0 : null,
      signal: job.signal !== undefined ? job.signal : status === "killed" ? "TERM" : null,
      duration_ms: terminal ? 5 : null,
    },
    ...(finished ? { finished_at: finished } : {}),
    updated_at: finished ?? started ?? created,
  };
  if (job.metaText !== null) writeFileSync(join(dir, "meta.json"), job.metaText ?? JSON.stringify(meta, null, 2));
  if (job.stateText !== null) writeFileSync(join(dir, "state.json"), job.stateText ?? JSON.stringify(state, null, 2));
  writeFileSync(join(dir, "stdout.log"), job.stdout ?? "");
  writeFileSync(join(dir, "stderr.log"), "");
  writeFileSync(join(dir, "full.log"), "");
  return dir;
}

/** A syntactically valid ULID-like id made of `prefix` padded with `fill` to 26 chars. */
export function fakeId(prefix: string, fill = "0"): string {
  return (prefix + fill.repeat(26)).slice(0, 26).toUpperCase();
}
