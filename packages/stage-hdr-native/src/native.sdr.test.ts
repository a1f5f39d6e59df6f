/**
 * SDR output (BT.709, sRGB curve) and "srgb" sources: the page round-trips exactly, SDR video in sRGB passes through,
 * yuv420p10le uses the BT.709 matrix, HDR sources land where BT.2408 puts them (203 nits = SDR white).
 */
import { describe, expect, it } from "vitest";

import { createCompositor, nativeAddonStatus, transfer as tf, type Implementation, type Layer } from "./index.js";

const impls: Implementation[] = nativeAddonStatus().loaded ? ["native", "reference"] : ["reference"];

const u16 = (b: Buffer): Uint16Array => new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);

/** Opaque DOM: 256 grey levels, then every level in R / G / B alone, then some colours. W x 2. */
function testPage(): { rgba: Buffer; rgb: number[][]; w: number; h: number } {
  const rgb: number[][] = [];
  for (let v = 0; v < 256; v++) rgb.push([v, v, v]);
  for (let v = 0; v < 256; v++) rgb.push([v, 0, 0], [0, v, 0], [0, 0, v]);
  let seed = 42;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), Math.floor((seed / 0x7fffffff) * 256));
  for (let i = 0; i < 256; i++) rgb.push([rand(), rand(), rand()]);
  rgb.push([255, 0, 255], [0, 255, 255], [255, 255, 0], [1, 254, 128], [254, 1, 2]);
  const w = rgb.length;
  const h = 2;
  const rgba = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgba.set([...rgb[x], 255], 4 * (y * w + x));
  return { rgba, rgb, w, h };
}

