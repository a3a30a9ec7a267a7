// Input for jobs (X5), black-box: stdin files and pipes, answering a prompt with `send`,
// waiting_for_input, and the bad input around them.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN } from "../helpers/bin.ts";
import { expectError, expectUsageError } from "../helpers/envelope.ts";
import { pollUntil } from "../helpers/poll.ts";
import { type Json, Sandbox } from "../helpers/sandbox.ts";

describe("X5: stdin", () => {
  test.concurrent("--stdin-file and --stdin - feed the job; without them stdin is /dev/null", async () => {
    await using sb = Sandbox.create();
    const file = join(sb.dir, "in.txt");
    writeFileSync(file, "from a file\n");
    const f = await sb.ok(["run", "--wait", "--stdin-file", file, "--", "cat"]);
    expect(f.final_snapshot.stdout_tail).toBe("from a file");
    const piped = Bun.spawn([BIN, "--root", sb.root, "run", "--wait", "--stdin", "-", "--", "cat"], {
      cwd: sb.cwd,
      env: sb.env,
      stdin: new TextEncoder().encode("from the caller\n"),
      stdout: "pipe",
    });
    const out = JSON.parse(await new Response(piped.stdout).text());
    expect(await piped.exited).toBe(0);
    expect(out.final_snapshot.stdout_tail).toBe("from the caller");
    // The default never hangs on the caller's stdin, even when it is an open pipe.
    const held = Bun.spawn([BIN, "--root", sb.root, "run", "--wait", "--", "cat"], {
      cwd: sb.cwd,
      env: sb.env,
      stdin: "pipe",
      stdout: "pipe",
    });
    expect(JSON.parse(await new Response(held.stdout).text()).final_snapshot.stdout_tail).toBe("");
    held.stdin.end();
  });

  test.concurrent("bad input sources are refused before anything exists", async () => {
    await using sb = Sandbox.create();
    expectError(await sb.cli(["run", "--stdin-file", join(sb.dir, "missing"), "--", "cat"]), "invalid_input", 1);
    expectError(await sb.cli(["run", "--stdin-file", sb.dir, "--", "cat"]), "invalid_input", 1);
    expectUsageError(await sb.cli(["run", "--stdin", "file.txt", "--", "cat"]));
    expectUsageError(await sb.cli(["run", "--stdin", "-", "--stdin-file", "x", "--", "cat"]));
    expectUsageError(await sb.cli(["run", "--interactive", "--stdin", "-", "--", "cat"]));
    expect(sb.entries()).toEqual([]);
  });
});

describe("X5: interactive jobs and send", () => {
  test.concurrent("a prompt is answered with send; waiting_for_input shows while it waits", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(
      ["sh", "-c", 'printf "Continue? [y/N] "; read a; echo "got $a"; cat; echo end'],
      ["--interactive"],
    );
    const waiting: Json = await pollUntil(
      async () => {
        const s = await sb.ok(["status", id]);
        return s.waiting_for_input === true ? s : undefined;
      },
      { what: "waiting_for_input" },
    );
    expect(waiting.state).toBe("running");
    expect((await sb.ok(["tail", id])).stdout_tail).toBe("Continue? [y/N] ");
    expect(await sb.ok(["send", id, "y", "--newline"])).toMatchObject({ type: "send", job_id: id, bytes: 2 });
    await sb.stdoutMatch(id, /got y/);
    // Concurrent sends never interleave within one call.
    const lines = Array.from({ length: 10 }, (_, i) => `${String(i).repeat(3000)}\n`);
    await Promise.all(lines.map((l) => sb.ok(["send", id, l])));
    expect(await sb.ok(["send", id, "--eof"])).toMatchObject({ bytes: 0, eof: true });
    const done = await sb.ok(["wait", id, "--timeout-ms", "30000", "--max-bytes", "100000", "--tail-lines", "0"]);
    expect(done.state).toBe("exited");
    const got = (done.final_snapshot.stdout_tail as string).split("\n").filter((l) => /^\d+$/.test(l));
    expect(got.sort()).toEqual(lines.map((l) => l.trim()).sort());
    expectError(await sb.cli(["send", id, "late"]), "invalid_state", 1);
  });

  test.concurrent("send to a job that takes no input, or one that is not running, is invalid_state", async () => {
    await using sb = Sandbox.create();
    const plain = await sb.start(["sleep", "30"]);
    const r = await sb.cli(["send", plain, "hi"]);
    expectError(r, "invalid_state", 1);
    expect(r.json.error.message).toContain("--interactive");
    const created = (await sb.ok(["create", "--interactive", "--", "cat"])).job_id;
    expectError(await sb.cli(["send", created, "hi"]), "invalid_state", 1);
    expectUsageError(await sb.cli(["send", plain]));
    expectUsageError(await sb.cli(["send", plain, "x", "--file", "y"]));
    await sb.ok(["kill", plain, "--signal", "KILL"]);
  });

  test.concurrent("the job sees EOF when its supervisor is gone", async () => {
    await using sb = Sandbox.create();
    const id = await sb.start(["sh", "-c", "cat; echo eof-seen"], ["--interactive"]);
    const sup = (await pollUntil(() => sb.state(id).supervisor_pid, { what: "the supervisor's pid" })) as number;
    await pollUntil(() => sb.state(id).pgid, { what: "the job's group" });
    process.kill(sup, "SIGKILL");
    await sb.stdoutMatch(id, /eof-seen/);
  });
});
