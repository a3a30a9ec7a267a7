// Which view (X14) a tail is shown in: the caller's, else config.toml's `view`, else `raw`.
import { configView } from "../core/config.ts";
import { usageError } from "../core/errors.ts";
import { isViewName, VIEW_NAMES, type ViewName } from "../views/types.ts";

/**
 * The view of a call: `given` (the `view` field of a handler's input: `--view`, or what the HTTP
 * or MCP front passed), else `view` of the config file, else `raw`. A name that is not a view is
 * a usage error naming it and the choices, before anything is read.
 */
export function chooseView(
  given: string | undefined,
  env: Record<string, string | undefined>,
  configPath?: string,
): ViewName {
  if (given !== undefined) {
    if (isViewName(given)) return given;
    throw usageError(`invalid value ${JSON.stringify(given)} for '--view': expected one of ${VIEW_NAMES.join(", ")}`);
  }
  return (configView(configPath, env, VIEW_NAMES) as ViewName | undefined) ?? "raw";
}
