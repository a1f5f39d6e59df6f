/**
 * The capture engine: one scheduler (ranges, workers, adaptive retry) over a session pool, one
 * capture method per frame (plain or layered; screenshot or BeginFrame inside the session) and
 * one sink (an ordered stream or a directory). Every route is a combination of these:
 * streaming = stream sink, small chunks; disk = directory sink, one contiguous range per worker;
 * sequential = disk with one worker.
 *
 * Invariants: every frame of the range reaches the sink exactly once; all sessions are closed
 * before `done` settles; a stream's consumer sees a capture failure after the frames before it.
 */
import { assertNotAborted, type FrameRange } from "@frameloom/shared-helpers";
import type { BrowserSession } from "../browserSession.js";
import { createScheduler, type OrderedWindow } from "./scheduler.js";
import type { SessionPool } from "./sessionPool.js";
import { OrderedStream } from "./sinks.js";

export interface EngineOptions<T extends { index: number }> {
  range: FrameRange;
  workers: number;
  pool: SessionPool;
  /** The capture method: one frame (plain or layered) from a session. */
  capture(session: BrowserSession, index: number): Promise<T>;
  signal: AbortSignal;
  onFrame?(framesDone: number): void;
  onWorkersChanged?(workers: number, reason: string): void;
  /** See SchedulerOptions.explainFailure. */
  explainFailure?(error: unknown): Promise<unknown>;
}

/** The scheduler over the pool's sessions; the sink decides the chunk size, where frames go and the window. */
function schedulerFor<T extends { index: number }>(
  options: EngineOptions<T>,
  sink: { chunkSize: number; put(item: T): void | Promise<void>; window?: OrderedWindow },
) {
  const { pool } = options;
  return createScheduler<BrowserSession>({
    range: options.range,
    workers: options.workers,
    chunkSize: sink.chunkSize,
    open: (w, attempt) => pool.open(w, attempt),
    close: (s) => pool.close(s),
    capture: async (session, index) => sink.put(await options.capture(session, index)),
    window: sink.window,
    explainFailure: options.explainFailure,
    onWorkersChanged: options.onWorkersChanged,
  });
}

/** Streaming chunk: small, so frames arrive nearly in order from N workers. */
const STREAM_CHUNK = 6;

export interface StreamRun<T> {
  items: AsyncGenerator<T>;
  /** Resolves with the worker count in force once every frame was captured and every session closed. */
  done: Promise<{ workers: number }>;
  /** Stops capturing and closes every session. */
  shutdown(): Promise<void>;
}

export function streamCapture<T extends { index: number }>(options: EngineOptions<T>): StreamRun<T> {
  const { range, workers, pool } = options;
  const total = range.to - range.from;
  const chunkSize = workers > 1 ? STREAM_CHUNK : total;
  const stream = new OrderedStream<T>(range, Math.max(chunkSize * workers * 2, 8), options.onFrame);
  const scheduler = schedulerFor(options, { chunkSize, put: (item) => stream.put(item), window: stream });
  let shutdownPromise: Promise<void> | null = null;
  const shutdown = () =>
    (shutdownPromise ??= (async () => {
      scheduler.stop();
      await pool.closeAll();
      await done.catch(() => {});
    })());
  const done = scheduler.run().then(
    (result) => result,
    (error: unknown) => {
      stream.fail(error);
      throw error;
    },
  );
  done.catch(() => {});
  async function* items(): AsyncGenerator<T> {
    try {
      yield* stream.items();
    } finally {
      await shutdown();
    }
  }
  return { items: items(), done, shutdown };
}

/** Captures the whole range into `put` (a directory sink), contiguous ranges per worker. */
export async function captureInto<T extends { index: number }>(
  options: EngineOptions<T> & { put(item: T): Promise<void> },
): Promise<{ workers: number }> {
  const { range, workers, pool } = options;
  let done = 0;
  const scheduler = schedulerFor(options, {
    chunkSize: Math.ceil((range.to - range.from) / Math.max(1, workers)),
    put: async (item) => {
      await options.put(item);
      options.onFrame?.(++done);
    },
  });
  const onAbort = () => {
    scheduler.stop();
    void pool.closeAll();
  };
  options.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const result = await scheduler.run();
    // Stopped by the abort: workers end quietly, so the abort is the result.
    assertNotAborted(options.signal);
    return result;
  } finally {
    options.signal.removeEventListener("abort", onAbort);
    await pool.closeAll();
  }
}
