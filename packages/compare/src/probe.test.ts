import { describe, expect, it } from "vitest";
import { bitDepthOf, hasAlphaFormat } from "./probe.js";
import { commonFormat, parsePsnrStats } from "./psnr.js";
import type { ProbedInput } from "./probe.js";

describe("pixel formats", () => {
  it("bit depth: deeper than 8 bits compares in 10-bit", () => {
    for (const f of ["yuv420p", "yuvj420p", "yuva420p", "rgba", "rgb24", "gbrap", "pal8"]) expect(bitDepthOf(f), f).toBe(8);
    for (const f of ["yuv420p10le", "yuva444p10le", "yuv444p12le", "rgb48le", "rgba64be", "gray16le"]) expect(bitDepthOf(f), f).toBe(10);
  });
  it("alpha", () => {
    expect(hasAlphaFormat("yuva420p")).toBe(true);
    expect(hasAlphaFormat("rgba")).toBe(true);
    expect(hasAlphaFormat("yuv420p")).toBe(false);
  });
  const input = (pixFmt: string): ProbedInput => ({
    path: "/x", kind: "video", width: 2, height: 2, frames: 1, duration: 1, fps: "30/1", pixFmt,
    bitDepth: bitDepthOf(pixFmt), hasAlpha: hasAlphaFormat(pixFmt), hasAudio: false, files: [], decoder: null,
  });
  it("common format: the inputs' own when equal, else 4:4:4 at the deeper depth, with alpha when either has it", () => {
    expect(commonFormat(input("yuv420p10le"), input("yuv420p10le"))).toBe("yuv420p10le");
    expect(commonFormat(input("yuv420p"), input("yuv420p10le"))).toBe("yuv444p10le");
    expect(commonFormat(input("yuva420p"), input("yuv420p"))).toBe("yuva444p");
    expect(commonFormat(input("yuva444p10le"), input("yuv420p"))).toBe("yuva444p10le");
    expect(commonFormat(input("rgba"), input("rgb24"))).toBe("gbrap");
  });
});

describe("parsePsnrStats", () => {
  it("reads psnr_avg per line, inf as Infinity", () => {
    const text = "n:1 mse_avg:0.00 psnr_avg:inf psnr_y:inf\nn:2 mse_avg:2.1 psnr_avg:44.91 psnr_y:43.2\n\n";
    expect(parsePsnrStats(text)).toEqual([Infinity, 44.91]);
  });
});
