// MCP over stdio, one JSON-RPC message a line, that never dies of bad input (D45).
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { writeStdout } from "../core/output.ts";

/** A line longer than this is discarded (up to its newline) and answered -32600. */
export const MAX_LINE_BYTES = 4 << 20;

/** JSON-RPC 2.0 error codes. */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;

/**
 * The SDK's stdio transport keeps reading into one buffer and throws past 10 MB (ending the
 * server), and it answers a malformed line with nothing, so the client waits forever. This one
 * bounds a line at MAX_LINE_BYTES while it arrives (an oversized line is dropped as it streams in,
 * never held whole) and answers every line it cannot use with a JSON-RPC error of `id: null`,
 * or the request's own id when one can be read. It ends only at the end of stdin.
 */
export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private chunks: Buffer[] = [];
  private size = 0;
  /** The current line passed the cap: drop bytes until its newline. */
  private discarding = false;
  private closed = false;
  private readonly input: NodeJS.ReadableStream;

  constructor(input: NodeJS.ReadableStream = process.stdin) {
    this.input = input;
  }

  async start(): Promise<void> {
    this.input.on("data", this.onData);
    this.input.on("end", this.onEnd);
    this.input.on("error", this.onEnd);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.closed) writeStdout(`${JSON.stringify(message)}\n`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off("data", this.onData);
    this.input.off("end", this.onEnd);
    this.input.off("error", this.onEnd);
    this.onclose?.();
  }

  private readonly onEnd = (): void => {
    void this.close();
  };

  private readonly onData = (data: Buffer | string): void => {
    let chunk = typeof data === "string" ? Buffer.from(data) : data;
    for (;;) {
      const nl = chunk.indexOf(0x0a);
      const part = nl < 0 ? chunk : chunk.subarray(0, nl);
      if (!this.discarding) {
        if (this.size + part.length > MAX_LINE_BYTES) {
          this.discarding = true;
          this.chunks = [];
          this.size = 0;
        } else {
          this.chunks.push(part);
          this.size += part.length;
        }
      }
      if (nl < 0) return;
      chunk = chunk.subarray(nl + 1);
      if (this.discarding) {
        this.discarding = false;
        this.reply(null, INVALID_REQUEST, `Invalid Request: line longer than ${MAX_LINE_BYTES} bytes (discarded)`);
      } else {
        const line = Buffer.concat(this.chunks).toString("utf8").replace(/\r$/, "");
        this.chunks = [];
        this.size = 0;
        this.handleLine(line);
      }
    }
  };

  private handleLine(line: string): void {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      this.reply(null, PARSE_ERROR, `Parse error: ${(err as Error).message}`);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      const id = (value as { id?: unknown } | null)?.id;
      const usable = typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : null;
      this.reply(usable, INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message");
      return;
    }
    try {
      this.onmessage?.(parsed.data);
    } catch (err) {
      this.onerror?.(err as Error);
    }
  }

  private reply(id: string | number | null, code: number, message: string): void {
    // JSON-RPC 2.0 §5.1: an error that cannot be tied to a request carries id null.
    void this.send({ jsonrpc: "2.0", id, error: { code, message } } as unknown as JSONRPCMessage);
  }
}
