import { describe, expect, it } from "vitest";
import { frameIndexAt, quantiseToFrame, snapToFrameEdge } from "./frameMath.js";

describe("frame math", () => {
  it("floors t·rate with slack, so 1/30·30 is frame 1", () => {
    expect(frameIndexAt(1 / 30, 30)).toBe(1);
    expect(frameIndexAt(0.0333, 30)).toBe(0);
    expect(frameIndexAt(1001 / 30000, 30000 / 1001)).toBe(1);
  });

  it("quantises onto frame starts; negative and non-numbers are 0", () => {
    expect(quantiseToFrame(0.05, 30)).toBeCloseTo(1 / 30, 12);
    expect(quantiseToFrame(-1, 30)).toBe(0);
    expect(quantiseToFrame(Number.NaN, 30)).toBe(0);
    expect(quantiseToFrame(Number.POSITIVE_INFINITY, 30)).toBe(0);
  });

  it("snaps edges within 0.001 frame onto the frame, keeps others", () => {
    expect(snapToFrameEdge(0.2 + 0.1, 30)).toBe(9 / 30);
    expect(snapToFrameEdge(0.4667, 30)).toBe(14 / 30);
    expect(snapToFrameEdge(0.45, 30)).toBe(0.45);
  });
});
