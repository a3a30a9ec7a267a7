// The environment made for unattended runs (X6): no pager, no prompt, no colour, a dumb terminal.

/** The defaults a job gets unless its environment already sets them. */
export const AGENT_ENV_DEFAULTS: Readonly<Record<string, string>> = {
  PAGER: "cat",
  GIT_PAGER: "cat",
  GH_PAGER: "cat",
  GIT_TERMINAL_PROMPT: "0",
  NO_COLOR: "1",
  TERM: "dumb",
  DEBIAN_FRONTEND: "noninteractive",
};

/** Always set (even with --no-agent-env), so a job and its tools know which job they are. */
export const JOB_ID_VAR = "AGENT_EXEC_JOB_ID";

/**
 * The names the job gets from us (X6): each default its environment does not set, when the
 * agent environment is on, and AGENT_EXEC_JOB_ID always. `env` is the job's environment as
 * built from the caller's (when inherited), its env files and its `--env` items.
 */
export function agentEnvNames(env: Readonly<Record<string, string>>, on: boolean): string[] {
  const names = on ? Object.keys(AGENT_ENV_DEFAULTS).filter((k) => env[k] === undefined) : [];
  return [...names, JOB_ID_VAR];
}

/** Adds the agent environment named in meta.json to the child's environment. */
export function applyAgentEnv(env: Record<string, string>, names: readonly string[], jobId: string): void {
  for (const name of names) {
    if (name === JOB_ID_VAR) env[name] = jobId;
    else {
      const value = AGENT_ENV_DEFAULTS[name];
      if (value !== undefined && env[name] === undefined) env[name] = value;
    }
  }
}
