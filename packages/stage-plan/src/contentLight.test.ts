// Transfer maths (PQ EOTF, HLG → display light) against reference values, and argument checks.
import { describe, expect, it } from "vitest";
import { SharedErrors } from "@frameloom/shared-helpers";
import { hlgDisplayNits, hlgInverseOetf, measureContentLight, pqCodeForNits, pqEotfNits } from "./contentLight.js";

describe("pqEotfNits / pqCodeForNits (SMPTE ST 2084)", () => {
  it("matches the reference points: 100 → 0.5081, 203 → 0.5806, 1000 → 0.7518, 10 000 → 1.0", () => {
    // The references are given to 4 places (203 nits is 0.58069…): within 1e-4.
    for (const [nits, code] of [[100, 0.5081], [203, 0.5806], [1000, 0.7518]]) expect(Math.abs(pqCodeForNits(nits!) - code!)).toBeLessThan(1e-4);
    expect(pqCodeForNits(10_000)).toBeCloseTo(1, 10);
    expect(pqEotfNits(0.5081)).toBeCloseTo(100, 0);
    expect(pqEotfNits(0.5806)).toBeCloseTo(203, 0);
    expect(pqEotfNits(0.7518)).toBeCloseTo(1000, -1);
    expect(pqEotfNits(1)).toBeCloseTo(10_000, 6);
    expect(pqEotfNits(0)).toBe(0);
  });

  it("is the inverse of pqCodeForNits and clamps codes outside 0..1", () => {
    for (const nits of [0.01, 1, 48, 203, 600, 4000]) expect(pqEotfNits(pqCodeForNits(nits))).toBeCloseTo(nits, 6);
    expect(pqEotfNits(1.2)).toBeCloseTo(10_000, 6);
    expect(pqEotfNits(-0.1)).toBe(0);
    expect(pqEotfNits(Number.NaN)).toBe(0);
  });
});

describe("HLG → display nits (ARIB STD-B67, BT.2100 OOTF at 1000 nits)", () => {
  it("inverse OETF: 0.5 → 1/12, 1.0 → 1, continuous at the knee", () => {
    expect(hlgInverseOetf(0.5)).toBeCloseTo(1 / 12, 12);
    expect(hlgInverseOetf(0.5 + 1e-9)).toBeCloseTo(1 / 12, 7);
    expect(hlgInverseOetf(1)).toBeCloseTo(1, 6);
    expect(hlgInverseOetf(0.25)).toBeCloseTo(0.0625 / 3, 12);
  });

  it("grey: 75 % → 203 nits (BT.2408), 100 % → 1000, 50 % → 1000·(1/12)^1.2", () => {
    expect(hlgDisplayNits(0.75, 0.75, 0.75)).toBeCloseTo(203, -0.5);
    expect(hlgDisplayNits(1, 1, 1)).toBeCloseTo(1000, 2);
    expect(hlgDisplayNits(0.5, 0.5, 0.5)).toBeCloseTo(1000 * (1 / 12) ** 1.2, 6);
    expect(hlgDisplayNits(0, 0, 0)).toBe(0);
  });

  it("the OOTF gain follows scene luminance, light is the largest component: pure red at 100 % → 1000·0.2627^0.2", () => {
    expect(hlgDisplayNits(1, 0, 0)).toBeCloseTo(1000 * 0.2627 ** 0.2, 3); // ≈ 765.6
    expect(hlgDisplayNits(0, 1, 0)).toBeCloseTo(1000 * 0.678 ** 0.2, 3);
    expect(hlgDisplayNits(0, 0, 1)).toBeCloseTo(1000 * 0.0593 ** 0.2, 3);
  });
});

describe("measureContentLight without sources", () => {
  it("is DOM only: both values at domNits, rounded", async () => {
    expect(await measureContentLight([], {})).toEqual({ maxCll: 203, maxFall: 203, method: "no HDR source visible; DOM at 203 nits" });
    expect(await measureContentLight([], { domNits: 100.4 })).toMatchObject({ maxCll: 100, maxFall: 100 });
  });

  it("skips a source that is never visible without opening it", async () => {
    const result = await measureContentLight([{ path: "/nonexistent/clip.mp4", transfer: "pq", windows: [] }], {});
    expect(result).toEqual({ maxCll: 203, maxFall: 203, method: "no HDR source visible; 1 never visible, skipped; DOM at 203 nits" });
  });

  it("rejects malformed arguments with FLM_ERR_INVALID_ARGUMENT naming the field", async () => {
    const ok = { path: "/x/clip.mp4", transfer: "pq" as const, windows: [{ from: 0, to: 1 }] };
    const cases: [unknown[], object, RegExp][] = [
      [[{ ...ok, path: "clip.mp4" }], {}, /sources\[0\]\.path/],
      [[{ ...ok, transfer: "sdr" }], {}, /sources\[0\]\.transfer/],
      [[{ ...ok, windows: [{ from: 1, to: 1 }] }], {}, /sources\[0\]\.windows\[0\]/],
      [[{ ...ok, windows: [{ from: -1, to: 1 }] }], {}, /sources\[0\]\.windows\[0\]/],
      [[{ ...ok, coverage: 0 }], {}, /sources\[0\]\.coverage/],
      [[{ ...ok, coverage: 1.5 }], {}, /sources\[0\]\.coverage/],
      [[ok], { domNits: -1 }, /domNits/],
      [[ok], { maxFramesPerSource: 0 }, /maxFramesPerSource/],
      [[ok], { maxFramesPerSource: 2.5 }, /maxFramesPerSource/],
    ];
    for (const [sources, options, field] of cases) {
      await expect(measureContentLight(sources as never, options)).rejects.toMatchObject({ code: SharedErrors.INVALID_ARGUMENT, message: expect.stringMatching(field) });
    }
  });

  it("an aborted signal stops it before any work", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(measureContentLight([], { signal: controller.signal })).rejects.toMatchObject({ code: SharedErrors.ABORTED });
  });
});
