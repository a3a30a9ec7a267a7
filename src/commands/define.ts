// Validates a job definition and writes a new job directory (shared by run and create, §3.1.1, D5).
import { closeSync, mkdirSync, openSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { type BackendChoice, chooseBackend, remoteDependencies } from "../backend/choose.ts";
import { configBoolean, resolveLogCap, resolveWrapper } from "../core/config.ts";
import { normalizeCwd } from "../core/cwd.ts";
import { AgentExecError, errnoOf } from "../core/errors.ts";
import { STDIN_CAP } from "../core/read-file.ts";
import { isoNow } from "../core/time.ts";
import { checkPattern, mergeNotification, type NotifyFlags } from "../notify/config.ts";
import { makeFifo } from "../process/stdin-probe.ts";
import { atomicWrite } from "../store/atomic-write.ts";
import { resolveJob, writeMeta, writeState } from "../store/job-store.ts";
import { checkKey } from "../store/keys.ts";
import { writeMasks } from "../store/masks.ts";
import { type JobPaths, jobPaths } from "../store/paths.ts";
import { checkQueueName } from "../store/queues.ts";
import type { MetaRecord, NotificationConfig, StateRecord } from "../store/records.ts";
import { writeEnvFileValues, writeSecrets } from "../store/secrets.ts";
import { dedupe, isValidTag } from "../store/tags.ts";
import { agentEnvNames } from "../supervisor/agent-env.ts";
import { buildChildEnv, ENV_KEY, maskEnvItems, splitEnvItem } from "../supervisor/command.ts";
import { displayCommand } from "./command-display.ts";
import type { Ctx } from "./context.ts";
import { checkLaunchable, type EnvFileValues } from "./launch-checks.ts";

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
  /** false: --no-agent-env (X6); absent: config.toml decides (default on). */
  agentEnv?: boolean;
  /** Idempotency key (X7): a live job with it answers instead of a new one. */
  key?: string;
  /** The job's stdin, already read (--stdin-file, --stdin -, HTTP/MCP `stdin`), at most 64 MiB (X5). */
  stdin?: Uint8Array;
  /** Keep the job's stdin open for `send` (X5). */
  interactive?: boolean;
  /** Run in this queue, within its limit (X10). */
  queue?: string;
  /** Start only once these jobs (ids or prefixes) are terminal / have exited 0 (X10). */
  after?: string[];
  afterOk?: string[];
  /** --max-log-bytes (X9): bytes or a size with KiB/MiB/GiB; absent = config.toml, else 1 GiB. */
  maxLogBytes?: string | number;
  /** X13: where the supervisor runs (local, slurm); absent = config.toml, else local. */
  backend?: string;
  slurmPartition?: string;
  slurmArgs?: string[];
}

