import { FrameloomError } from "@frameloom/shared-helpers";
import { describe, expect, it } from "vitest";

import { createCompositor, HdrNativeErrors, type CompositorOptions, type Layer } from "./index.js";

const E = HdrNativeErrors;
const base: CompositorOptions = { width: 4, height: 2, transfer: "pq", output: "yuv420p10le", implementation: "reference" };

function expectCoded(fn: () => unknown, code: string, message: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FrameloomError);
    expect((err as FrameloomError).code).toBe(code);
    expect((err as FrameloomError).message).toBe(message);
    return;
  }
  throw new Error("expected a throw");
}

describe("createCompositor options", () => {
  it("non-integer width", () =>
    expectCoded(() => createCompositor({ ...base, width: 3.5 }), E.INVALID_ARGUMENT,
      "Expected an integer for options.width but received number 3.5"));
  it("zero height", () =>
    expectCoded(() => createCompositor({ ...base, height: 0 }), E.OUT_OF_RANGE,
      "Expected an integer between 1 and 32768 for options.height but received number 0"));
  it("odd width for yuv420p10le", () =>
    expectCoded(() => createCompositor({ ...base, width: 5 }), E.OUT_OF_RANGE,
      "Expected an even width for yuv420p10le for options.width but received number 5"));
  it("odd height for yuv420p10le", () =>
    expectCoded(() => createCompositor({ ...base, height: 3 }), E.OUT_OF_RANGE,
      "Expected an even height for yuv420p10le for options.height but received number 3"));
  it("odd size is fine for rgb48le", () => {
    expect(createCompositor({ ...base, width: 5, height: 3, output: "rgb48le" }).implementation).toBe("reference");
  });
  it("unknown output transfer (\"srgb\" is a source transfer only)", () =>
    expectCoded(() => createCompositor({ ...base, transfer: "srgb" as never }), E.INVALID_ARGUMENT,
      'Expected one of "pq", "hlg", "sdr" for options.transfer but received string "srgb"'));
  it("unknown output format", () =>
    expectCoded(() => createCompositor({ ...base, output: "yuv444p" as never }), E.INVALID_ARGUMENT,
      'Expected one of "rgb48le", "yuv420p10le", "rgba64le" for options.output but received string "yuv444p"'));
  it("sdr output and rgba64le (odd size) are accepted", () => {
    expect(createCompositor({ ...base, transfer: "sdr" }).implementation).toBe("reference");
    expect(createCompositor({ ...base, width: 5, height: 3, transfer: "hlg", output: "rgba64le" }).implementation).toBe("reference");
  });
  it("bad thread count", () =>
    expectCoded(() => createCompositor({ ...base, threads: 0 }), E.OUT_OF_RANGE,
      "Expected an integer between 1 and 64 for options.threads but received number 0"));
  it("unknown implementation", () =>
    expectCoded(() => createCompositor({ ...base, implementation: "gpu" as never }), E.INVALID_ARGUMENT,
      'Expected one of "native", "reference", "auto" for options.implementation but received string "gpu"'));
});

const video = (over: Record<string, unknown> = {}): Layer =>
  ({
    kind: "video",
    rgb48: Buffer.alloc(2 * 2 * 6),
    width: 2,
    height: 2,
    transfer: "pq",
    rect: { x: 0, y: 0, width: 4, height: 2 },
    ...over,
  }) as Layer;

describe("compose() layer validation", () => {
  const c = createCompositor(base);
  const rejects = async (layers: unknown, code: string, message: string): Promise<void> => {
    const err = await c.compose(layers as Layer[]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FrameloomError);
    expect((err as FrameloomError).code).toBe(code);
    expect((err as FrameloomError).message).toBe(message);
  };
  it("layers not an array", () =>
    rejects({}, E.INVALID_ARGUMENT, "Expected an array of layers for layers but received object"));
  it("unknown layer kind", () =>
    rejects([{ kind: "image" }], E.INVALID_ARGUMENT,
      'Expected one of "dom", "video" for layers[0].kind but received string "image"'));
  it("DOM buffer of the wrong length", () =>
    rejects([{ kind: "dom", rgba: Buffer.alloc(31) }], E.BUFFER_SIZE,
      "Expected 32 bytes (4x2 RGBA) for layers[0].rgba but received Buffer of 31 bytes"));
  it("DOM layer without a buffer", () =>
    rejects([{ kind: "dom", rgba: "x" }], E.INVALID_ARGUMENT, 'Expected a Buffer for layers[0].rgba but received string "x"'));
  it("video buffer length does not match its size", () =>
    rejects([video({ width: 3 })], E.BUFFER_SIZE,
      "Expected 36 bytes (3x2 rgb48le) for layers[0].rgb48 but received Buffer of 24 bytes"));
  it("unknown video transfer", () =>
    rejects([video({ transfer: "hdr10" })], E.INVALID_ARGUMENT,
      'Expected one of "pq", "hlg", "sdr", "srgb" for layers[0].transfer but received string "hdr10"'));
  it("srgb video transfer is accepted", async () => {
    expect((await c.compose([video({ transfer: "srgb" })])).byteLength).toBe(4 * 2 * 3);
  });
  it("non-finite opacity", () =>
    rejects([video({ opacity: Number.NaN })], E.INVALID_ARGUMENT,
      "Expected a finite number for layers[0].opacity but received number null"));
  it("opacity above 1", () =>
    rejects([video({ opacity: 1.5 })], E.OUT_OF_RANGE,
      "Expected a number between 0 and 1 for layers[0].opacity but received number 1.5"));
  it("rect with zero width", () =>
    rejects([video({ rect: { x: 0, y: 0, width: 0, height: 2 } })], E.OUT_OF_RANGE,
      "Expected a positive number for layers[0].rect.width but received number 0"));
  it("rect with infinite x", () =>
    rejects([video({ rect: { x: Infinity, y: 0, width: 1, height: 2 } })], E.INVALID_ARGUMENT,
      "Expected a finite number for layers[0].rect.x but received number null"));
  it("missing rect", () =>
    rejects([video({ rect: undefined })], E.INVALID_ARGUMENT,
      "Expected an object {x, y, width, height} for layers[0].rect but received undefined undefined"));
  it("unknown fit", () =>
    rejects([video({ fit: "scale-down" })], E.INVALID_ARGUMENT,
      'Expected one of "cover", "contain", "fill" for layers[0].fit but received string "scale-down"'));
  it("compose after close", async () => {
    const d = createCompositor(base);
    d.close();
    const err = await d.compose([]).catch((e: unknown) => e);
    expect((err as FrameloomError).code).toBe(E.CLOSED);
  });
});
