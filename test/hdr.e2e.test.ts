/**
 * HDR end to end (DESIGN.md "HDR facts", COMPOSITION.md §5, docs/hdr-native.md): PQ and HLG output
 * tags and metadata, DOM white levels, video fidelity, workers, paint order, reference compositor,
 * --hdr / --sdr / non-MP4 fallbacks, SDR video inside HDR, DOM layer re-use, cleanup.
 * Small sizes (320×180, 15–21 frames) to keep the file under ~2 minutes on 2 cores.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import { render } from "@frameloom/cli";
import { stage as captureStage } from "@frameloom/stage-capture";
import { compositeStage } from "@frameloom/stage-hdr-native";
import type { Frame, LayeredFrame } from "@frameloom/shared-helpers";
import { page, sandbox, type Sandbox } from "./helpers/sandbox.js";
import { leftovers } from "./helpers/procs.js";
import { decodeFrame, near, pixel } from "./helpers/media.js";
import {
  cliJson,
  compareVideos,
  decodeYuv10,
  firstFrameSideData,
  hlgEncode,
  makeClip,
  maxDev,
  mean,
  pqEncode,
  probeVideo,
  psnrY,
  yCode,
  type Rect,
  type Yuv10Frame,
} from "./helpers/hdr.js";

const run = promisify(execFile);
const W = 320, H = 180;
const WHITE_PQ = yCode(pqEncode(203)); // 572.6
const WHITE_HLG = yCode(hlgEncode(203)); // 720.9

/**
 * Layout (output pixels; the 160×90 clip is placed 1:1 at the origin so source pixel = output pixel):
 *   #zabove  white, z-index 1, BEFORE the video in tree order       x112–144 y8–32   (inside the video)
 *   #under   green, z-index −1                                        x64–192 y64–128 (half under the video)
 *   #v       the HDR video                                            x0–160  y0–90
 *   #after   white, after the video in tree order                     x112–144 y40–56  (inside the video)
 *   #half    white, opacity 0.5, after the video                      x112–144 y64–80  (inside the video)
 *   #white   white, away from everything                              x208–304 y136–176
 */
const R = {
  video: { x: 0, y: 0, w: 96, h: 88 } as Rect, // untouched video, including #under's hidden corner (x64–96 y64–88)
  underHidden: { x: 66, y: 66, w: 28, h: 20 } as Rect,
  underVisible: { x: 164, y: 98, w: 24, h: 26 } as Rect,
  zabove: { x: 116, y: 12, w: 24, h: 16 } as Rect,
  after: { x: 116, y: 44, w: 24, h: 8 } as Rect,
  half: { x: 116, y: 68, w: 24, h: 8 } as Rect,
  white: { x: 216, y: 140, w: 80, h: 32 } as Rect,
};

function hdrPage(clip: string, extraBody = "", duration = "0.5"): string {
  return page({
    id: "hdr",
    width: W,
    height: H,
    duration,
    // #root is a stacking context (z-index 0) so #under's z-index −1 paints above the body background
    // (CSS 2.1 Appendix E: in the root context, negative z-index children paint before the body's background).
    style: `#root { z-index:0; }
    #under { left:64px; top:64px; width:128px; height:64px; background:#00ff00; z-index:-1; }
    #zabove { left:112px; top:8px; width:32px; height:24px; background:#ffffff; z-index:1; }
    #v { left:0; top:0; width:160px; height:90px; }
    #after { left:112px; top:40px; width:32px; height:16px; background:#ffffff; }
    #half { left:112px; top:64px; width:32px; height:16px; background:#ffffff; opacity:0.5; }
    #white { left:208px; top:136px; width:96px; height:40px; background:#ffffff; }`,
    body: `<div class="blk" id="under"></div>
<div class="blk" id="zabove"></div>
<video class="blk" id="v" src="${clip}" muted data-start="0" data-duration="1"></video>
<div class="blk" id="after"></div>
<div class="blk" id="half"></div>
<div class="blk" id="white"></div>${extraBody}`,
  });
}

