// runPlanStage with real ffprobe: one probe per file, the HDR decision and why, the output it picks, the soundtrack's sounds.
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFfprobe, type Composition, type MediaSource, type PlannedOutput, type RenderConfig } from "@frameloom/shared-helpers";
import { runPlanStage, stage, withContentLight } from "./planStage.js";

const run = promisify(execFile);
let dir: string;

const sdr: PlannedOutput = { preset: "standard", encode: { format: "mp4", codec: "libx264", pixelFormat: "yuv420p", alpha: false }, capture: { encoding: "jpeg", quality: 95, transparent: false } };
const hevc = (transfer: string, codecParams?: string): PlannedOutput => ({
  preset: transfer === "smpte2084" ? "hdr10" : "hlg",
  encode: { format: "mp4", codec: "libx265", pixelFormat: "yuv420p10le", alpha: false, colour: { primaries: "bt2020", transfer, matrix: "bt2020nc", range: "tv" }, codecParams },
  capture: { encoding: "png", quality: 100, transparent: true },
});
const HDR10 = "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400:hdr10=1";

function config(over: Partial<RenderConfig> = {}): RenderConfig {
  return {
    input: dir, output: path.join(dir, "out.mp4"), workers: 1, route: "auto", strict: false,
    presets: { requested: sdr, hdr: { pq: hevc("smpte2084", HDR10), hlg: hevc("arib-std-b67") } },
    hdrMode: "auto", hdrCompositor: "native", ...over,
  };
}

