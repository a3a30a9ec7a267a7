// Absolute paths of the fixture programs and the argv that starts each one.
import { join, resolve } from "node:path";
import { BUN } from "./bin.ts";

/** test/fixtures/<name>, absolute. */
export function fixture(name: string): string {
  return resolve(import.meta.dir, "..", "fixtures", name);
}

/**
 * Argv (two or more words, so `run` uses argv mode) for each fixture. Jobs run through a login
 * shell whose profile may reset PATH, so every program is named by its absolute path.
 */
export const fx = {
  sleepForever: (): string[] => [BUN, fixture("sleep-forever.ts")],
  spawnGrandchild: (marker: string): string[] => [BUN, fixture("spawn-grandchild.ts"), marker],
  printLinesAfterFile: (file: string, n: number): string[] => [
    BUN,
    fixture("print-lines-after-file.ts"),
    file,
    String(n),
  ],
  ignoreSigterm: (): string[] => ["sh", fixture("ignore-sigterm.sh"), BUN, fixture("sleep-forever.ts")],
  printLines: (n: number, prefix = "line"): string[] => ["sh", fixture("print-lines.sh"), String(n), prefix],
  exitWithCode: (code: number): string[] => ["sh", fixture("exit-with-code.sh"), String(code)],
  invalidUtf8: (): string[] => ["sh", fixture("invalid-utf8.sh")],
  printEnv: (...names: string[]): string[] => ["sh", fixture("print-env.sh"), ...names],
};

/** Where temp dirs go. */
export const TMP = join(process.env.TMPDIR || "/tmp");