/** Checks a layered render against its source clip: white levels, paint order, video fidelity. */
function checkLayout(out: Yuv10Frame[], src: Yuv10Frame[], white: number): { minPsnr: number } {
  let minPsnr = Infinity;
  out.forEach((f, i) => {
    const s = src[i]!;
    expect(Math.abs(mean(f, "y", R.white) - white), `frame ${i} white Y ${mean(f, "y", R.white)}`).toBeLessThanOrEqual(4);
    expect(maxDev(f, "y", R.white, white), `frame ${i} white Y max dev`).toBeLessThanOrEqual(5);
    expect(Math.abs(mean(f, "u", R.white) - 512), "white U").toBeLessThanOrEqual(4);
    expect(Math.abs(mean(f, "v", R.white) - 512), "white V").toBeLessThanOrEqual(4);
    // Paint order: tree order after the video, and z-index above it, both cover it.
    expect(Math.abs(mean(f, "y", R.after) - white), `frame ${i} #after (tree order) over the video`).toBeLessThanOrEqual(6);
    expect(Math.abs(mean(f, "y", R.zabove) - white), `frame ${i} #zabove (z-index 1) over the video`).toBeLessThanOrEqual(6);
    // z-index −1: hidden under the video, visible (green, well above black) beside it.
    expect(psnrY(f, R.underHidden, s), `frame ${i} #under must be hidden by the video`).toBeGreaterThanOrEqual(40);
    expect(mean(f, "y", R.underVisible), `frame ${i} #under visible outside the video`).toBeGreaterThan(300);
    // opacity 0.5 white over the (darker) video: strictly between video and white.
    const video = mean(s, "y", R.half);
    const blended = mean(f, "y", R.half);
    expect(video, "the clip is darker than white there").toBeLessThan(white - 40);
    expect(blended, `frame ${i} #half ${blended} vs video ${video} / white ${white}`).toBeGreaterThan(video + 4);
    expect(blended).toBeLessThan(white - 4);
    const p = psnrY(f, R.video, s);
    minPsnr = Math.min(minPsnr, p);
  });
  expect(minPsnr, "video region PSNR (Y) against the source").toBeGreaterThanOrEqual(45);
  return { minPsnr };
}

/** The default composite stage, with a copy of every composited (pre-encode) yuv420p10le frame kept in `into`. */
function tappedComposite(into: Buffer[]) {
  return {
    meta: compositeStage.meta,
    async run(input: Parameters<typeof compositeStage.run>[0], ctx: Parameters<typeof compositeStage.run>[1]) {
      const result = await compositeStage.run(input, ctx);
      if (result.frames.kind !== "stream") throw new Error("composite produced no frame stream");
      const source: AsyncIterable<Frame> = result.frames.frames;
      async function* tapped(): AsyncGenerator<Frame> {
        for await (const frame of source!) {
          expect(frame.encoding).toBe("yuv420p10le");
          into[frame.index] = Buffer.from(frame.data);
          yield frame;
        }
      }
      return { ...result, frames: { ...result.frames, frames: tapped() } };
    },
  };
}

