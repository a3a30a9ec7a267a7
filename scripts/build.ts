// Builds the standalone agent-exec binary: the host's into dist/agent-exec, or every release target.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

/** Release targets: Bun compile target -> asset name (agent-exec-<os>-<arch>). */
export const TARGETS: Record<string, string> = {
  "bun-linux-x64": "agent-exec-linux-x64",
  "bun-linux-arm64": "agent-exec-linux-arm64",
  "bun-darwin-x64": "agent-exec-darwin-x64",
  "bun-darwin-arm64": "agent-exec-darwin-arm64",
  "bun-windows-x64": "agent-exec-windows-x64.exe",
};

const root = join(import.meta.dir, "..");
const pkg = (await Bun.file(join(root, "package.json")).json()) as { version: string };

function git(...args: string[]): string {
  const r = spawnSync("git", args, { cwd: root, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "";
}

/**
 * ulid's Node build imports node:crypto, which costs ~5 ms at start-up; its browser build uses
 * the global Web Crypto (crypto.getRandomValues), which Bun provides for free.
 */
const ULID_WEB_CRYPTO: Bun.BunPlugin = {
  name: "ulid-web-crypto",
  setup(b) {
    b.onResolve({ filter: /^ulid$/ }, () => ({
      path: join(root, "node_modules", "ulid", "dist", "browser", "index.js"),
    }));
  },
};

/** The JIT policy the binary starts with (Bun.unsafe.setJITPolicy); the bench builds its references with it too. */
export const JIT_POLICY = 10;

/** Compiles src/cli.ts for one target (undefined = this host) into `outfile`. */
export async function build(outfile: string, target?: string): Promise<void> {
  const result = await Bun.build({
    entrypoints: [join(root, "src/cli.ts")],
    format: "esm",
    minify: true,
    bytecode: true,
    // Each lazily imported module (yaml, ulid, cac, the run/list/kill handlers) becomes its own
    // chunk inside the executable, so a `status` call never loads their bytecode (P1).
    splitting: true,
    plugins: [ULID_WEB_CRYPTO],
    define: {
      AGENT_EXEC_VERSION: JSON.stringify(pkg.version),
      AGENT_EXEC_COMMIT: JSON.stringify(process.env.AGENT_EXEC_COMMIT ?? git("rev-parse", "--short=12", "HEAD")),
      // The schema is generated from the code, so it is as new as the commit it was built from.
      AGENT_EXEC_SCHEMA_DATE: JSON.stringify(new Date(git("log", "-1", "--format=%cI") || Date.now()).toISOString()),
    },
    compile: {
      outfile,
      ...(target ? { target: target as Bun.Build.CompileTarget } : {}),
      // The directory a user runs the binary from must not change how it behaves.
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
      // Most calls are short (status, tail, run): their start-up code runs once, so compiling it
      // is wasted work. A 10× higher tier-up threshold keeps it in the interpreter and took
      // `status` from 1.25× to 1.16× the hello world (P1, 250 interleaved runs); cli.ts restores
      // the normal policy for the commands that loop over many jobs or keep running.
      jitPolicy: JIT_POLICY,
    },
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`build failed for ${target ?? "host"}`);
  }
}

if (import.meta.main) {
  const all = process.argv.includes("--all-targets");
  mkdirSync(join(root, "dist"), { recursive: true });
  if (all) {
    for (const [target, name] of Object.entries(TARGETS)) {
      await build(join(root, "dist", name), target);
      console.error(`built dist/${name}`);
    }
  } else {
    const at = process.argv.indexOf("--outfile");
    const out = at > 0 ? (process.argv[at + 1] as string) : join(root, "dist", "agent-exec");
    await build(out);
    console.error(`built ${out}`);
  }
}
