/**
 * Transformed / rounded video layers (2-D affine transform + border-radius): native vs reference within 1 code at
 * 10 bits for every output transfer and format; and the reference's geometry: a rounded corner shows what lies below,
 * the rotated edge is anti-aliased over about one pixel, the inside shows the clip.
 */
import { describe, expect, it } from "vitest";

import { createCompositor, nativeAddonStatus, type Layer, type OutputTransfer, type VideoLayer } from "./index.js";
import { placeAffine, roundedRectDistance, usedRadii } from "./placement.js";
import { outputDiff } from "./testCompare.js";

const status = nativeAddonStatus();
let seed = 777;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

function video(w: number, h: number, over: Partial<VideoLayer>): VideoLayer {
  const rgb48 = Buffer.alloc(w * h * 6);
  for (let i = 0; i < w * h * 3; i++) rgb48.writeUInt16LE(Math.floor(rand() * 65536), 2 * i);
  return { kind: "video", rgb48, width: w, height: h, transfer: "pq", rect: { x: 0, y: 0, width: w, height: h }, ...over };
}
function dom(w: number, h: number): Layer {
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = Math.floor(rand() * 256);
  return { kind: "dom", rgba };
}
/** rotate(deg) about (ox, oy), as [a, b, c, d, e, f]. */
function rotation(deg: number, ox: number, oy: number, s = 1): [number, number, number, number, number, number] {
  const r = (deg * Math.PI) / 180;
  const a = Math.cos(r) * s;
  const b = Math.sin(r) * s;
  return [a, b, -b, a, ox - a * ox + b * oy, oy - b * ox - a * oy];
}

const W = 48;
const H = 36;
const cases: Array<[string, () => Layer[]]> = [
  ["rotated 10°, radius 6, PQ over DOM", () => [dom(W, H), video(32, 18, { rect: { x: 8, y: 9, width: 32, height: 18 }, transform: rotation(10, 24, 18), radius: [6, 6, 6, 6, 6, 6, 6, 6] })]],
  ["radius only, HLG cover, opacity 0.6, under DOM", () => [
    video(20, 20, { transfer: "hlg", fit: "cover", opacity: 0.6, rect: { x: 3.5, y: 2.25, width: 40, height: 30 }, radius: [10, 5, 0, 0, 15, 15, 40, 40] }),
    dom(W, H),
  ]],
  ["rotated + scaled sRGB contain, partly outside, over PQ video", () => [
    video(W, H, {}),
    video(9, 13, { transfer: "srgb", fit: "contain", rect: { x: 20, y: -6, width: 30, height: 24 }, transform: rotation(-33, 35, 6, 1.3), radius: [4, 4, 4, 4, 4, 4, 4, 4] }),
  ]],
  ["skewed SDR video at the bottom", () => [video(16, 16, { transfer: "sdr", rect: { x: 5, y: 5, width: 30, height: 20 }, transform: [1, 0.2, 0.4, 1, -3, 2] }), dom(W, H)]],
];

describe.skipIf(!status.loaded)("affine video layers: native vs reference", () => {
  for (const transfer of ["pq", "hlg", "sdr"] as OutputTransfer[]) {
    for (const output of ["rgb48le", "yuv420p10le", "rgba64le"] as const) {
      it.each(cases)(`${transfer} ${output}: %s`, async (_name, make) => {
        const layers = make();
        const opts = { width: W, height: H, transfer, output, threads: 2 };
        const native = createCompositor({ ...opts, implementation: "native" });
        const reference = createCompositor({ ...opts, implementation: "reference" });
        const [a, b] = await Promise.all([native.compose(layers), reference.compose(layers)]);
        native.close();
        expect(outputDiff(a, b, output)).toBeLessThanOrEqual(1);
      });
    }
  }
});

describe("affine placement (reference geometry)", () => {
  const rect = { x: 100, y: 50, width: 320, height: 180 };
  const m = rotation(10, 260, 140);
  const pl = placeAffine(rect, "fill", 320, 180, 640, 360, m, [24, 24, 24, 24, 24, 24, 24, 24]);
  const at = (dx: number, dy: number): [number, number] => {
    const X = 260 + dx * m[0] + dy * m[2];
    const Y = 140 + dx * m[1] + dy * m[3];
    return [Math.floor(X), Math.floor(Y)];
  };
  it("inside the rounded corner: nothing; the middle: fully covered", () => {
    expect(pl.sample(...at(-157, -87)).cov).toBe(0);
    expect(pl.sample(...at(157, 87)).cov).toBe(0);
    expect(pl.sample(...at(0, 0)).cov).toBe(1);
    expect(pl.sample(...at(-150, 0)).cov).toBe(1);
  });
  it("the rotated edge is anti-aliased over about one pixel", () => {
    const partial: number[] = [];
    for (let k = -3; k <= 3; k += 0.25) {
      const [x, y] = at(-160 + k, 0);
      const c = pl.sample(x, y).cov;
      if (c > 0 && c < 1) partial.push(k);
    }
    expect(partial.length).toBeGreaterThan(0);
    expect(Math.max(...partial) - Math.min(...partial)).toBeLessThanOrEqual(2);
  });
  it("radii scale down together when they overlap a side (CSS)", () => {
    expect(usedRadii([200, 10, 200, 10, 0, 0, 0, 0], 100, 50)).toEqual([50, 2.5, 50, 2.5, 0, 0, 0, 0]);
    expect(roundedRectDistance(50, 25, 100, 50, [10, 10, 10, 10, 10, 10, 10, 10])).toBe(-25);
    expect(roundedRectDistance(0, 0, 100, 50, [10, 10, 10, 10, 10, 10, 10, 10])).toBeCloseTo(10 * Math.SQRT2 - 10, 9);
  });
});
