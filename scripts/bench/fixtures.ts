// Reference programs the bench compares against: Bun binaries built like agent-exec, and Debian's nq.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JIT_POLICY } from "../build.ts";

const SOURCES: Record<string, string> = {
  // A hello world that does what a status call does at the very least: print one JSON line.
  hello: 'console.log(JSON.stringify({ schema_version: "0.1", ok: true, type: "hello" }));\n',
  // A Bun process that only stays alive: the memory floor of any Bun-compiled supervisor.
  idle: "setInterval(() => {}, 1 << 30);\n",
  // The floor of any `status` on Bun: load node:fs, read and parse a job's two records, print one line.
  "status-floor": [
    'import { readFileSync, writeSync } from "node:fs";',
    'const meta = JSON.parse(readFileSync(process.argv[2] + "/meta.json", "utf8"));',
    'const state = JSON.parse(readFileSync(process.argv[2] + "/state.json", "utf8"));',
    'writeSync(1, JSON.stringify({ ok: true, job_id: meta.job.id, state: state.job.status }) + "\\n");',
    "",
  ].join("\n"),
  // The floor of any launcher on Bun: spawn a detached child with stdio on /dev/null, print its pid.
  spawner: [
    'const p = Bun.spawn({ cmd: ["true"], stdio: ["ignore", "ignore", "ignore"], detached: true });',
    "p.unref();",
    "console.log(JSON.stringify({ ok: true, pid: p.pid }));",
    "",
  ].join("\n"),
  // The floor of `run` on Bun as the contract has it (§3.1.1): a job directory with state.json and
  // meta.json (each temp file + rename) and three empty logs, then a detached supervisor (itself,
  // which exits at once: a supervisor on Bun is a Bun process), then one line.
  launcher: [
    'import { closeSync, mkdirSync, openSync, renameSync, writeFileSync } from "node:fs";',
    'if (process.argv[2] === "--child") process.exit(0);',
    'const dir = process.argv[2] + "/" + Date.now().toString(36) + Math.random().toString(36).slice(2);',
    "mkdirSync(dir);",
    "const put = (name, value) => {",
    '  writeFileSync(dir + "/.tmp-" + name, JSON.stringify(value, null, 2) + "\\n");',
    '  renameSync(dir + "/.tmp-" + name, dir + "/" + name);',
    "};",
    'put("state.json", { job: { status: "running" }, updated_at: new Date().toISOString() });',
    'for (const f of ["stdout.log", "stderr.log", "full.log"]) closeSync(openSync(dir + "/" + f, "a"));',
    'put("meta.json", { command: ["true"], created_at: new Date().toISOString() });',
    'const p = Bun.spawn({ cmd: [process.execPath, "--child"], stdio: ["ignore", "ignore", "ignore"], detached: true });',
    "p.unref();",
    "console.log(JSON.stringify({ ok: true, dir, pid: p.pid }));",
    "",
  ].join("\n"),
  // The floor of `run --wait -- true` on Bun: a Bun process starts a Bun child (the supervisor),
  // which runs the job through the default wrapper (`sh -lc`) and waits; the parent waits, prints.
  chain: [
    "const quiet = { stdio: ['ignore', 'ignore', 'ignore'] };",
    'if (process.argv[2] === "--child") {',
    '  await Bun.spawn(["sh", "-lc", "true"], quiet).exited;',
    "  process.exit(0);",
    "}",
    'await Bun.spawn([process.execPath, "--child"], quiet).exited;',
    "console.log(JSON.stringify({ ok: true }));",
    "",
  ].join("\n"),
  // The floor of any supervisor on Bun: node:fs loaded, a detached child spawned and waited for.
  waiter: [
    'import { closeSync, openSync } from "node:fs";',
    'const fd = openSync("/dev/null", "a");',
    'const child = Bun.spawn({ cmd: ["sleep", "600"], stdio: ["ignore", fd, fd], detached: true });',
    "closeSync(fd);",
    "await child.exited;",
    "",
  ].join("\n"),
  // The floor of any `list`: read and parse every job's meta.json and state.json, print a count.
  reader: [
    'import { readdirSync, readFileSync } from "node:fs";',
    "const root = process.argv[2];",
    "let n = 0;",
    "for (const id of readdirSync(root)) {",
    "  try {",
    '    JSON.parse(readFileSync(root + "/" + id + "/meta.json", "utf8"));',
    '    JSON.parse(readFileSync(root + "/" + id + "/state.json", "utf8"));',
    "    n++;",
    "  } catch {}",
    "}",
    "console.log(JSON.stringify({ ok: true, jobs: n }));",
    "",
  ].join("\n"),
};

/**
 * Compiles one of the reference programs exactly as scripts/build.ts compiles agent-exec (esm,
 * minify, bytecode, no autoloading, the same JIT policy) and caches it per Bun version under the system temp dir.
 */
export async function referenceBinary(
  name: "hello" | "idle" | "reader" | "spawner" | "launcher" | "waiter" | "status-floor" | "chain",
): Promise<string> {
  const dir = join(tmpdir(), "agent-exec-bench-cache", `bun-${Bun.version}`);
  const outfile = join(dir, `${name}-${Bun.hash(`${SOURCES[name]}\0jit=${JIT_POLICY}`).toString(36)}`);
  if (existsSync(outfile)) return outfile;
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, `${name}.ts`);
  writeFileSync(entry, SOURCES[name] as string);
  const result = await Bun.build({
    entrypoints: [entry],
    format: "esm",
    minify: true,
    bytecode: true,
    compile: {
      outfile,
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
      jitPolicy: JIT_POLICY,
    },
  });
  if (!result.success) throw new Error(`cannot build the ${name} reference: ${result.logs.join("; ")}`);
  return outfile;
}

/** Path of nq, installing the Debian package when it is missing and we run as root. */
export function ensureNq(log: (msg: string) => void): string | undefined {
  const found = Bun.which("nq");
  if (found) return found;
  if (process.getuid?.() !== 0 || !Bun.which("apt-get")) return undefined;
  log("installing nq with apt-get");
  const install = () =>
    Bun.spawnSync(["apt-get", "install", "-y", "nq"], {
      stdout: "ignore",
      stderr: "pipe",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      timeout: 120_000,
    }).exitCode === 0;
  if (!install()) {
    Bun.spawnSync(["apt-get", "update"], { stdout: "ignore", stderr: "ignore", timeout: 120_000 });
    install();
  }
  return Bun.which("nq") ?? undefined;
}
