/**
 * The browser sessions of one capture, and the capture method they share.
 *
 * Invariants:
 * - The method is decided once per render: a session asked for BeginFrame whose probe fails
 *   switches the whole render to screenshots (one notice), and every later session opens that way.
 * - Every session opened is closed by `close()` or `closeAll()`; one that finishes opening after
 *   `closeAll()` is closed at once and its open fails with the abort.
 */
import { abortError, type CaptureMethod } from "@frameloom/shared-helpers";
import { BeginFrameUnavailable, type BrowserSession } from "../browserSession.js";

export interface SessionPoolOptions {
  /** Opens a ready session; `tag` tells a reopen of the same attempt apart (its profile dir). */
  open(worker: number, attempt: number, method: CaptureMethod, tag: string): Promise<BrowserSession>;
  method: CaptureMethod;
  /** Why the method is what it is, when that is not what was asked for. */
  methodNote?: string;
  warn(message: string): void;
  signal: AbortSignal;
}

export class SessionPool {
  private readonly sessions = new Set<BrowserSession>();
  private closed = false;
  method: CaptureMethod;
  methodNote: string | undefined;

  constructor(private readonly options: SessionPoolOptions) {
    this.method = options.method;
    this.methodNote = options.methodNote;
  }

  async open(worker: number, attempt: number): Promise<BrowserSession> {
    let session: BrowserSession;
    try {
      session = await this.options.open(worker, attempt, this.method, "");
    } catch (error) {
      if (!(error instanceof BeginFrameUnavailable)) throw error;
      if (this.method === "beginframe") {
        this.method = "screenshot";
        this.methodNote = `BeginFrame probe failed (${error.message}); capturing with screenshots`;
        this.options.warn(this.methodNote);
      }
      session = await this.options.open(worker, attempt, this.method, "s");
    }
    if (this.closed) {
      await session.close();
      throw abortError(this.options.signal);
    }
    this.sessions.add(session);
    return session;
  }

  async close(session: BrowserSession): Promise<void> {
    this.sessions.delete(session);
    await session.close();
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.sessions].map((s) => this.close(s)));
  }
}
