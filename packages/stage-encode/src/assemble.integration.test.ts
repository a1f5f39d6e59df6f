/**
 * Segment assembly with real ffmpeg: the same 90 synthetic frames (testsrc2 with a moving alpha
 * ramp, 320x180) are encoded whole and as three segments [0,30) [30,60) [60,90) with the segment
 * args, then joined. Checks: exact frame count, the joined video decodes to exactly the segments'
 * frames (stream copy is lossless), PSNR against the whole render, a keyframe at each segment
 * start, audio cut to frames/fps, tags and HDR/alpha metadata kept.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFfmpeg, findFfprobe, liveTempDirs, runProcess, type EncodeSettings, type Fps } from "@frameloom/shared-helpers";
import { assembleArgs, assembleSegments, concatList, durationArg, type AssembleSegment } from "./assemble.js";
import { EncodeErrors } from "./errors.js";
import { buildFfmpegArgs, videoFilter } from "./ffmpegArgs.js";

const W = 320;
const H = 180;
const FRAMES = 90;
const RANGES = [
  { from: 0, to: 30 },
  { from: 30, to: 60 },
  { from: 60, to: 90 },
];
const ffmpeg = findFfmpeg();
const ffprobe = findFfprobe();
let dir: string;
let framesDir: string;
let aacAudio: string;
let wavAudio: string;

// Copied from packages/kernel/src/presets.ts (stage-encode must not import the kernel).
const HDR10_METADATA =
  "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400:hdr10=1:hdr10-opt=1";
const h264: EncodeSettings = {
  format: "mp4", codec: "libx264", pixelFormat: "yuv420p", speed: "medium", crf: 18, alpha: false,
  colour: { primaries: "bt709", transfer: "bt709", matrix: "bt709", range: "tv" },
};
const hdr10: EncodeSettings = {
  format: "mp4", codec: "libx265", pixelFormat: "yuv420p10le", speed: "veryfast", crf: 18, alpha: false,
  colour: { primaries: "bt2020", transfer: "smpte2084", matrix: "bt2020nc", range: "tv" },
  codecParams: HDR10_METADATA,
};
const webmAlpha: EncodeSettings = { format: "webm", codec: "libvpx-vp9", pixelFormat: "yuva420p", speed: "good", crf: 30, alpha: true };
const prores4444: EncodeSettings = { format: "mov", codec: "prores_ks", pixelFormat: "yuva444p10le", alpha: true };
const pngSeq: EncodeSettings = { format: "png-sequence", codec: "png", pixelFormat: "rgba", alpha: true };

/** Encodes frames [from, to) of the test frames with the stage's own args. */
async function encode(settings: EncodeSettings, fps: Fps, from: number, to: number, out: string, segment: boolean): Promise<string> {
  if (settings.format === "png-sequence") await mkdir(out, { recursive: true });
  const args = buildFfmpegArgs({
    width: W, height: H, fps, frames: to - from, outputPath: out, settings, segment,
    input: { kind: "files", encoding: "png", pattern: path.join(framesDir, "frame_%06d.png"), startNumber: from },
  });
  await runProcess(ffmpeg, args, { label: "test encode" });
  return out;
}

/** Whole render plus three segments, in a fresh directory. */
async function renders(name: string, settings: EncodeSettings, fps: Fps, ext: string) {
  const where = await mkdtemp(path.join(dir, `${name}-`));
  const whole = await encode(settings, fps, 0, FRAMES, path.join(where, `whole${ext}`), false);
  const segments: AssembleSegment[] = [];
  for (const [i, r] of RANGES.entries()) {
    segments.push({ ...r, path: await encode(settings, fps, r.from, r.to, path.join(where, `seg${i}${ext}`), true) });
  }
  return { where, whole, segments, output: path.join(where, `joined${ext}`) };
}

/** One md5 per decoded video frame (`decoder`: e.g. libvpx-vp9 to decode VP9 alpha). */
async function frameMd5s(file: string, pixFmt: string, decoder: string[] = []): Promise<string[]> {
  const r = await runProcess(ffmpeg, ["-v", "error", ...decoder, "-i", file, "-map", "0:v:0", "-pix_fmt", pixFmt, "-f", "framemd5", "-"]);
  return r.stdout
    .toString()
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(",").at(-1)!.trim());
}

