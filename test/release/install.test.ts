// scripts/install.sh against a local directory laid out like a release: the right asset is
// downloaded, its checksum verified, the binary installed and its version printed.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HOST_ASSET, writeFakeRelease } from "../helpers/fake-release.ts";

const REPO = resolve(import.meta.dir, "..", "..");
const BIN = process.env.AGENT_EXEC_BIN ? resolve(process.env.AGENT_EXEC_BIN) : join(REPO, "dist", "agent-exec");
const SCRIPT = join(REPO, "scripts", "install.sh");
const dir = mkdtempSync(join(tmpdir(), "install-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const asset = HOST_ASSET;
let n = 0;

/** A fake release folder holding this machine's asset and SHA256SUMS (optionally wrong). */
function fakeRelease(opts: { badSum?: boolean; withAsset?: boolean } = {}): string {
  return writeFakeRelease(join(dir, `release-${++n}`), BIN, opts);
}

function install(base: string): { code: number; out: string; err: string; dest: string } {
  const dest = join(dir, `bin-${++n}`);
  const r = Bun.spawnSync(["sh", SCRIPT], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      AGENT_EXEC_RELEASE_URL: base,
      AGENT_EXEC_INSTALL: dest,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString(), dest };
}

describe("install.sh", () => {
  test("installs from a release directory and prints the version", () => {
    const r = install(fakeRelease());
    expect(r.err).not.toContain("install.sh:");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^agent-exec \d+\.\d+\.\d+/);
    expect(existsSync(join(r.dest, "agent-exec"))).toBe(true);
  });

  test("installs from a file:// URL", () => {
    const r = install(`file://${fakeRelease()}`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^agent-exec /);
  });

  test("a checksum mismatch installs nothing", () => {
    const r = install(fakeRelease({ badSum: true }));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("checksum mismatch");
    expect(existsSync(join(r.dest, "agent-exec"))).toBe(false);
  });

  test("a missing asset is a clear error", () => {
    const r = install(fakeRelease({ withAsset: false }));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(asset);
  });
});
