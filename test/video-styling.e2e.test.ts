/**
 * Video styling (COMPOSITION.md §4.1), SDR: a `<video>`'s CSS transform, border-radius and filter are honoured,
 * because its decoded frame is injected as an `<img>` styled like it. Proof: the same composition with a plain
 * `<img>` of the same frame (extracted with ffmpeg) under the same CSS renders the same pixels; the rounded corner
 * shows the background; a greyscale video comes out grey. The injected frames match the layered path's (PSNR ≥ 40 dB on
 * a plain video). HDR (PQ render, layered capture): the native compositor honours the 2-D transform and the radius.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "@frameloom/cli";
import { page, sandbox, type Sandbox } from "./helpers/sandbox.js";
import { decodeFrame, pixel, psnr, type RgbaFrame } from "./helpers/media.js";
import { decodeYuv10, makeClip } from "./helpers/hdr.js";

const run = promisify(execFile);
const W = 480;
const H = 440;
const BG = [32, 64, 96];
const ROTATED = "left:80px;top:30px;width:320px;height:180px;transform:rotate(10deg);border-radius:24px";
const GREY = "left:80px;top:260px;width:320px;height:160px;object-fit:cover;filter:grayscale(1)";

/** PSNR (dB) of the RGB channels of b against a inside [x0, x1) × [y0, y1). */
function regionPsnr(a: RgbaFrame, b: RgbaFrame, x0: number, y0: number, x1: number, y1: number): number {
  let sum = 0;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const o = (y * a.width + x) * 4;
      for (let c = 0; c < 3; c++) {
        const d = a.data[o + c]! - b.data[o + c]!;
        sum += d * d;
        n++;
      }
    }
  }
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255) / (sum / n));
}

/** Output pixel of the point (dx, dy) from the centre of the rotated box (rotate(10deg) about its centre). */
function rotated(dx: number, dy: number): [number, number] {
  const a = (10 * Math.PI) / 180;
  const cx = 80 + 160;
  const cy = 30 + 90;
  return [cx + dx * Math.cos(a) - dy * Math.sin(a), cy + dx * Math.sin(a) + dy * Math.cos(a)];
}

