// Smoke test of a built binary: --version, run --wait, status, and one error, checking shape and exit codes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const at = process.argv.indexOf("--bin");
const bin = at > 0 ? (process.argv[at + 1] as string) : join(import.meta.dir, "..", "dist", "agent-exec");
const root = mkdtempSync(join(tmpdir(), "agent-exec-smoke-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: root, AGENT_EXEC_ROOT: join(root, "jobs"), TZ: "UTC" };

function call(args: string[]): { code: number; out: string } {
  const r = Bun.spawnSync([bin, ...args], { env, stdout: "pipe", stderr: "pipe", timeout: 30_000 });
  return { code: r.exitCode ?? -1, out: r.stdout.toString() };
}

function check(what: string, ok: boolean, detail: string): void {
  if (!ok) {
    console.error(`smoke: FAIL ${what}: ${detail}`);
    rmSync(root, { recursive: true, force: true });
    process.exit(1);
  }
  console.error(`smoke: ok   ${what}`);
}

try {
  const v = call(["--version"]);
  check("--version", v.code === 0 && /^agent-exec \d+\.\d+\.\d+/.test(v.out), v.out);

  const r = call(["run", "--wait", "--", "echo", "smoke"]);
  const run = JSON.parse(r.out);
  check(
    "run --wait",
    r.code === 0 &&
      run.ok === true &&
      run.state === "exited" &&
      run.exit_code === 0 &&
      run.final_snapshot?.stdout_tail === "smoke",
    r.out,
  );

  const s = call(["status", run.job_id]);
  const status = JSON.parse(s.out);
  check("status", s.code === 0 && status.type === "status" && status.state === "exited", s.out);

  const e = call(["status", "NOSUCHJOB"]);
  check("status of an unknown job", e.code === 1 && JSON.parse(e.out).error?.code === "job_not_found", e.out);

  const u = call(["run", "--timeout", "-1", "true"]);
  check("usage error", u.code === 2 && JSON.parse(u.out).error?.code === "usage_error", u.out);
} finally {
  rmSync(root, { recursive: true, force: true });
}
