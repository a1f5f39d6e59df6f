/**
 * DevTools over Chromium's `--remote-debugging-pipe`: JSON messages, each ended by a NUL byte,
 * written to the child's fd 3 and read from its fd 4. (puppeteer-core has one, but not in its
 * public types.)
 *
 * Invariants: messages are delivered whole and in order; `onclose` fires once, when Chromium's end
 * closes (it exited or crashed); `send` after that is dropped, never thrown.
 */
import type { Readable, Writable } from "node:stream";
import type { ConnectionTransport } from "puppeteer-core";

export class PipeTransport implements ConnectionTransport {
  onmessage?: (message: string) => void;
  onclose?: () => void;
  private pending: Buffer[] = [];
  private closed = false;
  private ended = false;

  constructor(
    private readonly toChromium: Writable,
    private readonly fromChromium: Readable,
  ) {
    fromChromium.on("data", (chunk: Buffer) => this.receive(chunk));
    const end = () => this.finish();
    fromChromium.once("close", end);
    fromChromium.once("end", end);
    fromChromium.on("error", () => {});
    toChromium.on("error", () => {});
  }

  send(message: string): void {
    if (this.closed || this.toChromium.destroyed) return;
    this.toChromium.write(message);
    this.toChromium.write("\0");
  }

  close(): void {
    this.closed = true;
    this.fromChromium.removeAllListeners("data");
  }

  private receive(chunk: Buffer): void {
    let start = 0;
    let end = chunk.indexOf(0);
    while (end !== -1) {
      this.pending.push(chunk.subarray(start, end));
      const message = Buffer.concat(this.pending).toString("utf8");
      this.pending = [];
      // Like puppeteer's own transports: one message per macrotask, in order.
      setImmediate(() => this.onmessage?.(message));
      start = end + 1;
      end = chunk.indexOf(0, start);
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.closed = true;
    // After every message already queued.
    setImmediate(() => this.onclose?.());
  }
}
