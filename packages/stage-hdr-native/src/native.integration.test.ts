/**
 * Native vs reference on random and edge inputs: max difference <= 1 code value at 10 bits, for every output transfer
 * (PQ, HLG, SDR) and format; rgba64le: colour within 1 code at 10 bits where alpha > 0, alpha within 1 code at 16 bits.
 */
import { describe, expect, it } from "vitest";

import { createCompositor, nativeAddonStatus, type Layer, type OutputTransfer, type VideoLayer } from "./index.js";
import { outputDiff, maxDiff } from "./testCompare.js";

const status = nativeAddonStatus();

let seed = 12345;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const to16 = (v10: number): number => (v10 << 6) | (v10 >> 4); // as ffmpeg scales 10-bit to rgb48le

function domLayer(w: number, h: number): Layer {
  const rgba = Buffer.alloc(w * h * 4);
  const edge = [0, 255];
  const sat = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0], [255, 255, 0]];
  for (let p = 0; p < w * h; p++) {
    const k = rand();
    const c = k < 0.3 ? sat[Math.floor(rand() * sat.length)] : [255 * rand(), 255 * rand(), 255 * rand()].map(Math.floor);
    rgba.set(c, 4 * p);
    rgba[4 * p + 3] = k < 0.4 ? edge[Math.floor(rand() * 2)] : Math.floor(rand() * 256);
  }
  return { kind: "dom", rgba };
}

function videoLayer(w: number, h: number, over: Partial<VideoLayer>): VideoLayer {
  const rgb48 = Buffer.alloc(w * h * 6);
  for (let i = 0; i < w * h * 3; i++) {
    const k = rand();
    rgb48.writeUInt16LE(k < 0.1 ? 0 : k < 0.2 ? 65535 : to16(Math.floor(rand() * 1024)), 2 * i);
  }
  return { kind: "video", rgb48, width: w, height: h, transfer: "pq", rect: { x: 0, y: 0, width: w, height: h }, ...over };
}



const W = 38;
const H = 26;
const cases: Array<[string, () => Layer[]]> = [
  ["DOM only (alpha 0/255, saturated, random)", () => [domLayer(W, H)]],
  ["PQ video full frame + DOM", () => [videoLayer(W, H, {}), domLayer(W, H)]],
  ["HLG video, contain, partly outside", () => [
    videoLayer(17, 11, { transfer: "hlg", fit: "contain", rect: { x: -7.3, y: 3.6, width: 30.2, height: 40.7 } }),
    domLayer(W, H),
  ]],
  ["SDR video, cover, opacity 0.5, over PQ video", () => [
    videoLayer(W, H, { transfer: "pq" }),
    videoLayer(9, 13, { transfer: "sdr", fit: "cover", opacity: 0.5, rect: { x: 20.5, y: -4, width: 31, height: 17 } }),
  ]],
  ["fill stretched, opacity 0 and 1, odd rect", () => [
    videoLayer(5, 7, { transfer: "hlg", fit: "fill", rect: { x: 1.5, y: 1.5, width: 33.3, height: 21.1 } }),
    videoLayer(W, H, { transfer: "pq", opacity: 0 }),
    domLayer(W, H),
    videoLayer(6, 4, { transfer: "sdr", fit: "fill", opacity: 1, rect: { x: 30, y: 20, width: 100, height: 100 } }),
  ]],
  ["video entirely outside the frame", () => [videoLayer(4, 4, { rect: { x: -100, y: 5, width: 50, height: 5 } })],],
  ["sRGB video full frame + DOM", () => [videoLayer(W, H, { transfer: "srgb" }), domLayer(W, H)]],
  ["sRGB video (opacity 0.7, contain) over HLG video, under DOM", () => [
    videoLayer(W, H, { transfer: "hlg" }),
    videoLayer(13, 9, { transfer: "srgb", fit: "contain", opacity: 0.7, rect: { x: 3.2, y: -2, width: 30, height: 24 } }),
    domLayer(W, H),
  ]],
  ["two DOM layers, partial sRGB video between", () => [
    domLayer(W, H),
    videoLayer(7, 5, { transfer: "srgb", fit: "cover", rect: { x: 10, y: 4, width: 21, height: 13 } }),
    domLayer(W, H),
  ]],
  ["no layers", () => []],
];

