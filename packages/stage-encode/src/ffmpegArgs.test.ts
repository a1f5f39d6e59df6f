import { describe, expect, it } from "vitest";
import type { EncodeSettings } from "@frameloom/shared-helpers";
import { EncodeErrors } from "./errors.js";
import {
  SEGMENT_X264_PARAMS,
  SEGMENT_X265_PARAMS,
  buildFfmpegArgs,
  muxesAudio,
  rawFrameBytes,
  swsMatrix,
  validateSegmentSettings,
  validateSettings,
  videoFilter,
  vp9Deadline,
  type FfmpegArgsOptions,
} from "./ffmpegArgs.js";

const mp4: EncodeSettings = { format: "mp4", codec: "libx264", pixelFormat: "yuv420p", alpha: false, speed: "medium", crf: 18 };
/** HEVC Main 10, PQ, with HDR10 metadata (the hdr10 preset's shape). */
const hevcPq: Partial<EncodeSettings> = {
  codec: "libx265",
  pixelFormat: "yuv420p10le",
  colour: { primaries: "bt2020", transfer: "smpte2084", matrix: "bt2020nc", range: "tv" },
  codecParams: "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400",
};

function args(over: Partial<FfmpegArgsOptions> = {}, settings: Partial<EncodeSettings> = {}): string[] {
  return buildFfmpegArgs({
    width: 64,
    height: 48,
    fps: { num: 30, den: 1 },
    input: { kind: "pipe", encoding: "jpeg" },
    frames: 10,
    outputPath: "/tmp/out.tmp",
    ...over,
    settings: { ...mp4, ...settings },
  });
}

/** The value that follows `flag` (first occurrence), or undefined. */
const after = (list: string[], flag: string): string | undefined => {
  const i = list.indexOf(flag);
  return i < 0 ? undefined : list[i + 1];
};

describe("errors", () => {
  it("every key equals its FLM_ERR_ENCODE_ code", () => {
    for (const [key, code] of Object.entries(EncodeErrors)) expect(code).toBe(`FLM_ERR_ENCODE_${key}`);
  });
});

describe("input args", () => {
  it("jpeg and png streams use image2pipe with the matching decoder", () => {
    const a = args();
    expect(a.slice(a.indexOf("-f"), a.indexOf("-i") + 2)).toEqual(["-f", "image2pipe", "-c:v", "mjpeg", "-framerate", "30", "-i", "pipe:0"]);
    expect(after(args({ input: { kind: "pipe", encoding: "png" } }), "-c:v")).toBe("png");
  });

  it("timed JPEG frames come as Matroska on stdin, and the output repeats a picture over a gap (-fps_mode cfr)", () => {
    const a = args({ input: { kind: "timed", encoding: "jpeg" } });
    expect(a.slice(a.indexOf("-f"), a.indexOf("-i") + 2)).toEqual(["-f", "matroska", "-i", "pipe:0"]);
    expect(after(a, "-fps_mode")).toBe("cfr");
    expect(a.indexOf("-fps_mode")).toBeGreaterThan(a.indexOf("-i"));
    // The JPEG conversion (BT.601 full range in) is the same as from image2pipe.
    expect(after(a, "-vf")).toBe(after(args(), "-vf"));
    expect(args()).not.toContain("-fps_mode");
  });

  it("raw frames use rawvideo with pix_fmt and size", () => {
    for (const enc of ["rgba", "rgb48le", "yuv420p10le"] as const) {
      const a = args({ input: { kind: "pipe", encoding: enc } });
      expect(after(a, "-f")).toBe("rawvideo");
      expect(after(a, "-pix_fmt")).toBe(enc);
      expect(after(a, "-s")).toBe("64x48");
    }
  });

  it("keeps a rational fps verbatim for -framerate and -r, and sets -frames:v", () => {
    const a = args({ fps: { num: 30000, den: 1001 }, frames: 7 });
    expect(after(a, "-framerate")).toBe("30000/1001");
    expect(after(a, "-r")).toBe("30000/1001");
    expect(after(a, "-frames:v")).toBe("7");
  });

  it("disk route reads the numbered pattern from range.from", () => {
    const a = args({ input: { kind: "files", encoding: "jpeg", pattern: "/f/frame_%06d.jpg", startNumber: 10 } });
    expect(after(a, "-f")).toBe("image2");
    expect(after(a, "-start_number")).toBe("10");
    expect(after(a, "-i")).toBe("/f/frame_%06d.jpg");
  });
});

