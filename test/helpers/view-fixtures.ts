// The captured test-runner outputs of test/fixtures/views (made by scripts/fixtures/views.ts).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const VIEW_FIXTURES_DIR = join(import.meta.dir, "..", "fixtures", "views", "captured");

/** One captured run: its streams and the failures a view must keep. */
export interface ViewFixture {
  name: string;
  runner: string;
  command: string;
  color: boolean;
  exit_code: number;
  failures: string[];
  stdout: string;
  stderr: string;
}

/** Every captured run, by name. */
export function viewFixtures(): ViewFixture[] {
  return readdirSync(VIEW_FIXTURES_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const meta = JSON.parse(readFileSync(join(VIEW_FIXTURES_DIR, f), "utf8"));
      const read = (ext: string) => readFileSync(join(VIEW_FIXTURES_DIR, `${meta.name}.${ext}`), "utf8");
      return { ...meta, stdout: read("stdout"), stderr: read("stderr") };
    });
}
