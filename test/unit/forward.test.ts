// readForward (X11): every byte once, in order, in bounded chunks; no character or masked value split.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readForward } from "../../src/logs/forward.ts";
import { maskBytes } from "../../src/logs/redact.ts";

const dir = mkdtempSync(join(tmpdir(), "forward-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads the whole file chunk by chunk, as /follow does. */
function readAll(path: string, chunk: number, masks: Uint8Array[], final: boolean): string[] {
  const parts: string[] = [];
  for (let at = 0; ; ) {
    const p = readForward(path, at, chunk, masks, final);
    if (p.end <= at) return parts;
    parts.push(p.text);
    at = p.end;
  }
}

test("chunks cover the file exactly, whatever the chunk size", () => {
  const path = join(dir, "lines.log");
  const text = Array.from({ length: 500 }, (_, i) => `line ${i} é ✓ 𝄞`).join("\n");
  writeFileSync(path, text);
  for (const chunk of [1, 3, 7, 64, 1000, 1 << 20]) expect(readAll(path, chunk, [], true).join("")).toBe(text);
});

test("a running job's incomplete character waits for its last bytes; at the end it is shown lossy", () => {
  const path = join(dir, "cut.log");
  writeFileSync(path, Buffer.concat([Buffer.from("ok "), Buffer.from("✓").subarray(0, 2)]));
  expect(readForward(path, 0, 100, [], false)).toEqual({ text: "ok ", end: 3 });
  expect(readForward(path, 3, 100, [], false)).toEqual({ text: "", end: 3 });
  expect(readForward(path, 3, 100, [], true)).toEqual({ text: "\ufffd", end: 5 });
});

test("a masked value is never shown, even cut by a chunk boundary or still being written", () => {
  const path = join(dir, "masked.log");
  const masks = maskBytes(["s3cr3t-value"]);
  writeFileSync(path, "before s3cr3t-value after s3cr3t-value\n");
  for (const chunk of [1, 5, 11, 64]) {
    const shown = readAll(path, chunk, masks, true).join("");
    expect(shown).not.toContain("s3cr3t");
    expect(shown).not.toContain("value after");
  }
  writeFileSync(path, "tail s3cr3t-va");
  const live = readForward(path, 0, 100, masks, false);
  expect(live.text).toBe("tail ");
});