describe("mp4 / libx264", () => {
  it("has preset, crf, -bf 0, yuv420p, BT.709 tags, faststart and an explicit muxer", () => {
    const a = args();
    expect(after(a, "-c:v")).toBe("mjpeg"); // input decoder comes first
    expect(a).toContain("libx264");
    expect(after(a, "-preset")).toBe("medium");
    expect(after(a, "-crf")).toBe("18");
    expect(after(a, "-bf")).toBe("0");
    expect(a.filter((x) => x === "-pix_fmt")).toHaveLength(1);
    expect(after(a, "-pix_fmt")).toBe("yuv420p");
    expect(after(a, "-colorspace")).toBe("bt709");
    expect(after(a, "-color_primaries")).toBe("bt709");
    expect(after(a, "-color_trc")).toBe("bt709");
    expect(after(a, "-color_range")).toBe("tv");
    expect(after(a, "-movflags")).toBe("+faststart");
    expect(a.slice(-3)).toEqual(["-f", "mp4", "/tmp/out.tmp"]);
    expect(after(a, "-x264-params")).toBe("aq-mode=3:aq-strength=0.8:deblock=1,1");
  });

  it("ultrafast drops the aq-strength/deblock tuning; bitrate replaces crf", () => {
    const a = args({}, { speed: "ultrafast", crf: undefined, bitrate: "4M" });
    expect(after(a, "-x264-params")).toBe("aq-mode=3");
    expect(after(a, "-b:v")).toBe("4M");
    expect(a).not.toContain("-crf");
  });

  it("converts JPEG (JFIF BT.601 full range) and RGB to BT.709 limited range", () => {
    expect(videoFilter({ width: 64, height: 48, input: { kind: "pipe", encoding: "jpeg" }, settings: mp4 })).toBe(
      "scale=in_range=pc:in_color_matrix=bt601:flags=bicubic+full_chroma_int+accurate_rnd,format=gbrp,scale=flags=bicubic+full_chroma_inp+accurate_rnd:out_color_matrix=bt709:out_range=tv,format=yuv420p,setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv",
    );
    expect(videoFilter({ width: 64, height: 48, input: { kind: "pipe", encoding: "rgba" }, settings: mp4 })).toBe(
      "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv",
    );
  });

  it("pads odd sizes to even", () => {
    expect(videoFilter({ width: 65, height: 49, input: { kind: "pipe", encoding: "rgba" }, settings: mp4 })).toMatch(
      /^pad=ceil\(iw\/2\)\*2:ceil\(ih\/2\)\*2,/,
    );
  });

  it("muxes audio as AAC 192k and maps video first", () => {
    const a = args({ audioPath: "/a/mix.m4a" });
    expect(a.filter((x) => x === "-i")).toHaveLength(2);
    expect(after(a, "-c:a")).toBe("aac");
    expect(after(a, "-b:a")).toBe("192k");
    expect(a).not.toContain("-shortest");
    expect(after(a, "-t")).toMatch(/^\d+\.\d{6}$/);
  });

  it("appends extraArgs just before the muxer and output", () => {
    const a = args({}, { extraArgs: ["-metadata", "title=x"] });
    expect(a.slice(-5)).toEqual(["-metadata", "title=x", "-f", "mp4", "/tmp/out.tmp"]);
  });
});

describe("mp4 / libx265 HDR", () => {
  it("tags hvc1, puts colour tags and codecParams into -x265-params and the container", () => {
    const a = args({ input: { kind: "pipe", encoding: "yuv420p10le" } }, hevcPq);
    expect(after(a, "-tag:v")).toBe("hvc1");
    const params = after(a, "-x265-params") ?? "";
    expect(params).toContain("colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:range=limited");
    expect(params).toContain("bframes=0");
    expect(params).toMatch(/master-display=G\(13250,34500\).*:max-cll=1000,400$/);
    expect(after(a, "-colorspace")).toBe("bt2020nc");
    expect(after(a, "-color_trc")).toBe("smpte2084");
    expect(a[a.lastIndexOf("-pix_fmt") + 1]).toBe("yuv420p10le");
  });
  it("keeps 10-bit YUV input in its own matrix and uses bt2020 for RGB48", () => {
    const s = { ...mp4, ...hevcPq } as EncodeSettings;
    expect(videoFilter({ width: 64, height: 48, input: { kind: "pipe", encoding: "yuv420p10le" }, settings: s })).toBe(
      "scale=in_range=tv:in_color_matrix=bt2020:out_color_matrix=bt2020:out_range=tv,format=yuv420p10le,setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc:range=tv",
    );
    expect(videoFilter({ width: 64, height: 48, input: { kind: "pipe", encoding: "rgb48le" }, settings: s })).toContain(
      "out_color_matrix=bt2020",
    );
    expect(swsMatrix("bt2020nc")).toBe("bt2020");
  });
});

