/**
 * Native fast paths vs reference (max difference <= 1 code value at 10 bits): rows wider than the SIMD blocks with
 * a ragged tail, fully transparent 16-pixel DOM blocks, runs of one opaque colour (the converted-colour memo), a DOM
 * layer below a video layer and two DOM layers (linear rows left for the final encode), opaque video in the output
 * transfer under a soft-edged DOM layer (pass-through codes decoded on demand).
 */
import { describe, expect, it } from "vitest";

import { createCompositor, nativeAddonStatus, type Layer, type OutputTransfer, type VideoLayer } from "./index.js";
import { outputDiff } from "./testCompare.js";

const status = nativeAddonStatus();

let seed = 987654;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

const W = 150; // 9 blocks of 16 + 6, 18 SIMD steps of 8 + 6
const H = 10;

/** Mostly transparent DOM with opaque runs of one colour, soft edges, and a few random pixels. */
function sparseDom(w: number, h: number): Layer {
  const rgba = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    let x = Math.floor(rand() * 40);
    while (x < w) {
      const run = 1 + Math.floor(rand() * 25);
      const c = [255, 40, 200].map((v) => (rand() < 0.5 ? v : Math.floor(rand() * 256)));
      const a = rand() < 0.7 ? 255 : 1 + Math.floor(rand() * 254);
      for (let i = 0; i < run && x + i < w; i++) rgba.set([...c, i === 0 && a === 255 ? 128 : a], 4 * (y * w + x + i));
      x += run + Math.floor(rand() * 40);
    }
  }
  return { kind: "dom", rgba };
}

function video(w: number, h: number, over: Partial<VideoLayer>): VideoLayer {
  const rgb48 = Buffer.alloc(w * h * 6);
  for (let i = 0; i < w * h * 3; i++) rgb48.writeUInt16LE(Math.floor(rand() * 65536), 2 * i);
  return { kind: "video", rgb48, width: w, height: h, transfer: "pq", rect: { x: 0, y: 0, width: w, height: h }, ...over };
}


const cases: Array<[string, () => Layer[]]> = [
  ["PQ video full frame + sparse DOM", () => [video(W, H, {}), sparseDom(W, H)]],
  ["HLG video full frame + sparse DOM", () => [video(W, H, { transfer: "hlg" }), sparseDom(W, H)]],
  ["sparse DOM under SDR video (opacity 0.6) under sparse DOM", () => [
    sparseDom(W, H),
    video(31, 7, { transfer: "sdr", fit: "contain", opacity: 0.6, rect: { x: 20.5, y: 1, width: 100, height: 8 } }),
    sparseDom(W, H),
  ]],
  ["PQ video partly covering, two DOM layers", () => [
    video(40, 10, { rect: { x: 10, y: 0, width: 120, height: 10 } }),
    sparseDom(W, H),
    sparseDom(W, H),
  ]],
  ["sparse DOM alone", () => [sparseDom(W, H)]],
  ["sRGB video full frame + sparse DOM (pass-through in SDR output)", () => [video(W, H, { transfer: "srgb" }), sparseDom(W, H)]],
  ["sparse DOM under sparse DOM (opaque DOM codes kept in SDR output)", () => [sparseDom(W, H), sparseDom(W, H)]],
];

describe.skipIf(!status.loaded)("native fast paths vs reference", () => {
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
