// `create`: persists a job definition with state `created`; nothing runs and no sink fires (§3.2).
import type { Ctx, Outcome } from "./context.ts";
import { type DefinitionInput, validateDefinition, writeNewJob } from "./define.ts";

/** Validates and writes the definition; masked values go only to the job's 0600 secrets file. */
export async function createCommand(input: DefinitionInput, ctx: Ctx): Promise<Outcome> {
  const def = validateDefinition(input, ctx);
  const job = await writeNewJob(def, ctx, "created");
  return {
    payload: {
      type: "create",
      job_id: job.id,
      state: "created",
      stdout_log_path: job.paths.stdout,
      stderr_log_path: job.paths.stderr,
    },
  };
}