describe("webm / mov / gif / png-sequence", () => {
  it("webm: vp9 yuva420p, crf with -b:v 0, deadline, row-mt, no alt-ref, opus audio", () => {
    const a = args({ audioPath: "/a.wav" }, { format: "webm", codec: "libvpx-vp9", pixelFormat: "yuva420p", alpha: true, speed: "draft" });
    expect(a).toContain("libvpx-vp9");
    expect(after(a, "-b:v")).toBe("0");
    expect(after(a, "-deadline")).toBe("good");
    expect(after(a, "-row-mt")).toBe("1");
    expect(after(a, "-auto-alt-ref")).toBe("0");
    expect(after(a, "-c:a")).toBe("libopus");
    expect(a).not.toContain("-movflags");
    expect(vp9Deadline("ultrafast")).toBe("realtime");
    expect(vp9Deadline("realtime")).toBe("realtime");
  });

  it("mov: prores_ks profile 4444, yuva444p10le, vendor apl0", () => {
    const a = args({}, { format: "mov", codec: "prores_ks", pixelFormat: "yuva444p10le", alpha: true, crf: undefined });
    expect(after(a, "-profile:v")).toBe("4");
    expect(after(a, "-vendor")).toBe("apl0");
    expect(a[a.lastIndexOf("-pix_fmt") + 1]).toBe("yuva444p10le");
    expect(after(a, "-f")).toBe("image2pipe");
    expect(a.slice(-2)).toEqual(["mov", "/tmp/out.tmp"]);
  });

  it("gif: one process with palettegen/paletteuse and -loop (default 0)", () => {
    const s = { format: "gif", codec: "gif", pixelFormat: "rgba", alpha: true } as const;
    const a = args({}, { ...s, crf: undefined });
    expect(after(a, "-vf")).toBe(
      "format=rgba,split[a][b];[a]palettegen=stats_mode=diff:reserve_transparent=1[p];[b][p]paletteuse=dither=sierra2_4a:alpha_threshold=128",
    );
    expect(after(a, "-loop")).toBe("0");
    expect(after(args({}, { ...s, crf: undefined, loop: 3 }), "-loop")).toBe("3");
    expect(a).not.toContain("-colorspace");
  });

  it("png-sequence: numbered RGBA files from 1 inside the directory, no audio", () => {
    const a = args({ audioPath: "/a.wav", outputPath: "/o/seq" }, { format: "png-sequence", codec: "png", pixelFormat: "rgba", crf: undefined });
    expect(a.at(-1)).toBe("/o/seq/frame_%06d.png");
    expect(a.slice(-3, -1)).toEqual(["-f", "image2"]);
    expect(a[a.lastIndexOf("-start_number") + 1]).toBe("1");
    expect(a.filter((x) => x === "-i")).toHaveLength(1);
  });
});

describe("validation", () => {
  it("refuses codec/format mismatches, crf with bitrate, bad loop", () => {
    const bad: Partial<EncodeSettings>[] = [
      { format: "webm", codec: "libx264" },
      { format: "mp4", codec: "prores_ks" },
      { crf: 18, bitrate: "2M" },
      { crf: 1.5 },
      { format: "gif", codec: "gif", loop: 70000, crf: undefined },
    ];
    for (const b of bad) {
      expect(() => validateSettings({ ...mp4, ...b })).toThrow(expect.objectContaining({ code: EncodeErrors.SETTINGS_INVALID }));
    }
  });

  it("knows raw frame sizes", () => {
    expect(rawFrameBytes("rgba", 4, 2)).toBe(32);
    expect(rawFrameBytes("rgb48le", 4, 2)).toBe(48);
    expect(rawFrameBytes("yuv420p10le", 4, 2)).toBe((8 + 2 * 2 * 1) * 2);
    expect(rawFrameBytes("yuv420p10le", 3, 3)).toBe((9 + 2 * 2 * 2) * 2);
    expect(rawFrameBytes("jpeg", 4, 2)).toBeNull();
  });
});

