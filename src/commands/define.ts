// Validates a job definition and writes a new job directory (shared by run and create, §3.1.1, D5).
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { resolveLogCap, resolveWrapper } from "../core/config.ts";
import { normalizeCwd } from "../core/cwd.ts";
import { AgentExecError, errnoOf } from "../core/errors.ts";
import { isoNow } from "../core/time.ts";
import { checkPattern, mergeNotification, type NotifyFlags } from "../notify/config.ts";
import { writeMeta, writeState } from "../store/job-store.ts";
import { writeMasks } from "../store/masks.ts";
import { type JobPaths, jobPaths } from "../store/paths.ts";
import type { MetaRecord, NotificationConfig, StateRecord } from "../store/records.ts";
import { writeSecrets } from "../store/secrets.ts";
import { dedupe, isValidTag } from "../store/tags.ts";
import { buildChildEnv, maskEnvItems, parseEnvFile, splitEnvItem } from "../supervisor/command.ts";
import type { Ctx } from "./context.ts";
import { checkLaunchable } from "./launch-checks.ts";

/** Everything a job is defined by, as given on the command line (or over HTTP). */
export interface DefinitionInput {
  command: string[];
  cwd?: string;
  env: string[];
  envFiles: string[];
  inheritEnv: boolean;
  mask: string[];
  tags: string[];
  timeoutMs: number;
  killAfterMs: number;
  progressEveryMs: number;
  shellWrapper?: string;
  config?: string;
  notify: NotifyFlags;
  /** --max-log-bytes (X9): bytes or a size with KiB/MiB/GiB; absent = config.toml, else 1 GiB. */
  maxLogBytes?: string | number;
}

/** A definition that passed every check, ready to be written. */
export interface Definition {
  input: DefinitionInput;
  cwd: string;
  wrapper: string[];
  tags: string[];
  /** The env files as given (§2.4: verbatim); relative ones resolve against the launching caller's cwd. */
  envFiles: string[];
  notification: NotificationConfig | undefined;
  /** The log cap per stream in bytes (0 = unlimited). */
  maxLogBytes: number;
}

/** Throws the usage error for the first invalid tag. */
export function checkTags(tags: readonly string[]): void {
  for (const t of tags) {
    if (!isValidTag(t)) {
      throw new AgentExecError(
        "usage_error",
        `invalid tag ${JSON.stringify(t)}: use dot-separated segments of letters, digits and '-' (e.g. ci, project.build)`,
      );
    }
  }
}

/**
 * Checks everything that could make the launch fail, before anything is created (D5): tags,
 * the wrapper (config and PATH), the cwd, and the env files.
 */
export function validateDefinition(input: DefinitionInput, ctx: Ctx): Definition {
  if (input.command.length === 0 || input.command[0] === "") {
    throw new AgentExecError("usage_error", "the command to run is missing or empty");
  }
  checkTags(input.tags);
  const configPath = input.config === undefined ? undefined : resolve(ctx.cwd, input.config);
  const wrapper = resolveWrapper(input.shellWrapper, configPath, ctx.env);
  const maxLogBytes = resolveLogCap(input.maxLogBytes, configPath, ctx.env);
  const cwd = normalizeCwd(input.cwd ?? ctx.cwd, ctx.cwd);
  const envFiles = input.envFiles;
  checkLaunchable({ cwd, cwdLabel: `--cwd ${JSON.stringify(input.cwd ?? cwd)}`, envFiles, wrapper }, ctx);
  const notification = mergeNotification(undefined, absoluteSinkFiles(input.notify, ctx.cwd));
  checkPattern(notification?.on_output_match);
  return { input, cwd, wrapper, tags: dedupe(input.tags), envFiles, notification, maxLogBytes };
}

/** File sinks are stored as absolute paths, so they land where the caller meant wherever the job runs. */
export function absoluteSinkFiles(f: NotifyFlags, cwd: string): NotifyFlags {
  return {
    ...f,
    ...(f.notifyFile ? { notifyFile: resolve(cwd, f.notifyFile) } : {}),
    ...(f.outputFile ? { outputFile: resolve(cwd, f.outputFile) } : {}),
  };
}

/**
 * The values the job's masked variables will have (D28): from its `--env` items, its env files
 * and, when it inherits the environment, the caller's. Env files were checked readable already;
 * one that fails now contributes nothing (the supervisor will fail the same way).
 */
