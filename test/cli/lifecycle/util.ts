// Helpers of the lifecycle suite: a small draft-07 validator for the printed schema, a bash
// completion driver, directory sizes, relative timestamps and a few job-making shortcuts.
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { BIN } from "../../helpers/bin.ts";
import { allPids } from "../../helpers/pid-alive.ts";
import type { CliOptions, CliResult, Json, Sandbox } from "../../helpers/sandbox.ts";

// ---------------------------------------------------------------------------------------------
// JSON Schema (draft-07 subset). ajv is not in node_modules, so this checks exactly the keywords
// the printed schema uses, and refuses any other validation keyword instead of ignoring it: a
// schema that grows a keyword we do not understand fails loudly rather than passing vacuously.
// ---------------------------------------------------------------------------------------------

const ANNOTATIONS = new Set([
  "$schema",
  "$id",
  "$comment",
  "title",
  "description",
  "definitions",
  "default",
  "examples",
]);
const KEYWORDS = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "propertyNames",
  "enum",
  "const",
  "items",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "minLength",
  "pattern",
  "$ref",
  "oneOf",
  "anyOf",
  "allOf",
  "not",
]);

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "object":
      return typeOf(v) === "object";
    default:
      return typeOf(v) === t;
  }
}

/** A draft-07 validator over one schema document (its `#/definitions/...` refs resolve inside it). */
export class SchemaValidator {
  readonly doc: Json;

  constructor(doc: Json) {
    this.doc = doc;
  }

  /** The errors of `value` against the whole document, or against `#/definitions/<def>`. */
  errors(value: unknown, def?: string): string[] {
    const schema = def === undefined ? this.doc : { $ref: `#/definitions/${def}` };
    const out: string[] = [];
    this.check(schema, value, "$", out);
    return out;
  }

  private resolve(ref: string): Json {
    if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
    let node: Json = this.doc;
    for (const part of ref.slice(2).split("/")) {
      node = node?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    if (node === undefined) throw new Error(`dangling $ref ${ref}`);
    return node;
  }

  private check(schema: Json, v: unknown, at: string, out: string[]): void {
    if (schema === true || (typeOf(schema) === "object" && Object.keys(schema).length === 0)) return;
    if (schema === false) {
      out.push(`${at}: no value allowed`);
      return;
    }
    for (const k of Object.keys(schema)) {
      if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k)) throw new Error(`validator does not know keyword "${k}" (at ${at})`);
    }
    if (schema.$ref !== undefined) this.check(this.resolve(schema.$ref), v, at, out);
    if (schema.type !== undefined) {
      const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
      if (!types.some((t) => hasType(v, t))) {
        out.push(`${at}: expected ${types.join("|")}, got ${typeOf(v)}`);
        return;
      }
    }
    if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(v)) {
      out.push(`${at}: expected const ${JSON.stringify(schema.const)}, got ${JSON.stringify(v)}`);
    }
    if (schema.enum !== undefined && !schema.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(v))) {
      out.push(`${at}: ${JSON.stringify(v)} not in enum ${JSON.stringify(schema.enum)}`);
    }
    if (typeof v === "number") {
      if (schema.minimum !== undefined && v < schema.minimum) out.push(`${at}: ${v} < minimum ${schema.minimum}`);
      if (schema.maximum !== undefined && v > schema.maximum) out.push(`${at}: ${v} > maximum ${schema.maximum}`);
    }
    if (typeof v === "string") {
      if (schema.minLength !== undefined && v.length < schema.minLength) out.push(`${at}: shorter than minLength`);
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(v)) {
        out.push(`${at}: ${JSON.stringify(v)} does not match ${schema.pattern}`);
      }
    }
    if (Array.isArray(v)) {
      if (schema.minItems !== undefined && v.length < schema.minItems) out.push(`${at}: fewer than ${schema.minItems}`);
      if (schema.maxItems !== undefined && v.length > schema.maxItems) out.push(`${at}: more than ${schema.maxItems}`);
      if (schema.items !== undefined) {
        if (Array.isArray(schema.items)) throw new Error(`tuple items not supported (at ${at})`);
        v.forEach((item, i) => {
          this.check(schema.items, item, `${at}[${i}]`, out);
        });
      }
    }
    if (typeOf(v) === "object") {
      const obj = v as Record<string, unknown>;
      const props: Record<string, Json> = schema.properties ?? {};
      for (const r of (schema.required ?? []) as string[]) {
        if (!(r in obj)) out.push(`${at}: missing required "${r}"`);
      }
      for (const [k, val] of Object.entries(obj)) {
        if (schema.propertyNames !== undefined) this.check(schema.propertyNames, k, `${at} key ${k}`, out);
        if (k in props) this.check(props[k], val, `${at}.${k}`, out);
        else if (schema.additionalProperties !== undefined) {
          if (schema.additionalProperties === false) out.push(`${at}: unexpected property "${k}"`);
          else this.check(schema.additionalProperties, val, `${at}.${k}`, out);
        }
      }
    }
    if (schema.allOf !== undefined) {
      for (const s of schema.allOf) this.check(s, v, at, out);
    }
    if (schema.anyOf !== undefined) {
      const branches = (schema.anyOf as Json[]).map((s) => this.branch(s, v, at));
      if (!branches.some((b) => b.length === 0)) out.push(`${at}: matches no anyOf branch (${summary(branches)})`);
    }
    if (schema.oneOf !== undefined) {
      const branches = (schema.oneOf as Json[]).map((s) => this.branch(s, v, at));
      const n = branches.filter((b) => b.length === 0).length;
      if (n !== 1) out.push(`${at}: matches ${n} oneOf branches, want exactly 1 (${summary(branches)})`);
    }
    if (schema.not !== undefined && this.branch(schema.not, v, at).length === 0) out.push(`${at}: matches "not"`);
  }

  private branch(schema: Json, v: unknown, at: string): string[] {
    const out: string[] = [];
    this.check(schema, v, at, out);
    return out;
  }
}

