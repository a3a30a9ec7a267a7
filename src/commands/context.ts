// What a handler may know of the world: root, env snapshot, cwd, and an interrupt signal.
import type { Payload } from "../core/output.ts";

/** Handed to every handler; handlers never read process.env, process.argv or process.cwd() themselves. */
export interface Ctx {
  root: string;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Fires when the caller is interrupted (SIGINT/SIGTERM), so waits can end early (D22). */
  interrupt: Interrupt;
}

/** An interrupt that waits can race against and handlers can ask about afterwards. */
export interface Interrupt {
  readonly fired: boolean;
  /** Calls `cb` once when the interrupt fires; returns the function that cancels that. */
  listen(cb: () => void): () => void;
}

/** A new interrupt and the function that fires it. */
export function createInterrupt(): { interrupt: Interrupt; fire: () => void } {
  const listeners = new Set<() => void>();
  const interrupt = {
    fired: false,
    listen(cb: () => void): () => void {
      if (interrupt.fired) {
        cb();
        return () => {};
      }
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
  const fire = () => {
    if (interrupt.fired) return;
    interrupt.fired = true;
    for (const cb of listeners) cb();
    listeners.clear();
  };
  return { interrupt, fire };
}

/** An interrupt that never fires (for callers that cannot be interrupted, e.g. tests). */
export const NEVER: Interrupt = { fired: false, listen: () => () => {} };

/** A handler's result: the payload, and an exit status when it is not 0 (e.g. 130, D22). */
export interface Outcome {
  payload: Payload;
  exitCode?: number;
  /** Plain text printed instead of the envelope (`completions` and `guide`, §1.7). */
  text?: string;
}

/** Copies `value` into `obj[key]` only when it is defined, keeping the contract's field order. */
export function put<T extends Record<string, unknown>>(obj: T, key: string, value: unknown): T {
  if (value !== undefined && value !== null) (obj as Record<string, unknown>)[key] = value;
  return obj;
}