describe.skipIf(!status.loaded)("native addon vs reference", () => {
  for (const transfer of ["pq", "hlg", "sdr"] as OutputTransfer[]) {
    for (const output of ["rgb48le", "yuv420p10le", "rgba64le"] as const) {
      for (const threads of [1, 3]) {
        it.each(cases)(`${transfer} ${output} threads=${threads}: %s`, async (_name, make) => {
          const layers = make();
          const opts = { width: W, height: H, transfer, output, threads };
          const native = createCompositor({ ...opts, implementation: "native" });
          const reference = createCompositor({ ...opts, implementation: "reference" });
          const [a, b] = await Promise.all([native.compose(layers), reference.compose(layers)]);
          native.close();
          expect(outputDiff(a, b, output)).toBeLessThanOrEqual(1);
        });
      }
    }
  }

  it("reports where it loaded from", () => {
    expect(status.path).toMatch(/frameloom-hdr-.*\.node$/);
  });

  it("frames queued on one compositor all complete, in order, with independent buffers", async () => {
    const c = createCompositor({ width: W, height: H, transfer: "pq", output: "rgb48le", threads: 2 });
    const stacks = [[domLayer(W, H)], [videoLayer(W, H, {})], []];
    const outs = await Promise.all(stacks.map((s) => c.compose(s)));
    const ref = createCompositor({ width: W, height: H, transfer: "pq", output: "rgb48le", implementation: "reference" });
    for (let i = 0; i < stacks.length; i++) expect(maxDiff(outs[i], await ref.compose(stacks[i]), 6)).toBeLessThanOrEqual(1);
    c.close();
    c.close();
  });

  it("bad layers reject with a coded error before reaching C++", async () => {
    const c = createCompositor({ width: W, height: H, transfer: "pq", output: "yuv420p10le" });
    const err = await c.compose([{ kind: "dom", rgba: Buffer.alloc(3) }]).catch((e: unknown) => e);
    expect((err as { code: string }).code).toBe("FLM_ERR_HDR_NATIVE_BUFFER_SIZE");
    c.close();
  });
});

describe("addon status", () => {
  it("is loaded, or says how to fix it", () => {
    if (status.loaded) expect(status.error).toBeUndefined();
    else expect(status.error).toMatch(/npm run build/);
  });
});

describe.skipIf(!status.loaded)("C++ defends itself (raw addon, bypassing the TS checks)", () => {
  it("returns error statuses instead of crashing or reading out of bounds", async () => {
    const { createRequire } = await import("node:module");
    const addon = createRequire(import.meta.url)(status.path as string);
    expect(addon.createCompositor({ width: 3, height: 3, transfer: 0, format: 1, threads: 1 })).toMatch(/even/);
    expect(addon.createCompositor({ width: 4, height: 4, transfer: 7, format: 0, threads: 1 })).toMatch(/transfer/);
    expect(addon.createCompositor({ width: 4, height: 4, transfer: 2, format: 0, threads: 1 })).toMatch(/transfer/); // gamma 2.4 is a source transfer only
    expect(addon.createCompositor({ width: 4, height: 4, transfer: 0, format: 3, threads: 1 })).toMatch(/format/);
    const h = addon.createCompositor({ width: 4, height: 4, transfer: 0, format: 0, threads: 2 });
    expect(addon.compose(h, [], Buffer.alloc(5), () => {})).toMatch(/wrong length/);
    const run = (layers: unknown[]): Promise<[number, string]> =>
      new Promise((resolve) => {
        const sync = addon.compose(h, layers, Buffer.alloc(4 * 4 * 6), (s: number, m: string) => resolve([s, m]));
        if (typeof sync === "string") resolve([2, sync]);
      });
    expect((await run([{ kind: 0, data: Buffer.alloc(10) }]))[1]).toMatch(/DOM buffer length/);
    const v = { kind: 1, data: Buffer.alloc(2 * 2 * 6), srcWidth: 2, srcHeight: 2, transfer: 0, fit: 2, x: 0, y: 0, width: 4, height: 4, opacity: 1 };
    expect((await run([{ ...v, srcWidth: 3 }]))[1]).toMatch(/video buffer length/);
    expect((await run([{ ...v, opacity: Number.NaN }]))[1]).toMatch(/opacity/);
    expect((await run([{ ...v, width: -1 }]))[1]).toMatch(/rect/);
    expect((await run([{ ...v, transfer: 9 }]))[1]).toMatch(/transfer/);
    expect((await run([{ kind: 1, data: "nope" }]))[1]).toMatch(/Uint8Array/);
    expect(await run([v])).toEqual([0, ""]);
    addon.close(h);
    expect((await run([v]))[1]).toMatch(/closed/);
  });
});
