// The CLI front of issue 12: files it reads (D42), names (D43), and private job files (D44).
import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectError, expectUsageError } from "../helpers/envelope.ts";
import { Sandbox } from "../helpers/sandbox.ts";

const mkfifo = (path: string) => expect(Bun.spawnSync(["mkfifo", path]).exitCode).toBe(0);

describe("D42: only regular files within a cap are read", () => {
  test.concurrent("--env-file naming a FIFO, a device or a directory: invalid_input at once, no job", async () => {
    await using sb = Sandbox.create();
    const fifo = join(sb.dir, "env.fifo");
    mkfifo(fifo);
    for (const [file, kind] of [
      [fifo, "FIFO"],
      ["/dev/zero", "device"],
      [sb.dir, "directory"],
    ] as const) {
      for (const cmd of ["run", "create"]) {
        const r = await sb.cli([cmd, "--env-file", file, "--", "true"]);
        expectError(r, "invalid_input", 1);
        expect(r.json.error.message).toContain(JSON.stringify(file));
        expect(r.json.error.message).toContain(kind);
      }
    }
    expect(sb.entries()).toEqual([]);
  });

  test.concurrent("an env file over 1 MiB is refused; `start` re-checks what a created job names", async () => {
    await using sb = Sandbox.create();
    const big = join(sb.dir, "big.env");
    writeFileSync(big, `A=${"x".repeat(1 << 20)}\n`);
    const r = await sb.cli(["run", "--env-file", big, "--", "true"]);
    expectError(r, "invalid_input", 1);
    expect(r.json.error.message).toContain("larger than 1048576 bytes");
    // A created job whose env file became a FIFO: start refuses it and the job stays created.
    const file = join(sb.dir, "later.env");
    writeFileSync(file, "K=v\n");
    const id = (await sb.ok(["create", "--env-file", file, "--", "true"])).job_id;
    Bun.spawnSync(["rm", file]);
    mkfifo(file);
    expectError(await sb.cli(["start", id]), "invalid_input", 1);
    expect(sb.state(id).job).toEqual({ id, status: "created" });
  });

  test.concurrent("a --config naming a FIFO is refused instead of hanging", async () => {
    await using sb = Sandbox.create();
    const fifo = join(sb.dir, "config.toml");
    mkfifo(fifo);
    const r = await sb.cli(["run", "--config", fifo, "--", "true"]);
    expectError(r, "invalid_input", 1);
    expect(r.json.error.message).toContain("FIFO");
    expect(sb.entries()).toEqual([]);
  });
});

describe("D43: env names", () => {
  test.concurrent("an --env name that is no variable name is a usage error; nothing starts", async () => {
    await using sb = Sandbox.create();
    for (const item of ["=v", "1X=v", "A-B=v", "A B=v"]) {
      const r = await sb.cli(["run", "--env", item, "--", "true"]);
      expectUsageError(r);
      expect(r.json.error.message).toContain(JSON.stringify(item));
    }
    expect(
      (await sb.ok(["run", "--wait", "--env", "_OK1=a=b", "--", "sh", "-c", 'printf %s "$_OK1"'])).final_snapshot,
    ).toMatchObject({ stdout_tail: "a=b" });
  });
});

describe("D44: private by default", () => {
  test.concurrent("a new root and job directories are 0700, every file in them 0600", async () => {
    await using sb = Sandbox.create();
    const id = (
      await sb.ok([
        "run",
        "--wait",
        "--env",
        "SECRET=s",
        "--tag",
        "t",
        "--notify-file",
        join(sb.dir, "n.ndjson"),
        "--",
        "echo",
        "hi",
      ])
    ).job_id;
    const created = (await sb.ok(["create", "--env", "SECRET=s", "--", "true"])).job_id;
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    expect(mode(sb.root)).toBe("700");
    for (const job of [id, created]) {
      const dir = sb.jobDir(job);
      expect({ dir: mode(dir) }).toEqual({ dir: "700" });
      const files = readdirSync(dir);
      expect(files.length).toBeGreaterThan(3);
      for (const f of files) expect({ f, mode: mode(join(dir, f)) }).toEqual({ f, mode: "600" });
    }
  });

  test.concurrent("an existing root keeps its mode", async () => {
    await using sb = Sandbox.create();
    mkdirSync(sb.root, { recursive: true, mode: 0o750 });
    Bun.spawnSync(["chmod", "750", sb.root]);
    await sb.ok(["run", "--", "true"]);
    expect((statSync(sb.root).mode & 0o777).toString(8)).toBe("750");
  });
});

describe("D36: the strict request schemas are the ones `schema` prints", () => {
  test.concurrent("ExecRequest and KillRequest refuse additional properties", async () => {
    await using sb = Sandbox.create();
    const defs = (await sb.ok(["schema"])).schema.definitions;
    expect(defs.ExecRequest).toMatchObject({
      type: "object",
      additionalProperties: false,
      required: ["command"],
      properties: { timeout_ms: { type: "integer" }, env: { type: "object" } },
    });
    expect(defs.KillRequest).toMatchObject({ type: "object", additionalProperties: false });
    for (const name of ["CreateRequest", "StartRequest", "RestartRequest", "TagRequest"]) {
      expect(defs[name]).toMatchObject({ type: "object", additionalProperties: false });
    }
    expect(defs.ExecRequest.properties).toHaveProperty("until_match");
    expect(defs.RestartRequest.properties.until_port).toMatchObject({ minimum: 1, maximum: 65535 });
  });
});
