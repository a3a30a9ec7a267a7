// How a working directory is normalised for meta.cwd and for `list --cwd` comparisons.
import { realpathSync } from "node:fs";
import { resolve } from "node:path";

/** The canonical path when it exists, else the absolute path (resolved against `base`). */
export function normalizeCwd(path: string, base: string): string {
  const abs = resolve(base, path);
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
}
