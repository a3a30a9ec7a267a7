// R5: generated malformed invocations (random subcommands, flags, values, ids, unicode, huge
// arguments). Must hold for each: no stack trace; stdout is exactly one JSON object (YAML with
// --yaml; plain text only for help, version and completions); the documented exit code (0 ok,
// 2 usage_error, 1 other errors); a failed call leaves no job directory behind.
//
// Safety: generated values never contain "/" or "..", every path-typed flag gets a path inside
// the sandbox, --root only ever names a directory inside the sandbox, and `serve`/`mcp` appear
// only in forms that must be rejected before they listen.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Sandbox } from "../../test/helpers/sandbox.ts";
import {
  type AttackResult,
  type Call,
  call,
  crashSign,
  describeCall,
  documentedExit,
  Findings,
  oneJson,
  pool,
  Rng,
} from "./common.ts";

export interface R5Options {
  invocations: number;
  /** Independent sandboxes working in parallel (each runs its share in order). */
  workers: number;
  seed: number;
}

const ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const UNICODE = [
  "é",
  "ß",
  "日本語",
  "😀",
  "👩‍👩‍👧",
  "\u202Eevil",
  "a\u0301",
  "Ω≈ç√",
  "\u200B",
  "\uFEFF",
  "ﷺ",
  "𝔘𝔫𝔦",
  "\t",
  "\n",
  "\r\n",
  " ",
  '"',
  "'",
  "\\",
  "$HOME",
  "$(echo injected)",
  "`echo injected`",
  ";",
  "|",
  "&&",
  "%s%n",
  "{}",
  "[]",
  "null",
  "true",
  "=",
  "-",
  "--",
  "*",
  "?",
  "~",
];

/** What the generator knows about the sandbox it aims at. */
export interface Target {
  root: string;
  cwd: string;
  jobs: string[];
}

/** A generated invocation and what kind of output it is allowed to print. */
interface Invocation {
  args: string[];
}

class Gen {
  private readonly r: Rng;
  private readonly t: Target;
  constructor(r: Rng, t: Target) {
    this.r = r;
    this.t = t;
  }

  str(maxParts = 3): string {
    const n = this.r.int(1, maxParts);
    let s = "";
    for (let i = 0; i < n; i++) {
      s += this.r.chance(0.5) ? this.r.pick(UNICODE) : this.word();
    }
    return s.replaceAll("/", "").replaceAll("..", ".");
  }

  /** 1..8 random ASCII letters and digits. */
  word(): string {
    const n = this.r.int(1, 8);
    let w = "";
    for (let i = 0; i < n; i++) w += this.r.pick([..."abcdefghijklmnopqrstuvwxyz0123456789"]);
    return w;
  }

  huge(): string {
    const unit = this.r.pick(["A", "é", "😀", "x.y", "0"]);
    return unit.repeat(Math.floor(this.r.int(10_000, 100_000) / Buffer.byteLength(unit)));
  }

  num(): string {
    return this.r.pick([
      "0",
      "1",
      "50",
      "-1",
      "-0",
      "1e3",
      "0x10",
      "1.5",
      "99999999999999999999",
      "9007199254740993",
      " 5",
      "5 ",
      "",
      "NaN",
      "Infinity",
      "٣",
      "+7",
      String(this.r.int(0, 100_000)),
    ]);
  }

