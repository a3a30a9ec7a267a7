// X13 black-box tests against a real single-node Slurm (scripts/slurm/start.sh), a step of
// `npm test` (alone: `npm run test:slurm`; needs root on Linux; starts the cluster itself).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { BIN, REPO } from "../helpers/bin.ts";
import { pollUntil } from "../helpers/poll.ts";
import { type Json, Sandbox } from "../helpers/sandbox.ts";

const STATE_DIR = process.env.AGENT_EXEC_SLURM_DIR ?? "/var/lib/agent-exec-slurm";
const canRun = process.platform === "linux" && process.getuid?.() === 0;
if (!canRun) {
  // LOUD, never silent: these tests need root (apt-get, munged as the munge user) on Linux.
  console.error(
    "\n!!! test/slurm SKIPPED: needs root on Linux to install and start Slurm (scripts/slurm/start.sh) !!!\n",
  );
}

/** Slurm job ids this file submitted: cancelled at the end whatever happened. */
const submitted = new Set<string>();
let startedHere = false;

function sh(cmd: string[]): { code: number; out: string } {
  const r = Bun.spawnSync({ cmd, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString() };
}

beforeAll(() => {
  if (!canRun) return;
  startedHere = !existsSync(join(STATE_DIR, "pids"));
  const r = sh(["sh", join(REPO, "scripts/slurm/start.sh")]);
  if (r.code !== 0) throw new Error(`scripts/slurm/start.sh failed:\n${r.out}`);
}, 300_000);

afterAll(() => {
  if (!canRun) return;
  if (submitted.size > 0) sh(["scancel", ...submitted]);
  if (startedHere && process.env.AGENT_EXEC_SLURM_KEEP !== "1") sh(["sh", join(REPO, "scripts/slurm/stop.sh")]);
});

/** Records the Slurm job id of an answer (run, status) so afterAll can cancel it. */
function track(j: Json): Json {
  const id = j?.backend?.job_id;
  if (typeof id === "string") submitted.add(id);
  return j;
}

async function slurmRun(sb: Sandbox, args: string[]): Promise<Json> {
  return track(await sb.ok(["run", "--backend", "slurm", ...args]));
}

const t = canRun ? test.serial : test.skip;

describe("X13: the Slurm backend against a real Slurm", () => {
  t(
    "run, wait, tail, status: logs, exit code and the scheduler's id, as for a local job",
    async () => {
      await using sb = Sandbox.create();
      const run = await slurmRun(sb, ["--snapshot-after", "0", "--", "echo hello; echo oops >&2; exit 3"]);
      expect(run.backend).toMatchObject({ kind: "slurm" });
      expect(run.backend.job_id).toMatch(/^\d+$/);
      const waited = await sb.ok(["wait", run.job_id, "--timeout-ms", "60000"]);
      expect(waited).toMatchObject({ state: "exited", exit_code: 3 });
      const tail = await sb.ok(["tail", run.job_id]);
      expect(tail.stdout_tail).toBe("hello");
      expect(tail.stderr_tail).toBe("oops");
      const status = await sb.ok(["status", run.job_id]);
      expect(status).toMatchObject({
        state: "exited",
        exit_code: 3,
        backend: { kind: "slurm", job_id: run.backend.job_id },
      });
      // full.log is written by the same supervisor, on the node.
      expect(readFileSync(join(sb.jobDir(run.job_id), "full.log"), "utf8")).toContain("hello");
      // A cursor from the answer follows new output exactly as for a local job.
      const again = await sb.ok(["tail", run.job_id, "--since", run.cursor]);
      expect(again.stdout_tail).toBe("hello");
    },
    90_000,
  );

  t(
    "readiness: --until-match answers while the job runs; kill of a running job goes through scancel",
    async () => {
      await using sb = Sandbox.create();
      const run = await slurmRun(sb, [
        "--until-match",
        "^ready$",
        "--wait-timeout-ms",
        "60000",
        "--",
        "echo starting; sleep 1; echo ready; sleep 300",
      ]);
      expect(run).toMatchObject({ state: "running", ready: true });
      const killed = await sb.ok(["kill", run.job_id]);
      expect(killed).toMatchObject({ signal_sent: true });
      const end = await sb.terminalState(run.job_id, sb.root, 60_000);
      expect(end.job.status).toBe("killed");
      expect(end.result).toMatchObject({ signal: "TERM", killed_by: "agent-exec" });
      // The scheduler agrees: the batch job is over.
      await pollUntil(() => sh(["squeue", "-h", "-j", run.backend.job_id, "-o", "%T"]).out.trim(), {
        until: (s) => !/RUNNING|COMPLETING|PENDING/.test(s),
        timeoutMs: 60_000,
        what: "the Slurm job to end",
      });
    },
    120_000,
  );

  t(
    "a job pending on an impossible request: queued with Slurm's reason; kill cancels it",
    async () => {
      await using sb = Sandbox.create();
      const run = await slurmRun(sb, ["--snapshot-after", "0", "--slurm-arg=--cpus-per-task=64", "--", "true"]);
      expect(run.state).toBe("queued");
      const status = await pollUntil(async () => sb.ok(["status", run.job_id]), {
        until: (s: Json) => s.backend?.reason !== undefined,
        timeoutMs: 30_000,
        what: "a pending reason",
      });
      expect(status).toMatchObject({ state: "queued", backend: { kind: "slurm", state: "PENDING" } });
      expect(typeof status.backend.reason).toBe("string");
      const killed = await sb.ok(["kill", run.job_id]);
      expect(killed).toMatchObject({ signal_sent: true, state: "killed" });
      const after = await sb.ok(["status", run.job_id]);
      expect(after).toMatchObject({ state: "killed", reason: "cancelled_before_start", killed_by: "agent-exec" });
    },
    90_000,
  );

  t(
    "kill of a job held pending by Resources (the node is full)",
    async () => {
      await using sb = Sandbox.create();
      // Fill both cores, then a third one-core job pends on Resources.
      const fill = [
        await slurmRun(sb, ["--snapshot-after", "0", "--", "sleep 300"]),
        await slurmRun(sb, ["--snapshot-after", "0", "--", "sleep 300"]),
      ];
      const third = await slurmRun(sb, ["--snapshot-after", "0", "--", "echo never"]);
      const pending = await pollUntil(async () => sb.ok(["status", third.job_id]), {
        until: (s: Json) => s.backend?.reason === "Resources" || s.backend?.reason === "Priority",
        timeoutMs: 30_000,
        what: "the third job to pend on Resources",
      });
      expect(pending.state).toBe("queued");
      expect((await sb.ok(["kill", third.job_id])).state).toBe("killed");
      for (const f of fill) await sb.ok(["kill", f.job_id, "--signal", "KILL"]);
      for (const f of fill) expect((await sb.terminalState(f.job_id, sb.root, 60_000)).job.status).toBe("killed");
      expect(sb.file(third.job_id, "stdout.log").toString()).toBe("");
    },
    120_000,
  );

  t(
    "a dependency chain: --after-ok becomes a Slurm dependency; a failed link fails the rest",
    async () => {
      await using sb = Sandbox.create();
      const a = await slurmRun(sb, ["--snapshot-after", "0", "--", "sleep 1; echo a"]);
      const b = await slurmRun(sb, ["--snapshot-after", "0", "--after-ok", a.job_id, "--", "echo b; exit 3"]);
      const c = await slurmRun(sb, ["--snapshot-after", "0", "--after-ok", b.job_id, "--", "echo never"]);
      const d = await slurmRun(sb, ["--snapshot-after", "0", "--after", b.job_id, "--", "echo after-any"]);
      expect(b).toMatchObject({ state: "queued" });
      const sa = await sb.terminalState(a.job_id, sb.root, 60_000);
      const sbb = await sb.terminalState(b.job_id, sb.root, 60_000);
      expect(sa.job.status).toBe("exited");
      expect(sbb).toMatchObject({ job: { status: "exited" }, result: { exit_code: 3 } });
      expect(Date.parse(sbb.job.started_at)).toBeGreaterThanOrEqual(Date.parse(sa.finished_at));
      const sc = await pollUntil(async () => sb.ok(["status", c.job_id]), {
        until: (s: Json) => s.state !== "queued",
        timeoutMs: 60_000,
        what: "the job after a failed one to end",
      });
      expect(sc).toMatchObject({ state: "failed", reason: "dependency_failed" });
      const sd = await sb.terminalState(d.job_id, sb.root, 60_000);
      expect(sd.job.status).toBe("exited");
      expect(sb.file(c.job_id, "stdout.log").toString()).toBe("");
    },
    120_000,
  );

  t(
    "a job over its Slurm --time ends killed with reason slurm_timeout",
    async () => {
      await using sb = Sandbox.create();
      const run = await slurmRun(sb, ["--snapshot-after", "0", "--slurm-arg=--time=1", "--", "sleep 600"]);
      // Slurm's limit is in minutes and it checks it about every 30 s: allow 1 min + slack.
      const end = await sb.terminalState(run.job_id, sb.root, 200_000);
      expect(end.job.status).toBe("killed");
      expect(end.reason).toBe("slurm_timeout");
      const status = await sb.ok(["status", run.job_id]);
      expect(status).toMatchObject({ state: "killed", reason: "slurm_timeout", timed_out: true });
    },
    240_000,
  );

  t(
    "list mixes local and Slurm jobs and asks the scheduler once for all of them",
    async () => {
      await using sb = Sandbox.create();
      const local = await sb.ok(["run", "--snapshot-after", "0", "--", "sleep 300"]);
      const remote: Json[] = [];
      for (let i = 0; i < 5; i++) {
        remote.push(await slurmRun(sb, ["--snapshot-after", "0", "--slurm-arg=--cpus-per-task=64", "--", "true"]));
      }
      const trace = join(sb.dir, "trace");
      // The last `run` kept Slurm's answer for a second: without it, this list must ask once itself.
      rmSync(join(sb.root, ".slurm-poll.json"), { force: true });
      const list = await sb.ok(["list"], { env: { AGENT_EXEC_SLURM_TRACE: trace } });
      const byId = new Map<string, Json>(list.jobs.map((j: Json) => [j.job_id, j]));
      expect(byId.get(local.job_id)?.state).toBe("running");
      expect(byId.get(local.job_id)?.backend).toBeUndefined();
      for (const r of remote) expect(byId.get(r.job_id)).toMatchObject({ state: "queued", backend: { kind: "slurm" } });
      expect(readFileSync(trace, "utf8").trim().split("\n")).toHaveLength(1);
      for (const r of remote) await sb.ok(["kill", r.job_id]);
      await sb.ok(["kill", local.job_id]);
    },
    90_000,
  );

  t(
    "serve: status and wait of a Slurm job over HTTP",
    async () => {
      await using sb = Sandbox.create();
      const run = await slurmRun(sb, ["--snapshot-after", "0", "--", "sleep 1; echo via-http"]);
      const proc = Bun.spawn([BIN, "--root", sb.root, "serve", "--bind", "127.0.0.1:0"], {
        env: sb.env,
        stdout: "pipe",
        stderr: "ignore",
      });
      try {
        const reader = proc.stdout.getReader();
        let out = "";
        while (!out.includes("\n")) {
          const { value, done } = await reader.read();
          if (done) break;
          out += new TextDecoder().decode(value);
        }
        const line = JSON.parse(out.slice(0, out.indexOf("\n")));
        const status: Json = await (await fetch(`${line.url}/status/${run.job_id}`)).json();
        expect(status.backend).toMatchObject({ kind: "slurm", job_id: run.backend.job_id });
        const waited: Json = await (await fetch(`${line.url}/wait/${run.job_id}?timeout_ms=60000`)).json();
        expect(waited).toMatchObject({ state: "exited", exit_code: 0 });
        expect(waited.final_snapshot.stdout_tail).toBe("via-http");
      } finally {
        proc.kill("SIGTERM");
        await proc.exited;
      }
    },
    90_000,
  );

  t(
    "mcp: status, wait and tail of a Slurm job through the MCP server",
    async () => {
      await using sb = Sandbox.create();
      const run = await slurmRun(sb, ["--snapshot-after", "0", "--", "sleep 1; echo via-mcp"]);
      const transport = new StdioClientTransport({
        command: BIN,
        args: ["--root", sb.root, "mcp"],
        env: sb.env,
        cwd: sb.cwd,
        stderr: "ignore",
      });
      const client = new Client({ name: "agent-exec-slurm-test", version: "1.0.0" });
      await client.connect(transport);
      try {
        const call = async (name: string, args: Record<string, unknown>): Promise<Json> =>
          (await client.callTool({ name, arguments: args })).structuredContent;
        const status = await call("status", { job_id: run.job_id });
        expect(status.backend).toMatchObject({ kind: "slurm", job_id: run.backend.job_id });
        const waited = await call("wait", { job_id: run.job_id, until_ms: 60_000 });
        expect(waited).toMatchObject({ state: "exited", exit_code: 0 });
        const tail = await call("tail", { job_id: run.job_id });
        expect(tail.stdout_tail).toContain("via-mcp");
      } finally {
        await client.close();
      }
    },
    90_000,
  );

  t(
    "bad input: unknown backend, no sbatch on PATH, a refused submission, an owned sbatch option",
    async () => {
      await using sb = Sandbox.create();
      const bad = await sb.cli(["run", "--backend", "kubernetes", "--", "true"]);
      expect(bad.exitCode).toBe(2);
      expect(bad.json.error.code).toBe("usage_error");

      const bin = join(sb.dir, "bin-no-slurm");
      mkdirSync(bin);
      symlinkSync("/bin/sh", join(bin, "sh"));
      const noSbatch = await sb.cli(["run", "--backend", "slurm", "--", "true"], { env: { PATH: bin } });
      expect(noSbatch.json.error.code).toBe("invalid_input");
      expect(noSbatch.json.error.message).toContain("slurm-client");

      const refused = await sb.cli(["run", "--backend", "slurm", "--slurm-arg=--mem=999999999", "--", "true"]);
      expect(refused.json.error.code).toBe("invalid_input");
      expect(refused.json.error.message).toMatch(/sbatch.*(Memory|memory|configuration)/s);

      for (const owned of ["--output=x", "--error=x", "--wrap=true", "--parsable", "-o"]) {
        const r = await sb.cli(["run", "--backend", "slurm", `--slurm-arg=${owned}`, "--", "true"]);
        expect(r.json.error.code).toBe("invalid_input");
      }
      // None of them left a job behind.
      expect(sb.entries().filter((e) => !e.startsWith("."))).toEqual([]);

      // config.toml `backend = "slurm"` and `[slurm]` apply without flags.
      const cfgDir = join(sb.env.XDG_CONFIG_HOME as string, "agent-exec");
      mkdirSync(cfgDir, { recursive: true });
      writeFileSync(join(cfgDir, "config.toml"), 'backend = "slurm"\n[slurm]\nargs = ["--job-name=from-config"]\n');
      const viaConfig = track(await sb.ok(["run", "--snapshot-after", "0", "--", "true"]));
      expect(viaConfig.backend?.kind).toBe("slurm");
      await sb.ok(["wait", viaConfig.job_id, "--timeout-ms", "60000"]);
      chmodSync(join(cfgDir, "config.toml"), 0o600);
    },
    90_000,
  );
});
