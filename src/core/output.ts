// Builds the success/error envelopes and is the only module that writes to stdout.
import { writeSync } from "node:fs";
import type { AgentExecError } from "./errors.ts";

export const SCHEMA_VERSION = "0.1";

/** A handler's response: `type` plus the flattened payload fields, in contract order. */
export type Payload = { type: string } & Record<string, unknown>;

/** `{schema_version, ok:true, type, ...payload}` with the envelope keys first. */
export function successEnvelope(payload: Payload): Record<string, unknown> {
  return { schema_version: SCHEMA_VERSION, ok: true, ...payload };
}

/** `{schema_version, ok:false, type:"error", error:{code, message, retryable}}`. */
export function errorEnvelope(err: AgentExecError): Record<string, unknown> {
  return {
    schema_version: SCHEMA_VERSION,
    ok: false,
    type: "error",
    error: { code: err.code, message: err.message, retryable: err.retryable },
  };
}

/** Renders a document as compact JSON, or YAML when asked (the yaml package loads only then). */
export async function render(doc: unknown, yaml: boolean): Promise<string> {
  if (!yaml) return `${JSON.stringify(doc)}\n`;
  const { stringify } = await import("yaml");
  return stringify(doc, { singleQuote: true, lineWidth: 0 });
}

/**
 * Writes all of `text` to fd 1. stdout may be a non-blocking pipe (EAGAIN) when a reader is
 * slow, so partial writes and EAGAIN are retried instead of losing the tail of a big response.
 */
export function writeStdout(text: string): void {
  writeAll(1, Buffer.from(text));
}

/** Writes a whole buffer to a file descriptor, retrying partial writes and EAGAIN. */
export function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      if ((err as { code?: string }).code !== "EAGAIN") throw err;
      Bun.sleepSync(1);
    }
  }
}