  id(): string {
    const job = this.t.jobs.length > 0 ? this.r.pick(this.t.jobs) : "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    switch (this.r.int(0, 11)) {
      case 0:
        return job;
      case 1:
        return job.slice(0, this.r.int(1, 25));
      case 2:
        return job.toLowerCase();
      case 3:
        return `${job}X`;
      case 4:
        return "";
      case 5:
        return this.r.pick([".", "..", "...", "%2e%2e", "~", "*", "-", "0"]);
      case 6:
        return Array.from({ length: 26 }, () => this.r.pick([...ULID_CHARS])).join("");
      case 7:
        return this.huge();
      case 8:
        return `${job.slice(0, 10)}${this.r.pick(UNICODE)}`;
      case 9:
        return "Z".repeat(this.r.int(27, 300));
      default:
        return this.str();
    }
  }

  /** A path value inside the sandbox (relative names land in the sandbox cwd). */
  path(): string {
    return this.r.pick([
      `rel-${this.r.int(0, 3)}`,
      `sub-${this.r.int(0, 3)}`,
      ".",
      this.t.cwd,
      join(this.t.cwd, "missing", "x"),
      "",
      this.str(),
      join(this.t.root),
    ]);
  }

  rootValue(): string {
    return this.r.pick([this.t.root, this.t.root, `rel-root-${this.r.int(0, 2)}`, "", this.str(2)]);
  }

  tag(): string {
    return this.r.pick([
      "ci",
      "a.b",
      "a-b.c2",
      "a..b",
      ".a",
      "a.",
      "a.*",
      "*",
      "x y",
      "",
      "é",
      this.str(),
      this.huge(),
    ]);
  }

  /** A value the parser accepts for `flag` (the call may still fail on its meaning). */
  valid(flag: string): string {
    switch (flag) {
      case "timeout":
      case "kill-after":
      case "progress-every":
      case "snapshot-after":
      case "wait-poll-ms":
      case "poll-ms":
        return String(this.r.pick([0, 1, 5, 50, 200]));
      case "tail-lines":
      case "max-bytes":
      case "limit":
        return String(this.r.pick([0, 1, 3, 50, 65536]));
      case "cwd":
        return this.r.pick([".", this.t.cwd, "missing-dir"]);
      case "env":
        return this.r.pick(["K=V", "K=", "K=V=W", "KEY=é😀"]);
      case "mask":
        return "K";
      case "tag":
        return this.r.pick(["ci", "a.b", "a-b.c2"]);
      case "shell-wrapper":
        return this.r.pick(["sh -c", "bash -lc"]);
      case "output-match-type":
        return this.r.pick(["contains", "regex"]);
      case "output-stream":
        return this.r.pick(["stdout", "stderr", "either"]);
      case "state":
        return this.r.pick(["created", "running", "exited", "killed", "failed", "unknown"]);
      case "signal":
        return this.r.pick(["TERM", "KILL", "USR1", "9"]);
      case "older-than":
        return this.r.pick(["30d", "1h", "0s", "10"]);
      default:
        return this.value(flag);
    }
  }

  value(flag: string): string {
    if (this.r.chance(0.08)) return this.huge();
    if (this.r.chance(0.12)) return this.str();
    switch (flag) {
      case "timeout":
      case "kill-after":
      case "progress-every":
      case "snapshot-after":
      case "tail-lines":
      case "max-bytes":
      case "wait-poll-ms":
      case "poll-ms":
      case "limit":
        return this.num();
      case "timeout-ms":
        return this.r.pick(["0", "1", "200", "-5", "1.5", "abc", ""]);
      case "cwd":
      case "env-file":
      case "config":
      case "log":
      case "notify-file":
      case "output-file":
        return this.path();
      case "env":
        return this.r.pick(["K=V", "=V", "K", "1K=V", "K=", "K=V=W", `${this.str(1)}=${this.str(1)}`, "PATH="]);
      case "mask":
        return this.r.pick(["K", "", this.str(1)]);
      case "tag":
        return this.tag();
      case "shell-wrapper":
        return this.r.pick(["sh -c", "bash -lc", "", " ", "no-such-wrapper -c", this.str()]);
      case "notify-command":
      case "output-command":
      case "command":
        return this.r.pick(["echo notified", "true", "", this.str()]);
      case "output-pattern":
        return this.r.pick(["x", "", "(", "[a-", "a{99999999}", ".*", this.str()]);
      case "output-match-type":
        return this.r.pick(["contains", "regex", "glob", "", "REGEX"]);
      case "output-stream":
        return this.r.pick(["stdout", "stderr", "either", "both", ""]);
      case "state":
        return this.r.pick(["created", "running", "exited", "killed", "failed", "unknown", "done", "", "RUNNING"]);
      case "signal":
        return this.r.pick(["TERM", "kill", "SIGHUP", "9", "0", "-9", "999", "SIGFOO", "", "USR1", "1.5"]);
      case "older-than":
        return this.r.pick(["30d", "1h", "0", "0s", "-5m", "1y", "", " 7d ", "1.5h", "99999999999999999999d"]);
      default:
        return this.str();
    }
  }

  command(): string[] {
    return this.r.pick([
      ["true"],
      ["echo", this.str()],
      [this.str(2)],
      ["/bin/sh", "-c", "exit 3"],
      ["/bin/sh", "-c", "echo out; echo err >&2"],
      [""],
      ["echo", this.huge()],
      ["echo", "--wait", "--tag", "x"],
    ]);
  }
}

