// The npm packages for real: `npm pack --dry-run` of every package lists exactly its files; then
// this host's packages are published to a local Verdaccio (127.0.0.1, no uplinks: nothing leaves the
// machine), installed with `npm i -g` into a clean prefix, and the installed command runs a job.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { binaryPath, hostPlatform, PLATFORMS, platformName, writePackages } from "../../scripts/npm-packages.ts";
import { BIN, REPO, VERSION } from "../helpers/bin.ts";
import { pollUntil } from "../helpers/poll.ts";

const dir = mkdtempSync(join(tmpdir(), "npm-"));
const NODE_DIR = dirname(spawnSync("sh", ["-c", "command -v node"], { encoding: "utf8" }).stdout.trim());

/** A sealed env for npm: its cache, config and HOME in the temp dir, nothing from the caller. */
function npmEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${NODE_DIR}:/usr/local/bin:/usr/bin:/bin`,
    HOME: join(dir, "home"),
    npm_config_userconfig: join(dir, "npmrc"),
    npm_config_cache: join(dir, "npm-cache"),
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_loglevel: "warn",
    TZ: "UTC",
    NO_COLOR: "1",
    ...extra,
  };
}

/** Runs a command to its end, reading stdout and stderr together. */
function sh(argv: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}) {
  const r = spawnSync(argv[0] as string, argv.slice(1), {
    cwd: opts.cwd ?? dir,
    env: opts.env ?? npmEnv(),
    encoding: "utf8",
    input: opts.input ?? "",
    timeout: 180_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

interface PackFile {
  path: string;
  mode: number;
}

/** The files `npm pack --dry-run` would put in the tarball of `pkgDir`. */
function packList(pkgDir: string): PackFile[] {
  const r = sh(["npm", "pack", "--dry-run", "--json"], { cwd: pkgDir });
  expect(r.code).toBe(0);
  const [info] = JSON.parse(r.out) as { files: PackFile[] }[];
  return (info?.files ?? [])
    .map((f) => ({ path: f.path, mode: f.mode & 0o777 }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

mkdirSync(join(dir, "home"));
writeFileSync(join(dir, "npmrc"), "");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm pack --dry-run", () => {
  test("every package holds exactly its files, the binaries and the launcher executable", () => {
    // Stand-ins for the release assets: the layout, not the binaries, is under test here.
    const assets = join(dir, "assets");
    mkdirSync(assets);
    for (const p of PLATFORMS) writeFileSync(join(assets, p.asset), "binary");
    const dirs = writePackages(join(dir, "all"), { from: assets });
    expect(dirs.length).toBe(PLATFORMS.length + 1);
    const listed = Object.fromEntries(dirs.map((d) => [d.slice(d.lastIndexOf("/") + 1), packList(d)]));
    const expected: Record<string, PackFile[]> = {
      "agent-exec": [
        { path: "README.md", mode: 0o644 },
        { path: "bin/agent-exec", mode: 0o755 },
        { path: "package.json", mode: 0o644 },
      ],
    };
    for (const p of PLATFORMS) {
      expected[`${p.os}-${p.cpu}`] = [
        { path: "README.md", mode: 0o644 },
        { path: binaryPath(p), mode: 0o755 },
        { path: "package.json", mode: 0o644 },
      ];
    }
    expect(listed).toEqual(expected);
  });

  test("every package has the root package.json's version; agent-exec pins each platform package to it", () => {
    const dirs = writePackages(join(dir, "versions"), { from: join(dir, "assets"), repository: "owner/agent-exec" });
    const manifests = dirs.map((d) => JSON.parse(readFileSync(join(d, "package.json"), "utf8")));
    expect(new Set(manifests.map((m) => m.version))).toEqual(new Set([VERSION]));
    const main = manifests.find((m) => m.name === "agent-exec");
    expect(main).toMatchObject({
      bin: { "agent-exec": "bin/agent-exec" },
      optionalDependencies: Object.fromEntries(PLATFORMS.map((p) => [platformName(p), VERSION])),
      repository: { url: "git+https://github.com/owner/agent-exec.git" },
    });
    expect(main.scripts).toBeUndefined();
    for (const p of PLATFORMS) {
      const m = manifests.find((x) => x.name === platformName(p));
      expect(m).toMatchObject({ os: [p.os], cpu: [p.cpu], files: [binaryPath(p)] });
      expect(m.bin).toBeUndefined();
    }
  });
});

/** A free loopback port: bind port 0, read it, let it go (Verdaccio takes it a moment later). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const host = hostPlatform();

describe.skipIf(!host)("published to a local registry and installed with npm i -g", () => {
  let registry = "";
  let verdaccio: ReturnType<typeof spawn> | undefined;

  beforeAll(async () => {
    const port = await freePort();
    registry = `http://127.0.0.1:${port}/`;
    const storage = join(dir, "verdaccio");
    mkdirSync(storage);
    const access = "{ access: $all, publish: $authenticated }";
    writeFileSync(
      join(storage, "config.yaml"),
      [
        `storage: ${join(storage, "storage")}`,
        `auth: { htpasswd: { file: ${join(storage, "htpasswd")}, max_users: 10 } }`,
        // No uplinks: a name not published here is a 404, never a request to the public registry.
        "uplinks: {}",
        `packages: { "@agent-exec/*": ${access}, "agent-exec": ${access}, "**": ${access} }`,
        "max_body_size: 500mb",
        "web: { enable: false }",
        "log: { type: stderr, format: pretty, level: warn }",
        "",
      ].join("\n"),
    );
    const bin = join(REPO, "node_modules", "verdaccio", "bin", "verdaccio");
    verdaccio = spawn(
      process.env.NODE ?? join(NODE_DIR, "node"),
      [bin, "--config", join(storage, "config.yaml"), "--listen", `127.0.0.1:${port}`],
      {
        // NODE_NO_WARNINGS: its "don't run as root" process warning is noise in a root container.
        env: npmEnv({ NODE_NO_WARNINGS: "1" }),
        // Its warnings and errors reach the test's stderr, so a failed start says why.
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    await pollUntil(async () => (await fetch(`${registry}-/ping`).catch(() => undefined))?.ok === true, {
      timeoutMs: 60_000,
      what: "verdaccio answering /-/ping",
    });
    // A user for publishing (Verdaccio's htpasswd auth creates one on first PUT and returns a token).
    const user = await fetch(`${registry}-/user/org.couchdb.user:ci`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "ci", password: "ci-password" }),
    });
    const { token } = (await user.json()) as { token: string };
    writeFileSync(join(dir, "npmrc"), `registry=${registry}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  });

  afterAll(async () => {
    const v = verdaccio;
    if (!v || v.exitCode !== null || v.signalCode !== null) return;
    const exited = new Promise((resolve) => v.once("exit", resolve));
    v.kill("SIGKILL");
    await exited;
  });

  test("npm publish takes this host's platform package and agent-exec", () => {
    const dirs = writePackages(join(dir, "host"), { host: true });
    for (const d of dirs) {
      const r = sh(["npm", "publish", "--registry", registry], { cwd: d });
      expect({ dir: d, code: r.code, err: r.code === 0 ? "" : r.err }).toEqual({ dir: d, code: 0, err: "" });
    }
  });

  test("npm i -g gives a working agent-exec: --version, a real job, exit codes passed through", () => {
    // Installs what the test above published (bun runs a file's tests in order).
    const prefix = join(dir, "prefix");
    const install = sh(["npm", "i", "-g", "--prefix", prefix, "--registry", registry, `agent-exec@${VERSION}`]);
    expect({ code: install.code, err: install.code === 0 ? "" : install.err }).toEqual({ code: 0, err: "" });
    // Only this machine's platform package came along; the others do not exist in this registry.
    const scoped = join(prefix, "lib", "node_modules", "agent-exec", "node_modules", "@agent-exec");
    expect(readdirSync(scoped)).toEqual([`${host?.os}-${host?.cpu}`]);

    // Through PATH, as a user types it; the jobs root and HOME stay in the temp dir.
    const env = {
      PATH: `${join(prefix, "bin")}:/usr/bin:/bin`,
      HOME: join(dir, "home"),
      AGENT_EXEC_ROOT: join(dir, "jobs"),
    };
    const version = sh(["agent-exec", "--version"], { env });
    const bare = sh([BIN, "--version"], { env });
    expect({ code: version.code, out: version.out }).toEqual({ code: 0, out: bare.out });
    expect(version.out).toStartWith(`agent-exec ${VERSION}`);

    const run = sh(
      ["agent-exec", "run", "--wait", "--wait-timeout-ms", "60s", "--", "sh", "-c", "echo hello from npm"],
      {
        env,
      },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({
      ok: true,
      type: "run",
      state: "exited",
      exit_code: 0,
      final_snapshot: { stdout_tail: "hello from npm" },
    });
    // The launcher execs the binary: the job's exit code (--forward-exit) and an error's exit 1
    // reach the caller unchanged, and stdin goes through.
    const forwarded = sh(
      ["agent-exec", "run", "--wait", "--forward-exit", "--wait-timeout-ms", "60s", "--", "sh", "-c", "exit 7"],
      { env },
    );
    expect(forwarded.code).toBe(7);
    const piped = sh(["agent-exec", "run", "--wait", "--wait-timeout-ms", "60s", "--stdin", "-", "--", "cat"], {
      env,
      input: "through the launcher\n",
    });
    expect(JSON.parse(piped.out).final_snapshot.stdout_tail).toBe("through the launcher");
    const missing = sh(["agent-exec", "status", "NOSUCHJOB"], { env });
    expect({ code: missing.code, error: JSON.parse(missing.out).error.code }).toEqual({
      code: 1,
      error: "job_not_found",
    });
    const usage = sh(["agent-exec", "status"], { env });
    expect(usage.code).toBe(2);
    expect(existsSync(join(prefix, "bin", "agent-exec"))).toBe(true);
  });

  test("a project's npm i hoists the platform package beside it; .bin/agent-exec, npx and bunx run it", () => {
    const project = join(dir, "project");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), '{ "name": "project", "private": true }\n');
    const install = sh(["npm", "i", "--registry", registry, `agent-exec@${VERSION}`], { cwd: project });
    expect({ code: install.code, err: install.code === 0 ? "" : install.err }).toEqual({ code: 0, err: "" });
    expect(existsSync(join(project, "node_modules", platformName(host!), binaryPath(host!)))).toBe(true);
    const bare = sh([BIN, "--version"]).out;
    const local = sh([join(project, "node_modules", ".bin", "agent-exec"), "--version"], { cwd: project });
    expect({ code: local.code, out: local.out }).toEqual({ code: 0, out: bare });
    const npx = sh(["npx", "--registry", registry, "--yes", `agent-exec@${VERSION}`, "--version"]);
    expect({ code: npx.code, out: npx.out, err: npx.code === 0 ? "" : npx.err }).toEqual({
      code: 0,
      out: bare,
      err: "",
    });
    const bunx = sh([process.execPath, "x", `agent-exec@${VERSION}`, "--version"], {
      env: npmEnv({ BUN_CONFIG_REGISTRY: registry, BUN_INSTALL_CACHE_DIR: join(dir, "bun-cache") }),
    });
    expect({ code: bunx.code, out: bunx.out, err: bunx.code === 0 ? "" : bunx.err }).toEqual({
      code: 0,
      out: bare,
      err: "",
    });
  });

  test("npm publish of the scoped packages names the platform in os and cpu", async () => {
    const meta = (await (await fetch(`${registry}${platformName(host!).replace("/", "%2f")}`)).json()) as {
      versions: Record<string, { os: string[]; cpu: string[] }>;
    };
    expect(meta.versions[VERSION]).toMatchObject({ os: [host?.os], cpu: [host?.cpu] });
  });
});
