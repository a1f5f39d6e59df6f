import { describe, expect, it } from "vitest";
import { checkpointSpots, parseRate, worstByFrame } from "./checkpoints.js";

describe("checkpointSpots", () => {
  it("spreads N checkpoints over [0, D − 1/fps], frame = round(t·fps)", () => {
    const spots = checkpointSpots(90, 30, 100);
    expect(spots).toHaveLength(100);
    expect(spots[0]).toEqual({ index: 0, time: 0, frame: 0 });
    // S = 3 − 1/30 = 2.9667 s; k = 50 → t = 1.48333 s → frame round(44.5) = 45
    expect(spots[50]!.time).toBeCloseTo(1.48333, 4);
    expect(spots[50]!.frame).toBe(45);
    expect(spots[99]!.frame).toBe(88);
    expect(Math.max(...spots.map((s) => s.frame))).toBeLessThan(90);
  });
  it("a one-frame video checks frame 0 every time; an empty one nothing", () => {
    expect(new Set(checkpointSpots(1, 30, 10).map((s) => s.frame))).toEqual(new Set([0]));
    expect(checkpointSpots(0, 30, 10)).toEqual([]);
  });
  it("rational rates", () => {
    expect(parseRate("30000/1001")).toBeCloseTo(29.97, 2);
    expect(parseRate("25")).toBe(25);
    expect(parseRate("0/0")).toBeNaN();
  });
});

describe("worstByFrame", () => {
  const cps = [
    { index: 0, frame: 0, psnr: 40 },
    { index: 1, frame: 0, psnr: 40 },
    { index: 2, frame: 1, psnr: 20 },
    { index: 3, frame: 1, psnr: 20 },
    { index: 4, frame: 2, psnr: Infinity },
    { index: 5, frame: 3, psnr: 30 },
  ];
  it("lowest first, one per frame", () => {
    expect(worstByFrame(cps, 10).map((c) => c.index)).toEqual([2, 5, 0, 4]);
    expect(worstByFrame(cps, 2).map((c) => c.index)).toEqual([2, 5]);
  });
  it("can leave identical frames out", () => {
    expect(worstByFrame(cps, 10, false).map((c) => c.frame)).toEqual([1, 3, 0]);
  });
});
