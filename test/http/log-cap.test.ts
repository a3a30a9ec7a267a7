// /exec with max_log_bytes (X9): the cap reaches meta.json; a bad size is a 400 and starts nothing.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createFetchHandler } from "../../src/http/server.ts";

const REPO = resolve(import.meta.dir, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "http-cap-"));
const root = join(dir, "jobs");
const env = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: dir,
  AGENT_EXEC_SELF: JSON.stringify([process.execPath, join(REPO, "src", "cli.ts")]),
};
const handler = createFetchHandler({ root, env, cwd: dir });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function exec(body: unknown) {
  const res = await handler(new Request("http://127.0.0.1/exec", { method: "POST", body: JSON.stringify(body) }));
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test("max_log_bytes as bytes or a size string lands in meta.json", async () => {
  for (const [given, want] of [
    [8192, 8192],
    ["64MiB", 64 << 20],
  ] as const) {
    const r = await exec({ command: ["true"], max_log_bytes: given, wait: true });
    expect(r.status).toBe(200);
    const meta = JSON.parse(readFileSync(join(root, r.json.job_id as string, "meta.json"), "utf8"));
    expect(meta.max_log_bytes).toBe(want);
  }
});

test("a bad max_log_bytes is a 400 naming the value, and no job directory", async () => {
  const before = existsSync(root) ? readdirSync(root).length : 0;
  for (const bad of [100, "1XB", true]) {
    const r = await exec({ command: ["true"], max_log_bytes: bad });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json)).toContain("max_log_bytes");
  }
  expect(existsSync(root) ? readdirSync(root).length : 0).toBe(before);
});
