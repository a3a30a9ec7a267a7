// R6: hostile job ids on every id-taking command and HTTP route. Must hold: nothing outside the
// root is read, written or deleted (D1: such ids are rejected before any filesystem access).
//
// Everything aimed at is a DECOY inside the sandbox: the root is <tmp>/a/b/root, and job-like
// decoys sit at <tmp>/a/b/{x,y,z}, <tmp>/a/etc (the stand-in for an absolute path such as /etc:
// a real system path is never aimed at) and <tmp>/a/decoy. Each holds a secret that no response
// may contain; y claims a live process group (a decoy process of ours) that no kill may reach.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pidAlive } from "../../test/helpers/pid-alive.ts";
import { Sandbox } from "../../test/helpers/sandbox.ts";
import {
  type AttackResult,
  call,
  describeCall,
  diffTrees,
  Findings,
  oneJson,
  rawHttp,
  readJsonFile,
  sigkill,
  snapshotTree,
  startServer,
} from "./common.ts";

interface Layout {
  a: string;
  root: string;
  realId: string;
  secret: string;
  decoyPid: number;
}

function decoyJob(dir: string, name: string, status: string, secret: string, pid?: number): void {
  mkdirSync(dir, { recursive: true });
  const at = "2025-01-01T00:00:00.000Z";
  writeFileSync(
    join(dir, "meta.json"),
    JSON.stringify({
      job: { id: name },
      schema_version: "0.1",
      command: ["echo", secret],
      created_at: at,
      root: dir,
      env_keys: [],
      tags: [],
      inherit_env: true,
      timeout_ms: 0,
      kill_after_ms: 0,
      progress_every_ms: 0,
    }),
  );
  const terminal = status === "exited";
  writeFileSync(
    join(dir, "state.json"),
    JSON.stringify({
      job: { id: name, status, ...(status !== "created" ? { started_at: at } : {}) },
      result: { exit_code: terminal ? 0 : null, signal: null, duration_ms: terminal ? 1 : null },
      ...(pid ? { pid, pgid: pid, supervisor_pid: pid } : {}),
      ...(terminal ? { finished_at: at } : {}),
      updated_at: at,
    }),
  );
  for (const log of ["stdout.log", "stderr.log", "full.log"]) writeFileSync(join(dir, log), `${secret}\n`);
}

async function layout(sb: Sandbox, decoyPid: number): Promise<Layout> {
  const a = join(sb.dir, "a");
  const root = join(a, "b", "root");
  const secret = `DECOY-SECRET-${crypto.randomUUID()}`;
  mkdirSync(root, { recursive: true });
  writeFileSync(join(a, "decoy"), `${secret}\n`);
  decoyJob(join(a, "etc"), "etc", "exited", secret);
  decoyJob(join(a, "b", "x"), "x", "exited", secret);
  decoyJob(join(a, "b", "y"), "y", "running", secret, decoyPid);
  decoyJob(join(a, "b", "z"), "z", "created", secret);
  writeFileSync(join(root, "KEEP"), "keep\n");
  const realId = (await sb.ok(["run", "--wait", "--", "echo", "real"], { root })).job_id as string;
  // The real job's supervisor still writes completion_event.json after the end: let it finish first.
  const sup = readJsonFile(join(root, realId, "state.json"))?.supervisor_pid;
  const deadline = performance.now() + 60_000;
  while (typeof sup === "number" && pidAlive(sup) && performance.now() < deadline) await Bun.sleep(10);
  return { a, root, realId, secret, decoyPid };
}

/** The hostile ids for the CLI (a NUL cannot pass through execve, so it is HTTP-only). */
function cliIds(l: Layout): string[] {
  return [
    "",
    ".",
    "..",
    "../x",
    "../y",
    "../z",
    "../../decoy",
    "../../etc",
    join(l.a, "etc"), // absolute path (stand-in for /etc)
    join(l.a, "b", "x"),
    "%2e%2e",
    "%2e%2e%2fx",
    "x/../..",
    `${l.realId}/../../x`,
    `${l.realId}/..`,
    `${l.realId}X`,
    "A".repeat(27),
    "0".repeat(300),
    `${l.realId.slice(0, 10)}\n`,
    " ",
    "*",
    "~",
    "..\\x",
  ];
}

/** The same attack over HTTP: path segments as sent on the wire (some percent-encoded). */
function httpIds(l: Layout): string[] {
  return [
    "",
    ".",
    "..",
    "%2e",
    "%2e%2e",
    "..%2fx",
    "%2e%2e%2fx",
    "%2e%2e%2F%2e%2e%2Fdecoy",
    "%2e%2e%2fy",
    "%2e%2e%2fz",
    encodeURIComponent(join(l.a, "etc")),
    encodeURIComponent(join(l.a, "b", "x")),
    "%252e%252e",
    "%00",
    "..%00",
    `${l.realId}%00`,
    `${l.realId.slice(0, 5)}%00..%2f..%2fx`,
    `${l.realId}X`,
    "A".repeat(27),
    "0".repeat(5000),
    "..%5cx",
    "%",
    "%zz",
    "%E0%A4%A",
    "%C0%AE%C0%AE",
  ];
}

