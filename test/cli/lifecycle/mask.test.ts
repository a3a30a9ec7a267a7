// `--mask` secrets (§3.2, §3.17, D7): the value never shows in a response, in meta.json, in any
// job file but the owner-only runtime file, or on any process's command line, yet the job sees it.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { BUN } from "../../helpers/bin.ts";
import { fixture } from "../../helpers/fixtures.ts";
import { pollUntil } from "../../helpers/poll.ts";
import { type CliResult, Sandbox } from "../../helpers/sandbox.ts";
import { cmdlinesContaining, filesContaining, writeScript } from "./util.ts";

/** A job that writes $SEC to a file, then sleeps until killed: its argv holds no secret. */
function secretJob(sb: Sandbox, seen: string): string[] {
  const script = writeScript(join(sb.dir, "see-secret.sh"), 'printf "%s" "$SEC" > "$1"\nshift\nexec "$@"');
  return ["sh", script, seen, BUN, fixture("sleep-forever.ts")];
}

function expectNoSecret(r: CliResult, secret: string): void {
  expect({ args: r.args, exit: r.exitCode, leaks: r.stdout.includes(secret) || r.stderr.includes(secret) }).toEqual({
    args: r.args,
    exit: 0,
    leaks: false,
  });
}

describe("--mask (§3.2, D7)", () => {
  test.concurrent("create + start: never in responses, meta.json or any command line; the job sees it", async () => {
    await using sb = Sandbox.create();
    const secret = `create-sec-${Math.random().toString(36).slice(2)}-x9`;
    const seen = join(sb.dir, "seen");
    const create = await sb.cli([
      "create",
      ...["--env", `SEC=${secret}`, "--mask", "SEC", "--env", "PLAIN=p", "--tag", "secret"],
      "--",
      ...secretJob(sb, seen),
    ]);
    expectNoSecret(create, secret);
    const id = create.json.job_id;
    const dir = join(sb.root, id);
    // The env items to apply at start, and the values to redact (D28): both owner-only.
    expect(filesContaining(dir, secret).sort()).toEqual(["env.runtime.json", "masks.json"]);
    for (const f of ["env.runtime.json", "masks.json"]) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    expect(sb.meta(id)).toMatchObject({ env_keys: ["SEC", "PLAIN"], env_vars: ["SEC=***", "PLAIN=p"], mask: ["SEC"] });

    const start = await sb.cli(["start", "--snapshot-after", "0", id]);
    expectNoSecret(start, secret);
    expect(start.json).toMatchObject({ state: "running", env_vars: ["SEC=***", "PLAIN=p"] });

    // The job got the real value...
    await pollUntil(() => existsSync(seen) && readFileSync(seen, "utf8") === secret, { what: "the job saw $SEC" });
    await sb.stdoutMatch(id, /^ready \d+/);
    expect(sb.state(id).job.status).toBe("running");
    // ...and no process shows it on its command line while the job runs (supervisor included).
    expect(cmdlinesContaining(secret)).toEqual([]);

    for (const args of [
      ["status", id],
      ["tail", id],
      ["list"],
      ["wait", "--timeout-ms", "10", id],
      ["--yaml", "status", id],
      ["tag", "set", id, "--tag", "still-secret"],
    ]) {
      expectNoSecret(await sb.cli(args), secret);
    }
    expectNoSecret(await sb.cli(["kill", id]), secret);
    await sb.terminalState(id);
    expect(filesContaining(dir, secret, ["env.runtime.json", "masks.json"])).toEqual([]);
  });

  test.concurrent("run --mask: masked in the response and meta.json, absent from every command line", async () => {
    await using sb = Sandbox.create();
    const secret = `run-sec-${Math.random().toString(36).slice(2)}-y7`;
    const seen = join(sb.dir, "seen");
    const run = await sb.cli([
      "run",
      ...["--snapshot-after", "0", "--env", `SEC=${secret}`, "--mask", "SEC"],
      "--",
      ...secretJob(sb, seen),
    ]);
    expectNoSecret(run, secret);
    const id = run.json.job_id;
    expect(run.json.env_vars).toEqual(["SEC=***"]);
    await pollUntil(() => existsSync(seen) && readFileSync(seen, "utf8") === secret, { what: "the job saw $SEC" });
    await sb.stdoutMatch(id, /^ready \d+/);
    expect(cmdlinesContaining(secret)).toEqual([]);
    expect(filesContaining(join(sb.root, id), secret, ["env.runtime.json", "masks.json"])).toEqual([]);
    expectNoSecret(await sb.cli(["kill", id]), secret);
  });
});
