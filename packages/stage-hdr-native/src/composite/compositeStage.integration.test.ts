import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import type { Composition, Frame, Frames, LayeredFrame, LayerPlan, RenderConfig, StageContext } from "@frameloom/shared-helpers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createCompositor } from "../index.js";
import type { Layer } from "../types.js";
import { runCompositeStage, stage, type CompositeInput } from "./compositeStage.js";
import { outputDiff } from "../testCompare.js";
import { ffmpeg, ffmpegChildren, waitFor } from "./testUtil.js";

const W = 320;
const H = 180;
const SQ = { x0: 40, x1: 140, y0: 40, y1: 100 }; // white square, half-open, 2x2-block aligned
const dir = mkdtempSync(path.join(tmpdir(), "flm-composite-"));
const video = path.join(dir, "pq.mp4");
const pngFile = path.join(dir, "dom.png");
let png: Buffer;
let sourceYuv: Buffer;
const frameBytes = W * H * 3; // yuv420p10le: (W·H + 2·W·H/4) samples · 2 bytes
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  ffmpeg([
    // desaturated and blurred, encoded with the BT.2020 matrix: saturated hard edges would leave the gamut after
    // 4:2:0 upsampling and clip in any YUV→RGB→YUV round trip (ffmpeg's own round trip gets ~35 dB on raw testsrc2)
    "-f", "lavfi", "-i", `testsrc2=s=${W}x${H}:r=30:d=1`, "-vf", "hue=s=0.5,boxblur=2,scale=out_color_matrix=bt2020:out_range=tv,format=yuv420p10le", "-c:v", "libx265", "-preset", "ultrafast",
    "-x265-params", "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc",
    "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-tag:v", "hvc1", video,
  ]);
  ffmpeg([
    "-f", "lavfi", "-i", `color=c=black@0:s=${W}x${H}`, "-vf",
    `format=rgba,geq=r='255':g='255':b='255':a='if(between(X\\,${SQ.x0}\\,${SQ.x1 - 1})*between(Y\\,${SQ.y0}\\,${SQ.y1 - 1})\\,255\\,0)'`,
    "-frames:v", "1", pngFile,
  ]);
  png = readFileSync(pngFile);
  sourceYuv = ffmpeg(["-i", video, "-f", "rawvideo", "-pix_fmt", "yuv420p10le", "-"]);
});

/** A composition plus the plan's HDR transfer / layer plan (the test's shorthand for a RenderPlan). */
type TestComposition = Composition & { hdr?: { transfer: "pq" | "hlg"; compositor: "native" | "reference" } | null; layers?: Omit<LayerPlan, "mediaIds"> | null };

function composition(over: Partial<TestComposition> = {}): TestComposition {
  return {
    id: "main", projectDir: dir, entryFile: path.join(dir, "index.html"), entryUrlPath: "index.html", html: "",
    width: W, height: H, fps: { num: 30, den: 1 }, durationSec: 1, totalFrames: 30,
    media: [{ kind: "video", transfer: "pq", path: video, id: "v1", start: 0, duration: null, mediaStart: 0 }],
    hdr: { transfer: "pq", compositor: "native" },
    ...over,
  };
}

function ctx(signal = new AbortController().signal): StageContext {
  return { signal, config: {} as RenderConfig, workDir: dir, progress() {}, warn() {} };
}

async function* layered(n: number, over: { mediaId?: string; png?: Buffer; delayMs?: number } = {}): AsyncGenerator<LayeredFrame> {
  const domPng = over.png ?? png;
  for (let i = 0; i < n; i++) {
    if (over.delayMs) await new Promise((r) => setTimeout(r, over.delayMs));
    yield {
      index: i,
      layers: [
        { kind: "media", mediaId: over.mediaId ?? "v1", localTime: i / 30, rect: { x: 0, y: 0, width: W, height: H }, opacity: 1, fit: "fill" },
        { kind: "dom", png: domPng, reused: i > 0 },
      ],
    };
  }
}

function planOf(comp: TestComposition): CompositeInput["plan"] {
  const { hdr, layers, ...composition } = comp;
  const mediaIds = composition.media.map((m) => m.id);
  return {
    composition,
    layers: layers ? { ...layers, mediaIds } : hdr ? { output: hdr.transfer, compositor: hdr.compositor, alpha: false, mediaIds } : null,
    media: {},
  };
}

