// A sealed world per test: its own temp dir, jobs root, HOME and XDG dirs, a minimal env, a CLI
// runner for the binary, and cleanup that kills every process the test started.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { BIN, BUN } from "./bin.ts";
import { TMP } from "./fixtures.ts";
import { allPids, killQuietly, pidAlive } from "./pid-alive.ts";
import { pollUntil } from "./poll.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON documents are checked by toEqual/toMatchObject.
export type Json = any;

/** What one call of the binary produced, read together so a full pipe can never hang a test. */
export interface CliResult {
  args: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, or undefined when it is not JSON. */
  json: Json;
}

export interface CliOptions {
  /** Working directory of the call (default: the sandbox's `cwd`). */
  cwd?: string;
  /** Variables added to (or, with undefined, removed from) the sealed env. */
  env?: Record<string, string | undefined>;
  /** The --root put before the arguments (default: the sandbox root); false = no --root at all. */
  root?: string | false;
}

export const TERMINAL_STATES = ["exited", "killed", "failed"];

/** RFC 3339 UTC with milliseconds (D2). */
export const TS_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** A ULID: 26 chars of uppercase Crockford base32 (D1). */
export const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

let counter = 0;

export class Sandbox implements AsyncDisposable {
  /** The temp dir that holds everything of this test. */
  readonly dir: string;
  /** The default jobs root (passed as --root). */
  readonly root: string;
  /** The default working directory of CLI calls. */
  readonly cwd: string;
  /** The sealed environment of every call. */
  readonly env: Record<string, string>;
  /** Marker in the env of everything this sandbox starts, so cleanup can find strays. */
  readonly marker: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.root = join(dir, "jobs");
    this.cwd = join(dir, "cwd");
    this.marker = `${process.pid}-${++counter}-${Math.random().toString(36).slice(2)}`;
    const home = join(dir, "home");
    const xdg = join(dir, "xdg");
    for (const d of [this.cwd, home, join(xdg, "config"), join(xdg, "data"), join(xdg, "state"), join(xdg, "cache")]) {
      mkdirSync(d, { recursive: true });
    }
    this.env = {
      PATH: `${dirname(BUN)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: home,
      XDG_CONFIG_HOME: join(xdg, "config"),
      XDG_DATA_HOME: join(xdg, "data"),
      XDG_STATE_HOME: join(xdg, "state"),
      XDG_CACHE_HOME: join(xdg, "cache"),
      TMPDIR: join(dir, "tmp"),
      TZ: "UTC",
      NO_COLOR: "1",
      LANG: "C.UTF-8",
      AGENT_EXEC_TEST_SANDBOX: this.marker,
    };
    mkdirSync(this.env.TMPDIR as string, { recursive: true });
  }

  /** A fresh sandbox in its own temp dir. Use with `await using`. */
  static create(): Sandbox {
    return new Sandbox(mkdtempSync(join(TMP, "agent-exec-bbt-")));
  }

  /** Runs the binary with `args` and returns stdout, stderr and the exit code. */
  async cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
    const root = opts.root === undefined ? this.root : opts.root;
    const full = root === false ? [...args] : ["--root", root, ...args];
    const env: Record<string, string> = { ...this.env };
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    const proc = Bun.spawn([BIN, ...full], {
      cwd: opts.cwd ?? this.cwd,
      env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    let json: Json;
    try {
      json = JSON.parse(stdout);
    } catch {
      json = undefined;
    }
    return { args: full, exitCode, stdout, stderr, json };
  }

  /** Like cli(), but fails the test unless the call succeeded (exit 0, ok:true); returns the JSON. */
  async ok(args: string[], opts: CliOptions = {}): Promise<Json> {
    const r = await this.cli(args, opts);
    if (r.exitCode !== 0 || r.json?.ok !== true) {
      throw new Error(
        `agent-exec ${JSON.stringify(r.args)} failed: exit ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
      );
    }
    return r.json;
  }

  /** `run --snapshot-after 0 [flags] -- <command>`: starts a job and returns its id at once. */
  async start(command: string[], flags: string[] = [], opts: CliOptions = {}): Promise<string> {
    const json = await this.ok(["run", "--snapshot-after", "0", ...flags, "--", ...command], opts);
    return json.job_id as string;
  }

  /** The directory of a job under `root` (default: the sandbox root). */
  jobDir(id: string, root = this.root): string {
    return join(root, id);
  }

  /** The parsed state.json of a job (throws when missing or malformed). */
  state(id: string, root = this.root): Json {
    return JSON.parse(readFileSync(join(root, id, "state.json"), "utf8"));
  }

  /** The parsed meta.json of a job. */
  meta(id: string, root = this.root): Json {
    return JSON.parse(readFileSync(join(root, id, "meta.json"), "utf8"));
  }

  /** The raw bytes of a file in a job directory ("" when it does not exist yet). */
  file(id: string, name: string, root = this.root): Buffer {
    try {
      return readFileSync(join(root, id, name));
    } catch {
      return Buffer.alloc(0);
    }
  }

  /** Entries of a jobs root ([] when the root does not exist). */
  entries(root = this.root): string[] {
    return existsSync(root) ? readdirSync(root) : [];
  }

  /** Polls state.json until the job is terminal; returns that state. */
  async terminalState(id: string, root = this.root, timeoutMs = 30_000): Promise<Json> {
    return pollUntil(
      () => {
        const s = this.state(id, root);
        return TERMINAL_STATES.includes(s.job.status) ? s : undefined;
      },
      { timeoutMs, what: `job ${id} terminal in state.json` },
    );
  }

  /** Polls stdout.log until it matches `re`; returns the match. */
  async stdoutMatch(id: string, re: RegExp, root = this.root): Promise<RegExpMatchArray> {
    return pollUntil(() => this.file(id, "stdout.log", root).toString("utf8").match(re) ?? undefined, {
      what: `stdout.log of ${id} matching ${re}`,
    }) as Promise<RegExpMatchArray>;
  }

  /** True when a live process belongs to this test (its env holds our marker, or its cwd is inside). */
  private owns(pid: number): boolean {
    if (pid === process.pid) return false;
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd === this.dir || cwd.startsWith(`${this.dir}/`)) return true;
    } catch {
      // Gone, or a kernel thread.
    }
    try {
      return readFileSync(`/proc/${pid}/environ`, "latin1")
        .split("\0")
        .includes(`AGENT_EXEC_TEST_SANDBOX=${this.marker}`);
    } catch {
      return false;
    }
  }

  /** Every state.json under the sandbox (any root a test used), as found on disk. */
  private stateFiles(): string[] {
    const out: string[] = [];
    const walk = (d: string, depth: number) => {
      let names: string[];
      try {
        names = readdirSync(d);
      } catch {
        return;
      }
      for (const n of names) {
        const p = join(d, n);
        if (n === "state.json") out.push(p);
        else if (depth > 0 && !n.includes(".")) walk(p, depth - 1);
      }
    };
    walk(this.dir, 4);
    return out;
  }

  /**
   * Kills what the test started: each job's process group and supervisor (from state.json's
   * `pgid` and `supervisor_pid`), then any stray process carrying our env marker or working
   * inside our dir. A pid is only signalled after checking it is still ours, so a recycled pid
   * of another test is never hit.
   */
  killAll(): void {
    for (let round = 0; round < 5; round++) {
      let found = 0;
      for (const f of this.stateFiles()) {
        try {
          const s = JSON.parse(readFileSync(f, "utf8"));
          for (const pgid of [s.pgid, s.pid]) {
            if (typeof pgid === "number" && pgid > 1 && pidAlive(pgid) && this.owns(pgid)) {
              killQuietly(-pgid);
              found++;
            }
          }
          const sup = s.supervisor_pid;
          if (typeof sup === "number" && sup > 1 && pidAlive(sup) && this.owns(sup)) {
            killQuietly(sup);
            found++;
          }
        } catch {
          // Unreadable or half-written record: the scan below still finds its processes.
        }
      }
      for (const pid of allPids()) {
        if (pidAlive(pid) && this.owns(pid)) {
          killQuietly(pid);
          found++;
        }
      }
      if (found === 0) return;
      Bun.sleepSync(20);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.killAll();
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
  }
}
