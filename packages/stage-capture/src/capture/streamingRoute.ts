/**
 * Streaming route: frames go straight to the consumer (the encoder), in index order, while
 * capture runs ahead. With several workers the range is cut into small chunks handed out in order,
 * so frames arrive nearly in order; a worker that gets too far ahead of the consumer waits
 * (bounded memory, back-pressure from the encoder all the way to Chromium).
 *
 * A worker whose browser dies is replaced once per chunk (the chunk is captured again by a fresh
 * browser); a page exception fails the render at once.
 */
import { FrameloomError, abortError, type FrameRange } from "@frameloom/shared-helpers";
import type { BrowserSession } from "./browserSession.js";

export interface StreamingOptions<T extends { index: number }> {
  /** Captures frame `i` on a session (a screenshot, or a layered frame for HDR). */
  capture(session: BrowserSession, index: number): Promise<T>;
  range: FrameRange;
  workers: number;
  /** Opens a ready session for worker `w` (attempt counts reopen after a crash). */
  openSession(worker: number, attempt: number): Promise<BrowserSession>;
  signal: AbortSignal;
  chunkSize?: number;
  onFrame?(framesDone: number): void;
  onWorkersChanged?(workers: number): void;
}

/** The frame generator plus `shutdown()`: stops every worker and resolves once all browsers are closed. */
export type FrameStreamHandle<T> = AsyncGenerator<T> & { shutdown(): Promise<void> };

export function streamFrames<T extends { index: number }>(options: StreamingOptions<T>): FrameStreamHandle<T> {
  const { range, signal } = options;
  const chunkSize = options.chunkSize ?? (options.workers > 1 ? 6 : range.to - range.from);
  const lookahead = Math.max(chunkSize * options.workers * 2, 8);
  const chunks: { from: number; to: number; retries: number }[] = [];
  for (let from = range.from; from < range.to; from += chunkSize) {
    chunks.push({ from, to: Math.min(range.to, from + chunkSize), retries: 0 });
  }
  const ready = new Map<number, T>();
  let next = range.from;
  let failure: unknown = null;
  let stopped = false;
  let wake: (() => void) | null = null;
  const workerWaiters = new Set<() => void>();
  const sessions = new Set<BrowserSession>();

  const notifyConsumer = () => {
    wake?.();
    wake = null;
  };
  const notifyWorkers = () => {
    for (const w of workerWaiters) w();
    workerWaiters.clear();
  };
  const fail = (error: unknown) => {
    if (failure === null) failure = error;
    stopped = true;
    notifyConsumer();
    notifyWorkers();
  };

  async function worker(id: number): Promise<void> {
    let attempt = 0;
    let session: BrowserSession | null = null;
    try {
      while (!stopped) {
        const chunk = chunks.shift();
        if (!chunk) return;
        try {
          session ??= await options.openSession(id, attempt);
          sessions.add(session);
          for (let i = chunk.from; i < chunk.to && !stopped; i++) {
            while (!stopped && i - next >= lookahead) await new Promise<void>((r) => workerWaiters.add(r));
            if (stopped) return;
            ready.set(i, await options.capture(session, i));
            notifyConsumer();
          }
        } catch (error) {
          if (stopped) return;
          const retryable = error instanceof FrameloomError && error.retryable;
          if (!retryable || chunk.retries >= 1) return fail(error);
          // Same-size retry: a fresh browser captures the chunk again.
          chunk.retries += 1;
          chunks.unshift({ ...chunk, from: Math.max(chunk.from, next) });
          if (session) {
            sessions.delete(session);
            await session.close();
          }
          session = null;
          attempt += 1;
        }
      }
    } finally {
      if (session) {
        sessions.delete(session);
        await session.close();
      }
    }
  }

  let pool: Promise<void[]> | null = null;
  let shutdownPromise: Promise<void> | null = null;
  // Stops everything even when the consumer is parked at a `yield` and will never resume.
  const shutdown = (): Promise<void> =>
    (shutdownPromise ??= (async () => {
      stopped = true;
      notifyWorkers();
      notifyConsumer();
      await Promise.allSettled([...sessions].map((s) => s.close()));
      await pool?.catch(() => {});
      // A worker may have opened a session while the first close ran.
      await Promise.allSettled([...sessions].map((s) => s.close()));
    })());
  const onAbort = () => {
    fail(abortError(signal));
    void shutdown();
  };
  signal.addEventListener("abort", onAbort, { once: true });

  async function* generate(): AsyncGenerator<T> {
    pool = Promise.all(Array.from({ length: Math.min(options.workers, chunks.length) }, (_, w) => worker(w)));
    pool.catch(fail);
    try {
      while (next < range.to) {
        const frame = ready.get(next);
        if (frame) {
          ready.delete(next);
          next += 1;
          notifyWorkers();
          options.onFrame?.(next - range.from);
          yield frame;
          continue;
        }
        if (failure !== null) throw failure;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      await shutdown();
    }
  }
  return Object.assign(generate(), { shutdown });
}
