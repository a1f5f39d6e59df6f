import { describe, expect, it } from "vitest";
import { clampUnit, hlgInverseOetf, hlgOetf, pqDecode, pqEncode } from "./transferFunctions.js";

describe("transfer functions", () => {
  it("PQ: 10 000 nits is signal 1, 0 is 0, 203 nits ≈ 0.5807 (BT.2408), and decode inverts encode", () => {
    expect(pqEncode(10_000)).toBeCloseTo(1, 12);
    expect(pqDecode(0)).toBe(0);
    expect(pqEncode(203)).toBeCloseTo(0.5807, 4);
    for (const nits of [0.01, 1, 100, 203, 1000, 4000]) expect(pqDecode(pqEncode(nits))).toBeCloseTo(nits, 6);
  });

  it("HLG: the OETF meets at 1/12 → 0.5, 1 → 1, and the inverse inverts it", () => {
    expect(hlgOetf(1 / 12)).toBeCloseTo(0.5, 12);
    expect(hlgOetf(1)).toBeCloseTo(1, 6);
    for (const scene of [0, 0.01, 1 / 12, 0.3, 1]) expect(hlgInverseOetf(hlgOetf(scene))).toBeCloseTo(scene, 9);
  });

  it("clamps out-of-range inputs and lets NaN through, as the C++ addon does", () => {
    expect(pqEncode(20_000)).toBe(pqEncode(10_000));
    expect(pqDecode(-1)).toBe(0);
    expect(hlgInverseOetf(2)).toBe(hlgInverseOetf(1));
    expect(clampUnit(Number.NaN)).toBeNaN();
    expect(pqDecode(Number.NaN)).toBeNaN();
  });
});
