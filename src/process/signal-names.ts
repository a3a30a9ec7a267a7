// Signal names (D10): what users may type, and the bare names we store. Kept apart from
// signal.ts because node:os costs ~1 ms at start-up and only kill and the supervisor need it.
import { constants } from "node:os";

const SIGNALS = constants.signals as Record<string, number>;

/**
 * Normalises a user-given signal to its bare name: `term`, `SIGTERM`, `Term` and `15` all give
 * `TERM`. Returns undefined for anything that is not a signal of this platform.
 */
export function normalizeSignal(input: string): string | undefined {
  const s = input.trim();
  if (/^\d+$/.test(s)) {
    const num = Number(s);
    for (const [name, n] of Object.entries(SIGNALS)) if (n === num) return name.slice(3);
    return undefined;
  }
  const upper = s.toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  return SIGNALS[name] !== undefined && name !== "SIG" ? name.slice(3) : undefined;
}

/** The bare name of a signal Bun reports (`SIGTERM` or a number), e.g. `TERM`. */
export function bareSignalName(sig: string | number): string {
  if (typeof sig === "number") return normalizeSignal(String(sig)) ?? String(sig);
  return sig.startsWith("SIG") ? sig.slice(3) : sig;
}

/** The number of a bare signal name (`TERM` → 15), or undefined for an unknown name. */
export function signalNumber(name: string): number | undefined {
  return SIGNALS[`SIG${name}`];
}