function input(stream: AsyncIterable<LayeredFrame>, comp = composition()): CompositeInput {
  return { plan: planOf(comp), captured: { kind: "layered", range: { from: 0, to: 10 }, frames: stream } };
}

/** The composited stream of a stage result. */
function streamOf(out: { frames: Frames }): AsyncIterable<Frame> {
  if (out.frames.kind !== "stream") throw new Error(`expected a stream, got ${out.frames.kind}`);
  return out.frames.frames;
}

async function collect(frames: AsyncIterable<Frame> | { frames: Frames }): Promise<Frame[]> {
  const source = Symbol.asyncIterator in frames ? (frames as AsyncIterable<Frame>) : streamOf(frames as { frames: Frames });
  const out: Frame[] = [];
  for await (const f of source) out.push(f);
  return out;
}

const inSquare = (x: number, y: number): boolean => x >= SQ.x0 && x < SQ.x1 && y >= SQ.y0 && y < SQ.y1;

/** Planes of one yuv420p10le frame as Uint16Array views. */
function planes(buf: Buffer): { y: Uint16Array; u: Uint16Array; v: Uint16Array } {
  const all = new Uint16Array(buf.buffer, buf.byteOffset, buf.byteLength / 2);
  return { y: all.subarray(0, W * H), u: all.subarray(W * H, W * H * 1.25), v: all.subarray(W * H * 1.25, W * H * 1.5) };
}

function compare(out: Buffer, src: Buffer): { squareY: [number, number]; psnr: number; within4: number; maxDiff: number } {
  const o = planes(out);
  const s = planes(src);
  let lo = 1e9;
  let hi = 0;
  let se = 0;
  let n = 0;
  let ok = 0;
  let maxDiff = 0;
  const add = (a: number, b: number): void => {
    const d = Math.abs(a - b);
    se += d * d;
    n++;
    if (d <= 4) ok++;
    maxDiff = Math.max(maxDiff, d);
  };
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = o.y[y * W + x];
      if (inSquare(x, y)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      } else add(v, s.y[y * W + x]);
    }
  }
  for (let y = 0; y < H / 2; y++) {
    for (let x = 0; x < W / 2; x++) {
      if (inSquare(2 * x, 2 * y)) continue;
      add(o.u[y * (W / 2) + x], s.u[y * (W / 2) + x]);
      add(o.v[y * (W / 2) + x], s.v[y * (W / 2) + x]);
    }
  }
  const psnr = 10 * Math.log10((1023 * 1023) / (se / n));
  return { squareY: [lo, hi], psnr, within4: ok / n, maxDiff };
}

