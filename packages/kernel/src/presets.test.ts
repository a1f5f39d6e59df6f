import { describe, expect, it } from "vitest";
import { PRESETS, resolvePreset } from "./presets.js";
import { buildRenderConfig } from "./config.js";

describe("presets", () => {
  it("has the issue's quality presets", () => {
    expect(PRESETS.draft!.encode).toMatchObject({ codec: "libx264", speed: "ultrafast", crf: 28 });
    expect(PRESETS.standard!.encode).toMatchObject({ codec: "libx264", speed: "medium", crf: 18 });
    expect(PRESETS.high!.encode).toMatchObject({ codec: "libx264", speed: "slow", crf: 15 });
    expect(PRESETS["webm-alpha"]!.encode).toMatchObject({ codec: "libvpx-vp9", pixelFormat: "yuva420p", alpha: true });
    expect(PRESETS["prores-4444"]!.encode).toMatchObject({ codec: "prores_ks", pixelFormat: "yuva444p10le" });
  });
  it("overrides field by field and forces transparent PNG capture for alpha", () => {
    const p = resolvePreset("high", { encode: { crf: 20 } });
    expect(p.encode).toMatchObject({ crf: 20, speed: "slow" });
    expect(resolvePreset("webm-alpha", { capture: { encoding: "jpeg" } }).capture).toMatchObject({ encoding: "png", transparent: true });
    expect(() => resolvePreset("nope")).toThrow(/unknown preset "nope".*draft/);
  });
  it("maps --quality and --format to presets and validates options", () => {
    expect(buildRenderConfig({ input: "x", output: "o.mp4", quality: "draft" }).presets.requested.preset).toBe("draft");
    expect(buildRenderConfig({ input: "x", output: "o.webm", format: "webm" }).presets.requested.preset).toBe("webm-alpha");
    expect(buildRenderConfig({ input: "x", output: "o.mp4", fps: "30000/1001" }).fps).toEqual({ num: 30000, den: 1001 });
    expect(() => buildRenderConfig({ input: "x", output: "o.mp4", preset: "gif", format: "mp4" })).toThrow(/writes gif/);
    expect(() => buildRenderConfig({ input: "x", output: "o.mp4", workers: 0 })).toThrow(/workers/);
  });
  it("infers the format from the output's extension when neither --format nor --preset names one", () => {
    expect(buildRenderConfig({ input: "x", output: "o.webm" }).presets.requested.encode).toMatchObject({ format: "webm", codec: "libvpx-vp9" });
    expect(buildRenderConfig({ input: "x", output: "o.MOV" }).presets.requested.encode).toMatchObject({ format: "mov", codec: "prores_ks" });
    expect(buildRenderConfig({ input: "x", output: "o.gif" }).presets.requested.preset).toBe("gif");
    expect(buildRenderConfig({ input: "x", output: "o.m4v", quality: "high" }).presets.requested.preset).toBe("high");
    expect(buildRenderConfig({ input: "x", output: "frames", format: "png-sequence" }).presets.requested.preset).toBe("png-sequence");
  });
  it("refuses an extension that does not match the format, naming the output", () => {
    const mismatch = { code: "FLM_ERR_KERNEL_OUTPUT_FORMAT_MISMATCH" };
    expect(() => buildRenderConfig({ input: "x", output: "o.xyz" })).toThrow(expect.objectContaining({ ...mismatch, message: expect.stringContaining('".xyz"') }));
    expect(() => buildRenderConfig({ input: "x", output: "out" })).toThrow(expect.objectContaining(mismatch));
    expect(() => buildRenderConfig({ input: "x", output: "o.mp4", format: "webm" })).toThrow(expect.objectContaining(mismatch));
    expect(() => buildRenderConfig({ input: "x", output: "o.webm", preset: "standard" })).toThrow(expect.objectContaining(mismatch));
    expect(() => buildRenderConfig({ input: "x", output: "o.mov", preset: "hdr10" })).toThrow(expect.objectContaining(mismatch));
    expect(() => buildRenderConfig({ input: "x", output: "seq.mp4", format: "png-sequence" })).toThrow(expect.objectContaining(mismatch));
    expect(() => buildRenderConfig({ input: "x", output: "index.html" })).toThrow(expect.objectContaining(mismatch));
  });
});
