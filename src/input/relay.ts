// The supervisor's side of an interactive job's input (X5): frames from the FIFO `send` writes
// into, to the job's stdin pipe, in order.
import { closeSync, openSync, read, unlinkSync, writeSync } from "node:fs";
import { DATA, EOF, FrameDecoder } from "./frames.ts";

/** Where the relay writes: the job's stdin (Bun's FileSink). */
export interface StdinSink {
  write(chunk: Uint8Array): number | Promise<number>;
  flush(): number | Promise<number>;
  end(): number | Promise<number>;
}

/**
 * Opens the FIFO read-write, so it always has a writer (no EOF between two senders) and opening
 * never blocks, and relays frames until an EOF frame or stop(). The job's stdin closes at the EOF
 * frame, or when the supervisor exits; then the FIFO is removed, so later sends are refused.
 */
export class StdinRelay {
  private readonly fd: number;
  private readonly fifo: string;
  private readonly sink: StdinSink;
  private readonly decoder = new FrameDecoder();
  private done = false;
  /** A read is pending in the thread pool: the descriptor must stay open until it returns. */
  private reading = false;
  private readonly buf = Buffer.allocUnsafe(64 * 1024);
  /** Told about a write the job refused (it closed its stdin): input is dropped, the job goes on. */
  onError: ((err: unknown) => void) | undefined;

  constructor(fifo: string, sink: StdinSink) {
    this.fifo = fifo;
    this.sink = sink;
    this.fd = openSync(fifo, "r+");
    this.next();
  }

  private next(): void {
    if (this.done) return;
    // An async read: it waits in the thread pool, never on the supervisor's loop.
    this.reading = true;
    read(this.fd, this.buf, 0, this.buf.length, null, (err, n) => {
      this.reading = false;
      if (this.done) {
        this.close();
        return;
      }
      if (err || n === 0) {
        this.stop();
        return;
      }
      for (const frame of this.decoder.push(this.buf.subarray(0, n))) {
        if (frame.type === DATA) this.write(frame.data);
        else if (frame.type === EOF) {
          this.stop();
          return;
        }
      }
      this.next();
    });
  }

  private write(data: Buffer): void {
    try {
      // Copy: the read buffer is reused for the next read while the sink may still hold this.
      void this.sink.write(Buffer.from(data));
      void this.sink.flush();
    } catch (err) {
      this.onError?.(err);
    }
  }

  /** Closes the job's stdin and removes the FIFO (idempotent). */
  stop(): void {
    if (this.done) return;
    this.done = true;
    try {
      void this.sink.end();
    } catch {}
    try {
      unlinkSync(this.fifo);
    } catch {}
    if (!this.reading) {
      this.close();
      return;
    }
    // Closing the descriptor under a pending read could let that read consume another file that
    // reuses the number: wake the read with a byte of our own, and close when it returns.
    try {
      writeSync(this.fd, Buffer.alloc(1));
    } catch {}
  }

  private close(): void {
    try {
      closeSync(this.fd);
    } catch {}
  }
}
