// The frames `send` writes into an interactive job's stdin FIFO and its supervisor reads (X5).
//
// Why frames and not the raw bytes: the FIFO is held open by the supervisor (so the job never sees
// an EOF between two senders), so closing it cannot mean "end of input"; an explicit EOF frame
// can. Each frame is a type byte and a 32-bit big-endian length, then the payload.

/** Payload bytes, for the job's stdin. */
export const DATA = 1;
/** End of input: the supervisor closes the job's stdin. */
export const EOF = 2;

const HEADER = 5;
/** The largest payload of one frame; a longer `send` is several frames. */
export const MAX_FRAME = 64 * 1024;

/** The frames of one `send`: its bytes in frames of at most MAX_FRAME, then EOF if asked. */
export function encodeFrames(data: Uint8Array, eof: boolean): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += MAX_FRAME) {
    const chunk = data.subarray(at, Math.min(data.length, at + MAX_FRAME));
    const head = Buffer.alloc(HEADER);
    head[0] = DATA;
    head.writeUInt32BE(chunk.length, 1);
    parts.push(head, Buffer.from(chunk));
  }
  if (eof) {
    const head = Buffer.alloc(HEADER);
    head[0] = EOF;
    parts.push(head);
  }
  return Buffer.concat(parts);
}

/** Turns a byte stream back into frames, whatever the read boundaries were. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns the complete frames they finish, in order. */
  push(bytes: Uint8Array): { type: number; data: Buffer }[] {
    this.buf = this.buf.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.buf, bytes]);
    const frames: { type: number; data: Buffer }[] = [];
    for (;;) {
      if (this.buf.length < HEADER) break;
      const type = this.buf[0] as number;
      const len = this.buf.readUInt32BE(1);
      if (this.buf.length < HEADER + len) break;
      frames.push({ type, data: this.buf.subarray(HEADER, HEADER + len) });
      this.buf = this.buf.subarray(HEADER + len);
    }
    return frames;
  }
}