const source = (over: Partial<MediaSource>): MediaSource => ({
  kind: "audio", path: path.join(dir, "tone.wav"), id: "a", start: 0, duration: null, mediaStart: 0, hasAudio: true, ...over,
});
const composition = (media: MediaSource[]): Composition => ({
  id: "main", projectDir: dir, entryFile: path.join(dir, "index.html"), entryUrlPath: "index.html", html: "<html></html>",
  width: 320, height: 180, fps: { num: 30, den: 1 }, durationSec: 2, totalFrames: 60, media,
});
function context(cfg = config()) {
  const warnings: string[] = [];
  return { ctx: { config: cfg, signal: new AbortController().signal, warn: (m: string) => void warnings.push(m) }, warnings };
}
const plan = async (media: MediaSource[], cfg = config()) => {
  const { ctx, warnings } = context(cfg);
  const { plan } = await runPlanStage({ composition: composition(media), range: { from: 0, to: 60 } }, ctx);
  return { plan, warnings };
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "flm-plan-"));
  const ff = (args: string[]) => run("ffmpeg", ["-v", "error", "-y", ...args]);
  await ff(["-f", "lavfi", "-i", "sine=frequency=1000:duration=1", path.join(dir, "tone.wav")]);
  await ff(["-f", "lavfi", "-i", "color=c=black:s=32x16:r=10:d=1", "-c:v", "libx264", "-preset", "ultrafast", path.join(dir, "silent.mp4")]);
  await ff(["-f", "lavfi", "-i", "color=c=gray:s=64x32:r=30:d=1", "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le", "-x265-params", "log-level=error",
    "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", path.join(dir, "pq.mp4")]);
  await ff(["-f", "lavfi", "-i", "color=c=gray:s=64x32:r=30:d=1", "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le", "-x265-params", "log-level=error",
    "-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc", path.join(dir, "hlg.mp4")]);
  await writeFile(path.join(dir, "junk.mp4"), "not a video");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("plan stage", () => {
  it("meta: after compile, provides the one RenderPlan", () => {
    expect(stage.meta).toEqual({
      name: "plan", kernel: "^2.0.0",
      needs: { config: "RenderConfig", composition: "Composition", range: "FrameRange" },
      provides: { plan: "RenderPlan" },
    });
  });

  it("probes each media file once, even when two elements share it, and the plan is JSON", async () => {
    const log = path.join(dir, "probes.log");
    const wrapper = path.join(dir, "ffprobe-counting.sh");
    await writeFile(wrapper, `#!/bin/sh\necho "$@" >> ${log}\nexec ${findFfprobe()} "$@"\n`);
    await chmod(wrapper, 0o755);
    const before = process.env.FFPROBE_PATH;
    process.env.FFPROBE_PATH = wrapper;
    try {
      const { plan: p } = await plan([
        source({ kind: "video", id: "v1", path: path.join(dir, "silent.mp4") }),
        source({ kind: "video", id: "v2", path: path.join(dir, "silent.mp4"), start: 1 }),
        source({ id: "a1" }),
      ]);
      const lines = (await readFile(log, "utf8")).trim().split("\n");
      expect(lines.filter((l) => l.includes("silent.mp4"))).toHaveLength(1);
      expect(lines.filter((l) => l.includes("tone.wav"))).toHaveLength(1);
      expect(Object.keys(p.media).sort()).toEqual(["a1", "v1", "v2"]);
      expect(p.media.v1!.video).toMatchObject({ width: 32, height: 16, transfer: "sdr" });
      expect(JSON.parse(JSON.stringify(p))).toEqual(p);
    } finally {
      if (before === undefined) delete process.env.FFPROBE_PATH;
      else process.env.FFPROBE_PATH = before;
    }
  });

  it("decides HDR once, and says why: source, --sdr, --hdr without a source, an HDR preset, an SDR-only format", async () => {
    const pq = source({ kind: "video", id: "clip", path: path.join(dir, "pq.mp4"), hasAudio: false });
    const hlg = source({ kind: "video", id: "h", path: path.join(dir, "hlg.mp4"), hasAudio: false });
    const auto = await plan([pq, hlg]);
    expect(auto.plan.hdr).toEqual({ mode: "auto", transfer: "pq", reason: '<video id="clip"> is PQ (smpte2084)' });
    expect(auto.plan.output.preset).toBe("hdr10");
    expect(auto.plan.layers).toEqual({ output: "pq", compositor: "native", alpha: false, mediaIds: ["clip", "h"] });
    expect(auto.plan.composition.media[0]!.transfer).toBe("pq");
    expect((await plan([hlg])).plan.output.preset).toBe("hlg");
    const forcedSdr = await plan([pq], config({ hdrMode: "sdr" }));
    expect(forcedSdr.plan.hdr).toMatchObject({ transfer: null, reason: "--sdr forces SDR" });
    expect(forcedSdr.plan.layers).toMatchObject({ output: "sdr", mediaIds: ["clip"] });
    const forcedHdr = await plan([], config({ hdrMode: "hdr" }));
    expect(forcedHdr.plan.hdr.transfer).toBe("hlg");
    expect(forcedHdr.warnings).toEqual([expect.stringContaining("--hdr with no HDR source")]);
    const preset = await plan([], config({ presets: { requested: hevc("smpte2084", HDR10), hdr: null } }));
    expect(preset.plan.hdr).toMatchObject({ transfer: "pq", reason: "the hdr10 preset writes PQ" });
    const webm = await plan([pq], config({ presets: { requested: { ...sdr, preset: "webm-alpha", encode: { ...sdr.encode, format: "webm" } }, hdr: null } }));
    expect(webm.plan.hdr.transfer).toBeNull();
    expect(webm.warnings).toEqual([expect.stringContaining("webm output is SDR only")]);
    expect((await plan([])).plan).toMatchObject({ hdr: { transfer: null, reason: "no HDR source" }, layers: null, contentLight: null });
  });

  it("a PQ output carries the measured content light level in its HDR10 metadata", async () => {
    const { plan: p } = await plan([source({ kind: "video", id: "clip", path: path.join(dir, "pq.mp4"), hasAudio: false })]);
    expect(p.contentLight).not.toBeNull();
    expect(p.output.encode.codecParams).toContain(`max-cll=${p.contentLight!.maxCll},${p.contentLight!.maxFall}`);
    expect(p.output.encode.codecParams).not.toContain("max-cll=1000,400");
    expect(withContentLight(hevc("smpte2084", HDR10).encode, 600.4, 250).codecParams).toContain("max-cll=600,250:hdr10=1");
  });

  it("plans the soundtrack: a video without audio dropped silently, an <audio> without one or unreadable warned, a long slot shortened", async () => {
    const dropped = await plan([source({ kind: "video", path: path.join(dir, "silent.mp4") }), source({ id: "x", path: path.join(dir, "silent.mp4") })]);
    expect(dropped.plan.audio).toEqual([]);
    expect(dropped.warnings).toEqual([expect.stringContaining('<audio id="x">')]);
    const unreadable = await plan([source({ path: path.join(dir, "junk.mp4") })]);
    expect(unreadable.plan.audio).toEqual([]);
    expect(unreadable.warnings[0]).toContain("cannot be read");
    const long = await plan([source({ duration: 2, start: 0.25, volume: 0.5 })]);
    expect(long.warnings).toEqual([expect.stringContaining("shortened")]);
    expect(long.plan.audio).toEqual([{ id: "a", path: path.join(dir, "tone.wav"), start: 0.25, length: expect.closeTo(1, 2), mediaStart: 0, rate: 1, volume: 0.5, channels: 1 }]);
    const gif = await plan([source({})], config({ presets: { requested: { ...sdr, preset: "gif", encode: { ...sdr.encode, format: "gif" } }, hdr: null } }));
    expect(gif.plan.audio).toEqual([]);
  });

  it("fails on an unreadable video naming the element; refuses a playlist naming the element", async () => {
    await expect(plan([source({ kind: "video", id: "bad", path: path.join(dir, "junk.mp4") })])).rejects.toMatchObject({
      code: "FLM_ERR_MEDIA_PROBE",
      message: expect.stringContaining('<video id="bad"> src'),
    });
    const playlist = path.join(dir, "list.mp3");
    const segment = path.join(dir, "tone.m4a");
    await run("ffmpeg", ["-v", "error", "-y", "-i", path.join(dir, "tone.wav"), "-c:a", "aac", segment]);
    await writeFile(playlist, `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n${segment}\n#EXT-X-ENDLIST\n`);
    for (const kind of ["audio", "video"] as const) {
      await expect(plan([source({ kind, id: "p", path: playlist })])).rejects.toMatchObject({
        code: "FLM_ERR_MEDIA_FORMAT_REFUSED",
        message: expect.stringContaining(`<${kind} id="p">`),
      });
    }
  });
});
