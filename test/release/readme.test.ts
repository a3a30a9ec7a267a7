// Keeps the README true: every ```console block is run against the built binary, in a sealed
// sandbox, and each command must print a document shaped like the one the README shows.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "..", "..");
const BIN = process.env.AGENT_EXEC_BIN ? resolve(process.env.AGENT_EXEC_BIN) : join(REPO, "dist", "agent-exec");
const dir = mkdtempSync(join(tmpdir(), "readme-"));
afterAll(() => {
  Bun.spawnSync(["sh", "-c", `pkill -KILL -f "_supervise ${join(dir, "jobs")}" || true`]);
  rmSync(dir, { recursive: true, force: true });
});

interface Step {
  command: string;
  expected?: Record<string, unknown>;
}

/** The `$ command` lines of each console block, each with the JSON line shown after it, if any. */
function consoleBlocks(markdown: string): Step[][] {
  const blocks: Step[][] = [];
  for (const m of markdown.matchAll(/```console\n([\s\S]*?)```/g)) {
    const steps: Step[] = [];
    for (const line of (m[1] as string).split("\n")) {
      if (line.startsWith("$ ")) steps.push({ command: line.slice(2) });
      else if (line.startsWith("{") && steps.length > 0) (steps[steps.length - 1] as Step).expected = JSON.parse(line);
    }
    blocks.push(steps);
  }
  return blocks;
}

/**
 * The key structure of a document (values ignored), to compare shapes. `resources` is compared
 * as a whole: its `max_rss_kb` is present only when the platform could tell it for that run.
 */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length > 0 ? [shape(v[0])] : [];
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, k === "resources" ? "object" : shape(x)]),
    );
  }
  return typeof v;
}

const blocks = consoleBlocks(readFileSync(join(REPO, "README.md"), "utf8"));

test("the README has runnable examples", () => {
  expect(blocks.length).toBeGreaterThan(0);
});

test.each(blocks.map((b, i) => [i, b] as const))("console block %d runs as documented", (i, steps) => {
  const work = join(dir, `block-${i}`);
  mkdirSync(work, { recursive: true });
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "agent-exec"), `#!/bin/sh\nexec "${BIN}" "$@"\n`, { mode: 0o755 });
  // One shell runs the whole block (so JOB=$(...) carries over); each output goes to its own file.
  const script = steps.map((s, n) => `${s.command} > out.${n}; echo $? > rc.${n}`).join("\n");
  const r = Bun.spawnSync(["bash", "-c", script], {
    cwd: work,
    env: {
      PATH: `${bin}:${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: dir,
      AGENT_EXEC_ROOT: join(dir, "jobs"),
      TZ: "UTC",
    },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 60_000,
  });
  expect(r.exitCode).toBe(0);
  steps.forEach((s, n) => {
    if (!s.expected) return;
    const out = readFileSync(join(work, `out.${n}`), "utf8");
    const rc = Number(readFileSync(join(work, `rc.${n}`), "utf8"));
    const doc = JSON.parse(out);
    const expectedRc = s.expected.ok ? 0 : (s.expected.error as { code: string }).code === "usage_error" ? 2 : 1;
    expect({ command: s.command, rc, type: doc.type, ok: doc.ok }).toEqual({
      command: s.command,
      rc: expectedRc,
      type: s.expected.type,
      ok: s.expected.ok,
    });
    expect(shape(doc)).toEqual(shape(s.expected));
    if (doc.state !== undefined) expect(doc.state).toBe(s.expected.state);
    if (doc.error) expect(doc.error.code).toBe((s.expected.error as { code: string }).code);
  });
});
