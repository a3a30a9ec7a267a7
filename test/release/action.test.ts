// The GitHub Action (action.yml) run locally: its shell steps, in order, with their `env:` and
// `if:` evaluated the way the runner would for the expressions it uses, against a fake release.
// The cache step (actions/cache) is stood in for by the `cacheHit` the test chooses.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { BIN, REPO, VERSION } from "../helpers/bin.ts";
import { HOST_ASSET, writeFakeRelease } from "../helpers/fake-release.ts";

interface Step {
  id?: string;
  if?: string;
  uses?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(join(REPO, "action.yml"), "utf8")) as Action;
const dir = mkdtempSync(join(tmpdir(), "action-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** `KEY=VALUE` lines of a GITHUB_OUTPUT file. */
function outputsOf(file: string): Record<string, string> {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  return Object.fromEntries(
    text
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

interface RunResult {
  ok: boolean;
  failedStep?: string;
  stderr: string;
  outputs: Record<string, string>;
  path: string[];
  steps: Record<string, Record<string, string>>;
}

/**
 * Runs the action's steps like a runner: `${{ a.b.c }}` looked up in the contexts (anything else
 * is an error, so an expression this test cannot evaluate fails it), `if:` of the form
 * `x == 'y'`, `run:` under bash with the step's env and GITHUB_OUTPUT/GITHUB_PATH files.
 */
function runAction(opts: {
  inputs?: Record<string, string>;
  actionRef?: string;
  cacheHit?: boolean;
  toolCache?: string;
  /** Stop after the step with this id. */
  until?: string;
}) {
  const work = join(dir, `run-${++n}`);
  mkdirSync(work, { recursive: true });
  const inputs = Object.fromEntries(
    Object.entries(action.inputs).map(([k, v]) => [k, opts.inputs?.[k] ?? v.default ?? ""]),
  );
  const steps: Record<string, { outputs: Record<string, string> }> = {};
  const ctx = {
    inputs,
    github: { action_ref: opts.actionRef ?? "main", action_repository: "owner/agent-exec" },
    steps,
  };
  const lookup = (path: string): string => {
    let v: unknown = ctx;
    for (const part of path.split("."))
      v = v && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined;
    return v === undefined ? "" : String(v);
  };
  const expand = (s: string): string =>
    s.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
      if (!/^[a-z_]+(\.[a-z0-9_-]+)+$/i.test(expr)) throw new Error(`expression not understood: ${expr}`);
      return lookup(expr);
    });
  const condition = (expr: string): boolean => {
    const m = /^([\w.-]+) == '([^']*)'$/.exec(expr.trim());
    if (!m) throw new Error(`if: not understood: ${expr}`);
    return lookup(m[1] as string) === m[2];
  };
  const pathFile = join(work, "GITHUB_PATH");
  writeFileSync(pathFile, "");
  let stderr = "";
  for (const [i, step] of action.runs.steps.entries()) {
    const id = step.id ?? `step${i}`;
    const out = join(work, `out-${id}`);
    if (step.if && !condition(step.if)) {
      steps[id] = { outputs: {} };
      continue;
    }
    if (step.uses) {
      // actions/cache: restores the directory when the test says it is cached.
      expect(step.uses).toMatch(/^actions\/cache@[0-9a-f]{40}$/);
      steps[id] = { outputs: { "cache-hit": opts.cacheHit ? "true" : "false" } };
      continue;
    }
    expect(step.shell).toBe("bash");
    const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v)]));
    const r = Bun.spawnSync(["bash", "-e", "-c", expand(step.run ?? "")], {
      cwd: work,
      env: {
        PATH: "/usr/local/bin:/usr/bin:/bin",
        HOME: work,
        GITHUB_ACTION_PATH: REPO,
        GITHUB_OUTPUT: out,
        GITHUB_PATH: pathFile,
        RUNNER_OS: process.platform === "darwin" ? "macOS" : "Linux",
        RUNNER_ARCH: process.arch === "arm64" ? "ARM64" : "X64",
        RUNNER_TOOL_CACHE: opts.toolCache ?? join(work, "toolcache"),
        RUNNER_TEMP: join(work, "temp"),
        ...env,
      },
      stdout: "pipe",
      stderr: "pipe",
      timeout: 60_000,
    });
    stderr += r.stderr.toString();
    steps[id] = { outputs: outputsOf(out) };
    if (r.exitCode !== 0) {
      return { ok: false, failedStep: id, stderr, outputs: {}, path: [], steps: {} } as RunResult;
    }
    if (id === opts.until) break;
  }
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, v]) => [k, expand(v.value)]));
  const path = readFileSync(pathFile, "utf8").split("\n").filter(Boolean);
  return {
    ok: true,
    stderr,
    outputs,
    path,
    steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, v.outputs])),
  } as RunResult;
}

