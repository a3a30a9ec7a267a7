// The per-job supervisor: spawns the command in its own process group, follows its logs, enforces
// the timeout, and records the end exactly once. It is the only writer of state.json after launch.
import {
  appendFileSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { getPriority, setPriority } from "node:os";
import { ENV_FILE_CAP, readRegularFile } from "../core/read-file.ts";
import { isoNow, monoMs } from "../core/time.ts";
import { type LongTimer, setLongInterval, setLongTimeout } from "../core/timer.ts";
import { StdinRelay } from "../input/relay.ts";
import { Notifier } from "../notify/notifier.ts";
import { groupAlive, signalGroup, signalGroupExcept } from "../process/signal.ts";
import { bareSignalName, signalNumber } from "../process/signal-names.ts";
import { readExitStatus } from "../store/exit-status.ts";
import { readMeta, tryReadState, writeState } from "../store/job-store.ts";
import { type JobPaths, jobPaths } from "../store/paths.ts";
import { failedState, type MetaRecord, type Resources, type StateRecord } from "../store/records.ts";
import { takeEnvFileValues } from "../store/secrets.ts";
import { applyAgentEnv } from "./agent-env.ts";
import { buildChildEnv, childArgv, DEFAULT_WRAPPER, parseEnvFile } from "./command.ts";
import { dropSupervisorEnv, RUNTIME_ENV_VAR } from "./env-var.ts";
import { LogFollower } from "./follow.ts";
import { LogCap } from "./log-cap.ts";
import { RssWatch } from "./rss.ts";
import { waiterArgv } from "./waiter.ts";

/**
 * How long the terminal state may wait for full.log to catch up (D9). stdout.log and stderr.log
 * are complete the moment the job exits (it writes them itself), so `tail` after `wait` never
 * misses a byte; full.log is derived from them and, after a burst of output, may finish a little
 * after the end is published. A short window keeps small jobs fully consistent without making a
 * 1 GiB job's caller wait for the derived log.
 */
const DRAIN_WINDOW_MS = 250;

/** Slurm's own ends of a job it signalled (X13), as our `reason`. */
const SCHEDULER_ENDS: Record<string, string> = {
  TIMEOUT: "slurm_timeout",
  PREEMPTED: "slurm_preempted",
  DEADLINE: "slurm_deadline",
  NODE_FAIL: "slurm_node_fail",
  OUT_OF_MEMORY: "slurm_out_of_memory",
};

/** squeue reasons of a job Slurm is ending itself, as the state it will end in. */
const REASON_ENDS: Record<string, string> = {
  TimeLimit: "TIMEOUT",
  Preempted: "PREEMPTED",
  NodeDown: "NODE_FAIL",
  DeadLine: "DEADLINE",
  OutOfMemory: "OUT_OF_MEMORY",
};

/** Entry of the hidden `_supervise <root> <id> [--log PATH]` mode. Returns the process exit code. */
export async function supervise(argv: string[]): Promise<number> {
  const [root, id] = argv;
  if (!root || !id) return 2;
  // The runtime options were for this process (read at its start); the job must not inherit them.
  dropSupervisorEnv(process.env);
  const logIdx = argv.indexOf("--log");
  const fullLogPath = logIdx >= 0 ? argv[logIdx + 1] : undefined;
  const paths = jobPaths(root, id);
  const sup = new Supervisor(paths, fullLogPath, root, argv.includes("--slurm"));
  // A supervisor must outlive its own bugs and a failing disk: a stray exception in a timer is
  // logged and the job is still followed and recorded.
  process.on("uncaughtException", (err) => sup.diag(`uncaught: ${(err as Error)?.stack ?? String(err)}`));
  process.on("unhandledRejection", (err) => sup.diag(`unhandled rejection: ${String(err)}`));
  try {
    await sup.run();
    return sup.remoteExit(0);
  } catch (err) {
    sup.diag(`supervisor error: ${(err as Error)?.stack ?? String(err)}`);
    // Never record an end while the job still runs: wait for it and record what it did.
    await sup.salvage();
    return sup.remoteExit(1);
  } finally {
    await startQueued(root, sup);
  }
}

/** Whatever the end, a slot may be free now: start the queued jobs that can start (X10). */
async function startQueued(root: string, sup: Supervisor): Promise<void> {
  try {
    const { dispatch } = await import("../queue/dispatch.ts");
    const started = await dispatch(root);
    if (started.length > 0) sup.diag(`started queued jobs: ${started.join(" ")}`);
  } catch (err) {
    sup.diag(`cannot start queued jobs: ${String(err)}`);
  }
}

/** `resources` of X3 from the child's rusage (wait4), or nothing where the platform gives none. */
function resourcesOf(child: ReturnType<typeof Bun.spawn>, rss: RssWatch | undefined): { resources?: Resources } {
  try {
    const r = child.resourceUsage();
    if (!r) return {};
    const maxRssKb = rss?.maxRssKb(Math.round(r.maxRSS / 1024));
    return {
      resources: {
        ...(maxRssKb === undefined ? {} : { max_rss_kb: maxRssKb }),
        user_cpu_ms: Math.round(Number(r.cpuTime.user) / 1000),
        system_cpu_ms: Math.round(Number(r.cpuTime.system) / 1000),
      },
    };
  } catch {
    return {};
  }
}

/** A job launched without the parsed file (an older launcher): its env files, read safely. */
function legacyEnvFiles(meta: MetaRecord): [string, string][][] {
  return (meta.env_files ?? []).map((f) =>
    parseEnvFile(readRegularFile(f, "--env-file", ENV_FILE_CAP).toString("utf8")),
  );
}

class Supervisor {
  private state: StateRecord;
  private meta!: MetaRecord;
  private terminal = false;
  private child: ReturnType<typeof Bun.spawn> | undefined;
  private spawnedAt = 0;
  private rss: RssWatch | undefined;
  private readonly paths: JobPaths;
  private readonly fullLogPath: string | undefined;
  /** Run by a Slurm batch job (X13): the job waits as `queued` until this process starts. */
  private readonly remote: boolean;
  /** The scheduler's state when it signalled the job itself (TIMEOUT, PREEMPTED, …). */
  private remoteEnd: string | undefined;

  /** The jobs root, where the queues are. */
  readonly root: string;

  constructor(paths: JobPaths, fullLogPath: string | undefined, root: string, remote = false) {
    this.root = root;
    this.remote = remote;
    this.paths = paths;
    this.fullLogPath = fullLogPath;
    const prior = tryReadState(paths);
    this.state = prior ?? {
      job: { id: paths.dir.slice(paths.dir.lastIndexOf("/") + 1), status: "running" },
      result: { exit_code: null, signal: null, duration_ms: null },
      updated_at: isoNow(),
    };
  }

  /**
   * X13: a Slurm batch job ends with its command's exit code, so Slurm's `afterok` means what
   * --after-ok means (exited 0); a signal or a failure is not 0. A local supervisor returns `own`.
   */
  remoteExit(own: number): number {
    if (!this.remote) return own;
    const s = this.state;
    if (s.job.status === "exited") return s.result.exit_code ?? 1;
    if (s.job.status === "killed") return 128 + ((s.result.signal ? signalNumber(s.result.signal) : undefined) ?? 15);
    return s.job.status === "failed" ? 1 : own;
  }

  /** Appends a line to <jobdir>/supervisor.log (our own diagnostics never reach the caller's terminal). */
  diag(message: string): void {
    try {
      appendFileSync(this.paths.supervisorLog, `${isoNow()} ${message}\n`, { mode: 0o600 });
    } catch {
      // The job directory is gone or the disk is full: nothing else to tell.
    }
  }

  /**
   * After an unexpected error: with a job running, wait for it to end and record that end (no
   * full.log, no notifications); without one, record `failed`.
   */
  async salvage(): Promise<void> {
    const child = this.child;
    if (!child || this.terminal) return this.fail("supervisor_error");
    await child.exited;
    this.recordEnd(child, Math.round(monoMs() - this.spawnedAt), false);
  }

  /** Writes the terminal state from the child's exit. */
  private recordEnd(child: ReturnType<typeof Bun.spawn>, durationMs: number, timedOut: boolean): void {
    // The waiter's record is the command's own end; without one (the waiter itself was killed,
    // e.g. by KILL to the group), the waiter's end is the group's.
    const recorded = readExitStatus(this.paths.exitStatus);
    const signal = recorded ? recorded.signal : child.signalCode == null ? null : bareSignalName(child.signalCode);
    const exitCode = recorded ? recorded.exitCode : (child.exitCode ?? null);
    const now = isoNow();
    this.terminal = true;
    this.state = {
      ...this.state,
      job: { ...this.state.job, status: signal ? "killed" : "exited" },
      result: {
        exit_code: signal ? null : exitCode,
        signal,
        duration_ms: durationMs,
        ...(timedOut ? { timed_out: true } : {}),
        ...resourcesOf(child, this.rss),
        // A signal after `kill` left its mark: the end was asked for (X3). A timeout says timed_out.
        ...(signal && !timedOut && existsSync(this.paths.killMark) ? { killed_by: "agent-exec" } : {}),
      },
      finished_at: now,
      updated_at: now,
      ...(signal && this.remoteEnd && SCHEDULER_ENDS[this.remoteEnd]
        ? { reason: SCHEDULER_ENDS[this.remoteEnd] as string }
        : {}),
    };
    if (signal && this.remoteEnd === "TIMEOUT") this.state.result.timed_out = true;
    writeState(this.paths, this.state);
  }

  private write(patch: Partial<StateRecord>): void {
    this.state = { ...this.state, ...patch, updated_at: isoNow() };
    writeState(this.paths, this.state);
  }

  /** Records `failed` with a reason, unless an end was already recorded. */
  fail(reason: string): void {
    if (this.terminal) return;
    this.terminal = true;
    try {
      const now = isoNow();
      this.state = failedState(this.state, reason, now);
      writeState(this.paths, this.state);
    } catch (err) {
      this.diag(`cannot record failure: ${String(err)}`);
    }
  }

  async run(): Promise<void> {
    // Launched late (a loaded host) after a reader already declared this launch lost, or started
    // twice: the record is not ours to take over.
    const startable = this.state.job.status === "running" || (this.remote && this.state.job.status === "queued");
    if (!startable || this.state.supervisor_pid !== undefined) {
      this.terminal = true;
      this.diag(`not starting: the job is already ${this.state.job.status}`);
      return;
    }
    this.write({
      job: { ...this.state.job, status: "running", started_at: this.state.job.started_at ?? isoNow() },
      supervisor_pid: process.pid,
    });
    if (this.remote) this.forwardSignals();
    this.meta = readMeta(this.paths);
    const meta = this.meta;

    let env: Record<string, string>;
    let argv: string[];
    let exe: string;
    const wrapper = meta.shell_wrapper ?? DEFAULT_WRAPPER;
    try {
      const runtime = process.env[RUNTIME_ENV_VAR];
      const envItems: string[] = runtime ? JSON.parse(runtime) : [];
      // The launcher read the env files once and left their pairs here (D42); reading a path
      // again could hang this process on a FIFO the caller swapped in.
      const files = takeEnvFileValues(this.paths) ?? legacyEnvFiles(meta);
      env = buildChildEnv(process.env, meta.inherit_env, files, envItems);
      applyAgentEnv(env, meta.agent_env ?? [], this.state.job.id);
      // D33: the job's own PATH (the caller's or --env PATH) survives a login profile; with
      // --no-inherit-env and no --env PATH there is none to restore, so the profile's stands.
      argv = childArgv(wrapper, meta.command, env.PATH);
      const w0 = argv[0] as string;
      // Look the wrapper up on the invoker's PATH: with --no-inherit-env the child's env has none.
      const found = Bun.which(w0, { PATH: process.env.PATH ?? "/usr/bin:/bin" });
      if (!found) throw new Error(`shell wrapper program not found on PATH: ${w0}`);
      exe = found;
    } catch (err) {
      this.diag(`cannot prepare the job: ${(err as Error).message}`);
      this.fail("spawn_failed");
      await this.notifier(wrapper).finish(this.state);
      return;
    }
    // Sinks get the invoker's environment, never the job's --env values (§6.4).
    delete process.env[RUNTIME_ENV_VAR];
    const notifier = this.notifier(wrapper);

    // A record of an earlier run (restart, X8) must not stand for this one.
    try {
      unlinkSync(this.paths.exitStatus);
    } catch {}
    const outFd = openSync(this.paths.stdout, "a", 0o600);
    const errFd = openSync(this.paths.stderr, "a", 0o600);
    // X5: the copied --stdin-file / --stdin, a pipe fed from the FIFO `send` writes to, or
    // /dev/null (never our caller's stdin: a harness pipe must not hang a job).
    const inFd = meta.stdin === "file" ? openSync(this.paths.stdinFile, "r") : undefined;
    const stdin = inFd ?? (meta.stdin === "interactive" ? "pipe" : "ignore");
    let child: ReturnType<typeof Bun.spawn>;
    const spawnedAt = monoMs();
    this.spawnedAt = spawnedAt;
    try {
      // detached: setsid(), so the job leads its own process group (pgid = pid) and
      // kill/timeout can signal the whole tree with kill(-pgid).
      child = Bun.spawn({
        // The waiter leads the group and records the command's end in the job directory.
        cmd: waiterArgv(this.paths.exitStatus, exe, argv),
        cwd: meta.cwd,
        env,
        stdio: [stdin, outFd, errFd],
        detached: true,
      });
    } catch (err) {
      this.diag(`spawn failed: ${(err as Error).message}`);
      this.fail("spawn_failed");
      await notifier.finish(this.state);
      return;
    } finally {
      closeSync(outFd);
      closeSync(errFd);
      if (inFd !== undefined) closeSync(inFd);
    }
    this.child = child;
    const pgid = child.pid;
    this.write({ job: { ...this.state.job, status: "running", started_at: isoNow() }, pid: pgid, pgid });
    this.claimKillRequest(pgid);
    // The job inherited our priority at spawn; from here on we step aside, so following its
    // logs never competes with the job itself for the CPU (P8).
    try {
      setPriority(process.pid, Math.min(19, getPriority(process.pid) + 10));
    } catch {}

    // X9: bounded logs. A job defined before the cap existed has none in its meta: unlimited.
    const logCap = new LogCap(this.paths, meta.max_log_bytes ?? 0, (m) => this.diag(m));
    logCap.start();
    const follower = new LogFollower(
      this.paths.stdout,
      this.paths.stderr,
      this.fullLogPath ?? this.paths.full,
      notifier,
      logCap,
    );
    const timers = this.startTimers(pgid);
    // `pid` is the command itself, the waiter's only child, once it is there.
    this.rss = new RssWatch(pgid);
    void this.recordCommandPid(child).then((pid) => {
      if (pid === undefined || this.terminal) return;
      this.rss?.follow(pid);
      this.write({ pid });
    });
    const relay = this.relayInput(child);

    await child.exited;
    relay?.stop();
    const durationMs = Math.round(monoMs() - spawnedAt);
    timers.stopProgress();
    this.rss.stop();
    // The logs are complete: bring them within the cap before the end is published.
    await logCap.stop();

    // D9: stdout.log and stderr.log are complete now (the job wrote them itself), so a tail after
    // wait never misses a byte. full.log is derived from them: give it a short window to catch up,
    // so small jobs are fully consistent, without making a 1 GiB job's caller wait for it.
    follower.exited();
    await Promise.race([follower.caughtUp, Bun.sleep(DRAIN_WINDOW_MS)]);
    this.recordEnd(child, durationMs, timers.timedOut());
    // The slot this job held is free now: the next queued job starts at once, not after the
    // notifications below (X10: ≤ 50 ms from the end to the next start).
    await startQueued(this.root, this);
    // With output matching, job.finished follows the last match event; without it, it need not
    // wait for full.log to catch up with a burst.
    const closing = follower.caughtUp.then(() => follower.close());
    const finishing = notifier.matching ? closing.then(() => notifier.finish(this.state)) : notifier.finish(this.state);
    await Promise.all([closing, finishing]);
    await logCap.settled();
    await timers.settled();
  }

  /** An interactive job's input: frames from the FIFO to its stdin pipe (X5). */
  private relayInput(child: ReturnType<typeof Bun.spawn>): StdinRelay | undefined {
    if (this.meta.stdin !== "interactive" || !child.stdin || typeof child.stdin === "number") return undefined;
    try {
      const relay = new StdinRelay(this.paths.stdinFifo, child.stdin);
      relay.onError = (err) => this.diag(`job stdin: ${String(err)}`);
      return relay;
    } catch (err) {
      // No FIFO (deleted under us): the job sees EOF on its stdin at once.
      this.diag(`no input FIFO: ${String(err)}`);
      void child.stdin.end();
      return undefined;
    }
  }

  /** The pid of the waiter's child (Linux: from /proc), polled until it forks it or ends. */
  private async recordCommandPid(waiter: ReturnType<typeof Bun.spawn>): Promise<number | undefined> {
    const path = `/proc/${waiter.pid}/task/${waiter.pid}/children`;
    for (let i = 0; i < 400 && waiter.exitCode === null && waiter.signalCode === null; i++) {
      let text: string;
      try {
        text = readFileSync(path, "latin1");
      } catch {
        return undefined; // No /proc: the waiter's pid stands.
      }
      const pid = Number.parseInt(text, 10);
      if (pid > 1) return pid;
      await Bun.sleep(i < 50 ? 1 : 10);
    }
    return undefined;
  }

  private notifier(wrapper: readonly string[]): Notifier {
    return new Notifier(this.paths, this.state.job.id, this.meta, wrapper, process.env);
  }

  /**
   * X13: `kill` of a Slurm job reaches this process (the batch step, exec'd by the batch script)
   * through `scancel --batch --signal`; it forwards the signal to the job's process group, as a
   * local `kill` would send it. Before the group exists, the signal becomes a kill request that
   * is applied right after the spawn. Slurm's own TERM at its time limit goes to every process
   * of the job anyway; forwarding it again is harmless.
   */
  private forwardSignals(): void {
    for (const sig of ["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGQUIT", "SIGALRM"] as const) {
      process.on(sig, () => {
        const name = sig.slice(3);
        const pgid = this.state.pgid;
        this.diag(`forwarding ${name} from the scheduler`);
        this.noteSchedulerEnd();
        if (pgid !== undefined) signalGroup(pgid, name);
        else {
          try {
            writeFileSync(this.paths.killRequest, name);
          } catch {}
        }
      });
    }
  }

  /**
   * A signal that `kill` did not ask for (no kill.mark) came from Slurm itself: at the time limit
   * the job is already TIMEOUT (or PREEMPTED, …) in the scheduler when its TERM arrives, so one
   * quick question tells the end's reason. Asked once, synchronously: the end follows within ms.
   */
  private noteSchedulerEnd(): void {
    const jobId = process.env.SLURM_JOB_ID;
    if (this.remoteEnd !== undefined || !jobId || existsSync(this.paths.killMark)) return;
    try {
      // While Slurm ends the job its state reads COMPLETING; the reason already says why.
      const r = Bun.spawnSync({ cmd: ["squeue", "-h", "-j", jobId, "-o", "%T|%r"], stdout: "pipe", stderr: "ignore" });
      const [st = "", why = ""] = r.stdout.toString().trim().split("|");
      const state = REASON_ENDS[why] ?? st;
      this.remoteEnd = state;
      this.diag(`scheduler state at the signal: ${state}`);
    } catch {
      this.remoteEnd = "";
    }
  }

  /** Applies a `kill` that arrived before the child's process group existed (D11). */
  private claimKillRequest(pgid: number): void {
    const claimed = `${this.paths.killRequest}.${process.pid}`;
    try {
      renameSync(this.paths.killRequest, claimed);
    } catch {
      return; // No request, or `kill` claimed it itself after seeing the pgid.
    }
    try {
      const signal = readFileSync(claimed, "utf8").trim() || "TERM";
      signalGroup(pgid, signal);
      this.diag(`applied early kill request: ${signal}`);
    } finally {
      try {
        unlinkSync(claimed);
      } catch {}
    }
  }

  /** The timeout (D12) and the progress refresher (§4.9), both through the single state writer. */
  private startTimers(pgid: number) {
    const { timeout_ms: timeoutMs, kill_after_ms: killAfterMs, progress_every_ms: progressMs } = this.meta;
    let timedOut = false;
    let killed = false;
    let escalation: Promise<void> = Promise.resolve();
    let progress: LongTimer | undefined;
    let timeoutTimer: LongTimer | undefined;
    if (timeoutMs > 0) {
      // Long timers: a timeout or grace past 2^31−1 ms must not fire at once (D29).
      timeoutTimer = setLongTimeout(() => {
        timedOut = true;
        this.diag(`timeout after ${timeoutMs} ms: TERM to group ${pgid}`);
        signalGroup(pgid, "TERM");
        escalation = new Promise((resolve) => {
          const escalate = () => {
            // KILL only what is still alive: a job that ended on TERM is left alone. The waiter
            // (the group leader) does not count: it survives TERM to record the end, then exits.
            if (groupAlive(pgid, pgid)) {
              this.diag(`group ${pgid} still alive after ${killAfterMs} ms: KILL`);
              signalGroupExcept(pgid, "KILL", pgid);
              killed = true;
            }
            resolve();
          };
          if (killAfterMs === 0) return escalate();
          // During the grace, notice a group that ended on TERM, so the supervisor does not
          // linger for the whole grace period with nothing left to kill.
          const deadline = monoMs() + killAfterMs;
          const check = () => {
            if (!groupAlive(pgid, pgid)) return resolve();
            if (monoMs() >= deadline) return escalate();
            setTimeout(check, Math.min(100, Math.max(1, deadline - monoMs())));
          };
          setTimeout(check, Math.min(100, killAfterMs));
        });
      }, timeoutMs);
    }
    if (progressMs > 0) {
      progress = setLongInterval(() => {
        if (!this.terminal) this.write({});
      }, progressMs);
    }
    return {
      timedOut: () => timedOut,
      stopProgress: () => {
        progress?.clear();
        timeoutTimer?.clear();
      },
      /**
       * Waits for a pending KILL escalation, so descendants ignoring TERM do not outlive the
       * timeout; then KILLs the group once more, for what was forked while its members were KILLed
       * one by one (the waiter, spared then, is gone now).
       */
      settled: async () => {
        await escalation;
        if (killed) signalGroup(pgid, "KILL");
      },
    };
  }
}
