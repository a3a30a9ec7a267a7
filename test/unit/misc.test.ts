import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultConfigPath, resolveWrapper } from "../../src/core/config.ts";
import { ERROR_TABLE, toAgentExecError } from "../../src/core/errors.ts";
import { parseLevel } from "../../src/core/log.ts";
import { errorEnvelope, successEnvelope } from "../../src/core/output.ts";
import { bareSignalName, normalizeSignal } from "../../src/process/signal-names.ts";
import { isValidIdArgument, resolveRoot } from "../../src/store/paths.ts";
import { dedupe, isValidTag, isValidTagPattern, tagMatches } from "../../src/store/tags.ts";

describe("signals (D10)", () => {
  test("names with or without SIG, any case, or numbers", () => {
    for (const s of ["TERM", "term", "SIGTERM", "SigTerm", "15", " 15 "]) expect(normalizeSignal(s)).toBe("TERM");
    expect(normalizeSignal("9")).toBe("KILL");
    expect(normalizeSignal("hup")).toBe("HUP");
    expect(normalizeSignal("usr1")).toBe("USR1");
  });
  test("unknown signals are rejected", () => {
    for (const s of ["", "SIG", "BOGUS", "999", "-1", "TERM2"]) expect(normalizeSignal(s)).toBeUndefined();
  });
  test("bareSignalName", () => {
    expect(bareSignalName("SIGKILL")).toBe("KILL");
    expect(bareSignalName(15)).toBe("TERM");
  });
});

describe("tags (§3.9)", () => {
  test("grammar", () => {
    for (const t of ["ci", "project.build", "hoge-fuga.v2", "A-1"]) expect(isValidTag(t)).toBe(true);
    for (const t of ["", ".", "a.", ".a", "a..b", "a b", "a.*", "ü", "a/b"]) expect(isValidTag(t)).toBe(false);
    expect(isValidTagPattern("ns.*")).toBe(true);
    expect(isValidTagPattern("*")).toBe(false);
    expect(isValidTagPattern("a.*.*")).toBe(false);
  });
  test("matching: exact, and ns.* for the namespace and the bare tag", () => {
    expect(tagMatches("ci", ["ci"])).toBe(true);
    expect(tagMatches("ci", ["ci.x"])).toBe(false);
    expect(tagMatches("p.*", ["p"])).toBe(true);
    expect(tagMatches("p.*", ["p.b.c"])).toBe(true);
    expect(tagMatches("p.*", ["pq"])).toBe(false);
  });
  test("dedupe keeps first-seen order", () => {
    expect(dedupe(["b", "a", "b", "c", "a"])).toEqual(["b", "a", "c"]);
  });
});

describe("paths", () => {
  test("root resolution order, empty values unset, relative made absolute", () => {
    expect(resolveRoot("/f", { AGENT_EXEC_ROOT: "/e" }, "/cwd")).toBe("/f");
    expect(resolveRoot(undefined, { AGENT_EXEC_ROOT: "/e", XDG_DATA_HOME: "/x" }, "/cwd")).toBe("/e");
    expect(resolveRoot(undefined, { AGENT_EXEC_ROOT: "", XDG_DATA_HOME: "/x" }, "/cwd")).toBe("/x/agent-exec/jobs");
    expect(resolveRoot(undefined, { HOME: "/h" }, "/cwd")).toBe("/h/.local/share/agent-exec/jobs");
    expect(resolveRoot("rel/jobs", {}, "/cwd")).toBe("/cwd/rel/jobs");
  });
  test("job id arguments never name a path (D1)", () => {
    for (const bad of ["", ".", "..", "../x", "a/b", "/etc", "%2e%2e", "a\0b", "A".repeat(27), "é"]) {
      expect(isValidIdArgument(bad)).toBe(false);
    }
    expect(isValidIdArgument("01J0000000000000000000000A")).toBe(true);
    expect(isValidIdArgument("01j")).toBe(true);
  });
});

describe("log levels (D16)", () => {
  test("level names and RUST_LOG filters", () => {
    expect(parseLevel("debug")).toBe(3);
    expect(parseLevel("agent_exec=trace,warn")).toBe(4);
    expect(parseLevel("nonsense")).toBeUndefined();
    expect(parseLevel(undefined)).toBeUndefined();
  });
});

describe("envelopes and the error table", () => {
  test("success keeps the envelope keys first", () => {
    expect(Object.keys(successEnvelope({ type: "status", job_id: "X" }))).toEqual([
      "schema_version",
      "ok",
      "type",
      "job_id",
    ]);
  });
  test("errors map to exit codes; unknown failures become internal_error", () => {
    const err = toAgentExecError(Object.assign(new Error("busy"), { code: "EBUSY" }), "writing");
    expect(errorEnvelope(err)).toEqual({
      schema_version: "0.1",
      ok: false,
      type: "error",
      error: { code: "internal_error", message: "writing: busy", retryable: true },
    });
    expect(ERROR_TABLE.usage_error.exit).toBe(2);
    expect(ERROR_TABLE.ambiguous_job_id.http).toBe(409);
  });
});

describe("config (§8)", () => {
  const dir = mkdtempSync(join(tmpdir(), "cfg-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { XDG_CONFIG_HOME: join(dir, "xdg"), HOME: dir };

  test("precedence: flag, --config, default file, built-in", () => {
    expect(resolveWrapper(undefined, undefined, env)).toEqual(["sh", "-lc"]);
    mkdirSync(join(dir, "xdg", "agent-exec"), { recursive: true });
    writeFileSync(defaultConfigPath(env), '[shell]\nunix = ["bash", "-lc"]\n');
    expect(resolveWrapper(undefined, undefined, env)).toEqual(["bash", "-lc"]);
    const other = join(dir, "other.toml");
    writeFileSync(other, '[shell]\nunix = ["dash", "-c"]\n');
    expect(resolveWrapper(undefined, other, env)).toEqual(["dash", "-c"]);
    expect(resolveWrapper("zsh  -c ", other, env)).toEqual(["zsh", "-c"]);
    expect(resolveWrapper(undefined, join(dir, "missing.toml"), env)).toEqual(["sh", "-lc"]);
  });

  test("broken files and empty wrappers are internal errors", () => {
    const bad = join(dir, "bad.toml");
    writeFileSync(bad, "[shell\nunix = ");
    expect(() => resolveWrapper(undefined, bad, env)).toThrow(/invalid config file/);
    const empty = join(dir, "empty.toml");
    writeFileSync(empty, "[shell]\nunix = []\n");
    expect(() => resolveWrapper(undefined, empty, env)).toThrow(/must not be empty/);
    expect(() => resolveWrapper("   ", undefined, env)).toThrow(/must not be empty/);
  });
});
