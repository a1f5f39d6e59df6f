import { describe, expect, it } from "vitest";
import { FrameloomError } from "./errors.js";
import { runWithAdaptiveRetry } from "./retry.js";
import type { FrameRange } from "./frames.js";

const crash = () => new FrameloomError("FLM_ERR_TEST_CRASH", "browser crashed", { retryable: true });

describe("runWithAdaptiveRetry", () => {
  it("retries a crashed worker once at the same size, then halves", async () => {
    const done = new Set<number>();
    const calls: { workers: number; ranges: FrameRange[] }[] = [];
    const result = await runWithAdaptiveRetry({
      range: { from: 0, to: 40 },
      workers: 4,
      isDone: (i) => done.has(i),
      attempt: async (ranges, { workers }) => {
        calls.push({ workers, ranges });
        return Promise.allSettled(
          ranges.map(async (r, w) => {
            // Worker 0 of the first two attempts crashes halfway through its range.
            const stopAt = calls.length <= 2 && w === 0 ? r.from + 1 : r.to;
            for (let i = r.from; i < stopAt; i++) done.add(i);
            if (stopAt < r.to) throw crash();
          }),
        );
      },
    });
    expect(calls.map((c) => c.workers)).toEqual([4, 4, 2]);
    expect(calls[1]!.ranges[0]!.from).toBe(1);
    expect(result).toEqual({ attempts: 3, workers: 2 });
    expect(done.size).toBe(40);
  });

  it("fails at once on a non-retryable error and after maxAttempts otherwise", async () => {
    await expect(
      runWithAdaptiveRetry({
        range: { from: 0, to: 4 },
        workers: 2,
        isDone: () => false,
        attempt: async () => [{ status: "rejected", reason: new Error("page threw") }],
      }),
    ).rejects.toThrow("page threw");
    let attempts = 0;
    await expect(
      runWithAdaptiveRetry({
        range: { from: 0, to: 4 },
        workers: 2,
        maxAttempts: 3,
        isDone: () => false,
        attempt: async () => {
          attempts++;
          return [{ status: "rejected", reason: crash() }];
        },
      }),
    ).rejects.toMatchObject({ code: "FLM_ERR_RETRY_EXHAUSTED" });
    expect(attempts).toBe(3);
  });
});
