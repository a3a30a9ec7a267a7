// LogCap on real temp files with a stand-in puncher: the dropped range is published before each
// punch, and where holes cannot be made the log is left whole and the record says nothing dropped.
import { afterAll, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCapRecord } from "../../src/logs/cap-record.ts";
import { LogCap } from "../../src/supervisor/log-cap.ts";
import type { Puncher } from "../../src/supervisor/punch.ts";

const dir = mkdtempSync(join(tmpdir(), "logcap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function files() {
  const base = join(dir, String(++n));
  const paths = { stdout: `${base}.out`, stderr: `${base}.err`, logCap: `${base}.cap` };
  writeFileSync(paths.stdout, "");
  writeFileSync(paths.stderr, "");
  return paths;
}

test("each punch comes after the record that announces it, and stays within the middle", async () => {
  const paths = files();
  const punches: { offset: number; len: number; published: number | undefined }[] = [];
  const puncher: Puncher = (_fd, offset, len) => {
    punches.push({ offset, len, published: readCapRecord(paths.logCap)?.stdout.end });
    return 0;
  };
  const cap = new LogCap(
    paths,
    64 * 1024,
    () => {},
    async () => puncher,
  );
  appendFileSync(paths.stdout, Buffer.alloc(200 * 1024, 97));
  await cap.stop();
  expect(punches).toEqual([{ offset: 32 * 1024, len: 200 * 1024 - 64 * 1024, published: 200 * 1024 - 32 * 1024 }]);
  expect(readCapRecord(paths.logCap)).toEqual({
    stdout: { start: 32 * 1024, end: 200 * 1024 - 32 * 1024 },
    stderr: { start: 0, end: 0 },
  });
});

test("no hole punching (not Linux, or the filesystem): nothing dropped, said once, the log kept whole", async () => {
  const paths = files();
  const diags: string[] = [];
  const cap = new LogCap(
    paths,
    8192,
    (m) => diags.push(m),
    async () => () => 95,
  );
  appendFileSync(paths.stderr, Buffer.alloc(100 * 1024, 98));
  await cap.stop();
  expect(readCapRecord(paths.logCap)).toEqual({ stdout: { start: 0, end: 0 }, stderr: { start: 0, end: 0 } });
  expect(diags).toEqual([expect.stringContaining("cannot punch holes in stderr.log (errno 95)")]);
});
