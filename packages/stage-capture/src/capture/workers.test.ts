import os from "node:os";
import { afterEach, describe, expect, it, vi } from "vitest";
import { autoWorkers } from "./workers.js";

describe("autoWorkers (--workers auto)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("is bounded by cores, by free memory and by the work", () => {
    vi.spyOn(os, "availableParallelism").mockReturnValue(16);
    vi.spyOn(os, "freemem").mockReturnValue(64 * 2 ** 30);
    expect(autoWorkers(1000, 1920, 1080)).toBe(8); // capped at 8
    expect(autoWorkers(60, 1920, 1080)).toBe(2); // ~24 frames per browser
    expect(autoWorkers(10, 1920, 1080)).toBe(1);
    vi.spyOn(os, "freemem").mockReturnValue(1.2 * 2 ** 30);
    expect(autoWorkers(1000, 1920, 1080)).toBe(1); // ~0.7 GB per 1080p browser, 60 % of free memory
    vi.spyOn(os, "availableParallelism").mockReturnValue(2);
    vi.spyOn(os, "freemem").mockReturnValue(20 * 2 ** 30);
    expect(autoWorkers(150, 1920, 1080)).toBe(2);
  });
});
