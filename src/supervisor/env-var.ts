// The names of the variables that carry data from the front-end to the supervisor.
import { INTERNAL_ENV_PREFIX } from "./command.ts";

/** Holds the unmasked `--env` items as a JSON array; removed before the child is spawned. */
export const RUNTIME_ENV_VAR = `${INTERNAL_ENV_PREFIX}ENV`;