describe.each(impls)("SDR output (%s)", (implementation) => {
  it("an opaque DOM layer round-trips exactly: rgb48le >> 8 = the 8-bit sRGB code (v · 257 exactly), all grey levels and colours", async () => {
    const page = testPage();
    const transparent: Layer = { kind: "dom", rgba: Buffer.alloc(page.w * page.h * 4) };
    const stacks: Layer[][] = [
      [{ kind: "dom", rgba: page.rgba }],
      // not the topmost layer: a fully transparent page above it
      [{ kind: "dom", rgba: page.rgba }, transparent],
    ];
    const c = createCompositor({ width: page.w, height: page.h, transfer: "sdr", output: "rgb48le", implementation });
    for (const layers of stacks) {
      const out = u16(await c.compose(layers));
      for (let y = 0; y < page.h; y++) {
        for (let x = 0; x < page.w; x++) {
          for (let ch = 0; ch < 3; ch++) {
            const got = out[3 * (y * page.w + x) + ch];
            expect(got >> 8, `pixel ${x} ${page.rgb[x]} ch ${ch}`).toBe(page.rgb[x][ch]);
            expect(got).toBe(page.rgb[x][ch] * 257);
          }
        }
      }
    }
    c.close();
  });

  it("rgba64le: the opaque page keeps its codes and alpha 65535", async () => {
    const page = testPage();
    const c = createCompositor({ width: page.w, height: page.h, transfer: "sdr", output: "rgba64le", implementation });
    const out = u16(await c.compose([{ kind: "dom", rgba: page.rgba }]));
    for (let x = 0; x < page.w; x++) {
      expect([out[4 * x], out[4 * x + 1], out[4 * x + 2], out[4 * x + 3]]).toEqual([...page.rgb[x].map((v) => v * 257), 65535]);
    }
    c.close();
  });

  it('opaque full-frame "srgb" video under nothing passes through exactly', async () => {
    const w = 37;
    const h = 5;
    const rgb48 = Buffer.alloc(w * h * 6);
    for (let i = 0; i < w * h * 3; i++) rgb48.writeUInt16LE((i * 2654435761) % 65536, 2 * i);
    const c = createCompositor({ width: w, height: h, transfer: "sdr", output: "rgb48le", implementation });
    const out = await c.compose([{ kind: "video", rgb48, width: w, height: h, transfer: "srgb", rect: { x: 0, y: 0, width: w, height: h } }]);
    const a = u16(out);
    const b = u16(rgb48);
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    expect(m).toBeLessThanOrEqual(implementation === "native" ? 0 : 1);
    for (let i = 0; i < a.length; i++) expect(a[i] >> 8).toBe(b[i] >> 8);
    c.close();
  });

  it("yuv420p10le uses the BT.709 matrix, limited range", async () => {
    const w = 4;
    const h = 2;
    const px = [[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 0, 255]];
    const rgba = Buffer.alloc(w * h * 4);
    // 2x2 blocks: white (left), red (right) on top; each block uniform
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgba.set([...px[x < 2 ? 0 : 2], 255], 4 * (y * w + x));
    const c = createCompositor({ width: w, height: h, transfer: "sdr", output: "yuv420p10le", implementation });
    const out = u16(await c.compose([{ kind: "dom", rgba }]));
    expect(Array.from(out.subarray(0, 4))).toEqual([940, 940, 250, 250]); // 64 + 876·0.2126 = 250.2
    expect(Array.from(out.subarray(8, 10))).toEqual([512, Math.round(512 - (896 * 0.2126) / (2 * (1 - 0.0722)))]); // Cb
    expect(Array.from(out.subarray(10, 12))).toEqual([512, 960]); // Cr: 512 + 448
    c.close();
  });

  it("HDR sources: PQ 203 nits and HLG 75 % are SDR white, PQ 1000 nits clips to white, PQ 20 nits is dark grey", async () => {
    const codes = [tf.pqEncode(203), tf.hlgEncode(203), tf.pqEncode(1000), tf.pqEncode(20)].map((e) => Math.round(e * 65535));
    const transfers = ["pq", "hlg", "pq", "pq"] as const;
    const c = createCompositor({ width: 4, height: 1, transfer: "sdr", output: "rgb48le", implementation });
    const layers: Layer[] = codes.map((code, i) => {
      const rgb48 = Buffer.alloc(6);
      for (let ch = 0; ch < 3; ch++) rgb48.writeUInt16LE(code, 2 * ch);
      return { kind: "video", rgb48, width: 1, height: 1, transfer: transfers[i], rect: { x: i, y: 0, width: 1, height: 1 } };
    });
    const out = u16(await c.compose(layers));
    expect(Math.min(...out.subarray(0, 9))).toBeGreaterThanOrEqual(65500);
    expect(out[9] >> 8).toBe(Math.round(tf.srgbEncode(20 / 203) * 255)); // ≈ 89
    c.close();
  });

  it("gamma-2.4 \"sdr\" video in SDR output is re-encoded with the sRGB curve (0 and 1 exact)", async () => {
    const rgb48 = Buffer.alloc(3 * 6);
    const vals = [0, 32768, 65535];
    vals.forEach((v, i) => [0, 2, 4].forEach((o) => rgb48.writeUInt16LE(v, 6 * i + o)));
    const c = createCompositor({ width: 3, height: 1, transfer: "sdr", output: "rgb48le", implementation });
    const out = u16(await c.compose([{ kind: "video", rgb48, width: 3, height: 1, transfer: "sdr", rect: { x: 0, y: 0, width: 3, height: 1 } }]));
    expect(out[0]).toBe(0);
    expect(out[8]).toBe(65535);
    expect(Math.abs(out[3] - tf.srgbEncode(Math.pow(32768 / 65535, 2.4)) * 65535)).toBeLessThanOrEqual(implementation === "native" ? 8 : 0.5);
    c.close();
  });
});

describe("transfer.srgbEncode", () => {
  it("inverts srgbToLinear", () => {
    for (let v = 0; v <= 255; v++) expect(Math.round(tf.srgbEncode(tf.srgbToLinear(v / 255)) * 65535)).toBe(v * 257);
    expect(tf.srgbEncode(2)).toBeCloseTo(1, 12);
    expect(tf.srgbEncode(-1)).toBe(0);
  });
});