/** A definition that passed every check, ready to be written. */
export interface Definition {
  input: DefinitionInput;
  cwd: string;
  wrapper: string[];
  tags: string[];
  /** The env files as given (§2.4: verbatim); relative ones resolve against the launching caller's cwd. */
  envFiles: string[];
  /** The env files' pairs as read now; a job launched at once applies these (D42). */
  envFileValues: EnvFileValues;
  notification: NotificationConfig | undefined;
  /** Whether the agent environment is on (X6), settled with the config. */
  agentEnv: boolean;
  /** The log cap per stream in bytes (0 = unlimited). */
  maxLogBytes: number;
  /** The dependencies as full job ids (X10). */
  after: string[];
  afterOk: string[];
  /** X13: the backend, settled with the config. */
  backend: BackendChoice;
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
  if (input.key !== undefined) checkKey(input.key);
  if (input.interactive && input.stdin !== undefined) {
    throw new AgentExecError(
      "usage_error",
      "--interactive takes its input from `send`: leave out --stdin/--stdin-file",
    );
  }
  if (input.stdin !== undefined && input.stdin.length > STDIN_CAP) {
    throw new AgentExecError("invalid_input", `the job's stdin is larger than ${STDIN_CAP} bytes`);
  }
  checkNamesAndBytes(input);
  if (input.queue !== undefined) checkQueueName(input.queue);
  // A dependency must exist now (so no cycle can ever form: a new job cannot be named by an older one).
  const after = (input.after ?? []).map((d) => resolveJob(ctx.root, d).id);
  const afterOk = (input.afterOk ?? []).map((d) => resolveJob(ctx.root, d).id);
  const configPath = input.config === undefined ? undefined : resolve(ctx.cwd, input.config);
  const wrapper = resolveWrapper(input.shellWrapper, configPath, ctx.env);
  const maxLogBytes = resolveLogCap(input.maxLogBytes, configPath, ctx.env);
  const cwd = normalizeCwd(input.cwd ?? ctx.cwd, ctx.cwd);
  const envFiles = input.envFiles;
  const envFileValues = checkLaunchable(
    { cwd, cwdLabel: `--cwd ${JSON.stringify(input.cwd ?? cwd)}`, envFiles, wrapper },
    ctx,
  );
  const notification = mergeNotification(undefined, absoluteSinkFiles(input.notify, ctx.cwd));
  checkPattern(notification?.on_output_match);
  const agentEnv = agentEnvOn(input, ctx);
  const backend = chooseBackend(
    { backend: input.backend, slurmPartition: input.slurmPartition, slurmArgs: input.slurmArgs },
    configPath,
    ctx.env,
  );
  if (backend.kind !== "local") {
    if (input.queue !== undefined) {
      throw new AgentExecError("usage_error", "--queue is for local jobs; a Slurm job waits in Slurm's own queue");
    }
    if (input.interactive) {
      throw new AgentExecError("usage_error", "--interactive needs a local job (send cannot reach a compute node)");
    }
    // Fails now, before any job exists, when a dependency is not a Slurm job.
    remoteDependencies(ctx.root, [...after, ...afterOk]);
  }
  return {
    backend,
    input,
    cwd,
    wrapper,
    tags: dedupe(input.tags),
    envFiles,
    envFileValues,
    notification,
    agentEnv,
    maxLogBytes,
    after,
    afterOk,
  };
}

/**
 * D43, on every front: env names are variable names (`A=B` or "" would corrupt the env block),
 * and no word, value or path holds a NUL byte (a C string would silently end there).
 */
function checkNamesAndBytes(input: DefinitionInput): void {
  for (const item of input.env) {
    const [key] = splitEnvItem(item);
    if (!ENV_KEY.test(key)) {
      throw new AgentExecError(
        "usage_error",
        `invalid --env ${JSON.stringify(item.length > 80 ? `${item.slice(0, 80)}…` : item)}: ${JSON.stringify(key)} is not a variable name (use [A-Za-z_][A-Za-z0-9_]*)`,
      );
    }
  }
  const n = input.notify;
  const named: [string, readonly (string | undefined)[]][] = [
    ["command word", input.command],
    ["--env value", input.env],
    ["--cwd", [input.cwd]],
    ["--env-file", input.envFiles],
    ["--mask", input.mask],
    ["--shell-wrapper", [input.shellWrapper]],
    ["--config", [input.config]],
    ["notification setting", [n.notifyCommand, n.notifyFile, n.outputCommand, n.outputFile, n.outputPattern]],
  ];
  for (const [what, values] of named) {
    if (values.some((v) => v?.includes("\0"))) throw new AgentExecError("usage_error", `a ${what} contains a NUL byte`);
  }
}

/** True when the job waits for a queue slot or a dependency before it starts (X10). */
export function isQueued(def: { input: { queue?: string }; after: string[]; afterOk: string[] }): boolean {
  return def.input.queue !== undefined || def.after.length > 0 || def.afterOk.length > 0;
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
 * The environment the job will start with, as far as the front-end can tell: the caller's (when
 * inherited), its env files (as read once by the launch checks, D42) and its `--env` items.
 */
export function plannedEnv(
  job: { inheritEnv: boolean; env: readonly string[] },
  envFileValues: EnvFileValues,
  ctx: Ctx,
): Record<string, string> {
  return buildChildEnv(ctx.env, job.inheritEnv, envFileValues, job.env);
}

/** The values the job's masked variables will have (D28). */
export function maskedValues(mask: readonly string[], env: Readonly<Record<string, string>>): string[] {
  return mask.map((k) => env[k] ?? "").filter((v) => v !== "");
}

