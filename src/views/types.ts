// The names and shapes the views share (X14): which view, parsed test counts, one view's answer.

/** Every view, in the order `--help` lists them. */
export const VIEW_NAMES = ["raw", "clean", "errors", "tests", "summary"] as const;
export type ViewName = (typeof VIEW_NAMES)[number];

/** A test runner the `tests` view recognises. */
export type Runner = "pytest" | "jest" | "vitest" | "go" | "cargo" | "bun";

/** The `tests` object of a response: the counts of the runner's final summary. */
export interface TestCounts {
  runner: Runner;
  passed: number;
  failed: number;
  skipped: number;
}

/** Both streams as a view shows them, with the lines it left out of what it read. */
export interface ViewResult {
  stdout: string[];
  stderr: string[];
  stdoutDropped: number;
  stderrDropped: number;
  tests?: TestCounts;
}

/** True when `v` names a view. */
export function isViewName(v: unknown): v is ViewName {
  return typeof v === "string" && (VIEW_NAMES as readonly string[]).includes(v);
}