describe("action.yml", () => {
  test("is a composite action with path and version outputs and a version input", () => {
    expect(action.runs.using).toBe("composite");
    expect(Object.keys(action.outputs).sort()).toEqual(["path", "version"]);
    expect(action.inputs.version?.default).toBe("");
  });

  test("installs the release binary, verified, on PATH; outputs its path and version", () => {
    const release = writeFakeRelease(join(dir, "release-ok"), BIN);
    const r = runAction({ inputs: { version: "v9.9.9", "release-url": release } });
    expect({ ok: r.ok, failedStep: r.failedStep, stderr: r.ok ? "" : r.stderr }).toEqual({
      ok: true,
      failedStep: undefined,
      stderr: "",
    });
    expect(r.steps.resolve).toMatchObject({ version: "v9.9.9", cacheable: "true", base: release });
    expect(r.steps.resolve?.["cache-key"]).toMatch(/^agent-exec-v9\.9\.9-(Linux|macOS)-(X64|ARM64)$/);
    const installed = r.outputs.path as string;
    expect(installed).toBe(join(r.steps.resolve?.dir as string, "agent-exec"));
    expect(r.path).toEqual([r.steps.resolve?.dir as string]);
    expect(r.outputs.version).toStartWith(VERSION);
    // The installed binary runs a job.
    const job = Bun.spawnSync([installed, "run", "--wait", "--", "sh", "-c", "echo from the action"], {
      env: { PATH: "/usr/bin:/bin", HOME: dir, AGENT_EXEC_ROOT: join(dir, "jobs") },
    });
    expect(JSON.parse(job.stdout.toString())).toMatchObject({
      state: "exited",
      final_snapshot: { stdout_tail: "from the action" },
    });
  });

  test("a cache hit installs nothing and still reports path and version", () => {
    const release = writeFakeRelease(join(dir, "release-cached"), BIN);
    const toolCache = join(dir, "toolcache-shared");
    const first = runAction({ inputs: { version: "v1.0.0", "release-url": release }, toolCache });
    expect(first.ok).toBe(true);
    rmSync(join(release, HOST_ASSET));
    const hit = runAction({ inputs: { version: "v1.0.0", "release-url": release }, toolCache, cacheHit: true });
    expect({ ok: hit.ok, path: hit.outputs.path, version: hit.outputs.version }).toEqual({
      ok: true,
      path: first.outputs.path,
      version: first.outputs.version,
    });
    // Without the cache the same (now broken) release fails the step.
    const miss = runAction({ inputs: { version: "v1.0.0", "release-url": release }, toolCache: join(dir, "tc-empty") });
    expect({ ok: miss.ok, failedStep: miss.failedStep }).toEqual({ ok: false, failedStep: "install" });
  });

  test("a checksum mismatch fails the install step and puts nothing on PATH", () => {
    const release = writeFakeRelease(join(dir, "release-bad"), BIN, { badSum: true });
    const r = runAction({ inputs: { version: "v9.9.9", "release-url": release } });
    expect({ ok: r.ok, failedStep: r.failedStep }).toEqual({ ok: false, failedStep: "install" });
    expect(r.stderr).toContain("checksum mismatch");
  });

  test("the version defaults to the action's own tag, or the latest release for a major tag", () => {
    const release = writeFakeRelease(join(dir, "release-ref"), BIN);
    const tagged = runAction({ actionRef: "v0.2.0", inputs: { "release-url": release } });
    expect(tagged.steps.resolve).toMatchObject({ version: "v0.2.0", cacheable: "true" });
    const major = runAction({ actionRef: "v0", inputs: { "release-url": release } });
    expect(major.steps.resolve).toMatchObject({ version: "latest", cacheable: "false" });
    expect(major.steps.cache).toEqual({});
    // Without release-url the assets come from the GitHub release of that version (not fetched here).
    const urls = (ref: string) => {
      const r = runAction({ actionRef: ref, inputs: { "release-url": "" }, until: "resolve" });
      return r.steps.resolve?.base;
    };
    expect(urls("v0.2.0")).toBe("https://github.com/owner/agent-exec/releases/download/v0.2.0");
    expect(urls("v0")).toBe("https://github.com/owner/agent-exec/releases/latest/download");
  });
});
