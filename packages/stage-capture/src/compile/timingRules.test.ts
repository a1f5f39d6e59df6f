import { describe, expect, it } from "vitest";
import { authoredDuration, clipStart, playbackRateOf, playbackStartOf, resolveTimingReference, startAfter, toNumber } from "./timingRules.js";

const reader = (attrs: Record<string, string>) => (name: string) => attrs[name] ?? null;

describe("timing rules (shared by compile and the page runtime)", () => {
  it("reads numbers strictly", () => {
    expect(toNumber(" 1.5 ")).toBe(1.5);
    expect(toNumber("1.5s")).toBeNull();
    expect(toNumber("")).toBeNull();
    expect(toNumber(null)).toBeNull();
    expect(toNumber("Infinity")).toBeNull();
  });

  it("resolves references: whole text first, then id ± offset", () => {
    const ids: Record<string, string> = { intro: "I", "a-1": "A1", "x.y": "XY" };
    const lookup = (id: string) => ids[id] ?? null;
    expect(resolveTimingReference("intro", lookup)).toEqual({ target: "I", offset: 0 });
    expect(resolveTimingReference("intro + 0.5", lookup)).toEqual({ target: "I", offset: 0.5 });
    expect(resolveTimingReference("intro-1", lookup)).toEqual({ target: "I", offset: -1 });
    expect(resolveTimingReference("intro +.25", lookup)).toEqual({ target: "I", offset: 0.25 });
    expect(resolveTimingReference("a-1", lookup)).toEqual({ target: "A1", offset: 0 });
    expect(resolveTimingReference("x.y+2", lookup)).toEqual({ target: "XY", offset: 2 });
    expect(resolveTimingReference("nope + 1", lookup)).toBeNull();
    expect(resolveTimingReference("intro * 2", lookup)).toBeNull();
  });

  it("starts: numeric after the host, never below 0; text through the reference", () => {
    expect(clipStart(null, () => 2, () => 99)).toBe(2);
    expect(clipStart("1.5", () => 2, () => 99)).toBe(3.5);
    expect(clipStart("-5", () => 2, () => 99)).toBe(0);
    expect(clipStart(" intro ", () => 2, (text) => (text === "intro" ? 7 : -1))).toBe(7);
    expect(startAfter(1, 2, -0.5)).toBe(2.5);
    expect(startAfter(1, null, -3)).toBe(0);
  });

  it("durations: data-duration > 0, else data-end − start > 0", () => {
    expect(authoredDuration(reader({ "data-duration": "2" }), () => 1)).toBe(2);
    expect(authoredDuration(reader({ "data-duration": "0", "data-end": "3" }), () => 1)).toBe(2);
    expect(authoredDuration(reader({ "data-end": "1" }), () => 1)).toBeNull();
    expect(authoredDuration(reader({}), () => 1)).toBeNull();
  });

  it("playback rate clamps to [0.1, 5]; playback start prefers data-playback-start", () => {
    expect(playbackRateOf(reader({}))).toBe(1);
    expect(playbackRateOf(reader({ "data-playback-rate": "-2" }))).toBe(1);
    expect(playbackRateOf(reader({ "data-playback-rate": "0.01" }))).toBe(0.1);
    expect(playbackRateOf(reader({ "data-playback-rate": "9" }))).toBe(5);
    expect(playbackRateOf(reader({ "data-playback-rate": "2" }))).toBe(2);
    expect(playbackStartOf(reader({ "data-playback-start": "1", "data-media-start": "2" }))).toBe(1);
    expect(playbackStartOf(reader({ "data-playback-start": "-1", "data-media-start": "2" }))).toBe(2);
    expect(playbackStartOf(reader({}))).toBe(0);
  });
});
