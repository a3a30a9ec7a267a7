// A raw `agent-exec mcp`: write any bytes to its stdin, collect each stdout line as parsed JSON.

// biome-ignore lint/suspicious/noExplicitAny: JSON-RPC replies, checked by the callers.
export type Reply = any;

/** The server process, a writer that flushes, and the replies seen so far (in order). */
export interface RawMcp {
  proc: Bun.Subprocess<"pipe", "pipe", "ignore">;
  write: (bytes: string | Uint8Array) => void;
  replies: Reply[];
  /** Resolves when stdout has ended and every line has been parsed. */
  drained: Promise<void>;
}

/** Spawns `cmd` (the binary with `mcp` and its flags) with stdin and stdout as pipes. */
export function startRawMcp(cmd: string[], opts: { env: Record<string, string | undefined>; cwd: string }): RawMcp {
  const proc = Bun.spawn(cmd, { env: opts.env, cwd: opts.cwd, stdin: "pipe", stdout: "pipe", stderr: "ignore" });
  const replies: Reply[] = [];
  const drained = (async () => {
    let buf = "";
    for await (const chunk of proc.stdout) {
      buf += new TextDecoder().decode(chunk);
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        replies.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
    }
  })().catch(() => {});
  const write = (bytes: string | Uint8Array) => {
    proc.stdin.write(bytes);
    proc.stdin.flush();
  };
  return { proc, write, replies, drained };
}