export function maskedValues(
  job: { mask: readonly string[]; inheritEnv: boolean; env: readonly string[] },
  envFiles: readonly string[],
  ctx: Ctx,
): string[] {
  const files = envFiles.map((f) => {
    try {
      return parseEnvFile(readFileSync(resolve(ctx.cwd, f), "utf8"));
    } catch {
      return [];
    }
  });
  const env = buildChildEnv(ctx.env, job.inheritEnv, files, job.env);
  return job.mask.map((k) => env[k] ?? "").filter((v) => v !== "");
}

/** A new ULID. The ulid package is loaded only by the commands that create jobs (it costs ~4 ms). */
async function newId(): Promise<string> {
  const { ulid } = await import("ulid");
  return ulid();
}

/** The meta.json record of a definition (§2.4, in its field order), with masked env values. */
export function buildMeta(def: Definition, id: string, root: string): MetaRecord {
  const { input } = def;
  const meta: Record<string, unknown> = {
    job: { id },
    schema_version: "0.1",
    command: input.command,
    created_at: isoNow(),
    root,
    env_keys: input.env.map((e) => splitEnvItem(e)[0]),
  };
  if (input.env.length > 0) meta.env_vars = maskEnvItems(input.env, input.mask);
  if (input.mask.length > 0) meta.mask = input.mask;
  meta.cwd = def.cwd;
  if (def.notification) meta.notification = def.notification;
  meta.tags = def.tags;
  meta.inherit_env = input.inheritEnv;
  if (def.envFiles.length > 0) meta.env_files = def.envFiles;
  meta.timeout_ms = input.timeoutMs;
  meta.kill_after_ms = input.killAfterMs;
  meta.progress_every_ms = input.progressEveryMs;
  meta.shell_wrapper = def.wrapper;
  meta.max_log_bytes = def.maxLogBytes;
  return meta as unknown as MetaRecord;
}

/** The initial state.json of a new job: `created`, or `running` for a job about to launch. */
function initialState(id: string, status: "created" | "running"): StateRecord {
  const now = isoNow();
  return {
    job: status === "running" ? { id, status, started_at: now } : { id, status },
    result: { exit_code: null, signal: null, duration_ms: null },
    updated_at: now,
  };
}

/**
 * Creates `<root>/<ULID>/`: state.json first, so a directory that has a meta.json always has a
 * state (a concurrent `delete --all` or `gc` can never take a job being born for an unknown one),
 * then meta.json, the 0600 secrets file of a created job, and the empty logs. On any failure the
 * directory is removed again, so a failed call never leaves a half-created job.
 */
export async function writeNewJob(
  def: Definition,
  ctx: Ctx,
  status: "created" | "running",
): Promise<{ id: string; paths: JobPaths; meta: MetaRecord }> {
  try {
    mkdirSync(ctx.root, { recursive: true });
  } catch (err) {
    throw new AgentExecError("internal_error", `cannot create jobs root ${ctx.root}: ${(err as Error).message}`);
  }
  for (let attempt = 0; ; attempt++) {
    const id = await newId();
    const paths = jobPaths(ctx.root, id);
    try {
      mkdirSync(paths.dir);
    } catch (err) {
      if (errnoOf(err) === "EEXIST" && attempt < 5) continue;
      throw new AgentExecError("internal_error", `cannot create job directory ${paths.dir}: ${(err as Error).message}`);
    }
    try {
      writeState(paths, initialState(id, status));
      // D28: the values to redact are on record before the job can print a byte, and the logs,
      // which keep the raw bytes, are readable by the owner alone.
      const masked = def.input.mask.length > 0;
      if (masked) writeMasks(paths, maskedValues(def.input, def.envFiles, ctx));
      for (const p of [paths.stdout, paths.stderr, paths.full]) closeSync(openSync(p, "a", masked ? 0o600 : 0o666));
      if (status === "created" && def.input.env.length > 0) writeSecrets(paths, def.input.env);
      const meta = buildMeta(def, id, ctx.root);
      writeMeta(paths, meta);
      return { id, paths, meta };
    } catch (err) {
      rmSync(paths.dir, { recursive: true, force: true });
      throw new AgentExecError("internal_error", `cannot write job ${id}: ${(err as Error).message}`);
    }
  }
}
