// `create`: persists a job definition with state `created`; nothing runs and no sink fires (§3.2).
import { readState } from "../store/job-store.ts";
import { withKey } from "../store/keys.ts";
import { jobPaths } from "../store/paths.ts";
import type { Ctx, Outcome } from "./context.ts";
import { type DefinitionInput, validateDefinition, writeNewJob } from "./define.ts";

/** Validates and writes the definition; masked values go only to the job's 0600 secrets file. */
export async function createCommand(input: DefinitionInput, ctx: Ctx): Promise<Outcome> {
  const def = validateDefinition(input, ctx);
  const create = async () => (await writeNewJob(def, ctx, "created")).id;
  let id: string;
  let reused = false;
  if (input.key === undefined) id = await create();
  else ({ id, reused } = await withKey(ctx.root, input.key, create, () => {}));
  const paths = jobPaths(ctx.root, id);
  const payload: Record<string, unknown> = { type: "create", job_id: id, state: "created" };
  if (reused) {
    // X7: the live job that holds the key, in whatever state it is now.
    payload.state = readState(paths).job.status;
    payload.reused = true;
  }
  payload.stdout_log_path = paths.stdout;
  payload.stderr_log_path = paths.stderr;
  return { payload: payload as Outcome["payload"] };
}
