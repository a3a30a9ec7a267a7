// Refreshes the example responses in the README's ```console blocks: runs each block against the
// built binary in a sealed temp dir (as test/release/readme.test.ts does) and writes the real
// output under each command, with the temp root shown as ~/.local/share/agent-exec/jobs.
// Usage: bun scripts/readme-examples.ts   (after npm run build)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "..");
const BIN = join(REPO, "dist", "agent-exec");
const README = join(REPO, "README.md");
const SHOWN_ROOT = "/home/me/.local/share/agent-exec/jobs";

const dir = mkdtempSync(join(tmpdir(), "readme-examples-"));
const root = join(dir, "jobs");
const bin = join(dir, "bin");
mkdirSync(bin, { recursive: true });
writeFileSync(join(bin, "agent-exec"), `#!/bin/sh\nexec "${BIN}" "$@"\n`, { mode: 0o755 });

let blockNo = 0;
const text = readFileSync(README, "utf8").replace(/```console\n([\s\S]*?)```/g, (_all, body: string) => {
  const work = join(dir, `block-${blockNo++}`);
  mkdirSync(work, { recursive: true });
  const commands = body.split("\n").filter((l) => l.startsWith("$ "));
  const script = commands.map((c, n) => `${c.slice(2)} > out.${n}`).join("\n");
  Bun.spawnSync(["bash", "-c", script], {
    cwd: work,
    env: { PATH: `${bin}:${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: dir, AGENT_EXEC_ROOT: root },
  });
  const lines: string[] = [];
  commands.forEach((c, n) => {
    lines.push(c);
    const out = readFileSync(join(work, `out.${n}`), "utf8").trim();
    if (out.startsWith("{")) lines.push(out.split(root).join(SHOWN_ROOT).split(work).join("/home/me/project"));
  });
  return `\`\`\`console\n${lines.join("\n")}\n\`\`\``;
});
Bun.spawnSync(["sh", "-c", `pkill -KILL -f "_supervise ${root}" || true`]);
rmSync(dir, { recursive: true, force: true });
writeFileSync(README, text);
console.log(`refreshed ${blockNo} console blocks in README.md`);
