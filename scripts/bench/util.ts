// Shared bench types, statistics, formatting and bounded condition waits.

/** One line of the result table, plus the raw figures that go to the JSON file. */
export interface Row {
  id: string;
  measure: string;
  ours: string;
  budget: string;
  peer: string;
  verdict: "PASS" | "MISS" | "INFO" | "ERROR";
  figures: Record<string, unknown>;
}

/** What every measure gets: the binary, the sizes to use, a scratch dir and a sealed env. */
export interface Ctx {
  bin: string;
  quick: boolean;
  /** Scratch directory of this bench run; every job root lives under it. */
  work: string;
  env: Record<string, string>;
  log: (msg: string) => void;
  /** Lines printed under the table (methods, context, anomalies). */
  notes: string[];
}

export const MiB = 1024 * 1024;

export interface Stats {
  n: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
}

/** Order statistics of a sample (nearest-rank percentiles). */
export function stats(xs: readonly number[]): Stats {
  if (xs.length === 0) throw new Error("no samples");
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] as number;
  const mid = s.length >> 1;
  const median = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return {
    n: s.length,
    median: round(median),
    p10: round(at(0.1)),
    p90: round(at(0.9)),
    min: round(s[0] as number),
    max: round(s[s.length - 1] as number),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

export const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** 12.3 ms / 1.23 s, three significant figures. */
export function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toPrecision(3)} s`;
  return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
}

export const fmtRatio = (r: number) => `${r.toFixed(2)}×`;
export const fmtMB = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
export const fmtSize = (bytes: number) => (bytes >= 1024 * MiB ? `${bytes / 1024 / MiB} GiB` : `${bytes / MiB} MiB`);

/** Polls `probe` every `everyMs` until it returns something other than undefined, or throws at the deadline. */
export async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined, everyMs = 1): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

export const verdict = (ok: boolean): Row["verdict"] => (ok ? "PASS" : "MISS");

export function errorRow(id: string, measure: string, err: unknown): Row {
  const msg = err instanceof Error ? err.message : String(err);
  return { id, measure, ours: `error: ${msg}`, budget: "", peer: "", verdict: "ERROR", figures: { error: msg } };
}
