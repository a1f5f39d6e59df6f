import { describe, expect, it } from "vitest";
import { chunkRange, frameCount, frameTime, missingRanges, parseFps, parseFrameRange, splitRange, splitRanges } from "./frames.js";

describe("parseFps", () => {
  it("accepts integers and exact rationals, reduced", () => {
    expect(parseFps("30")).toEqual({ num: 30, den: 1 });
    expect(parseFps(60)).toEqual({ num: 60, den: 1 });
    expect(parseFps("30000/1001")).toEqual({ num: 30000, den: 1001 });
    expect(parseFps("60/2")).toEqual({ num: 30, den: 1 });
  });
  it("refuses decimals with a hint, zero and out-of-range", () => {
    expect(() => parseFps("29.97")).toThrow(/30000\/1001/);
    expect(() => parseFps("0")).toThrow(/greater than 0/);
    expect(() => parseFps("1000")).toThrow(/between 1 and 240/);
    expect(() => parseFps("abc")).toThrow(/FLM_ERR|not an integer/);
  });
});

describe("frameCount (COMPOSITION.md §3.2)", () => {
  it("rounds within 0.001 of a whole number, else ceils", () => {
    const f30 = parseFps(30);
    expect(frameCount(5, f30)).toBe(150);
    expect(frameCount(2.00001, f30)).toBe(60);
    expect(frameCount(2.0001, f30)).toBe(61);
    expect(frameCount(1, parseFps("30000/1001"))).toBe(30);
    expect(frameCount(10.01, parseFps("30000/1001"))).toBe(300);
  });
  it("frame times are i/fps", () => {
    expect(frameTime(45, parseFps(30))).toBeCloseTo(1.5, 12);
    expect(frameTime(30, parseFps("30000/1001"))).toBeCloseTo(1.001, 12);
  });
});

describe("ranges", () => {
  it("chunks a range into fixed sizes from its first frame, the last chunk shorter", () => {
    expect(chunkRange({ from: 10, to: 25 }, 6)).toEqual([
      { from: 10, to: 16 },
      { from: 16, to: 22 },
      { from: 22, to: 25 },
    ]);
    expect(chunkRange({ from: 0, to: 4 }, 10)).toEqual([{ from: 0, to: 4 }]);
    expect(chunkRange({ from: 3, to: 3 }, 2)).toEqual([]);
  });
  it("splits contiguously with sizes differing by at most one", () => {
    expect(splitRange({ from: 0, to: 10 }, 3)).toEqual([
      { from: 0, to: 4 },
      { from: 4, to: 7 },
      { from: 7, to: 10 },
    ]);
    expect(splitRange({ from: 5, to: 7 }, 4)).toEqual([
      { from: 5, to: 6 },
      { from: 6, to: 7 },
    ]);
  });
  it("splits several ranges by cutting the largest first", () => {
    expect(splitRanges([{ from: 0, to: 2 }, { from: 10, to: 20 }], 3)).toEqual([
      { from: 0, to: 2 },
      { from: 10, to: 15 },
      { from: 15, to: 20 },
    ]);
  });
  it("finds missing ranges", () => {
    const done = new Set([0, 1, 2, 5, 9]);
    expect(missingRanges({ from: 0, to: 10 }, (i) => done.has(i))).toEqual([
      { from: 3, to: 5 },
      { from: 6, to: 9 },
    ]);
  });
  it("parses --frames A-B inclusively and refuses out-of-range", () => {
    expect(parseFrameRange("10-19", 150)).toEqual({ from: 10, to: 20 });
    expect(parseFrameRange("140-", 150)).toEqual({ from: 140, to: 150 });
    expect(() => parseFrameRange("100-200", 150)).toThrow(/0-149/);
    expect(() => parseFrameRange("x", 150)).toThrow(/A-B/);
  });
});