type Kind = { name: string; words: string[]; flags: string[]; positionals: number; trailing?: boolean };

const OBSERVE = ["snapshot-after", "tail-lines", "max-bytes", "wait", "wait-poll-ms"];
const DEFINE = [
  "timeout",
  "kill-after",
  "cwd",
  "env",
  "env-file",
  "inherit-env",
  "no-inherit-env",
  "mask",
  "tag",
  "progress-every",
  "config",
  "shell-wrapper",
  "notify-command",
  "notify-file",
  "output-pattern",
  "output-match-type",
  "output-stream",
  "output-command",
  "output-file",
];
const SWITCHES = new Set(["wait", "inherit-env", "no-inherit-env", "all", "dry-run", "yaml"]);

const KINDS: Kind[] = [
  { name: "run", words: ["run"], flags: [...OBSERVE, ...DEFINE, "log"], positionals: 0, trailing: true },
  { name: "create", words: ["create"], flags: DEFINE, positionals: 0, trailing: true },
  { name: "start", words: ["start"], flags: OBSERVE, positionals: 1 },
  { name: "status", words: ["status"], flags: [], positionals: 1 },
  { name: "tail", words: ["tail"], flags: ["tail-lines", "max-bytes"], positionals: 1 },
  { name: "wait", words: ["wait"], flags: ["poll-ms"], positionals: 1 },
  { name: "kill", words: ["kill"], flags: ["signal"], positionals: 1 },
  { name: "list", words: ["list"], flags: ["all", "cwd", "state", "limit", "tag"], positionals: 0 },
  { name: "tag set", words: ["tag", "set"], flags: ["tag"], positionals: 1 },
  {
    name: "notify set",
    words: ["notify", "set"],
    flags: ["command", "output-pattern", "output-match-type", "output-stream", "output-command", "output-file"],
    positionals: 1,
  },
  { name: "gc", words: ["gc"], flags: ["older-than", "dry-run"], positionals: 0 },
  { name: "delete", words: ["delete"], flags: ["all", "dry-run"], positionals: 1 },
  { name: "schema", words: ["schema"], flags: [], positionals: 0 },
  { name: "completions", words: ["completions"], flags: [], positionals: 1 },
];
const ALL_FLAGS = [...new Set(KINDS.flatMap((k) => k.flags))];

/** `serve` and `mcp` only in forms that must fail before they start serving. */
const SERVER_FORMS: string[][] = [
  ["serve", "--bind", "127.0.0.1:0", "--port", "0"],
  ["serve", "--bind", "localhost:1"],
  ["serve", "--bind", "not-an-address"],
  ["serve", "--port", "99999"],
  ["serve", "--port", "-1"],
  ["serve", "--port", "abc"],
  ["serve", "--bind", "0.0.0.0:0"],
  ["serve", "--nope"],
  ["serve", "extra-positional"],
  ["mcp", "--nope"],
  ["mcp", "extra-positional"],
];

