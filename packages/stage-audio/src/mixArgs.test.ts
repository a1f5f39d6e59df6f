import { describe, expect, it } from "vitest";
import { atempoChain, buildFilterGraph, buildMixArgs, num, trackFilter, type MixTrack } from "./mixArgs.js";

const track = (over: Partial<MixTrack> = {}): MixTrack => ({
  path: "/p/a.wav",
  start: 0,
  length: 3,
  mediaStart: 0,
  rate: 1,
  volume: 1,
  channels: 2,
  ...over,
});

describe("atempoChain", () => {
  it.each([
    [1, []],
    [2, [2]],
    [4, [2, 2]],
    [5, [2, 2, 1.25]],
    [0.5, [0.5]],
    [0.25, [0.5, 0.5]],
    [1.5, [1.5]],
  ])("rate %s → %j", (rate, stages) => {
    expect(atempoChain(rate)).toEqual(stages);
  });

  it("keeps every stage within [0.5, 2] and multiplies back to the rate", () => {
    for (const rate of [0.1, 0.3, 0.7, 3, 4.9]) {
      const stages = atempoChain(rate);
      for (const s of stages) expect(s >= 0.5 && s <= 2).toBe(true);
      expect(stages.reduce((a, b) => a * b, 1)).toBeCloseTo(rate, 9);
    }
  });

  it("refuses a non-positive rate", () => {
    expect(() => atempoChain(0)).toThrow(RangeError);
  });
});

describe("num", () => {
  it("prints at most 6 decimals without float noise", () => {
    expect(num(0.1 / 0.125)).toBe("0.8");
    expect(num(1)).toBe("1");
    expect(num(1 / 3)).toBe("0.333333");
    expect(num(-0)).toBe("0");
  });
});

describe("trackFilter", () => {
  it("trims to the window, resamples to 48 kHz stereo, applies volume, no delay at 0", () => {
    expect(trackFilter(track(), 0)).toBe(
      "[0:a]atrim=duration=3,asetpts=PTS-STARTPTS,aresample=48000," +
        "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,volume=1[a0]",
    );
  });

  it("delays by the absolute start in samples on all channels", () => {
    expect(trackFilter(track({ start: 1 }), 2)).toMatch(/,adelay=delays=48000S:all=1\[a2\]$/);
    expect(trackFilter(track({ start: 1001 / 30000 }), 0)).toContain("adelay=delays=1602S:all=1");
  });

  it("rate 2 → one atempo=2 and a window of length × rate source seconds", () => {
    const f = trackFilter(track({ rate: 2, length: 1.5 }), 0);
    expect(f).toContain("atrim=duration=3,");
    expect(f.match(/atempo=[\d.]+/g)).toEqual(["atempo=2"]);
  });

  it("rate 4 → atempo=2,atempo=2; rate 0.25 → atempo=0.5,atempo=0.5", () => {
    expect(trackFilter(track({ rate: 4 }), 0)).toContain("asetpts=PTS-STARTPTS,atempo=2,atempo=2,aresample");
    expect(trackFilter(track({ rate: 0.25 }), 0)).toContain("atempo=0.5,atempo=0.5,");
  });

  it("applies the static volume", () => {
    expect(trackFilter(track({ volume: 0.5 }), 0)).toContain(",volume=0.5");
    expect(trackFilter(track({ volume: 10 ** (12 / 20) }), 0)).toContain(",volume=3.981072");
  });

  it("copies a mono source to both channels; stereo is left alone", () => {
    expect(trackFilter(track({ channels: 1 }), 0)).toContain("pan=stereo|c0=c0|c1=c0,aresample=48000");
    expect(trackFilter(track({ channels: 2 }), 0)).not.toContain("pan=");
  });
});

describe("buildFilterGraph", () => {
  it("sums K tracks with amix normalize=0 and cuts to the range by sample", () => {
    const graph = buildFilterGraph({ tracks: [track(), track({ start: 0.5 })], from: 0, to: 2 });
    const parts = graph.split(";");
    expect(parts).toHaveLength(3);
    expect(parts[2]).toBe(
      "[a0][a1]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0," +
        "apad=whole_len=96000,atrim=start_sample=0:end_sample=96000,asetpts=PTS-STARTPTS[mix]",
    );
  });

  it("a single track passes through without amix; --frames 30-59 at 30 fps cuts [1 s, 2 s)", () => {
    const graph = buildFilterGraph({ tracks: [track({ start: 1 })], from: 1, to: 2 });
    expect(graph).toContain("[a0]anull,apad=whole_len=96000,atrim=start_sample=48000:end_sample=96000,asetpts=PTS-STARTPTS[mix]");
    expect(graph).not.toContain("amix");
  });

  it("refuses no tracks and empty ranges", () => {
    expect(() => buildFilterGraph({ tracks: [], from: 0, to: 1 })).toThrow(RangeError);
    expect(() => buildFilterGraph({ tracks: [track()], from: 1, to: 1 })).toThrow(RangeError);
  });
});

describe("buildMixArgs", () => {
  it("seeks each input to its mediaStart, reads local files only, and encodes AAC 192k 48 kHz stereo", () => {
    const args = buildMixArgs({ tracks: [track({ mediaStart: 0.5 }), track({ path: "/p/b.mp4" })], from: 0, to: 1, output: "/w/audio.m4a" });
    const firstInput = args.indexOf("-i");
    expect(args.slice(firstInput - 4, firstInput + 2)).toEqual(["-protocol_whitelist", "file", "-ss", "0.5", "-i", "/p/a.wav"]);
    expect(args.slice(firstInput + 2, firstInput + 6)).toEqual(["-protocol_whitelist", "file", "-i", "/p/b.mp4"]);
    expect(args.slice(-11)).toEqual(["-map", "[mix]", "-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-ac", "2", "/w/audio.m4a"]);
    expect(args).toContain("-filter_complex");
  });
});
