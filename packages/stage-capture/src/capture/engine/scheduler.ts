/**
 * Range scheduler: N workers capture the frames of a range, chunk by chunk, each on a session of
 * its own, under the shared adaptive retry (shared-helpers/retry.ts).
 *
 * Invariants:
 * - The queue holds the chunks nobody captures now, sorted by first frame; a worker always takes
 *   the earliest. Every frame of the range is handed to `capture` until it succeeds exactly once.
 * - A failing worker puts the unfinished rest of its chunk back at once, then reopens or retires as
 *   the policy says; a non-retryable error stops every worker and is the run's failure.
 * - With a `window` (an ordered consumer), a worker never captures more than `window.size` frames
 *   past the consumer: it waits, or, when an earlier chunk is waiting in the queue (its worker
 *   failed or retired), it puts its own rest back and takes that one, so nobody waits on a frame
 *   that no worker is capturing.
 * - `stop()` ends every worker at its next step; `run()` settles only after every session it opened
 *   was closed.
 */
import { AdaptiveRetryPolicy, chunkRange, type FrameRange } from "@frameloom/shared-helpers";

export interface OrderedWindow {
  /** The next frame the consumer wants. */
  position(): number;
  /** Frames a worker may run ahead of `position()`. */
  size: number;
  /** Resolves when the consumer moved on (or the run stops). */
  moved(): Promise<void>;
}

export interface SchedulerOptions<S> {
  range: FrameRange;
  workers: number;
  /** Frames per chunk handed out. */
  chunkSize: number;
  open(worker: number, attempt: number): Promise<S>;
  close(session: S): Promise<void>;
  /** Captures frame `index` on `session` and hands it on; resolves once it is accepted. */
  capture(session: S, index: number): Promise<void>;
  window?: OrderedWindow;
  /** What a failure stands for, before the retry policy reads it (a crash on a full disk is no crash to retry). */
  explainFailure?(error: unknown): Promise<unknown>;
  /** The worker count in force changed after a failure. */
  onWorkersChanged?(workers: number, reason: string): void;
}

export interface Scheduler {
  /** Resolves when every frame was captured; rejects with the first fatal failure. */
  run(): Promise<{ workers: number }>;
  /** Stops every worker (captures in flight end with their session). */
  stop(): void;
}

interface Chunk {
  from: number;
  to: number;
}

export function createScheduler<S>(options: SchedulerOptions<S>): Scheduler {
  const { range, window } = options;
  const queue: Chunk[] = chunkRange(range, options.chunkSize);
  const policy = new AdaptiveRetryPolicy({ workers: options.workers });
  const started = Math.max(1, Math.min(options.workers, queue.length));
  /** Workers still in their loop (a worker that found the queue empty has left it). */
  let running = started;
  let failure: unknown = null;
  let stopped = false;
  const idle = new Set<() => void>();

  const putBack = (chunk: Chunk) => {
    if (chunk.from >= chunk.to) return;
    const at = queue.findIndex((c) => c.from > chunk.from);
    queue.splice(at < 0 ? queue.length : at, 0, chunk);
    // A worker parked on the window may need to take this chunk.
    for (const wake of idle) wake();
    idle.clear();
  };
  const stop = () => {
    stopped = true;
    for (const wake of idle) wake();
    idle.clear();
  };

  /** Waits until frame `index` fits the window; false when the worker should swap to an earlier chunk. */
  async function roomFor(index: number): Promise<boolean> {
    while (window && !stopped && index - window.position() >= window.size) {
      if (queue.length > 0 && queue[0]!.from < index) return false;
      await Promise.race([window.moved(), new Promise<void>((r) => idle.add(r))]);
    }
    return true;
  }

  async function worker(id: number): Promise<void> {
    let attempt = 0;
    let session: S | null = null;
    try {
      while (!stopped) {
        const chunk = queue.shift();
        if (!chunk) return;
        try {
          for (; chunk.from < chunk.to && !stopped; chunk.from++) {
            if (!(await roomFor(chunk.from))) break;
            if (stopped) break;
            session ??= await options.open(id, attempt);
            await options.capture(session, chunk.from);
          }
          putBack(chunk);
        } catch (error) {
          putBack(chunk);
          if (stopped) return;
          if (session !== null) await options.close(session);
          session = null;
          attempt += 1;
          const decision = policy.onFailure(options.explainFailure ? await options.explainFailure(error) : error, running);
          options.onWorkersChanged?.(decision.workers, decision.reason);
          if (decision.action === "retire") return;
        }
      }
    } catch (error) {
      if (failure === null) failure = error;
      stop();
    } finally {
      running -= 1;
      if (session !== null) await options.close(session);
    }
  }

  return {
    stop,
    async run() {
      await Promise.all(Array.from({ length: started }, (_, w) => worker(w)));
      if (failure !== null) throw failure;
      if (!stopped && queue.length > 0) throw new Error(`internal: ${queue.length} chunk(s) left with no worker`);
      return { workers: policy.workers };
    },
  };
}
