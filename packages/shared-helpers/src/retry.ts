import { FrameloomError, SharedErrors, errorMessage, assertNotAborted } from "./errors.js";
import { type FrameRange, missingRanges, rangeLength, splitRanges } from "./frames.js";

export interface AdaptiveRetryOptions {
  range: FrameRange;
  workers: number;
  /** Runs one attempt: one worker per range, all settled before it returns (rejections are read). */
  attempt(ranges: FrameRange[], info: { attempt: number; workers: number }): Promise<PromiseSettledResult<void>[]>;
  isDone(frame: number): boolean;
  onRetry?(info: { attempt: number; workers: number; missing: FrameRange[]; reason: string }): void;
  /** Default 4. */
  maxAttempts?: number;
  signal?: AbortSignal;
}

/**
 * Runs `attempt` until every frame of `range` is done. After an attempt with missing frames: a
 * worker that failed with a retryable error (a crashed browser) gets one retry at the same worker
 * count; otherwise the worker count is halved. A non-retryable error fails at once. Returns the
 * worker count in force at the end.
 */
export async function runWithAdaptiveRetry(options: AdaptiveRetryOptions): Promise<{ attempts: number; workers: number }> {
  const maxAttempts = options.maxAttempts ?? 4;
  let workers = Math.max(1, Math.floor(options.workers));
  let sameSizeRetryUsed = false;
  let pending: FrameRange[] = [options.range];
  for (let attempt = 1; ; attempt++) {
    assertNotAborted(options.signal);
    const ranges = splitRanges(pending, workers);
    const results = await options.attempt(ranges, { attempt, workers });
    assertNotAborted(options.signal);
    const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    const fatal = failures.find((e) => !(e instanceof FrameloomError && e.retryable));
    if (fatal !== undefined) throw fatal;
    pending = missingRanges(options.range, options.isDone);
    if (pending.length === 0) return { attempts: attempt, workers };
    const reason = failures.length ? errorMessage(failures[0]) : "frames missing after the attempt";
    if (attempt >= maxAttempts) {
      const missing = pending.reduce((n, r) => n + rangeLength(r), 0);
      throw new FrameloomError(
        SharedErrors.RETRY_EXHAUSTED,
        `${missing} frame(s) still missing after ${attempt} attempt(s); last failure: ${reason}`,
        { cause: failures[0] },
      );
    }
    if (failures.length > 0 && !sameSizeRetryUsed) sameSizeRetryUsed = true;
    else workers = Math.max(1, Math.floor(workers / 2));
    options.onRetry?.({ attempt: attempt + 1, workers, missing: pending, reason });
  }
}
