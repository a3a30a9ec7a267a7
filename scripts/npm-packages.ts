// Lays out the npm packages from a build: the main package `agent-exec` (the launcher in
// npm/agent-exec) and one `@agent-exec/<os>-<arch>` per release target holding only its binary,
// all at the version of the root package.json.
//
//   bun scripts/npm-packages.ts                 every target, from dist/agent-exec-<os>-<arch> (release)
//   bun scripts/npm-packages.ts --host          only this machine's, from dist/agent-exec (tests)
//   --out DIR                                   where to write (default dist/npm); DIR/<name>/ per package
//   --repository OWNER/NAME                     the GitHub repository in every package.json (npm
//                                               provenance requires it to match the one that built it)
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { TARGETS } from "./build.ts";

const root = join(import.meta.dir, "..");

/** One platform package: npm's os/cpu names, and the release asset it carries. */
export interface Platform {
  os: "linux" | "darwin" | "win32";
  cpu: "x64" | "arm64";
  asset: string;
}

/** Every platform package, from the release targets of scripts/build.ts. */
export const PLATFORMS: Platform[] = Object.values(TARGETS).map((asset) => {
  const m = /^agent-exec-(linux|darwin|windows)-(x64|arm64)(\.exe)?$/.exec(asset);
  if (!m) throw new Error(`unexpected release asset name: ${asset}`);
  return { os: m[1] === "windows" ? "win32" : (m[1] as Platform["os"]), cpu: m[2] as Platform["cpu"], asset };
});

/** `@agent-exec/linux-x64` and so on. */
export const platformName = (p: Platform): string => `@agent-exec/${p.os}-${p.cpu}`;

/** The binary's path inside its platform package. */
export const binaryPath = (p: Platform): string => (p.os === "win32" ? "bin/agent-exec.exe" : "bin/agent-exec");

/** This machine's platform package, if it has one. */
export function hostPlatform(): Platform | undefined {
  return PLATFORMS.find((p) => p.os === process.platform && p.cpu === process.arch);
}

interface RootPackage {
  version: string;
  description: string;
  license: string;
  repository?: unknown;
}

/** Fields every package shares. */
function common(pkg: RootPackage): Record<string, unknown> {
  return {
    version: pkg.version,
    license: pkg.license,
    ...(pkg.repository ? { repository: pkg.repository } : {}),
  };
}

/** package.json of the main package. */
export function mainManifest(pkg: RootPackage): Record<string, unknown> {
  return {
    name: "agent-exec",
    ...common(pkg),
    description: pkg.description,
    bin: { "agent-exec": "bin/agent-exec" },
    files: ["bin/agent-exec"],
    optionalDependencies: Object.fromEntries(PLATFORMS.map((p) => [platformName(p), pkg.version])),
  };
}

/** package.json of one platform package. */
export function platformManifest(pkg: RootPackage, p: Platform): Record<string, unknown> {
  return {
    name: platformName(p),
    ...common(pkg),
    description: `The ${p.os}-${p.cpu} binary of agent-exec (installed by the agent-exec package)`,
    os: [p.os],
    cpu: [p.cpu],
    files: [binaryPath(p)],
    // Yarn: keep the binary on disk instead of inside a zip archive.
    preferUnplugged: true,
    publishConfig: { access: "public" },
  };
}

/**
 * Writes each package into `out/<dir>/` and returns the directories, platform packages first.
 * `host`: only this machine's, from dist/agent-exec; else every target's release asset from `from`
 * (default dist/).
 */
export function writePackages(
  out: string,
  opts: { host?: boolean; from?: string; repository?: string } = {},
): string[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as RootPackage;
  if (opts.repository) pkg.repository = { type: "git", url: `git+https://github.com/${opts.repository}.git` };
  const readme = (title: string, body: string) => `# ${title}\n\n${body}\n`;
  const dirs: string[] = [];
  rmSync(out, { recursive: true, force: true });
  const host = hostPlatform();
  if (opts.host && !host) throw new Error(`no platform package for ${process.platform}-${process.arch}`);
  for (const p of opts.host ? [host as Platform] : PLATFORMS) {
    const from = opts.host ? join(root, "dist", "agent-exec") : join(opts.from ?? join(root, "dist"), p.asset);
    if (!existsSync(from)) throw new Error(`missing binary ${from}: build it first (npm run build, or --all-targets)`);
    const dir = join(out, `${p.os}-${p.cpu}`);
    mkdirSync(join(dir, "bin"), { recursive: true });
    copyFileSync(from, join(dir, binaryPath(p)));
    chmodSync(join(dir, binaryPath(p)), 0o755);
    writeFileSync(join(dir, "package.json"), `${JSON.stringify(platformManifest(pkg, p), null, 2)}\n`);
    writeFileSync(
      join(dir, "README.md"),
      readme(platformName(p), `The ${p.os}-${p.cpu} binary of agent-exec. Install \`agent-exec\`, not this package.`),
    );
    dirs.push(dir);
  }
  const main = join(out, "agent-exec");
  mkdirSync(join(main, "bin"), { recursive: true });
  copyFileSync(join(root, "npm", "agent-exec", "bin", "agent-exec"), join(main, "bin", "agent-exec"));
  chmodSync(join(main, "bin", "agent-exec"), 0o755);
  copyFileSync(join(root, "npm", "agent-exec", "README.md"), join(main, "README.md"));
  writeFileSync(join(main, "package.json"), `${JSON.stringify(mainManifest(pkg), null, 2)}\n`);
  dirs.push(main);
  return dirs;
}

if (import.meta.main) {
  const at = process.argv.indexOf("--out");
  const out = at > 0 ? resolve(process.argv[at + 1] as string) : join(root, "dist", "npm");
  const repo = process.argv.indexOf("--repository");
  const repository = repo > 0 ? process.argv[repo + 1] : undefined;
  if (repository !== undefined && !/^[\w.-]+\/[\w.-]+$/.test(repository))
    throw new Error(`--repository: expected OWNER/NAME, got ${repository}`);
  for (const dir of writePackages(out, { host: process.argv.includes("--host"), repository })) console.log(dir);
}
