import { describe, expect, it } from "vitest";
import { mediaLocalTime, type MediaSource } from "./contracts.js";
import { transferOf } from "./media.js";

const clip = (extra: Partial<MediaSource> = {}): MediaSource => ({
  kind: "video",
  path: "/p/a.mp4",
  id: "a",
  start: 1,
  duration: null,
  mediaStart: 0.5,
  ...extra,
});

describe("mediaLocalTime (COMPOSITION.md §4.1)", () => {
  it("is (t − start) × rate, never negative", () => {
    expect(mediaLocalTime(clip(), 0)).toBe(0);
    expect(mediaLocalTime(clip(), 2.5)).toBe(1.5);
    expect(mediaLocalTime(clip({ playbackRate: 2 }), 2.5)).toBe(3);
  });
  it("wraps by the playable length (file − media start) with loop, and only then", () => {
    expect(mediaLocalTime(clip({ loop: true, sourceDuration: 2.5 }), 4.5)).toBeCloseTo(1.5, 9);
    expect(mediaLocalTime(clip({ loop: false, sourceDuration: 2.5 }), 4.5)).toBe(3.5);
    expect(mediaLocalTime(clip({ loop: true, sourceDuration: null }), 4.5)).toBe(3.5);
  });
});

describe("transferOf", () => {
  it("maps ffprobe's colour transfer: PQ, HLG, else SDR", () => {
    expect(transferOf("smpte2084")).toBe("pq");
    expect(transferOf("arib-std-b67")).toBe("hlg");
    expect(transferOf("bt709")).toBe("sdr");
    expect(transferOf(undefined)).toBe("sdr");
  });
});
