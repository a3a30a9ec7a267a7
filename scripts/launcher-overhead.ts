// Measures what the npm launcher adds: `node_modules/.bin/agent-exec status ID` against the bare
// binary, interleaved, in a node_modules laid out as npm lays it out (bin symlink, hoisted
// platform package) and as npm i -g lays it out. Also times a Node launcher (spawnSync with stdio
// inherited) for comparison.
//
//   bun scripts/launcher-overhead.ts [--runs N]     (needs dist/agent-exec: npm run build)
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostPlatform, platformName, writePackages } from "./npm-packages.ts";

const at = process.argv.indexOf("--runs");
const runs = at > 0 ? Number(process.argv[at + 1]) : 200;
const dir = mkdtempSync(join(tmpdir(), "launcher-"));
try {
  const nm = join(dir, "node_modules");
  const [platformDir, mainDir] = writePackages(join(dir, "pkgs"), { host: true }) as [string, string];
  cpSync(mainDir, join(nm, "agent-exec"), { recursive: true });
  cpSync(platformDir, join(nm, platformName(hostPlatform()!)), { recursive: true });
  mkdirSync(join(nm, ".bin"));
  symlinkSync("../agent-exec/bin/agent-exec", join(nm, ".bin", "agent-exec"));
  // npm i -g: <prefix>/bin/agent-exec -> ../lib/node_modules/agent-exec/bin/agent-exec, the
  // platform package nested under the main one.
  const global = join(dir, "prefix", "lib", "node_modules", "agent-exec");
  cpSync(mainDir, global, { recursive: true });
  cpSync(platformDir, join(global, "node_modules", platformName(hostPlatform()!)), { recursive: true });
  mkdirSync(join(dir, "prefix", "bin"));
  symlinkSync("../lib/node_modules/agent-exec/bin/agent-exec", join(dir, "prefix", "bin", "agent-exec"));
  const bare = join(nm, platformName(hostPlatform()!), "bin", "agent-exec");
  const nodeLauncher = join(dir, "node-launcher.cjs");
  writeFileSync(
    nodeLauncher,
    `const r=require("child_process").spawnSync(${JSON.stringify(bare)},process.argv.slice(2),{stdio:"inherit"});process.exit(r.status??1);\n`,
  );
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, AGENT_EXEC_ROOT: join(dir, "root") };
  const run = spawnSync(bare, ["run", "--wait", "--", "true"], { env, encoding: "utf8" });
  const id = JSON.parse(run.stdout).job_id as string;
  const variants: Record<string, string[]> = {
    bare: [bare, "status", id],
    "sh launcher (.bin symlink)": [join(nm, ".bin", "agent-exec"), "status", id],
    "sh launcher (npm i -g)": [join(dir, "prefix", "bin", "agent-exec"), "status", id],
    "node launcher": [process.env.NODE ?? "node", nodeLauncher, "status", id],
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, argv] of Object.entries(variants)) {
      const t0 = performance.now();
      const r = spawnSync(argv[0] as string, argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
      (times[name] as number[]).push(performance.now() - t0);
      if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const base = median(times.bare as number[]);
  for (const [name, xs] of Object.entries(times)) {
    console.log(`${name.padEnd(28)} median ${median(xs).toFixed(2)} ms  ${(median(xs) / base).toFixed(2)}x`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