/** One generated invocation (exported so a failing seed can be inspected). */
export function generate(r: Rng, t: Target): Invocation {
  const g = new Gen(r, t);
  const args: string[] = [];
  const globals = () => {
    if (r.chance(0.15)) args.push("--yaml");
    if (r.chance(0.1)) args.push(r.pick(["-v", "-vv", "--verbose", "-vvv"]));
    if (r.chance(0.15)) args.push("--root", g.rootValue());
    if (r.chance(0.03)) args.push(r.pick(["-h", "--help", "-V", "--version", "-x", "-", "--", "--=", "---"]));
  };
  globals();
  const mode = r.next();
  if (mode < 0.06) {
    args.push(...r.pick(SERVER_FORMS));
    return { args };
  }
  if (mode < 0.14) {
    // Not a command at all.
    args.push(
      r.pick(["", "STATUS", "tag", "notify", "tag get", "notify", "install-skills", "help", "frobnicate", g.str()]),
    );
    if (r.chance(0.5)) args.push(g.str());
    return { args };
  }
  if (mode < 0.17) {
    // Many arguments.
    args.push("list");
    for (let i = 0; i < r.int(500, 3000); i++) args.push(r.pick(["--all", "--limit", "5", "--tag", "ci"]));
    return { args };
  }
  const kind = r.pick(KINDS);
  args.push(...kind.words);
  // Half the calls are well-formed in shape (own flags, mostly parseable values), so they get past
  // the parser and attack the handlers; the rest mix in foreign and invented flags.
  const shaped = r.chance(0.5);
  const nFlags = r.int(0, shaped ? 3 : 5);
  for (let i = 0; i < nFlags; i++) {
    const own = kind.flags.length > 0 && (shaped || r.chance(0.7));
    const flag = own ? r.pick(kind.flags) : r.chance(0.7) ? r.pick(ALL_FLAGS) : g.str(1).replace(/^-*/, "") || "x";
    if (SWITCHES.has(flag) && !r.chance(0.1)) {
      args.push(`--${flag}`);
      continue;
    }
    const v = shaped && r.chance(0.7) ? g.valid(flag) : g.value(flag);
    if (r.chance(0.2)) args.push(`--${flag}=${v}`);
    else if (r.chance(0.05))
      args.push(`--${flag}`); // value missing (or swallowing the next word)
    else args.push(`--${flag}`, v);
  }
  if (r.chance(0.1)) globals();
  if (kind.name === "wait") args.push("--timeout-ms", g.value("timeout-ms"));
  if (kind.trailing) {
    if (r.chance(0.5)) args.push("--");
    if (!r.chance(0.08)) args.push(...g.command());
  } else {
    const n = r.chance(0.8) ? kind.positionals : r.int(0, 3);
    for (let i = 0; i < n; i++)
      args.push(kind.name === "completions" ? r.pick(["bash", "zsh", "fish", "powershell", "tcsh", ""]) : g.id());
  }
  if (r.chance(0.05)) globals();
  return { args };
}

/** The ULID-named directories below the root and the sandbox cwd's relative roots. */
function jobDirs(t: Target): Set<string> {
  const out = new Set<string>();
  const scan = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (/^[0-9A-HJKMNP-TV-Z]{26}$/.test(n)) out.add(join(dir, n));
      else if (depth > 0) scan(join(dir, n), depth - 1);
    }
  };
  scan(t.root, 0);
  scan(t.cwd, 1);
  return out;
}

/** Verbosity asked on the command line (before any `--`). */
function verbosity(args: string[]): number {
  let v = 0;
  for (const a of args) {
    if (a === "--") break;
    if (a === "--verbose") v++;
    else if (/^-[a-zA-Z]+$/.test(a)) v += [...a].filter((c) => c === "v").length;
  }
  return v;
}

