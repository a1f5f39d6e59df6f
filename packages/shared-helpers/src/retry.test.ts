import { describe, expect, it } from "vitest";
import { FrameloomError } from "./errors.js";
import { AdaptiveRetryPolicy } from "./retry.js";

const crash = () => new FrameloomError("FLM_ERR_TEST_CRASH", "browser crashed", { retryable: true });

describe("AdaptiveRetryPolicy", () => {
  it("retries the first crash at the same worker count, then halves", () => {
    const policy = new AdaptiveRetryPolicy({ workers: 4 });
    expect(policy.onFailure(crash(), 4)).toEqual({ action: "reopen", workers: 4, reason: "browser crashed" });
    // Second crash: 4 → 2, and the failing worker (one of 4 active) retires.
    expect(policy.onFailure(crash(), 4)).toMatchObject({ action: "retire", workers: 2 });
    // One retired: 3 active, still above 2: the next failing worker retires too (2 → 1).
    expect(policy.onFailure(crash(), 3)).toMatchObject({ action: "retire", workers: 1 });
    // At one worker the last worker reopens.
    expect(policy.onFailure(crash(), 1)).toMatchObject({ action: "reopen", workers: 1 });
    expect(policy.workers).toBe(1);
  });

  it("throws a non-retryable error at once and RETRY_EXHAUSTED past the limit", () => {
    const policy = new AdaptiveRetryPolicy({ workers: 2, maxFailures: 2 });
    expect(() => policy.onFailure(new Error("page threw"), 2)).toThrow("page threw");
    policy.onFailure(crash(), 2);
    policy.onFailure(crash(), 1);
    expect(() => policy.onFailure(crash(), 1)).toThrow(expect.objectContaining({ code: "FLM_ERR_RETRY_EXHAUSTED" }));
  });
});