/** Whether the job gets the agent environment (X6): --no-agent-env, else config.toml's agent_env, else on. */
export function agentEnvOn(input: DefinitionInput, ctx: Ctx): boolean {
  if (input.agentEnv === false) return false;
  const config = input.config === undefined ? undefined : resolve(ctx.cwd, input.config);
  return configBoolean("agent_env", config, ctx.env) ?? true;
}

/** A new ULID. The ulid package is loaded only by the commands that create jobs (it costs ~4 ms). */
async function newId(): Promise<string> {
  const { ulid } = await import("ulid");
  return ulid();
}

/** The meta.json record of a definition (§2.4, in its field order), with masked env values. */
export function buildMeta(
  def: Definition,
  id: string,
  root: string,
  extras: { agentEnv: string[]; secrets: string[] },
): MetaRecord {
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
  meta.agent_env = extras.agentEnv;
  if (input.key !== undefined) meta.key = input.key;
  if (input.queue !== undefined) meta.queue = input.queue;
  if (def.after.length > 0) meta.after = def.after;
  if (def.afterOk.length > 0) meta.after_ok = def.afterOk;
  if (def.backend.kind !== "local") {
    meta.backend = def.backend.kind;
    if (def.backend.slurm) meta.slurm = def.backend.slurm;
  }
  if (input.stdin !== undefined) meta.stdin = "file";
  else if (input.interactive) meta.stdin = "interactive";
  // D35: a command that holds a masked value is redacted now, while the values are known (meta.json
  // does not keep them); any other is shown from its argv when read.
  const secrets = extras.secrets;
  if (secrets.some((v) => input.command.some((w) => w.includes(v)))) {
    const shown = displayCommand(input.command, secrets);
    meta.command_display = shown.command;
    if (shown.truncated) meta.command_display_truncated = true;
  }
  meta.max_log_bytes = def.maxLogBytes;
  return meta as unknown as MetaRecord;
}

/** The initial state.json of a new job: `created`, or `running` for a job about to launch. */
function initialState(id: string, status: "created" | "queued" | "running"): StateRecord {
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
  status: "created" | "queued" | "running",
  extra: Partial<MetaRecord> = {},
): Promise<{ id: string; paths: JobPaths; meta: MetaRecord }> {
  try {
    // Private by default (D44): other local users must not read a job's logs or records. An
    // existing root keeps its mode (serve warns when it is open to others).
    mkdirSync(ctx.root, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new AgentExecError("internal_error", `cannot create jobs root ${ctx.root}: ${(err as Error).message}`);
  }
  for (let attempt = 0; ; attempt++) {
    const id = await newId();
    const paths = jobPaths(ctx.root, id);
    try {
      mkdirSync(paths.dir, { mode: 0o700 });
    } catch (err) {
      if (errnoOf(err) === "EEXIST" && attempt < 5) continue;
      throw new AgentExecError("internal_error", `cannot create job directory ${paths.dir}: ${(err as Error).message}`);
    }
    try {
      writeState(paths, initialState(id, status));
      // D28: the values to redact are on record before the job can print a byte; every file
      // in the job directory is the owner's alone (D44), the logs with their raw bytes included.
      const env = plannedEnv(def.input, def.envFileValues, ctx);
      const secrets = maskedValues(def.input.mask, env);
      if (secrets.length > 0) writeMasks(paths, secrets);
      for (const p of [paths.stdout, paths.stderr, paths.full]) closeSync(openSync(p, "a", 0o600));
      // The env items, unmasked, for `start` and `restart` (X8): a 0600 file, never meta.json.
      if (def.input.env.length > 0) writeSecrets(paths, def.input.env);
      if (status === "running" && def.envFiles.length > 0) writeEnvFileValues(paths, def.envFileValues);
      if (def.input.stdin !== undefined) atomicWrite(paths.stdinFile, def.input.stdin, 0o600);
      if (def.input.interactive) makeFifo(paths.stdinFifo);
      const agentEnv = agentEnvNames(env, def.agentEnv);
      const meta = { ...buildMeta(def, id, ctx.root, { agentEnv, secrets }), ...extra };
      writeMeta(paths, meta);
      return { id, paths, meta };
    } catch (err) {
      rmSync(paths.dir, { recursive: true, force: true });
      throw new AgentExecError("internal_error", `cannot write job ${id}: ${(err as Error).message}`);
    }
  }
}