/** Checks one call against the R5 rules; returns what broke, or undefined. */
function judge(c: Call, before: Set<string>, after: Set<string>): string | undefined {
  if (c.timedOut) return "hung (killed after the deadline)";
  const sign = crashSign(c.stdout) ?? (verbosity(c.args) >= 2 ? crashSignNoFrames(c.stderr) : crashSign(c.stderr));
  if (sign) return `crash sign ${JSON.stringify(sign)}`;
  let doc = c.json;
  if (doc === undefined && c.args.includes("--yaml")) {
    try {
      const y = Bun.YAML.parse(c.stdout) as Record<string, unknown> | null;
      if (y && typeof y === "object" && y.schema_version === "0.1" && typeof y.ok === "boolean") doc = y;
    } catch {}
  }
  if (doc !== undefined) {
    if (doc.schema_version !== "0.1" || typeof doc.ok !== "boolean") return "not an envelope";
    if (c.exitCode !== documentedExit(doc)) return `exit ${c.exitCode}, documented ${documentedExit(doc)}`;
    if (doc.ok === false) {
      if (typeof doc.error?.code !== "string" || typeof doc.error?.message !== "string")
        return "malformed error object";
      if (doc.error.code === "usage_error" && (c.stderr.trim() === "" || c.stderr.trimStart().startsWith("{")))
        return "usage error without a human message on stderr";
      const born = [...after].filter((d) => !before.has(d));
      if (born.length > 0) return `a failed call left job directories behind: ${born.join(", ")}`;
    }
    return undefined;
  }
  // Plain text is allowed only for help, version and completions, with exit 0.
  const textual = c.args.some((a, i) => {
    if (c.args.indexOf("--") >= 0 && i > c.args.indexOf("--")) return false;
    return (
      a === "--help" ||
      a === "--version" ||
      a === "help" ||
      a === "completions" ||
      (/^-[a-zA-Z]+$/.test(a) && (a.includes("h") || a.includes("V")))
    );
  });
  if (textual && c.exitCode === 0 && c.stdout.length > 0) return undefined;
  return "stdout is not exactly one JSON object";
}

function crashSignNoFrames(text: string): string | undefined {
  // At -vv and above a debug log may carry an internal error's stack by design; a crash still shows.
  const m = /\buncaught\b|Bun has crashed|panic\(|Segmentation fault/i.exec(text);
  return m ? m[0] : undefined;
}

export async function r5(opts: R5Options): Promise<AttackResult> {
  const f = new Findings("R5", opts.seed);
  const rng = new Rng(opts.seed);
  const plans = Array.from({ length: opts.invocations }, (_, i) => ({ i, rng: rng.fork() }));
  const tally = { json: 0, yaml: 0, text: 0, ok: 0, usage: 0, other: 0 };
  const byWorker = Array.from({ length: opts.workers }, (_, w) => plans.filter((p) => p.i % opts.workers === w));
  await pool(byWorker, opts.workers, async (mine) => {
    await using sb = Sandbox.create();
    const t: Target = { root: sb.root, cwd: sb.cwd, jobs: [] };
    for (let k = 0; k < 2; k++) t.jobs.push((await sb.ok(["run", "--wait", "--", "true"])).job_id as string);
    for (const p of mine) {
      const inv = generate(p.rng, t);
      const before = jobDirs(t);
      const c = await call(sb, inv.args, { root: false, env: { AGENT_EXEC_ROOT: sb.root }, timeoutMs: 20_000 });
      const after = jobDirs(t);
      const broke = judge(c, before, after);
      f.check(broke === undefined, () => `invocation #${p.i}: ${broke}: ${describeCall(c)}`);
      const doc = c.json;
      if (doc) tally.json++;
      else if (oneJson(c.stdout) === undefined && c.args.includes("--yaml") && c.stdout.startsWith("schema_version"))
        tally.yaml++;
      else tally.text++;
      if (doc?.ok === true) tally.ok++;
      else if (doc?.error?.code === "usage_error") tally.usage++;
      else if (doc) tally.other++;
    }
  });
  f.runs = opts.invocations;
  f.fig(
    `${tally.json} JSON (${tally.ok} ok, ${tally.usage} usage_error, ${tally.other} other errors), ${tally.yaml} YAML, ${tally.text} text`,
  );
  return f.result();
}
