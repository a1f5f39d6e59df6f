import { describe, expect, it } from "vitest";

import { createCompositor, transfer } from "./index.js";
import { nativeAddonStatus } from "./native.js";

const impls = nativeAddonStatus().loaded ? (["reference", "native"] as const) : (["reference"] as const);

describe("transfer functions (BT.2100 reference values)", () => {
  it.each([
    [100, 0.5081],
    [203, 0.5806],
    [1000, 0.7518],
  ])("PQ %d nits -> %d", (nits, signal) => {
    expect(Math.abs(transfer.pqEncode(nits) - signal)).toBeLessThanOrEqual(0.0005);
    expect(transfer.pqDecode(transfer.pqEncode(nits))).toBeCloseTo(nits, 6);
  });
  it("HLG reference white: 203 nits <-> 75 % signal", () => {
    expect(Math.abs(transfer.hlgEncode(203) - 0.75)).toBeLessThanOrEqual(0.0005);
    expect(Math.abs(transfer.hlgDecode(0.75) - 203)).toBeLessThanOrEqual(0.5);
    expect(transfer.hlgDecode(1)).toBeCloseTo(1000, 3);
    expect(transfer.hlgOetf(1 / 12)).toBeCloseTo(0.5, 9);
  });
  it("sRGB EOTF end points and mid grey", () => {
    expect(transfer.srgbToLinear(0)).toBe(0);
    expect(transfer.srgbToLinear(1)).toBeCloseTo(1, 12);
    expect(transfer.srgbToLinear(0.5)).toBeCloseTo(0.214041, 5);
  });
});

describe.each(impls)("white DOM layer to yuv420p10le (%s)", (implementation) => {
  const white = Buffer.alloc(4 * 4 * 4, 255);
  it("PQ: Y ~ 573, Cb = Cr = 512", async () => {
    const c = createCompositor({ width: 4, height: 4, transfer: "pq", output: "yuv420p10le", implementation });
    const out = await c.compose([{ kind: "dom", rgba: white }]);
    c.close();
    const w = new Uint16Array(out.buffer, out.byteOffset, out.byteLength / 2);
    for (let i = 0; i < 16; i++) expect(Math.abs(w[i] - 573)).toBeLessThanOrEqual(2);
    for (let i = 16; i < 24; i++) expect(Math.abs(w[i] - 512)).toBeLessThanOrEqual(1);
  });
  it("HLG: Y ~ 721, Cb = Cr = 512", async () => {
    const c = createCompositor({ width: 4, height: 4, transfer: "hlg", output: "yuv420p10le", implementation });
    const out = await c.compose([{ kind: "dom", rgba: white }]);
    c.close();
    const w = new Uint16Array(out.buffer, out.byteOffset, out.byteLength / 2);
    for (let i = 0; i < 16; i++) expect(Math.abs(w[i] - 721)).toBeLessThanOrEqual(1);
    for (let i = 16; i < 24; i++) expect(Math.abs(w[i] - 512)).toBeLessThanOrEqual(1);
  });
  it("nothing at all is black: Y = 64, Cb = Cr = 512", async () => {
    const c = createCompositor({ width: 2, height: 2, transfer: "pq", output: "yuv420p10le", implementation });
    const out = await c.compose([]);
    c.close();
    expect([...new Uint16Array(out.buffer, out.byteOffset, 6)]).toEqual([64, 64, 64, 64, 512, 512]);
  });
});