describe("segments (chunks joined by stream copy)", () => {
  const vp9: Partial<EncodeSettings> = { format: "webm", codec: "libvpx-vp9", pixelFormat: "yuva420p", alpha: true, crf: 30 };
  const prores: Partial<EncodeSettings> = { format: "mov", codec: "prores_ks", pixelFormat: "yuva444p10le", alpha: true, crf: undefined };
  const png: Partial<EncodeSettings> = { format: "png-sequence", codec: "png", pixelFormat: "rgba", crf: undefined };

  /** What a segment adds to or drops from the whole render's args: the rest must be identical. */
  function diff(over: Partial<FfmpegArgsOptions>, settings: Partial<EncodeSettings>) {
    const whole = args(over, settings);
    const segment = args({ ...over, segment: true }, settings);
    return { whole, segment, added: segment.filter((a) => !whole.includes(a)), dropped: whole.filter((a) => !segment.includes(a)) };
  }

  it("x264: closed GOP, no scenecut, repeated headers after the user's params, IDR forced on frame 0, no faststart", () => {
    const { whole, segment, added, dropped } = diff({}, { codecParams: "scenecut=40:open-gop=1" });
    expect(after(segment, "-x264-params")).toBe(`aq-mode=3:aq-strength=0.8:deblock=1,1:scenecut=40:open-gop=1:${SEGMENT_X264_PARAMS}`);
    expect(SEGMENT_X264_PARAMS).toBe("scenecut=0:open-gop=0:repeat-headers=1");
    expect(after(segment, "-force_key_frames")).toBe("expr:eq(n,0)");
    expect(after(segment, "-forced-idr")).toBe("1");
    expect(after(segment, "-bf")).toBe("0");
    expect(segment).not.toContain("-movflags");
    expect(dropped.sort()).toEqual(["+faststart", "-movflags", after(whole, "-x264-params")].sort());
    expect(added.sort()).toEqual(["-force_key_frames", "-forced-idr", "1", "expr:eq(n,0)", after(segment, "-x264-params")].sort());
  });

  it("x265: the same, inside -x265-params, keeping the HDR params and colour tags", () => {
    const { segment, dropped } = diff({ input: { kind: "pipe", encoding: "yuv420p10le" } }, hevcPq);
    const params = after(segment, "-x265-params") ?? "";
    expect(params).toMatch(/^log-level=error:bframes=0:colorprim=bt2020:.*:max-cll=1000,400:scenecut=0:open-gop=0:repeat-headers=1$/);
    expect(SEGMENT_X265_PARAMS).toBe("scenecut=0:open-gop=0:repeat-headers=1");
    expect(after(segment, "-force_key_frames")).toBe("expr:eq(n,0)");
    expect(after(segment, "-forced-idr")).toBe("1");
    expect(after(segment, "-tag:v")).toBe("hvc1");
    expect(after(segment, "-color_trc")).toBe("smpte2084");
    expect(dropped).toContain("+faststart");
  });

  it("vp9: no alt-ref and a keyframe at the start; nothing else changes", () => {
    const { segment, added, dropped } = diff({}, vp9);
    expect(after(segment, "-auto-alt-ref")).toBe("0");
    expect(added).toEqual(["-force_key_frames", "expr:eq(n,0)"]);
    expect(dropped).toEqual([]);
  });

  it("prores (all intra) and png-sequence: identical to the whole render", () => {
    expect(diff({}, prores).segment).toEqual(diff({}, prores).whole);
    const seq = diff({ outputPath: "/o/seg" }, png);
    expect(seq.segment).toEqual(seq.whole);
    expect(seq.segment.at(-1)).toBe("/o/seg/frame_%06d.png");
  });

  it("has no audio: the audio file is not read and -frames:v cuts the segment", () => {
    for (const s of [{}, vp9, prores]) {
      const a = args({ audioPath: "/a/mix.m4a", segment: true, frames: 30 }, s);
      expect(a.filter((x) => x === "-i")).toHaveLength(1);
      expect(a).not.toContain("/a/mix.m4a");
      expect(a).not.toContain("-c:a");
      expect(after(a, "-frames:v")).toBe("30");
      expect(a).not.toContain("-t");
    }
    const settings = { ...mp4 };
    expect(muxesAudio({ settings, audioPath: "/a.m4a" })).toBe(true);
    expect(muxesAudio({ settings, audioPath: "/a.m4a", segment: true })).toBe(false);
    expect(muxesAudio({ settings })).toBe(false);
    expect(muxesAudio({ settings: { ...mp4, format: "png-sequence", codec: "png" }, audioPath: "/a.m4a" })).toBe(false);
  });

  it("gif cannot be rendered in segments", () => {
    const gif: EncodeSettings = { format: "gif", codec: "gif", pixelFormat: "rgba", alpha: true };
    expect(() => buildFfmpegArgs({ width: 8, height: 8, fps: { num: 30, den: 1 }, input: { kind: "pipe", encoding: "png" }, frames: 3, outputPath: "/o.gif", settings: gif, segment: true })).toThrow(
      expect.objectContaining({ code: EncodeErrors.SETTINGS_INVALID, message: expect.stringMatching(/gif cannot be rendered in segments/) }),
    );
    expect(() => validateSegmentSettings(gif)).toThrow(expect.objectContaining({ code: EncodeErrors.SETTINGS_INVALID }));
    expect(() => validateSegmentSettings(mp4)).not.toThrow();
    expect(() => validateSegmentSettings({ ...mp4, crf: 18, bitrate: "2M" })).toThrow(expect.objectContaining({ code: EncodeErrors.SETTINGS_INVALID }));
  });
});
