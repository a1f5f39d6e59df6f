/**
 * rgba64le: straight alpha = coverage of the stack over transparent; colour = (premultiplied "over" in linear light) /
 * coverage, encoded as usual; empty = colour 0, alpha 0.
 */
import { describe, expect, it } from "vitest";

import { BT709_TO_BT2020 as M, createCompositor, nativeAddonStatus, transfer as tf, type Implementation, type Layer, type OutputTransfer } from "./index.js";

const impls: Implementation[] = nativeAddonStatus().loaded ? ["native", "reference"] : ["reference"];
const u16 = (b: Buffer): Uint16Array => new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
const encode = (t: OutputTransfer, l: number): number =>
  t === "pq" ? tf.pqEncode(l * 203) : t === "hlg" ? tf.hlgEncode(l * 203) : tf.srgbEncode(l);

describe.each(impls)("rgba64le (%s)", (implementation) => {
  it("empty stack: all zero", async () => {
    for (const transfer of ["pq", "hlg", "sdr"] as const) {
      const c = createCompositor({ width: 3, height: 2, transfer, output: "rgba64le", implementation });
      expect(u16(await c.compose([])).every((v) => v === 0)).toBe(true);
      c.close();
    }
  });

  it("a semi-transparent DOM layer alone keeps its colour (straight alpha) and alpha = a · 257", async () => {
    const w = 256;
    const rgba = Buffer.alloc(w * 4);
    for (let x = 0; x < w; x++) rgba.set([x, 255 - x, (x * 7) & 255, x], 4 * x);
    for (const transfer of ["sdr", "pq"] as const) {
      const c = createCompositor({ width: w, height: 1, transfer, output: "rgba64le", implementation });
      const out = u16(await c.compose([{ kind: "dom", rgba }]));
      for (let x = 0; x < w; x++) {
        expect(out[4 * x + 3]).toBe(x * 257);
        if (x === 0) {
          expect([out[0], out[1], out[2]]).toEqual([0, 0, 0]);
          continue;
        }
        const lin = [x, 255 - x, (x * 7) & 255].map((v) => tf.srgbToLinear(v / 255));
        const want = transfer === "sdr" ? lin : [0, 3, 6].map((r) => M[r] * lin[0] + M[r + 1] * lin[1] + M[r + 2] * lin[2]);
        for (let ch = 0; ch < 3; ch++) {
          expect(Math.abs((out[4 * x + ch] >> 6) - (Math.round(encode(transfer, want[ch]) * 65535) >> 6)), `${transfer} x=${x}`).toBeLessThanOrEqual(1);
        }
      }
      c.close();
    }
  });

  it("two layers: coverage union and linear-light over, divided by the coverage", async () => {
    // video (PQ 100 nits grey, opacity 0.5) under DOM red at alpha 128
    const code = Math.round(tf.pqEncode(100) * 65535);
    const rgb48 = Buffer.alloc(6);
    for (let ch = 0; ch < 3; ch++) rgb48.writeUInt16LE(code, 2 * ch);
    const layers: Layer[] = [
      { kind: "video", rgb48, width: 1, height: 1, transfer: "pq", rect: { x: 0, y: 0, width: 1, height: 1 }, opacity: 0.5 },
      { kind: "dom", rgba: Buffer.from([255, 0, 0, 128]) },
    ];
    const c = createCompositor({ width: 1, height: 1, transfer: "pq", output: "rgba64le", implementation });
    const out = u16(await c.compose(layers));
    const a1 = 128 / 255;
    const A = a1 + 0.5 * (1 - a1);
    const grey = tf.pqDecode(code / 65535) / 203;
    const want = [M[0], M[3], M[6]].map((m) => (m * a1 + grey * 0.5 * (1 - a1)) / A);
    expect(Math.abs(out[3] - A * 65535)).toBeLessThanOrEqual(0.5 + 1e-9);
    for (let ch = 0; ch < 3; ch++) expect(Math.abs((out[ch] >> 6) - (Math.round(tf.pqEncode(want[ch] * 203) * 65535) >> 6))).toBeLessThanOrEqual(1);
    c.close();
  });

  it("an opaque stack gives the rgb48le colour codes and alpha 65535", async () => {
    const w = 40;
    const h = 3;
    const rgb48 = Buffer.alloc(w * h * 6);
    for (let i = 0; i < w * h * 3; i++) rgb48.writeUInt16LE((i * 40503) & 0xffff, 2 * i);
    const rgba = Buffer.alloc(w * h * 4);
    for (let p = 0; p < w * h; p++) rgba.set([p & 255, (p * 3) & 255, 90, p % 3 === 0 ? 0 : (p * 5) & 255], 4 * p);
    const layers: Layer[] = [
      { kind: "video", rgb48, width: w, height: h, transfer: "hlg", rect: { x: 0, y: 0, width: w, height: h } },
      { kind: "dom", rgba },
    ];
    for (const transfer of ["pq", "hlg", "sdr"] as const) {
      const a = createCompositor({ width: w, height: h, transfer, output: "rgba64le", implementation });
      const b = createCompositor({ width: w, height: h, transfer, output: "rgb48le", implementation });
      const x = u16(await a.compose(layers));
      const y = u16(await b.compose(layers));
      for (let p = 0; p < w * h; p++) {
        expect(x[4 * p + 3]).toBe(65535);
        for (let ch = 0; ch < 3; ch++) expect(Math.abs(x[4 * p + ch] - y[3 * p + ch])).toBeLessThanOrEqual(implementation === "native" ? 64 : 1);
      }
      a.close();
      b.close();
    }
  });
});