function summary(branches: string[][]): string {
  return branches.map((b, i) => `#${i}: ${b[0] ?? "ok"}`).join("; ");
}

// ---------------------------------------------------------------------------------------------
// CLI shortcuts
// ---------------------------------------------------------------------------------------------

/** `create [flags] -- <command>` that must succeed; returns the new job id. */
export async function createJob(sb: Sandbox, command: string[], flags: string[] = [], opts: CliOptions = {}) {
  const j = await sb.ok(["create", ...flags, "--", ...command], opts);
  return j.job_id as string;
}

/** `run --wait -- <command>` that must succeed; returns the job id (the job is terminal). */
export async function runToEnd(sb: Sandbox, command: string[], flags: string[] = [], opts: CliOptions = {}) {
  const j = await sb.ok(["run", "--wait", ...flags, "--", ...command], opts);
  return j.job_id as string;
}

/** One call of the binary with `--yaml`, its stdout parsed as YAML. */
export async function cliYaml(sb: Sandbox, args: string[], opts: CliOptions = {}): Promise<CliResult & { yaml: Json }> {
  const r = await sb.cli(["--yaml", ...args], opts);
  return { ...r, yaml: parseYaml(r.stdout) };
}

/** Starts a call without awaiting it; `done` tells whether it has finished yet. */
export function background(sb: Sandbox, args: string[], opts: CliOptions = {}) {
  const handle = { done: false };
  const result = sb.cli(args, opts).then((r) => {
    handle.done = true;
    return r;
  });
  return Object.assign(handle, { result });
}

// ---------------------------------------------------------------------------------------------
// Files, processes, time
// ---------------------------------------------------------------------------------------------

/** Writes an executable shell script. */
export function writeScript(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** The sum of regular file sizes under `dir`, recursively (how gc counts `bytes`, §3.11). */
export function dirBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) total += dirBytes(p);
    else if (st.isFile()) total += st.size;
  }
  return total;
}

/** Every file under `dir` (recursively) whose bytes contain `needle`, as paths relative to `dir`. */
export function filesContaining(dir: string, needle: string, skip: string[] = []): string[] {
  const hits: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (skip.includes(r)) continue;
      try {
        const st = lstatSync(p);
        if (st.isDirectory()) walk(p, r);
        else if (st.isFile() && readFileSync(p).includes(needle)) hits.push(r);
      } catch {
        // A temp file renamed into place (or one the supervisor removed) while we walked: the
        // final file is looked at by its own name.
      }
    }
  };
  walk(dir, "");
  return hits;
}

/** The raw command lines (NUL-separated argv) of every process that contains `needle`. */
export function cmdlinesContaining(needle: string): string[] {
  const hits: string[] = [];
  for (const pid of allPids()) {
    try {
      const raw = readFileSync(`/proc/${pid}/cmdline`, "latin1");
      if (raw.includes(needle)) hits.push(`${pid}: ${raw.split("\0").join(" ")}`);
    } catch {
      // Gone while we looked.
    }
  }
  return hits;
}

/** `now - ms` as a timestamp: RFC 3339 with milliseconds (D2), or whole seconds (the 0.1.17 form, D25). */
export function isoAgo(ms: number, wholeSeconds = false): string {
  const iso = new Date(Date.now() - ms).toISOString();
  return wholeSeconds ? `${iso.slice(0, 19)}Z` : iso;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** `<sandbox>/bin` holding an `agent-exec` symlink to the binary under test, for shell completion. */
export function binDir(sb: Sandbox): string {
  const dir = join(sb.dir, "bin");
  mkdirSync(dir, { recursive: true });
  try {
    symlinkSync(BIN, join(dir, "agent-exec"));
  } catch {
    // Already there.
  }
  return dir;
}

/**
 * Sources `script` (the output of `completions bash`) in a real bash, sets COMP_WORDS to `words`
 * with the cursor on the last word, calls `_agent_exec` as bash's `complete -F` would, and returns
 * COMPREPLY. `agent-exec` resolves through PATH to the binary under test.
 */
export async function bashComplete(
  sb: Sandbox,
  script: string,
  words: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string[]> {
  const file = join(sb.dir, "agent-exec.bash");
  writeFileSync(file, script);
  const driver = join(import.meta.dir, "complete-driver.bash");
  const proc = Bun.spawn(["bash", "--norc", "--noprofile", driver, file, ...words], {
    cwd: opts.cwd ?? sb.cwd,
    env: { ...sb.env, PATH: `${binDir(sb)}:${sb.env.PATH}`, ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`bash completion driver failed (${code}): ${err}`);
  return out.split("\n").filter((l) => l !== "");
}