describe("video styling (SDR, injected frames)", () => {
  let box: Sandbox;
  let video: RgbaFrame;
  let image: RgbaFrame;
  beforeAll(async () => {
    box = sandbox("video-styling");
    const body = (tag: (style: string, id: string) => string) => `${tag(ROTATED, "a")}\n${tag(GREY, "b")}`;
    const videoDir = box.project(
      "video",
      page({ id: "video", width: W, height: H, duration: "1", bodyBg: "rgb(32,64,96)", body: body((s, id) => `<video class="blk" id="${id}" src="clip.mp4" muted data-start="0" data-duration="1" style="${s}"></video>`) }),
    );
    const imageDir = box.project(
      "image",
      page({ id: "image", width: W, height: H, duration: "1", bodyBg: "rgb(32,64,96)", body: body((s) => `<img class="blk" src="frame.png" style="${s}">`) }),
    );
    // A smooth, colourful clip (lossless, BT.709 tagged), and its frame 15 (t = 0.5 s) as a PNG.
    const clip = path.join(videoDir, "clip.mp4");
    await run("ffmpeg", [
      "-v", "error", "-y", "-f", "lavfi", "-i", "gradients=s=320x180:r=30:d=1:c0=red:c1=yellow:c2=blue:c3=green:n=4:speed=0.05",
      "-vf", "format=yuv444p", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
      "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv", clip,
    ]);
    // via raw RGB, so the PNG carries no gAMA/cHRM chunks (Chromium would colour-manage them)
    const raw = path.join(box.root, "frame.rgb");
    await run("ffmpeg", [
      "-v", "error", "-y", "-i", clip, "-vf", "select=eq(n\\,15),scale=in_color_matrix=bt709:in_range=tv:out_range=pc,format=rgb24",
      "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", raw,
    ]);
    await run("ffmpeg", ["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "320x180", "-i", raw, path.join(imageDir, "frame.png")]);
    const out = (name: string) => path.join(box.out, `${name}.mp4`);
    await render({ input: videoDir, output: out("video"), preset: "high", frames: "15-15", videoCompositing: "inject" });
    await render({ input: imageDir, output: out("image"), preset: "high", frames: "15-15" });
    video = await decodeFrame(out("video"), 0);
    image = await decodeFrame(out("image"), 0);
  }, 120_000);
  afterAll(() => box?.cleanup());

  it("a rotated, rounded video paints like an <img> of its frame under the same CSS", () => {
    // the rotated box's bounding box, plus a margin
    expect(regionPsnr(image, video, 40, 0, 440, 250)).toBeGreaterThanOrEqual(35);
    // inside the rounded corner (3 px in from the box corner, in the box's own axes): the background
    for (const [dx, dy] of [[-157, -87], [157, -87], [-157, 87], [157, 87]] as const) {
      const [x, y] = rotated(dx, dy);
      expect(pixel(video, x, y).slice(0, 3).every((v, i) => Math.abs(v - BG[i]!) <= 6), `corner ${dx},${dy}: ${pixel(video, x, y)}`).toBe(true);
    }
    // just inside the rotated edge (mid left edge, 4 px in): the clip, not the background; just outside: background
    const [ix, iy] = rotated(-156, 0);
    const [ox, oy] = rotated(-164, 0);
    expect(pixel(video, ix, iy).slice(0, 3).some((v, i) => Math.abs(v - BG[i]!) > 30)).toBe(true);
    expect(pixel(video, ox, oy).slice(0, 3).every((v, i) => Math.abs(v - BG[i]!) <= 6)).toBe(true);
  });

  it("injected frames match the layered path on a plain video (PSNR ≥ 40 dB)", async () => {
    const dir = box.project(
      "plain",
      page({ id: "plain", width: 320, height: 180, duration: "1", body: `<video class="blk" id="v" src="clip.mp4" muted data-start="0" data-duration="1" style="left:0;top:0;width:320px;height:180px"></video>` }),
    );
    await run("cp", [path.join(box.root, "video", "clip.mp4"), dir]);
    const out = (name: string) => path.join(box.out, `plain-${name}.mp4`);
    await render({ input: dir, output: out("inject"), preset: "high", videoCompositing: "inject" });
    await render({ input: dir, output: out("layered"), preset: "high", videoCompositing: "layered" });
    const db = await psnr(out("layered"), out("inject"));
    console.log(`PSNR inject vs layered (plain 320x180 video, 30 frames): ${db.toFixed(2)} dB`);
    expect(db).toBeGreaterThanOrEqual(40);
  }, 120_000);

  it("filter: grayscale(1) on a video comes out grey", () => {
    expect(regionPsnr(image, video, 80, 260, 400, 420)).toBeGreaterThanOrEqual(35);
    for (const [x, y] of [[120, 290], [240, 340], [380, 400]] as const) {
      const [r, g, b] = pixel(video, x, y);
      expect(Math.max(r, g, b) - Math.min(r, g, b), `pixel ${x},${y}: ${[r, g, b]}`).toBeLessThanOrEqual(4);
    }
  });
});

describe("video styling (HDR, native compositor)", () => {
  let box: Sandbox;
  beforeAll(() => {
    box = sandbox("video-styling-hdr");
  });
  afterAll(() => box?.cleanup());

  it("a rotated, rounded PQ video: the corner shows the background code, the inside shows the clip", async () => {
    const dir = box.project(
      "pq",
      page({ id: "pq", width: W, height: H, duration: "0.5", bodyBg: "#ffffff", body: `<video class="blk" id="v" src="pq.mp4" muted data-start="0" data-duration="0.5" style="${ROTATED}"></video>` }),
    );
    await makeClip(path.join(dir, "pq.mp4"), { transfer: "pq", width: 320, height: 180, seconds: 1 });
    const output = path.join(box.out, "pq.mp4");
    const summary = await render({ input: dir, output, frames: "0-0" });
    expect(summary.hdr?.transfer).toBe("pq");
    const [frame] = await decodeYuv10(output);
    const y = (p: [number, number]) => frame!.y[Math.floor(p[1]) * frame!.width + Math.floor(p[0])]!;
    const white = y([10, 10]); // PQ 203 nits: Y ≈ 573
    expect(Math.abs(white - 573)).toBeLessThanOrEqual(3);
    for (const [dx, dy] of [[-157, -87], [157, -87], [-157, 87], [157, 87]] as const) expect(Math.abs(y(rotated(dx, dy)) - white), `corner ${dx},${dy}`).toBeLessThanOrEqual(3);
    // the clip is darker than white everywhere: inside the rotated box (and just inside its edge) it shows
    for (const [dx, dy] of [[0, 0], [-156, 0], [100, 60], [0, -86]] as const) expect(white - y(rotated(dx, dy)), `inside ${dx},${dy}`).toBeGreaterThan(40);
    expect(Math.abs(y(rotated(-168, 0)) - white)).toBeLessThanOrEqual(5); // 8 px out: clear of the encoder's ringing
  }, 120_000);
});