export type R6Surface = "cli" | "http";

/**
 * Two verdicts: `safety`, the must-hold of R6 (no decoy read, written, deleted or signalled), and
 * `answers`, the D1 reply (an error envelope, job_not_found; over HTTP a 4xx, never a 5xx).
 */
export interface R6Result {
  safety: AttackResult;
  answers: AttackResult;
}

export async function r6(surface: R6Surface, seed: number): Promise<R6Result> {
  const f = new Findings(`R6/${surface}`, seed);
  const a = new Findings(`R6/${surface} answers`, seed);
  await using sb = Sandbox.create();
  const decoy = Bun.spawn(["sleep", "600"], { stdio: ["ignore", "ignore", "ignore"], detached: true });
  try {
    const l = await layout(sb, decoy.pid);
    const before = snapshotTree(l.a);
    const leaks = (text: string) => text.includes(l.secret);
    let calls = 0;

    if (surface === "cli") {
      const pwned = join(l.a, "pwned");
      const commands: [string, string[], string[]][] = [
        ["status", ["status"], []],
        ["tail", ["tail"], []],
        ["wait", ["wait", "--timeout-ms", "200"], []],
        ["kill", ["kill"], []],
        ["kill KILL", ["kill", "--signal", "KILL"], []],
        ["start", ["start", "--snapshot-after", "0"], []],
        ["delete", ["delete"], []],
        ["delete --dry-run", ["delete", "--dry-run"], []],
        ["tag set", ["tag", "set"], ["--tag", "pwned"]],
        ["notify set", ["notify", "set"], ["--command", `touch '${pwned}'`]],
      ];
      for (const id of cliIds(l)) {
        await Promise.all(
          commands.map(async ([name, pre, post]) => {
            // `--` keeps an id that starts with "-" positional.
            const forms = id.startsWith("-") ? [[...pre, ...post, "--", id]] : [[...pre, id, ...post]];
            for (const args of forms) {
              calls++;
              const c = await call(sb, args, { root: l.root, timeoutMs: 15_000 });
              const code = c.json?.error?.code;
              a.check(
                c.json?.ok === false &&
                  (code === "job_not_found" || code === "usage_error") &&
                  c.exitCode === (code === "usage_error" ? 2 : 1),
                () => `${name} ${JSON.stringify(id)}: expected job_not_found: ${describeCall(c)}`,
              );
              f.check(!leaks(c.stdout + c.stderr), () => `${name} ${JSON.stringify(id)}: a decoy's content leaked`);
            }
          }),
        );
      }
      // Positive control: the same commands do reach a real job.
      const ok = await call(sb, ["status", l.realId], { root: l.root });
      a.check(ok.json?.ok === true, () => `control: status of the real job failed: ${describeCall(ok)}`);
    } else {
      const server = await startServer(sb, { root: l.root });
      try {
        const routes: [string, string, string][] = [
          ["GET", "/status/", ""],
          ["GET", "/tail/", ""],
          ["GET", "/wait/", "?timeout_ms=200"],
          ["POST", "/kill/", ""],
          ["POST", "/delete/", ""],
        ];
        for (const id of httpIds(l)) {
          await Promise.all(
            routes.map(async ([method, prefix, query]) => {
              calls++;
              const target = `${prefix}${id}${query}`;
              const body = method === "POST" ? '{"signal":"KILL"}' : "";
              const req = `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
              const res = await rawHttp(server.port, [req], { timeoutMs: 10_000 });
              const text = res.body.toString("utf8");
              const doc = oneJson(`${text}\n`);
              a.check(
                res.status !== undefined && res.status >= 400 && res.status < 500 && res.status !== 401,
                () =>
                  `${method} ${target.slice(0, 80)}: expected a 4xx (404 job_not_found), got ${res.status ?? res.end} ${text.slice(0, 200)}`,
              );
              a.check(
                res.status === 404 ? doc?.ok === false && typeof doc.error?.code === "string" : true,
                () => `${method} ${target.slice(0, 80)}: 404 without a JSON error body: ${text.slice(0, 200)}`,
              );
              f.check(!leaks(res.head + text), () => `${method} ${target.slice(0, 80)}: a decoy's content leaked`);
            }),
          );
        }
        const ctl = await fetch(`${server.base}/status/${l.realId}`);
        a.check(ctl.status === 200, () => `control: GET /status of the real job gave ${ctl.status}`);
      } finally {
        await server.stop();
      }
    }

    f.runs = calls;
    a.runs = calls;
    const changes = diffTrees(before, snapshotTree(l.a));
    f.check(changes.length === 0, () => `files changed under ${l.a}: ${changes.slice(0, 10).join("; ")}`);
    f.check(pidAlive(l.decoyPid), () => "the decoy process (claimed by decoy job y) was signalled");
    f.fig(`${calls} calls; decoy tree unchanged: ${changes.length === 0}`);
    a.fig(`${a.violations.length} wrong answers`);
  } finally {
    sigkill(decoy.pid);
  }
  return { safety: f.result(), answers: a.result() };
}
