/**
 * Adaptive retry: the one rule every capture route follows when a worker fails.
 *
 * Invariants:
 * - A non-retryable error (a page exception, a bad input) fails at once: `onFailure` throws it.
 * - The first retryable failure of a render (a crashed browser) is retried at the same worker count:
 *   the failing worker reopens.
 * - Every later retryable failure halves the worker count (at least 1): the failing worker retires
 *   when more workers than that are still active, else it reopens.
 * - After `maxFailures` retryable failures the render fails with RETRY_EXHAUSTED, naming the last one.
 * The policy only decides; the scheduler that owns the workers puts the unfinished frames back.
 */
import { FrameloomError, SharedErrors, errorMessage } from "./errors.js";

export type RetryDecision =
  /** Open a fresh session for this worker and go on. */
  | { action: "reopen"; workers: number; reason: string }
  /** Stop this worker; the others take over its frames. */
  | { action: "retire"; workers: number; reason: string };

export interface AdaptiveRetryOptions {
  /** Workers at the start. */
  workers: number;
  /** Retryable failures tolerated in one render (default 4). */
  maxFailures?: number;
}

export class AdaptiveRetryPolicy {
  private readonly maxFailures: number;
  private failures = 0;
  /** The worker count the policy wants now. */
  private target: number;

  constructor(options: AdaptiveRetryOptions) {
    this.target = Math.max(1, Math.floor(options.workers));
    this.maxFailures = options.maxFailures ?? 4;
  }

  get workers(): number {
    return this.target;
  }

  /**
   * What a worker does after `error`, given how many workers are active now (the failing one
   * included). Throws the error itself when it is not retryable, RETRY_EXHAUSTED past the limit.
   */
  onFailure(error: unknown, activeWorkers: number): RetryDecision {
    if (!(error instanceof FrameloomError && error.retryable)) throw error;
    this.failures += 1;
    const reason = errorMessage(error);
    if (this.failures > this.maxFailures) {
      throw new FrameloomError(
        SharedErrors.RETRY_EXHAUSTED,
        `capture failed ${this.failures} times; last failure: ${reason}`,
        { cause: error },
      );
    }
    if (this.failures > 1) this.target = Math.max(1, Math.floor(Math.min(this.target, activeWorkers) / 2));
    if (activeWorkers > this.target) return { action: "retire", workers: this.target, reason };
    return { action: "reopen", workers: this.target, reason };
  }
}