/** Frames paired by index in one time base: webm timestamps are in ms, and with Opus video starts at 7 ms (the pre-skip shift). */
const byIndex = "settb=1/30,setpts=N";

async function runPsnr(inputs: string[], a: string, b: string): Promise<number> {
  const r = await runProcess(ffmpeg, ["-hide_banner", ...inputs, "-lavfi", `${a}[a];${b}[b];[a][b]psnr`, "-f", "null", "-"]);
  const m = /PSNR .*average:(inf|[\d.]+)/.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  return m![1] === "inf" ? Infinity : Number(m![1]);
}

/** Average PSNR (dB, all planes) of b against a; Infinity when identical. */
function psnr(a: string, b: string, pixFmt: string, decoder: string[] = []): Promise<number> {
  return runPsnr([...decoder, "-i", a, ...decoder, "-i", b], `[0:v]format=${pixFmt},${byIndex}`, `[1:v]format=${pixFmt},${byIndex}`);
}

/** PSNR of an encode against the source frames converted exactly as the encoder input was (videoFilter). */
function psnrVsSource(file: string, settings: EncodeSettings, decoder: string[] = []): Promise<number> {
  const input = { kind: "files", encoding: "png", pattern: "", startNumber: 0 } as const;
  const convert = videoFilter({ width: W, height: H, input, settings });
  return runPsnr(
    [...decoder, "-i", file, "-f", "image2", "-framerate", "30", "-start_number", "0", "-i", path.join(framesDir, "frame_%06d.png")],
    `[0:v]format=${settings.pixelFormat},${byIndex}`,
    `[1:v]${convert},${byIndex}`,
  );
}

/**
 * The joined file against the whole render. They are two lossy encodes (x264/x265/libvpx rate
 * control and lookahead stop at each segment end), so they differ by about their coding noise:
 * measured 44.8 (h264 crf 18), 49.1 (hevc crf 18), 48.5 dB (vp9 crf 30) between them, while a
 * one-frame shift measured 26 dB. So: at least 40 dB between them, and the joined file as good as
 * the whole render against the source (within 0.3 dB). That the join itself is lossless is
 * checked separately (frame md5s equal the segments').
 */
async function compareToWhole(label: string, whole: string, joined: string, settings: EncodeSettings, decoder: string[] = []) {
  const between = await psnr(whole, joined, settings.pixelFormat, decoder);
  const wholeVsSource = await psnrVsSource(whole, settings, decoder);
  const joinedVsSource = await psnrVsSource(joined, settings, decoder);
  console.log(
    `[assemble] ${label}: joined vs whole ${between.toFixed(2)} dB; vs source: whole ${wholeVsSource.toFixed(2)} dB, joined ${joinedVsSource.toFixed(2)} dB`,
  );
  expect(joinedVsSource).toBeGreaterThanOrEqual(wholeVsSource - 0.3);
  expect(between).toBeGreaterThanOrEqual(40);
}

async function probeJson(file: string, args: string[]): Promise<Record<string, unknown[]>> {
  const r = await runProcess(ffprobe, ["-v", "error", ...args, "-of", "json", file]);
  return JSON.parse(r.stdout.toString()) as Record<string, unknown[]>;
}

/** Indices of the video packets flagged as keyframes. */
async function keyframes(file: string): Promise<number[]> {
  const j = await probeJson(file, ["-select_streams", "v:0", "-show_entries", "packet=flags"]);
  return (j.packets as { flags: string }[]).flatMap((p, i) => (p.flags.includes("K") ? [i] : []));
}

