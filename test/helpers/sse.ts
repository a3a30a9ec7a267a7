// Reads a Server-Sent Events response frame by frame (event, id, data parsed as JSON).

/** One SSE frame; comment frames (keep-alives) are skipped. */
export interface SseFrame {
  event: string;
  id?: string;
  // biome-ignore lint/suspicious/noExplicitAny: event data, checked by the callers.
  data: any;
}

/** A reader of frames from a response body; `close` cancels the body (the client goes away). */
export function sseReader(res: Response): { next: () => Promise<SseFrame | undefined>; close: () => Promise<void> } {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const next = async (): Promise<SseFrame | undefined> => {
    for (;;) {
      const end = buf.indexOf("\n\n");
      if (end >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const frame: Partial<SseFrame> & { event: string } = { event: "message" };
        let data: string | undefined;
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") frame.event = value;
          else if (field === "id") frame.id = value;
          else if (field === "data") data = data === undefined ? value : `${data}\n${value}`;
        }
        if (data === undefined) continue; // a comment or keep-alive
        return { ...frame, data: JSON.parse(data) };
      }
      const { value, done } = await reader.read();
      if (done) return undefined;
      buf += decoder.decode(value, { stream: true });
    }
  };
  return { next, close: () => reader.cancel() };
}
