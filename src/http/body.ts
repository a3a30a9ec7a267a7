// Reading an HTTP request's JSON body: bounded in size and in time (D17).
import { AgentExecError } from "../core/errors.ts";

/** Bodies larger than this are refused with 413 (D17). */
export const MAX_BODY = 1 << 20;
/** How long a request body may take to arrive. */
export const BODY_TIMEOUT_MS = 10_000;

/** The body is over MAX_BODY: the server answers 413. */
export class PayloadTooLarge extends Error {}
/** The body did not arrive within BODY_TIMEOUT_MS: the server answers 408. */
export class RequestTimeout extends Error {}

/** Reads a JSON body of at most MAX_BODY bytes; empty, oversized or malformed bodies are errors. */
export async function readJson(req: Request, optional: boolean): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY) throw new PayloadTooLarge();
  // A client that stops sending its body gets 408 instead of holding a request open.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RequestTimeout()), BODY_TIMEOUT_MS);
  });
  const buf = await Promise.race([req.arrayBuffer(), stalled]).finally(() => clearTimeout(timer));
  if (buf.byteLength > MAX_BODY) throw new PayloadTooLarge();
  if (buf.byteLength === 0) {
    if (optional) return {};
    throw new AgentExecError("invalid_request", "invalid request: request body is required (JSON)");
  }
  try {
    return JSON.parse(new TextDecoder().decode(buf));
  } catch (err) {
    throw new AgentExecError("invalid_request", `invalid request: invalid JSON: ${(err as Error).message}`);
  }
}
