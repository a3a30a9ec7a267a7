// The bounded job list of a housekeeping answer (`gc`, `delete --all`, D37): counts of every action, few entries.

/** The default bound on listed entries; `--limit 0` lists them all. */
export const REMOVAL_LIST_LIMIT = 50;

/** What a housekeeping command did to one job. */
export interface RemovalEntry {
  job_id: string;
  action: "deleted" | "would_delete" | "skipped";
}

/** The counts and the listed entries, ready to spread into a response. */
export interface RemovalReport<E> {
  deleted: number;
  would_delete: number;
  skipped: number;
  jobs: E[];
  truncated: boolean;
}

/**
 * Counts every action over all entries, then keeps at most `limit` of them (0 = all): deleted
 * (or would-delete) first, skipped after, each group in its original order. `extraSkipped`
 * counts jobs that vanished while we looked and have no entry.
 */
export function removalReport<E extends RemovalEntry>(entries: E[], limit: number, extraSkipped = 0): RemovalReport<E> {
  const count = (a: RemovalEntry["action"]) => entries.filter((e) => e.action === a).length;
  const ordered = [...entries.filter((e) => e.action !== "skipped"), ...entries.filter((e) => e.action === "skipped")];
  const truncated = limit > 0 && ordered.length > limit;
  return {
    deleted: count("deleted"),
    would_delete: count("would_delete"),
    skipped: count("skipped") + extraSkipped,
    jobs: truncated ? ordered.slice(0, limit) : ordered,
    truncated,
  };
}
