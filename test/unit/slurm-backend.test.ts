// X13: the Slurm backend's pure parts (argv, script, parsers); the real engine is in test/slurm.
import { describe, expect, test } from "bun:test";
import {
  batchScript,
  checkSlurmArgs,
  parseSbatch,
  parseSqueue,
  sbatchArgv,
  slurmTime,
} from "../../src/backend/slurm.ts";
import type { SubmitSpec } from "../../src/backend/types.ts";
import { jobPaths } from "../../src/store/paths.ts";

const spec = (over: Partial<SubmitSpec> = {}): SubmitSpec => ({
  root: "/r",
  id: "01J",
  paths: jobPaths("/r", "01J"),
  runtimeEnv: [],
  env: {},
  cwd: "/work dir",
  timeoutMs: 0,
  killAfterMs: 0,
  after: [],
  afterOk: [],
  ...over,
});

describe("X13: slurm backend parts", () => {
  test("sbatch argv: owned options first, dependencies, partition, time, then --slurm-arg", () => {
    const a = sbatchArgv(
      spec({
        timeoutMs: 90_000,
        killAfterMs: 5_000,
        after: ["7"],
        afterOk: ["8", "9"],
        slurm: { partition: "gpu", args: ["--mem=1G"] },
      }),
    );
    expect(a.slice(0, 2)).toEqual(["sbatch", "--parsable"]);
    expect(a).toContain("--chdir=/work dir");
    expect(a).toContain("--output=/dev/null");
    expect(a).toContain("--partition=gpu");
    expect(a).toContain("--time=3");
    expect(a).toContain("--dependency=afterany:7,afterok:8:9");
    expect(a.at(-1)).toBe("--mem=1G");
  });

  test("--time: none without a timeout; minutes rounded up plus one", () => {
    expect(slurmTime(0, 0)).toBeUndefined();
    expect(slurmTime(1, 0)).toBe("2");
    expect(slurmTime(60_000, 0)).toBe("2");
    expect(slurmTime(60_001, 0)).toBe("3");
  });

  test("owned sbatch options are refused in --slurm-arg", () => {
    for (const a of ["--output=x", "--error", "--wrap=true", "--parsable", "-o", "-ex", "--export=NONE", "--chdir=/"]) {
      expect(() => checkSlurmArgs([a])).toThrow(/agent-exec sets itself/);
    }
    expect(() => checkSlurmArgs(["--mem=1G", "--gres=gpu:1", "-N", "--time=5"])).not.toThrow();
  });

  test("parsers: sbatch --parsable, squeue lines", () => {
    expect(parseSbatch("42\n")).toBe("42");
    expect(parseSbatch("42;cluster\n")).toBe("42");
    expect(parseSbatch("sbatch: error")).toBeUndefined();
    const m = parseSqueue("5|PENDING|Resources\n6|RUNNING|None\n7|TIMEOUT|TimeLimit\n\n");
    expect(m.get("5")).toEqual({ state: "PENDING", reason: "Resources", pending: true, ended: false });
    expect(m.get("6")).toEqual({ state: "RUNNING", pending: false, ended: false });
    expect(m.get("7")).toMatchObject({ state: "TIMEOUT", ended: true });
  });

  test("the batch script execs the supervisor with every word quoted", () => {
    expect(batchScript(["/bin/agent exec", "_supervise", "it's"])).toBe(
      "#!/bin/sh\nexec '/bin/agent exec' '_supervise' 'it'\\''s'\n",
    );
  });
});
