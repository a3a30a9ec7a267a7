// A local directory laid out like a GitHub release: this machine's asset and SHA256SUMS (used by
// the install.sh and GitHub Action tests in place of a download).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const os = process.platform === "darwin" ? "darwin" : "linux";
const arch = process.arch === "arm64" ? "arm64" : "x64";

/** The release asset name of this machine (agent-exec-<os>-<arch>). */
export const HOST_ASSET = `agent-exec-${os}-${arch}`;

/**
 * Writes a fake release of `bin` into `dir` (created): the asset and a SHA256SUMS that also lists
 * another asset. `badSum` lists a wrong checksum; `withAsset: false` leaves the binary out.
 */
export function writeFakeRelease(
  dir: string,
  bin: string,
  opts: { badSum?: boolean; withAsset?: boolean } = {},
): string {
  mkdirSync(dir, { recursive: true });
  if (opts.withAsset !== false) copyFileSync(bin, join(dir, HOST_ASSET));
  const sum = new Bun.CryptoHasher("sha256").update(readFileSync(bin)).digest("hex");
  const listed = opts.badSum ? "0".repeat(64) : sum;
  writeFileSync(join(dir, "SHA256SUMS"), `${"1".repeat(64)}  agent-exec-windows-x64.exe\n${listed}  ${HOST_ASSET}\n`);
  return dir;
}
