// `npm run check` (and so `npm test`): every step in CI order, each one's output passed through as
// it comes, then one plain line with the total of every test runner: `N passed, N failed`.
//
// Counted: each `bun test` run's "N pass" / "N fail" summary lines, and each smoke check
// ("smoke: ok" / "smoke: FAIL"). A step that fails without a counted failure (typecheck, lint, a
// build error, a crashed runner) counts as one failure. Like `a && b`, the first failing step ends
// the run.

const STEPS = ["typecheck", "lint", "test:unit", "test:cli", "test:slurm", "smoke"] as const;

/** Test counts found in a step's output. */
export function countResults(text: string): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  for (const m of text.matchAll(/^\s*(\d+) (pass|fail)$/gm)) {
    if (m[2] === "pass") passed += Number(m[1]);
    else failed += Number(m[1]);
  }
  passed += text.match(/^smoke: ok\b/gm)?.length ?? 0;
  failed += text.match(/^smoke: FAIL\b/gm)?.length ?? 0;
  return { passed, failed };
}

/** Copies a stream to `out` as it arrives and returns all of it as text. */
async function pass(stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    out.write(chunk);
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

async function main(): Promise<number> {
  let passed = 0;
  let failed = 0;
  for (const step of STEPS) {
    const proc = Bun.spawn(["npm", "run", step], { stdin: "inherit", stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([
      pass(proc.stdout, process.stdout),
      pass(proc.stderr, process.stderr),
      proc.exited,
    ]);
    const counts = countResults(`${out}\n${err}`);
    passed += counts.passed;
    failed += counts.failed;
    if (code !== 0) {
      if (counts.failed === 0) failed++;
      console.log(`${passed} passed, ${failed} failed`);
      return code;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return 0;
}

if (import.meta.main) process.exit(await main());