/** Largest per-sample difference between two lists of raw 16-bit frames. */
function rawMaxDiff(a: Buffer[], b: Buffer[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((fa, i) => {
    const x = new Uint16Array(fa.buffer, fa.byteOffset, fa.length / 2);
    const fb = b[i]!;
    const y = new Uint16Array(fb.buffer, fb.byteOffset, fb.length / 2);
    expect(y.length).toBe(x.length);
    for (let k = 0; k < x.length; k++) worst = Math.max(worst, Math.abs(x[k]! - y[k]!));
  });
  return worst;
}

describe("HDR renders", () => {
  let box: Sandbox;
  let pqDir: string, hlgDir: string;
  let pqClip: Yuv10Frame[], hlgClip: Yuv10Frame[];
  let pqOut: Yuv10Frame[];
  const nativeRaw: Buffer[] = [];
  const env = () => ({ TMPDIR: box.tmp });
  const out = (name: string) => path.join(box.out, name);

  beforeAll(async () => {
    box = sandbox("hdr");
    pqDir = box.project("pq", hdrPage("clip.mp4"));
    hlgDir = box.project("hlg", hdrPage("clip.mp4"));
    await Promise.all([
      makeClip(path.join(pqDir, "clip.mp4"), { transfer: "pq", width: 160, height: 90, seconds: 1 }),
      makeClip(path.join(hlgDir, "clip.mp4"), { transfer: "hlg", width: 160, height: 90, seconds: 1 }),
    ]);
    [pqClip, hlgClip] = await Promise.all([decodeYuv10(path.join(pqDir, "clip.mp4")), decodeYuv10(path.join(hlgDir, "clip.mp4"))]);
  });

  afterAll(() => box?.cleanup());

  it("1. PQ end to end: HEVC Main 10, tags, HDR10 metadata, DOM white 573, video ≥ 45 dB, --json hdr", async () => {
    const r = await cliJson(["render", pqDir, "-o", out("pq.mp4"), "--workers", "1"], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.hdr).toMatchObject({ mode: "auto", transfer: "pq", compositor: "native" });
    expect(r.json.preset).toBe("hdr10");
    expect(r.json.frames).toBe(15);
    // The default browser is the headless shell (a dependency): layered capture runs on BeginFrame.
    expect(r.json.capture).toMatchObject({ browser: "shell", method: "beginframe" });
    const s = await probeVideo(out("pq.mp4"));
    expect(s).toMatchObject({
      codec_name: "hevc",
      codec_tag_string: "hvc1",
      pix_fmt: "yuv420p10le",
      color_primaries: "bt2020",
      color_transfer: "smpte2084",
      color_space: "bt2020nc",
      color_range: "tv",
      width: W,
      height: H,
    });
    const side = await firstFrameSideData(out("pq.mp4"));
    expect(side).toContain("Mastering display metadata");
    expect(side).toContain("Content light level metadata");
    pqOut = await decodeYuv10(out("pq.mp4"));
    expect(pqOut).toHaveLength(15);
    const { minPsnr } = checkLayout(pqOut, pqClip, WHITE_PQ);
    console.log(`PQ: white Y ${mean(pqOut[0]!, "y", R.white).toFixed(1)} (expected ${WHITE_PQ.toFixed(1)}), video PSNR ≥ ${minPsnr.toFixed(1)} dB`);
  });

  it("2. HLG end to end: arib-std-b67, DOM white ≈ 721, video ≥ 45 dB", async () => {
    const r = await cliJson(["render", hlgDir, "-o", out("hlg.mp4")], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.hdr).toMatchObject({ mode: "auto", transfer: "hlg", compositor: "native" });
    expect(r.json.preset).toBe("hlg");
    const s = await probeVideo(out("hlg.mp4"));
    expect(s).toMatchObject({ codec_name: "hevc", codec_tag_string: "hvc1", pix_fmt: "yuv420p10le", color_primaries: "bt2020", color_transfer: "arib-std-b67", color_space: "bt2020nc" });
    const frames = await decodeYuv10(out("hlg.mp4"));
    const { minPsnr } = checkLayout(frames, hlgClip, WHITE_HLG);
    console.log(`HLG: white Y ${mean(frames[0]!, "y", R.white).toFixed(1)} (expected ${WHITE_HLG.toFixed(1)}), video PSNR ≥ ${minPsnr.toFixed(1)} dB`);
  });

  it("3. 1 worker and 2 workers give the same frames", async () => {
    expect(pqOut, "test 1 output").toBeDefined();
    const summary = await render({ input: pqDir, output: out("pq-w2.mp4"), workers: 2, stages: { composite: tappedComposite(nativeRaw) } });
    expect(summary.workers).toBe(2);
    expect(summary.hdr).toMatchObject({ mode: "auto", transfer: "pq", compositor: "native" });
    const cmp = compareVideos(pqOut, await decodeYuv10(out("pq-w2.mp4")));
    console.log(`workers 1 vs 2: max diff ${cmp.maxDiff}, min Y PSNR ${cmp.minPsnr}`);
    expect(cmp.maxDiff === 0 || cmp.minPsnr >= 50, JSON.stringify(cmp)).toBe(true);
  });

  it("4. paint order holds with 2 workers too (z-index, tree order, z-index −1, opacity 0.5)", async () => {
    checkLayout(await decodeYuv10(out("pq-w2.mp4")), pqClip, WHITE_PQ);
  });

  it("4b. layered capture on the disk route with 2 workers equals the streaming route", async () => {
    expect(pqOut, "test 1 output").toBeDefined();
    const summary = await render({ input: pqDir, output: out("pq-disk-w2.mp4"), workers: 2, route: "disk" });
    expect([summary.route, summary.workers]).toEqual(["disk", 2]);
    const cmp = compareVideos(pqOut, await decodeYuv10(out("pq-disk-w2.mp4")));
    console.log(`streaming vs disk (2 workers): max diff ${cmp.maxDiff}, min Y PSNR ${cmp.minPsnr}`);
    expect(cmp.maxDiff === 0 || cmp.minPsnr >= 50, JSON.stringify(cmp)).toBe(true);
  });

  it("4c. the system Chromium (screenshots) gives the frames the headless shell (BeginFrame) gives", async () => {
    expect(pqOut, "test 1 output").toBeDefined();
    const summary = await render({ input: pqDir, output: out("pq-system.mp4"), workers: 1, browser: "system" });
    expect(summary.capture).toMatchObject({ browser: "system", method: "screenshot" });
    const cmp = compareVideos(pqOut, await decodeYuv10(out("pq-system.mp4")));
    console.log(`shell vs system Chromium: max diff ${cmp.maxDiff}, min Y PSNR ${cmp.minPsnr}`);
    expect(cmp.maxDiff === 0 || cmp.minPsnr >= 50, JSON.stringify(cmp)).toBe(true);
  });

  it("5a. the reference compositor composites the native frames (pre-encode, ±1 code)", async () => {
    expect(nativeRaw.length, "test 3's tapped native frames").toBe(15);
    const referenceRaw: Buffer[] = [];
    const summary = await render({ input: pqDir, output: out("pq-ref-api.mp4"), workers: 1, hdrCompositor: "reference", stages: { composite: tappedComposite(referenceRaw) } });
    expect(summary.hdr).toMatchObject({ mode: "auto", transfer: "pq", compositor: "reference" });
    const diff = rawMaxDiff(nativeRaw, referenceRaw);
    console.log(`native vs reference before encode: max diff ${diff} codes`);
    expect(diff).toBeLessThanOrEqual(1);
  });

  it("5b. --hdr-compositor reference (CLI): json says reference, encoded frames match native", async () => {
    expect(pqOut, "test 1 output").toBeDefined();
    const r = await cliJson(["render", pqDir, "-o", out("pq-ref.mp4"), "--workers", "1", "--hdr-compositor", "reference"], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.hdr).toMatchObject({ mode: "auto", transfer: "pq", compositor: "reference" });
    const cmp = compareVideos(pqOut, await decodeYuv10(out("pq-ref.mp4")));
    console.log(`native vs reference: max diff ${cmp.maxDiff}, min Y PSNR ${cmp.minPsnr}`);
    expect(cmp.maxDiff <= 2 || cmp.minPsnr >= 50, JSON.stringify(cmp)).toBe(true);
  });

  it("6a. --hdr without HDR sources: HLG with a warning, DOM white ≈ 721", async () => {
    const dir = box.project("plain", page({ width: W, height: H, duration: "0.3", style: "#w { left:40px; top:40px; width:120px; height:80px; background:#fff; }", body: '<div class="blk" id="w"></div>' }));
    const warnings: string[] = [];
    const summary = await render({ input: dir, output: out("forced.mp4"), hdr: "hdr", onWarning: (m) => warnings.push(m) });
    expect(summary.hdr).toMatchObject({ mode: "hdr", transfer: "hlg", compositor: "native" });
    expect(summary.preset).toBe("hlg");
    expect(warnings.join("\n")).toMatch(/--hdr.*no HDR source/i);
    expect(summary.warnings.join("\n")).toMatch(/no HDR source/i);
    const s = await probeVideo(out("forced.mp4"));
    expect(s).toMatchObject({ codec_name: "hevc", pix_fmt: "yuv420p10le", color_transfer: "arib-std-b67", color_primaries: "bt2020" });
    const [f] = await decodeYuv10(out("forced.mp4"));
    expect(Math.abs(mean(f!, "y", { x: 48, y: 44, w: 104, h: 72 }) - WHITE_HLG)).toBeLessThanOrEqual(4);
    expect(mean(f!, "y", { x: 200, y: 140, w: 100, h: 30 }), "black stays black").toBeLessThanOrEqual(68);
  });

  it("6b. --sdr on the PQ project: H.264 BT.709, the DOM exact, the video tone-mapped (not black, not clipped)", async () => {
    const r = await cliJson(["render", pqDir, "-o", out("sdr.mp4"), "--sdr"], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.hdr).toBeNull();
    expect(r.json.frames).toBe(15);
    const s = await probeVideo(out("sdr.mp4"));
    expect(s).toMatchObject({ codec_name: "h264", pix_fmt: "yuv420p", color_primaries: "bt709", color_transfer: "bt709", color_space: "bt709" });
    const frame = await decodeFrame(out("sdr.mp4"), 5);
    expect(near(pixel(frame, 250, 150), [255, 255, 255], 4), `white DOM ${pixel(frame, 250, 150)}`).toBe(true);
    // The video area holds the tone-mapped clip (a dark test clip: its luma is halved): lit, varied, not clipped.
    const values: number[] = [];
    for (let y = 4; y < 60; y += 4) for (let x = 4; x < 96; x += 4) {
      const [r0, g0, b0] = pixel(frame, x, y);
      values.push((r0 + g0 + b0) / 3);
    }
    const avg = values.reduce((a, b) => a + b, 0) / values.length;
    const spread = Math.max(...values) - Math.min(...values);
    expect(avg, `video area mean ${avg}`).toBeGreaterThan(12);
    expect(avg).toBeLessThan(240);
    expect(spread, "the clip's content shows").toBeGreaterThan(30);
  });

  it("6d. an SDR clip in an SDR render passes through unchanged (#808080 stays 128)", async () => {
    const dir = box.project("sdrclip", hdrPage("grey.mp4"));
    await makeClip(path.join(dir, "grey.mp4"), { transfer: "sdr", width: 160, height: 90, seconds: 1, colour: "#808080" });
    // the layered path (the default for SDR is injection, test/video-styling.e2e.test.ts)
    const summary = await render({ input: dir, output: out("sdrclip.mp4"), videoCompositing: "layered" });
    expect(summary.hdr).toBeNull();
    expect(summary.layers?.layersCaptured).toBeGreaterThan(0);
    const frame = await decodeFrame(out("sdrclip.mp4"), 3);
    const [r0, g0, b0] = pixel(frame, 40, 30);
    expect(Math.abs(r0 - 128) + Math.abs(g0 - 128) + Math.abs(b0 - 128), `grey video ${[r0, g0, b0]}`).toBeLessThanOrEqual(9);
    expect(near(pixel(frame, 250, 150), [255, 255, 255], 4)).toBe(true);
    // paint order holds in SDR too: #after (white) over the video
    expect(near(pixel(frame, 128, 48), [255, 255, 255], 6), `#after ${pixel(frame, 128, 48)}`).toBe(true);
  });

  it("6e. prores-4444-hdr: ProRes 4444, PQ / BT.2020 tags, alpha 0 where nothing paints, white at 203 nits", async () => {
    const dir = box.project(
      "prores",
      hdrPage("clip.mp4").replace("html, body { background:#000;", "html, body { background:transparent;"),
    );
    await makeClip(path.join(dir, "clip.mp4"), { transfer: "pq", width: 160, height: 90, seconds: 1 });
    const summary = await render({ input: dir, output: out("hdr.mov"), preset: "prores-4444-hdr" });
    expect(summary.hdr?.transfer).toBe("pq");
    const s = await probeVideo(out("hdr.mov"));
    expect(s).toMatchObject({ codec_name: "prores", color_primaries: "bt2020", color_transfer: "smpte2084", color_space: "bt2020nc" });
    expect(String(s.pix_fmt)).toMatch(/^yuva444p1[02]le$/);
    const { stdout } = await run("ffmpeg", ["-v", "error", "-i", out("hdr.mov"), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuva444p10le", "-"], {
      encoding: "buffer",
      maxBuffer: 64 * 1024 * 1024,
    });
    const plane = W * H;
    const at = (p: number, x: number, y: number) => stdout.readUInt16LE((p * plane + y * W + x) * 2);
    expect(at(3, 300, 100), "alpha where nothing paints").toBeLessThanOrEqual(8);
    expect(at(3, 40, 30), "alpha over the video").toBeGreaterThanOrEqual(1015);
    expect(at(3, 250, 150), "alpha on the white div").toBeGreaterThanOrEqual(1015);
    expect(Math.abs(at(0, 250, 150) - WHITE_PQ), `white Y ${at(0, 250, 150)}`).toBeLessThanOrEqual(6);
  });

  it("6c. --format webm with a PQ source: SDR webm and a warning about HDR", async () => {
    const warnings: string[] = [];
    const summary = await render({ input: pqDir, output: out("pq.webm"), format: "webm", onWarning: (m) => warnings.push(m) });
    expect(summary.hdr).toBeNull();
    expect(warnings.join("\n")).toMatch(/HDR/);
    const s = await probeVideo(out("pq.webm"));
    expect(s.codec_name).toBe("vp9");
    expect(s.color_transfer ?? "unknown").not.toMatch(/smpte2084|arib/);
  });

  it("7. an SDR BT.709 clip inside a PQ composition is converted (gamma 2.4, 203 nits)", async () => {
    const dir = box.project("mixed", hdrPage("clip.mp4", '\n<video class="blk" id="g" src="grey.mp4" muted data-start="0" data-duration="1" style="left:192px; top:16px; width:64px; height:64px"></video>', "0.3"));
    await Promise.all([
      makeClip(path.join(dir, "clip.mp4"), { transfer: "pq", width: 160, height: 90, seconds: 1 }),
      makeClip(path.join(dir, "grey.mp4"), { transfer: "sdr", width: 64, height: 64, seconds: 1, colour: "#808080" }),
    ]);
    const { stdout } = await run("ffmpeg", ["-v", "error", "-i", path.join(dir, "grey.mp4"), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"], { encoding: "buffer" });
    const y8 = stdout[32 * 64 + 32]!;
    expect(Math.abs(y8 - 126), "the SDR clip's grey code").toBeLessThanOrEqual(1);
    // docs/hdr-native.md: SDR video = BT.1886 with black 0 (pure gamma 2.4), 1.0 = 203 nits, neutral → PQ.
    const expected = yCode(pqEncode(Math.pow((y8 - 16) / 219, 2.4) * 203));
    const summary = await render({ input: dir, output: out("mixed.mp4") });
    expect(summary.hdr?.transfer).toBe("pq");
    const frames = await decodeYuv10(out("mixed.mp4"));
    const got = mean(frames[0]!, "y", { x: 196, y: 20, w: 56, h: 56 });
    console.log(`SDR #808080 (Y8 ${y8}) in PQ: Y ${got.toFixed(1)}, expected ${expected.toFixed(1)}`);
    expect(Math.abs(got - expected)).toBeLessThanOrEqual(6);
    expect(Math.abs(mean(frames[0]!, "u", { x: 196, y: 20, w: 56, h: 56 }) - 512)).toBeLessThanOrEqual(4);
    expect(Math.abs(mean(frames[0]!, "v", { x: 196, y: 20, w: 56, h: 56 }) - 512)).toBeLessThanOrEqual(4);
  });

  it("8. a static DOM overlay over a playing, moving video is captured a few times, then re-used", async () => {
    const dir = box.project(
      "reuse",
      page({
        id: "reuse",
        width: W,
        height: H,
        duration: "0.7",
        style: `#v { left:0; top:40px; width:160px; height:90px; animation: slide 0.7s linear both; }
        @keyframes slide { from { transform: translateX(0); } to { transform: translateX(140px); } }
        #lower { left:16px; top:140px; width:220px; height:28px; background:#1d3557; color:#fff; font:16px sans-serif; }`,
        body: `<video class="blk" id="v" src="clip.mp4" muted data-start="0" data-duration="1"></video><div class="blk" id="lower">Lower third</div>`,
      }),
    );
    await makeClip(path.join(dir, "clip.mp4"), { transfer: "pq", width: 160, height: 90, seconds: 1 });
    const stats = { frames: 0, dom: 0, captured: 0, reused: 0, rects: new Set<number>() };
    const counting = {
      meta: captureStage.meta,
      async run(input: Parameters<typeof captureStage.run>[0], ctx: Parameters<typeof captureStage.run>[1]) {
        const result = await captureStage.run(input, ctx);
        if (result.captured.kind !== "layered") throw new Error("no layered frames: not an HDR capture");
        const source = result.captured.frames;
        async function* counted(): AsyncGenerator<LayeredFrame> {
          for await (const frame of source!) {
            stats.frames += 1;
            for (const layer of frame.layers) {
              if (layer.kind === "dom") {
                stats.dom += 1;
                if (layer.reused) stats.reused += 1;
                else stats.captured += 1;
              } else stats.rects.add(layer.rect.x + (layer.transform?.[4] ?? 0)); // a CSS transform moves it via the matrix
            }
            yield frame;
          }
        }
        return { ...result, captured: { ...result.captured, frames: counted() } };
      },
    };
    const summary = await render({ input: dir, output: out("reuse.mp4"), workers: 1, stages: { capture: counting } });
    console.log(`layer re-use: ${JSON.stringify({ ...stats, rects: stats.rects.size })}`);
    expect(summary.frames).toBe(21);
    expect(stats.frames).toBe(21);
    expect(stats.rects.size, "the video moves").toBeGreaterThan(10);
    expect(stats.captured, "DOM screenshots").toBeLessThanOrEqual(4);
    expect(stats.reused).toBeGreaterThanOrEqual(stats.frames - 2);
  });

  it("9. no Chromium / ffmpeg process and no frameloom temp dir left", async () => {
    expect(await leftovers(box.root), "processes that mention the sandbox").toEqual([]);
    expect(box.tmpLeft(), "frameloom temp dirs").toEqual([]);
    expect(box.outFiles().filter((f) => f.startsWith(".") || f.includes("partial")), "partial outputs").toEqual([]);
  });
});
