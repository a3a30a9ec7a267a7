// The tag grammar (§3.9) and tag-pattern matching for `list --tag`.

const TAG = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;

/** A stored tag: dot-separated segments of ASCII letters, digits and `-`. */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** A filter pattern: a stored tag, or a stored tag followed by `.*`. */
export function isValidTagPattern(pattern: string): boolean {
  return isValidTag(pattern.endsWith(".*") ? pattern.slice(0, -2) : pattern);
}

/** `X` matches tag X; `X.*` matches X itself and every tag starting with `X.` (§3.8). */
export function tagMatches(pattern: string, tags: readonly string[]): boolean {
  if (!pattern.endsWith(".*")) return tags.includes(pattern);
  const ns = pattern.slice(0, -2);
  return tags.some((t) => t === ns || t.startsWith(`${ns}.`));
}

/** First-seen deduplication. */
export function dedupe(items: readonly string[]): string[] {
  return [...new Set(items)];
}