describe("composite stage", () => {
  it("meta", () => {
    expect(stage.meta).toEqual({ name: "composite", kernel: "^2.0.0", needs: { plan: "RenderPlan", captured: "Frames" }, provides: { frames: "Frames" } });
  });

  it("passes SDR capture through unchanged", async () => {
    const captured: Frames = { kind: "stream", range: { from: 0, to: 3 }, frames: (async function* () {})() };
    const out = await stage.run({ plan: planOf(composition({ hdr: null })), captured }, ctx());
    expect(out.frames).toBe(captured);
    expect(out.settled).toBeUndefined();
  });

  let nativeFrames: Frame[] = [];
  it("PQ video under a DOM layer → 10 yuv420p10le frames (native)", async () => {
    const seenRgba = new Set<Buffer>();
    const spy = ((o: Parameters<typeof createCompositor>[0]) => {
      const c = createCompositor(o);
      return { ...c, implementation: c.implementation, compose: (layers: Layer[]) => {
        for (const l of layers) if (l.kind === "dom") seenRgba.add(l.rgba);
        return c.compose(layers);
      }, close: () => c.close() };
    }) as typeof createCompositor;
    const out = await runCompositeStage(input(layered(10)), ctx(), { createCompositor: spy });
    expect(out.frames.range).toEqual({ from: 0, to: 10 });
    nativeFrames = await collect(out);
    await expect(out.settled).resolves.toBeUndefined();
    expect(seenRgba.size).toBe(1); // the reused PNG was decoded once
    expect(nativeFrames.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const f of nativeFrames) {
      expect(f.encoding).toBe("yuv420p10le");
      expect(f.data.length).toBe(frameBytes);
      const r = compare(f.data, sourceYuv.subarray(f.index * frameBytes, (f.index + 1) * frameBytes));
      if (f.index === 0 || f.index === 9) console.log(`frame ${f.index}:`, r);
      expect(Math.abs(r.squareY[0] - 573)).toBeLessThanOrEqual(4);
      expect(Math.abs(r.squareY[1] - 573)).toBeLessThanOrEqual(4);
      expect(r.psnr).toBeGreaterThanOrEqual(45);
      expect(r.within4).toBeGreaterThanOrEqual(0.99);
    }
    // consecutive output frames differ (the video moves under the DOM)
    expect(nativeFrames[0].data.equals(nativeFrames[1].data)).toBe(false);
    expect(await waitFor(() => ffmpegChildren().length === 0)).toBe(true);
  });

  it("reference implementation agrees within 1 code", async () => {
    const comp = composition({ hdr: { transfer: "pq", compositor: "reference" } });
    const out = await runCompositeStage(input(layered(10), comp), ctx());
    const ref = await collect(out);
    expect(ref.length).toBe(10);
    for (let i = 0; i < 10; i++) {
      const a = planes(ref[i].data);
      const b = planes(nativeFrames[i].data);
      let m = 0;
      for (const k of ["y", "u", "v"] as const) for (let j = 0; j < a[k].length; j++) m = Math.max(m, Math.abs(a[k][j] - b[k][j]));
      expect(m, `frame ${i}`).toBeLessThanOrEqual(1);
    }
  });

  it('layers.output = "sdr": rgb48le frames, the white square exactly 65535, the tone-mapped PQ video SDR-looking', async () => {
    const comp = composition({ hdr: null, layers: { output: "sdr", compositor: "native", alpha: false } });
    const out = await runCompositeStage(input(layered(3), comp), ctx());
    const frames = await collect(out);
    await expect(out.settled).resolves.toBeUndefined();
    expect(frames.map((f) => [f.index, f.encoding, f.data.length])).toEqual([0, 1, 2].map((i) => [i, "rgb48le", W * H * 6]));
    for (const f of frames) {
      const px = new Uint16Array(f.data.buffer, f.data.byteOffset, W * H * 3);
      let sum = 0;
      let clipped = 0;
      let black = 0;
      let n = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const p = 3 * (y * W + x);
          if (inSquare(x, y)) {
            expect([px[p], px[p + 1], px[p + 2]]).toEqual([65535, 65535, 65535]);
            continue;
          }
          n++;
          sum += px[p] + px[p + 1] + px[p + 2];
          if (px[p] === 65535 && px[p + 1] === 65535 && px[p + 2] === 65535) clipped++;
          if (px[p] + px[p + 1] + px[p + 2] === 0) black++;
        }
      }
      const mean = sum / (3 * n * 65535);
      if (f.index === 0) console.log(`SDR frame 0: mean ${mean.toFixed(3)}, white ${(clipped / n).toFixed(3)}, black ${(black / n).toFixed(3)}`);
      expect(mean).toBeGreaterThan(0.2);
      expect(mean).toBeLessThan(0.95);
      expect(clipped / n).toBeLessThan(0.5);
      expect(black / n).toBeLessThan(0.5);
    }
    expect(frames[0].data.equals(frames[1].data)).toBe(false);
    // the reference compositor agrees within 1 code at 10 bits
    const ref = await collect((await runCompositeStage(input(layered(3), composition({ hdr: null, layers: { output: "sdr", compositor: "reference", alpha: false } })), ctx())));
    for (let i = 0; i < 3; i++) expect(outputDiff(ref[i].data, frames[i].data, "rgb48le")).toBeLessThanOrEqual(1);
    expect(await waitFor(() => ffmpegChildren().length === 0)).toBe(true);
  });

  it("layers.alpha: rgba64le frames, alpha = coverage over transparent (half-width video + square)", async () => {
    async function* half(): AsyncGenerator<LayeredFrame> {
      for (let i = 0; i < 2; i++) {
        yield {
          index: i,
          layers: [
            { kind: "media", mediaId: "v1", localTime: i / 30, rect: { x: 0, y: 0, width: W / 2, height: H }, opacity: 1, fit: "fill" },
            { kind: "dom", png, reused: i > 0 },
          ],
        };
      }
    }
    for (const output of ["pq", "sdr"] as const) {
      const comp = composition({ hdr: null, layers: { output, compositor: "native", alpha: true } });
      const frames = await collect((await runCompositeStage(input(half(), comp), ctx())));
      expect(frames.map((f) => [f.encoding, f.data.length])).toEqual([["rgba64le", W * H * 8], ["rgba64le", W * H * 8]]);
      const px = new Uint16Array(frames[0].data.buffer, frames[0].data.byteOffset, W * H * 4);
      for (const [x, y] of [[10, 10], [159, 170], [100, 50], [200, 50], [139, 99], [300, 170], [160, 10]]) {
        const p = 4 * (y * W + x);
        const covered = x < W / 2 || inSquare(x, y);
        expect(px[p + 3], `${output} alpha at ${x},${y}`).toBe(covered ? 65535 : 0);
        if (!covered) expect([px[p], px[p + 1], px[p + 2]]).toEqual([0, 0, 0]);
        if (inSquare(x, y) && output === "sdr") expect([px[p], px[p + 1], px[p + 2]]).toEqual([65535, 65535, 65535]);
      }
    }
  });

  it("abort closes the decoders and fails the stream and settled", async () => {
    const ac = new AbortController();
    const out = await runCompositeStage(input(layered(1000, { delayMs: 5 })), ctx(ac.signal));
    const it = streamOf(out)[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    expect(ffmpegChildren().length).toBe(1);
    ac.abort();
    expect(await waitFor(() => ffmpegChildren().length === 0)).toBe(true);
    await expect(it.next()).rejects.toMatchObject({ code: "FLM_ERR_ABORTED" });
    await expect(out.settled).rejects.toMatchObject({ code: "FLM_ERR_ABORTED" });
  });

  it("a consumer that stops early leaves no ffmpeg behind", async () => {
    const out = await runCompositeStage(input(layered(30)), ctx());
    for await (const f of streamOf(out)) if (f.index === 2) break;
    await expect(out.settled).resolves.toBeUndefined();
    expect(await waitFor(() => ffmpegChildren().length === 0)).toBe(true);
  });

  it("coded errors: unknown media id, undecodable media, wrong-size PNG", async () => {
    const unknown = await runCompositeStage(input(layered(3, { mediaId: "nope" })), ctx());
    await expect(collect(unknown)).rejects.toMatchObject({
      code: "FLM_ERR_HDR_COMPOSITE_MEDIA_UNKNOWN",
      message: expect.stringMatching(/frame 0.*"nope"/),
    });
    await expect(unknown.settled).rejects.toMatchObject({ code: "FLM_ERR_HDR_COMPOSITE_MEDIA_UNKNOWN" });

    const bad = path.join(dir, "bad.mp4");
    writeFileSync(bad, "not a video");
    const comp = composition({ media: [{ kind: "video", transfer: "pq", path: bad, id: "v1", start: 0, duration: null, mediaStart: 0 }] });
    const undecodable = await runCompositeStage(input(layered(3), comp), ctx());
    await expect(collect(undecodable)).rejects.toMatchObject({
      code: "FLM_ERR_HDR_COMPOSITE_MEDIA_DECODE",
      message: expect.stringContaining(bad),
    });

    const small = path.join(dir, "small.png");
    ffmpeg(["-f", "lavfi", "-i", "color=c=white:s=32x32", "-vf", "format=rgba", "-frames:v", "1", small]);
    const wrong = await runCompositeStage(input(layered(3, { png: readFileSync(small) })), ctx());
    await expect(collect(wrong)).rejects.toMatchObject({
      code: "FLM_ERR_HDR_COMPOSITE_PNG_SIZE",
      message: expect.stringMatching(/frame 0: .*32x32.*320x180/),
    });
    expect(await waitFor(() => ffmpegChildren().length === 0)).toBe(true);
  });
});