/** Parameter sets seen by trace_headers: one from the sample entry, plus those repeated in-band. */
function spsCount(file: string): number {
  // spawnSync, not runProcess: the trace is far longer than runProcess's stderr tail.
  const r = spawnSync(ffmpeg, ["-hide_banner", "-v", "info", "-i", file, "-map", "0:v:0", "-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-"], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  expect(r.status, r.stderr?.slice(-2000)).toBe(0);
  return (r.stderr.match(/trace_headers.*Sequence Parameter Set/g) ?? []).length;
}

async function videoStream(file: string): Promise<Record<string, string | number>> {
  const j = await probeJson(file, ["-select_streams", "v:0", "-show_streams"]);
  return j.streams![0] as Record<string, string | number>;
}

/** The audio stream's codec, sample rate and end time (last packet's pts + duration). */
async function audioEnd(file: string): Promise<{ codec: string; sampleRate: number; end: number }> {
  const j = await probeJson(file, ["-select_streams", "a:0", "-show_entries", "stream=codec_name,sample_rate:packet=pts_time,duration_time"]);
  const s = j.streams![0] as { codec_name: string; sample_rate: string };
  const last = j.packets!.at(-1) as { pts_time: string; duration_time: string };
  return { codec: s.codec_name, sampleRate: Number(s.sample_rate), end: Number(last.pts_time) + Number(last.duration_time) };
}

const leftovers = (where: string) => readdirSync(where).filter((n) => n.includes(".assemble-"));

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "frameloom-assemble-test-"));
  framesDir = path.join(dir, "frames");
  await mkdir(framesDir);
  // testsrc2 (moving pattern, text, colour ramps) with an alpha ramp that moves 1 px a frame.
  await runProcess(ffmpeg, [
    "-v", "error", "-f", "lavfi", "-i", `testsrc2=s=${W}x${H}:r=30:d=3`,
    "-vf", "format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='clip(2*(X-N)-120,0,255)'",
    "-frames:v", String(FRAMES), "-start_number", "0", path.join(framesDir, "frame_%06d.png"),
  ]);
  aacAudio = path.join(dir, "mix.m4a");
  await runProcess(ffmpeg, ["-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=4:r=48000", "-c:a", "aac", "-b:a", "192k", aacAudio]);
  wavAudio = path.join(dir, "mix.wav");
  await runProcess(ffmpeg, ["-v", "error", "-f", "lavfi", "-i", "sine=f=330:d=4:r=48000", wavAudio]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("pure helpers", () => {
  it("durationArg is frames/fps rounded up to the microsecond, in integer arithmetic", () => {
    expect(durationArg(90, { num: 30, den: 1 })).toBe("3.000000");
    expect(durationArg(90, { num: 30000, den: 1001 })).toBe("3.003000");
    expect(durationArg(1, { num: 30000, den: 1001 })).toBe("0.033367"); // 0.0333666…
    expect(durationArg(7, { num: 24000, den: 1001 })).toBe("0.291959"); // 0.2919583…
  });

  it("concatList quotes paths (escaping ') and gives each segment its exact duration", () => {
    const text = concatList([{ path: "/a/it's.mp4", from: 0, to: 30 }, { path: "/a/b.mp4", from: 30, to: 31 }], { num: 30000, den: 1001 });
    expect(text).toBe("ffconcat version 1.0\nfile '/a/it'\\''s.mp4'\nduration 1.001000\nfile '/a/b.mp4'\nduration 0.033367\n");
  });

  it("assembleArgs copies video, copies AAC into mp4, re-encodes other audio, cuts only with audio, faststarts mp4/mov", () => {
    const base = { listPath: "/t/l.ffconcat", fps: { num: 30, den: 1 }, frames: 90, target: "/o/.x.tmp" };
    const mp4 = assembleArgs({ ...base, settings: h264, audio: { path: "/a.m4a", codec: "aac" } });
    const at = (a: string[], f: string) => a[a.indexOf(f) + 1];
    expect(at(mp4, "-c:v")).toBe("copy");
    expect(at(mp4, "-c:a")).toBe("copy");
    expect(at(mp4, "-t")).toBe("3.000000");
    expect(at(mp4, "-movflags")).toBe("+faststart");
    expect(at(mp4, "-color_trc")).toBe("bt709");
    expect(mp4.slice(-3)).toEqual(["-f", "mp4", "/o/.x.tmp"]);
    const mov = assembleArgs({ ...base, settings: prores4444, audio: { path: "/a.wav", codec: "pcm_s16le" } });
    expect([at(mov, "-c:a"), at(mov, "-b:a"), at(mov, "-movflags")]).toEqual(["aac", "192k", "+faststart"]);
    const webm = assembleArgs({ ...base, settings: webmAlpha, audio: { path: "/a.m4a", codec: "aac" } });
    expect([at(webm, "-c:a"), at(webm, "-b:a")]).toEqual(["libopus", "128k"]);
    expect(webm).not.toContain("-movflags");
    const silent = assembleArgs({ ...base, settings: h264 });
    expect(silent).not.toContain("-t");
    expect(silent).not.toContain("-c:a");
  });
});

describe("assembleSegments", () => {
  it("H.264 mp4 at 30000/1001 with AAC audio: lossless join, PSNR vs whole, keyframes, audio cut, faststart, tags", async () => {
    const fps = { num: 30000, den: 1001 };
    const r = await renders("h264", h264, fps, ".mp4");
    const res = await assembleSegments({ segments: r.segments, settings: h264, fps, frames: FRAMES, audioPath: aacAudio, output: r.output });
    expect(res).toMatchObject({ output: r.output, frames: FRAMES });
    expect(res.assembleMs).toBeGreaterThan(0);

    const joined = await frameMd5s(r.output, "yuv420p");
    expect(joined).toHaveLength(FRAMES);
    const parts = (await Promise.all(r.segments.map((s) => frameMd5s(s.path, "yuv420p")))).flat();
    expect(joined).toEqual(parts);
    await compareToWhole("h264 crf18 medium", r.whole, r.output, h264);
    expect(await keyframes(r.output)).toEqual(expect.arrayContaining([0, 30, 60]));
    expect(spsCount(r.output)).toBeGreaterThanOrEqual(1 + RANGES.length); // repeat-headers: SPS in-band at each start

    const v = await videoStream(r.output);
    expect(v).toMatchObject({ codec_name: "h264", r_frame_rate: "30000/1001", color_primaries: "bt709", color_transfer: "bt709", color_space: "bt709", color_range: "tv" });
    const audio = await audioEnd(r.output);
    expect(audio.codec).toBe("aac");
    expect(Math.abs(audio.end - (FRAMES * 1001) / 30000)).toBeLessThanOrEqual(1024 / audio.sampleRate);
    const bytes = readFileSync(r.output);
    expect(bytes.indexOf("moov")).toBeLessThan(bytes.indexOf("mdat"));
    expect(leftovers(r.where)).toEqual([]);
  });

  it("HEVC 10-bit PQ (hdr10 preset): mastering display and content light SEI at every segment start, BT.2020 PQ tags", async () => {
    const fps = { num: 30, den: 1 };
    const r = await renders("hevc", hdr10, fps, ".mp4");
    await assembleSegments({ segments: r.segments, settings: hdr10, fps, frames: FRAMES, output: r.output });

    const joined = await frameMd5s(r.output, "yuv420p10le");
    expect(joined).toHaveLength(FRAMES);
    expect(joined).toEqual((await Promise.all(r.segments.map((s) => frameMd5s(s.path, "yuv420p10le")))).flat());
    await compareToWhole("hevc hdr10 crf18 veryfast", r.whole, r.output, hdr10);
    expect(await keyframes(r.output)).toEqual(expect.arrayContaining([0, 30, 60]));
    expect(spsCount(r.output)).toBeGreaterThanOrEqual(1 + RANGES.length);

    expect(await videoStream(r.output)).toMatchObject({
      codec_name: "hevc", codec_tag_string: "hvc1", profile: "Main 10", pix_fmt: "yuv420p10le",
      color_primaries: "bt2020", color_transfer: "smpte2084", color_space: "bt2020nc", color_range: "tv",
    });
    const j = await probeJson(r.output, ["-select_streams", "v:0", "-show_frames", "-show_entries", "frame=key_frame:frame_side_data=side_data_type,max_content,max_average,max_luminance"]);
    const frames = j.frames as { key_frame: number; side_data_list?: Record<string, string | number>[] }[];
    for (const start of [0, 30, 60]) {
      const sd = frames[start]!.side_data_list ?? [];
      expect(frames[start]!.key_frame).toBe(1);
      expect(sd.find((d) => d.side_data_type === "Mastering display metadata")).toMatchObject({ max_luminance: "10000000/10000" });
      expect(sd.find((d) => d.side_data_type === "Content light level metadata")).toMatchObject({ max_content: 1000, max_average: 400 });
    }
  });

  it("VP9 webm with alpha: alpha_mode=1 kept, alpha decodes as in the segments, audio re-encoded to Opus and cut", async () => {
    const fps = { num: 30, den: 1 };
    const r = await renders("vp9", webmAlpha, fps, ".webm");
    await assembleSegments({ segments: r.segments, settings: webmAlpha, fps, frames: FRAMES, audioPath: aacAudio, output: r.output });

    const vp9 = ["-c:v", "libvpx-vp9"]; // the native decoder drops alpha
    const joined = await frameMd5s(r.output, "yuva420p", vp9);
    expect(joined).toHaveLength(FRAMES);
    expect(joined).toEqual((await Promise.all(r.segments.map((s) => frameMd5s(s.path, "yuva420p", vp9)))).flat());
    await compareToWhole("vp9 alpha crf30 good", r.whole, r.output, webmAlpha, vp9);
    expect(await keyframes(r.output)).toEqual(expect.arrayContaining([0, 30, 60]));

    // AlphaMode = 1 in the track header (EBML id 0x53C0, size 1, value 1), before the first Cluster.
    // ffprobe alone cannot tell: the copied stream tags add an ALPHA_MODE SimpleTag that hides the element.
    const webm = readFileSync(r.output);
    const header = webm.subarray(0, webm.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75])));
    expect(header.indexOf(Buffer.from([0x53, 0xc0, 0x81, 0x01]))).toBeGreaterThan(0);
    const j = await probeJson(r.output, ["-select_streams", "v:0", "-show_entries", "stream_tags"]);
    const tags = (j.streams![0] as { tags: Record<string, string> }).tags;
    expect(tags.alpha_mode ?? tags.ALPHA_MODE).toBe("1");
    // The alpha ramp itself: transparent at the left, opaque at the right of the last frame.
    const raw = (await runProcess(ffmpeg, ["-v", "error", ...vp9, "-i", r.output, "-vf", "select=eq(n\\,89)", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgba", "-"])).stdout;
    const alphaAt = (x: number) => raw[(90 * W + x) * 4 + 3] as number;
    expect(alphaAt(2)).toBeLessThan(20);
    expect(alphaAt(W - 3)).toBeGreaterThan(235);
    // Segments of 10 frames start at 333.33 ms, 666.67 ms: every frame still carries the whole render's timestamp
    // (N/fps rounded to the ms), not the offset plus a rounded local time (366 where the whole render has 367).
    const tenths: AssembleSegment[] = [];
    for (const from of [0, 10, 20]) tenths.push({ from, to: from + 10, path: await encode(webmAlpha, fps, from, from + 10, path.join(r.where, `ten${from}.webm`), true) });
    const wholeTen = await encode(webmAlpha, fps, 0, 30, path.join(r.where, "whole-ten.webm"), false);
    const silent = path.join(r.where, "joined-ten.webm");
    await assembleSegments({ segments: tenths, settings: webmAlpha, fps, frames: 30, output: silent });
    const pts = async (file: string) =>
      (await runProcess(ffprobe, ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts", "-of", "csv=p=0", file])).stdout.toString().trim().split("\n");
    expect(await pts(silent)).toEqual(await pts(wholeTen));
    const audio = await audioEnd(r.output);
    expect(audio.codec).toBe("opus");
    expect(Math.abs(audio.end - 3)).toBeLessThanOrEqual(960 / 48000);
  });

  it("ProRes 4444 mov with alpha and WAV audio: identical to the whole render, audio to AAC, faststart", async () => {
    const fps = { num: 30, den: 1 };
    const r = await renders("prores", prores4444, fps, ".mov");
    await assembleSegments({ segments: r.segments, settings: prores4444, fps, frames: FRAMES, audioPath: wavAudio, output: r.output });

    const joined = await frameMd5s(r.output, "yuva444p12le");
    expect(joined).toHaveLength(FRAMES);
    expect(joined).toEqual((await Promise.all(r.segments.map((s) => frameMd5s(s.path, "yuva444p12le")))).flat());
    const db = await psnr(r.whole, r.output, "yuva444p12le");
    console.log(`[assemble] prores 4444: joined vs whole PSNR ${db} dB`);
    expect(db).toBe(Infinity); // intra-only: every frame is encoded alone, so the join is the whole render
    const v = await videoStream(r.output);
    expect(String(v.profile)).toMatch(/4444/);
    expect(String(v.pix_fmt)).toMatch(/^yuva444p1[02]le$/);
    const audio = await audioEnd(r.output);
    expect(audio.codec).toBe("aac");
    expect(Math.abs(audio.end - 3)).toBeLessThanOrEqual(1024 / audio.sampleRate);
    const bytes = readFileSync(r.output);
    expect(bytes.indexOf("moov")).toBeLessThan(bytes.indexOf("mdat"));
  });

  it("png-sequence: numbered from frame_000001.png like a whole render, byte-identical files", async () => {
    const fps = { num: 30, den: 1 };
    const r = await renders("png", pngSeq, fps, "");
    const res = await assembleSegments({ segments: r.segments, settings: pngSeq, fps, frames: FRAMES, output: r.output });
    expect(res.frames).toBe(FRAMES);
    const names = readdirSync(r.output).sort();
    expect(names).toEqual(readdirSync(r.whole).sort());
    expect(names).toHaveLength(FRAMES);
    expect(names[0]).toBe("frame_000001.png");
    for (const n of names) expect(readFileSync(path.join(r.output, n)).equals(readFileSync(path.join(r.whole, n))), n).toBe(true);
    expect(leftovers(r.where)).toEqual([]);
  });
});

describe("assembleSegments errors", () => {
  let segs: AssembleSegment[];
  let where: string;
  const fps = { num: 30, den: 1 };
  const draft: EncodeSettings = { ...h264, speed: "ultrafast", crf: 28 };

  beforeAll(async () => {
    const r = await renders("errors", draft, fps, ".mp4");
    segs = r.segments;
    where = r.where;
  });

  async function fails(over: Partial<Parameters<typeof assembleSegments>[0]>, code: string, reason?: string, segment?: number) {
    const output = path.join(where, "out.mp4");
    const temps = liveTempDirs().length;
    const err = await assembleSegments({ segments: segs, settings: draft, fps, frames: FRAMES, output, ...over }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code });
    if (reason) expect(err).toMatchObject({ details: { reason, segment } });
    expect(existsSync(output)).toBe(false);
    expect(leftovers(where)).toEqual([]);
    expect(liveTempDirs()).toHaveLength(temps);
    return err as Error;
  }

  it("a gap names the segment", async () => {
    const e = await fails(
      { segments: [segs[0]!, { ...segs[2]!, from: 61, to: 91 }], frames: 60 },
      EncodeErrors.SEGMENTS_INVALID, "gap", 1,
    );
    expect(e.message).toMatch(/^segment 1 \[61, 91\) \(seg2\.mp4\): frames \[30, 61\) are in no segment$/);
  });

  it("an overlap names the segment", async () => {
    await fails({ segments: [segs[0]!, { ...segs[1]!, from: 29, to: 59 }, segs[2]!], frames: 90 }, EncodeErrors.SEGMENTS_INVALID, "overlap", 1);
  });

  it("a missing segment file names the segment", async () => {
    const e = await fails({ segments: [segs[0]!, { ...segs[1]!, path: path.join(where, "gone.mp4") }, segs[2]!] }, EncodeErrors.SEGMENTS_INVALID, "missing", 1);
    expect(e.message).toContain("gone.mp4");
  });

  it("a segment whose frame count is not to - from names it", async () => {
    const shortFile = await encode(draft, fps, 60, 89, path.join(where, "short.mp4"), true);
    await fails({ segments: [segs[0]!, segs[1]!, { path: shortFile, from: 60, to: 90 }] }, EncodeErrors.SEGMENTS_INVALID, "frames", 2);
  });

  it("a file that is not a video segment is unreadable", async () => {
    const junk = path.join(where, "junk.mp4");
    await writeFile(junk, "not a video");
    await fails({ segments: [segs[0]!, segs[1]!, { path: junk, from: 60, to: 90 }] }, EncodeErrors.SEGMENTS_INVALID, "unreadable", 2);
  });

  it("frames unlike the segments, gif, audio for png-sequence and an audio file without audio are refused before any write", async () => {
    await fails({ frames: 89 }, EncodeErrors.INPUT_INVALID);
    const gifErr = await fails({ settings: { format: "gif", codec: "gif", pixelFormat: "rgba", alpha: true } }, EncodeErrors.SETTINGS_INVALID);
    expect(gifErr.message).toMatch(/gif cannot be rendered in segments/);
    await fails({ settings: pngSeq, audioPath: aacAudio }, EncodeErrors.INPUT_INVALID);
    const silent = await fails({ audioPath: segs[0]!.path }, EncodeErrors.INPUT_INVALID);
    expect(silent.message).toMatch(/seg0\.mp4 cannot be used \(it has no audio stream\)/);
  });

  it("never replaces a directory; replaces an existing file only by the rename", async () => {
    const asDir = path.join(where, "taken.mp4");
    await mkdir(asDir);
    await writeFile(path.join(asDir, "keep"), "x");
    await expect(assembleSegments({ segments: segs, settings: draft, fps, frames: FRAMES, output: asDir })).rejects.toMatchObject({
      code: EncodeErrors.OUTPUT_UNWRITABLE,
    });
    expect(readFileSync(path.join(asDir, "keep"), "utf8")).toBe("x");

    const file = path.join(where, "again.mp4");
    await writeFile(file, "old");
    await assembleSegments({ segments: segs, settings: draft, fps, frames: FRAMES, output: file });
    expect((await videoStream(file)).codec_name).toBe("h264");
    expect(leftovers(where)).toEqual([]);
  });

  /** Runs `body` with FFMPEG_PATH pointing at a shell stand-in that writes junk to the output (its last argument). */
  async function withFakeFfmpeg(stderr: string, exitCode: number, body: () => Promise<void>) {
    const fake = path.join(where, `fake-ffmpeg-${exitCode}-${stderr.length}`);
    await writeFile(fake, `#!/bin/sh\nfor a; do last=$a; done\nprintf junk > "$last"\nprintf '%s\\n' '${stderr}' >&2\nexit ${exitCode}\n`, { mode: 0o755 });
    const before = process.env.FFMPEG_PATH;
    process.env.FFMPEG_PATH = fake;
    try {
      await body();
    } finally {
      if (before === undefined) delete process.env.FFMPEG_PATH;
      else process.env.FFMPEG_PATH = before;
      await rm(fake, { force: true });
    }
  }

  it("ffmpeg 5.1 exiting 0 after 'No space left on device' is FLM_ERR_ENCODE_DISK_FULL, and nothing is renamed", async () => {
    await withFakeFfmpeg("[mp4 @ 0x1] Error writing trailer: No space left on device", 0, async () => {
      const e = await fails({}, EncodeErrors.DISK_FULL);
      expect(e.message).toContain("No space left on device");
    });
  });

  it("ffmpeg exiting 0 with a file ffprobe cannot read is FLM_ERR_ENCODE_OUTPUT_INVALID", async () => {
    await withFakeFfmpeg("all fine", 0, async () => {
      await fails({}, EncodeErrors.OUTPUT_INVALID);
    });
  });

  it("ffmpeg failing is FLM_ERR_ENCODE_FFMPEG_FAILED with its stderr tail", async () => {
    await withFakeFfmpeg("concat: something broke", 1, async () => {
      const e = await fails({}, EncodeErrors.FFMPEG_FAILED);
      expect(e.message).toContain("concat: something broke");
    });
  });

  it("an aborted signal stops it with FLM_ERR_ABORTED and leaves nothing", async () => {
    const ac = new AbortController();
    ac.abort();
    await fails({ signal: ac.signal }, "FLM_ERR_ABORTED");
  });

  it("an abort while ffmpeg runs kills it and leaves no output and no temp file", async () => {
    const ac = new AbortController();
    let pid: number | undefined;
    await fails(
      {
        signal: ac.signal,
        audioPath: aacAudio,
        onSpawn: (child) => {
          pid = child.pid;
          ac.abort();
        },
      },
      "FLM_ERR_ABORTED",
    );
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid!, 0)).toThrow(); // gone, not merely orphaned
  });
});
