// The one-line `command` that status and list show (D35): argv joined, masked values redacted, bounded.
import type { MetaRecord } from "../store/records.ts";

/** The longest `command` shown, in characters (code points). */
export const COMMAND_DISPLAY_MAX = 200;

/** A word a POSIX shell reads back unchanged; anything else is shown single-quoted. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

const quote = (w: string): string => (PLAIN_WORD.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`);

/**
 * argv as one line: a single word (shell-string mode) as given, several words shell-quoted and
 * joined by spaces. Every masked value becomes `***` (longest first, so a value that contains
 * another is replaced whole); then the text is cut to COMMAND_DISPLAY_MAX characters, ending in "…".
 */
export function displayCommand(
  argv: readonly string[],
  secrets: readonly string[],
): { command: string; truncated: boolean } {
  let text = argv.length === 1 ? (argv[0] as string) : argv.map(quote).join(" ");
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) text = text.replaceAll(s, "***");
  const chars = Array.from(text);
  if (chars.length <= COMMAND_DISPLAY_MAX) return { command: text, truncated: false };
  return { command: `${chars.slice(0, COMMAND_DISPLAY_MAX - 1).join("")}…`, truncated: true };
}

/**
 * Adds `command` (with `command_truncated:true` when cut) and `cwd` to a response. New records
 * carry the display text made at creation, when the masked values were known; older ones are
 * shown from their argv.
 */
export function addCommandFields(out: Record<string, unknown>, meta: MetaRecord): void {
  if (meta.command_display !== undefined) {
    out.command = meta.command_display;
    if (meta.command_display_truncated === true) out.command_truncated = true;
  } else {
    const d = displayCommand(meta.command, []);
    out.command = d.command;
    if (d.truncated) out.command_truncated = true;
  }
  if (meta.cwd !== undefined) out.cwd = meta.cwd;
}
