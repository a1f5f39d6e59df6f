/**
 * @frameloom/stage-hdr-native — composites DOM layers (8-bit sRGB RGBA) and video layers (rgb48le PQ / HLG /
 * SDR / sRGB) in linear light into one BT.2020 PQ or HLG, or BT.709 sRGB ("sdr") frame (rgb48le, yuv420p10le, or
 * rgba64le with straight alpha), in C++ (native) or in a TypeScript reference implementation with the same maths.
 * See docs/hdr-native.md.
 */
import { FrameloomError } from "@frameloom/shared-helpers";

import { HdrNativeErrors } from "./errors.js";
import { createNativeCompositor, nativeAddonStatus } from "./native.js";
import { composeReference } from "./reference.js";
import type { Compositor, CompositorOptions, Layer } from "./types.js";
import { resolveOptions, validateLayers } from "./validate.js";

export { HdrNativeErrors } from "./errors.js";
export { nativeAddonStatus } from "./native.js";
export { transfer, REFERENCE_WHITE_NITS, BT709_TO_BT2020, BT2020_TO_BT709 } from "./transfer.js";
export type {
  Compositor,
  CompositorOptions,
  DomLayer,
  HdrTransfer,
  Implementation,
  Layer,
  OutputFormat,
  OutputTransfer,
  SourceTransfer,
  VideoLayer,
} from "./types.js";

/**
 * Creates a compositor for one output size/transfer/format. Throws a coded FrameloomError for bad options,
 * or (implementation "native", the default) when the addon is not built.
 */
export function createCompositor(options: CompositorOptions): Compositor {
  const o = resolveOptions(options);
  const validate = (layers: Layer[]): void => validateLayers(layers, o);
  let warning: string | undefined;
  if (options.implementation !== "reference") {
    const status = nativeAddonStatus();
    if (status.loaded || options.implementation !== "auto") return createNativeCompositor(o, validate);
    warning = `native HDR addon unavailable, using the slow reference implementation:\n${status.error ?? ""}`;
  }
  let closed = false;
  return {
    implementation: "reference",
    warning,
    async compose(layers: Layer[]): Promise<Buffer> {
      if (closed) throw new FrameloomError(HdrNativeErrors.CLOSED, "compose() called after close()");
      validate(layers);
      return composeReference(layers, o);
    },
    close(): void {
      closed = true;
    },
  };
}

// The `composite` stage (HDR layered capture → yuv420p10le frames) and its parts.
export { decodePng, type DecodedPng } from "./composite/pngDecode.js";
export { MediaFrameSource, type MediaFrameSourceOptions } from "./composite/mediaDecoder.js";
export { CompositeErrors } from "./composite/errors.js";
export {
  meta as compositeStageMeta,
  runCompositeStage,
  stage as compositeStage,
  type CompositeInput,
  type CompositeOutput,
} from "./composite/compositeStage.js";
