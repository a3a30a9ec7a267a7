// Pure construction of the child's argv (§4.2) and environment (§4.3, D20).

/** The built-in wrapper: a login shell, so profile scripts run before the workload. */
export const DEFAULT_WRAPPER: readonly string[] = ["sh", "-lc"];

/**
 * The exact argv the supervisor executes. One element: shell-string mode, `W <cmd>`. Two or more:
 * argv mode, `W 'exec "$@"' -- cmd args...`: `--` becomes $0, the words become $1..., and the
 * shell replaces itself with the workload so the recorded pid is the workload's own.
 */
export function childArgv(wrapper: readonly string[], command: readonly string[], path?: string): string[] {
  const restore = path !== undefined && isPosixShellC(wrapper) ? `PATH=${shQuote(path)}; export PATH; ` : "";
  if (command.length === 1) return [...wrapper, `${restore}${command[0] as string}`];
  return [...wrapper, `${restore}exec "$@"`, "--", ...command];
}

/** What an environment variable name may be (D43): `=` or NUL in a name would corrupt the env block. */
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** POSIX shells whose `-c` script can restore PATH (D33); other wrappers get the command untouched. */
const POSIX_SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox"]);

/**
 * True for a wrapper like `sh -lc` or `bash -c`: a known POSIX shell whose last word is a flag
 * cluster ending in `c`, so the next word is the script. Why D33 needs it: a login shell sources
 * /etc/profile, which on many systems sets PATH from scratch (Debian does for root), so a tool
 * first on the caller's PATH (a virtualenv, node_modules/.bin) would vanish; the script sets the
 * job's PATH again after the profile ran, on the same line so the user's line numbers stay.
 */
function isPosixShellC(wrapper: readonly string[]): boolean {
  const prog = (wrapper[0] ?? "").split("/").at(-1) ?? "";
  const last = wrapper.at(-1) ?? "";
  return wrapper.length >= 2 && POSIX_SHELLS.has(prog) && /^-[a-z]*c$/.test(last);
}

/** A single-quoted POSIX shell word. */
const shQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** Splits `KEY=VALUE` at the first `=`; an item without `=` sets KEY to "". */
export function splitEnvItem(item: string): [string, string] {
  const eq = item.indexOf("=");
  return eq < 0 ? [item, ""] : [item.slice(0, eq), item.slice(eq + 1)];
}

/**
 * Parses an env file (D20): `KEY=VALUE` lines; blank lines and `#` comments skipped; an `export `
 * prefix and one pair of matching surrounding quotes removed. No expansion, no inline comments.
 */
export function parseEnvFile(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split("\n")) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("export ")) line = line.slice(7).trimStart();
    const [key, value] = splitEnvItem(line);
    const k = key.trim();
    if (k === "") continue;
    out.push([k, unquote(value.trim())]);
  }
  return out;
}

function unquote(v: string): string {
  if (v.length >= 2) {
    const q = v[0];
    if ((q === '"' || q === "'") && v[v.length - 1] === q) return v.slice(1, -1);
  }
  return v;
}

/** Variables of our own that pass data to the supervisor; the child never sees them. */
export const INTERNAL_ENV_PREFIX = "AGENT_EXEC_SUPERVISOR_";

/**
 * The child's environment: the invoker's (unless inherit is off), then each env file in order,
 * then each `--env` item; later entries win.
 */
export function buildChildEnv(
  base: Record<string, string | undefined>,
  inherit: boolean,
  envFiles: [string, string][][],
  envItems: readonly string[],
): Record<string, string> {
  const env: Record<string, string> = {};
  if (inherit) {
    for (const [k, v] of Object.entries(base)) {
      if (v !== undefined && !k.startsWith(INTERNAL_ENV_PREFIX)) env[k] = v;
    }
  }
  for (const file of envFiles) for (const [k, v] of file) env[k] = v;
  for (const item of envItems) {
    const [k, v] = splitEnvItem(item);
    env[k] = v;
  }
  return env;
}

/** `KEY=***` for masked keys, `KEY=VALUE` otherwise (what meta.json and responses show). */
export function maskEnvItems(items: readonly string[], mask: readonly string[]): string[] {
  const masked = new Set(mask);
  return items.map((item) => {
    const [k, v] = splitEnvItem(item);
    return masked.has(k) ? `${k}=***` : `${k}=${v}`;
  });
}
