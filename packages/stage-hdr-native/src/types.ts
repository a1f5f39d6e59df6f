/** The HDR output transfers (BT.2020). */
export type HdrTransfer = "pq" | "hlg";
/** Output transfer of the composited frame: PQ / HLG (BT.2020), or "sdr" = BT.709 primaries with the sRGB curve. */
export type OutputTransfer = HdrTransfer | "sdr";
/**
 * Transfer of a video layer: PQ / HLG (BT.2020), "sdr" (BT.709, BT.1886 gamma 2.4: SDR video in HDR output) or
 * "srgb" (BT.709, sRGB curve: SDR video in SDR output, codes pass through as a browser shows them).
 */
export type SourceTransfer = "pq" | "hlg" | "sdr" | "srgb";
/**
 * rgb48le: full-range 16-bit RGB; yuv420p10le: planar, 10-bit in 16-bit LE words, limited range (BT.2020 matrix, or
 * BT.709 for "sdr"); rgba64le: rgb48le plus 16-bit straight alpha = coverage of the stack over transparent.
 */
export type OutputFormat = "rgb48le" | "yuv420p10le" | "rgba64le";

/** A DOM layer: 8-bit sRGB RGBA with straight alpha, exactly the output frame size (width·height·4 bytes). */
export interface DomLayer {
  kind: "dom";
  rgba: Buffer;
}

/** A video layer: rgb48le (16-bit LE per channel) of its own size, placed into `rect` (output pixels). */
export interface VideoLayer {
  kind: "video";
  rgb48: Buffer;
  width: number;
  height: number;
  transfer: SourceTransfer;
  /** Destination in output pixels; may lie partly outside the frame (clipped). */
  rect: { x: number; y: number; width: number; height: number };
  /** 0..1, default 1. */
  opacity?: number;
  /** CSS object-fit, default "fill". Sampling is nearest-neighbour at pixel centres. */
  fit?: "cover" | "contain" | "fill";
  /**
   * 2-D affine transform [a, b, c, d, e, f] (CSS matrix order: x' = a·x + c·y + e, y' = b·x + d·y + f) from the
   * untransformed `rect` to output pixels; must be invertible. Absent: none (the axis-aligned fast path).
   */
  transform?: readonly [number, number, number, number, number, number];
  /** Border radii of `rect` (before the transform), px, ≥ 0: [tl x, tl y, tr x, tr y, br x, br y, bl x, bl y]. */
  radius?: readonly [number, number, number, number, number, number, number, number];
}

export type Layer = DomLayer | VideoLayer;

export type Implementation = "native" | "reference";

export interface CompositorOptions {
  /** Output size in pixels; even for yuv420p10le. */
  width: number;
  height: number;
  transfer: OutputTransfer;
  output: OutputFormat;
  /** Native worker threads; default = hardware concurrency. */
  threads?: number;
  /** Default "native". "auto" = native when the addon loads, else reference (see `Compositor.warning`). */
  implementation?: Implementation | "auto";
}

export interface Compositor {
  readonly implementation: Implementation;
  /** Set when "auto" fell back to the reference implementation. */
  readonly warning?: string;
  /**
   * Composites one frame, bottom layer first (black below it; transparent for rgba64le). Resolves to a new Buffer the caller owns;
   * calls on one compositor run one after another.
   */
  compose(layers: Layer[]): Promise<Buffer>;
  /** Releases the native threads and buffers (after frames already queued). Idempotent. */
  close(): void;
}

/** Validated, normalised options (defaults filled in). */
export interface ResolvedOptions {
  width: number;
  height: number;
  transfer: OutputTransfer;
  output: OutputFormat;
  threads: number;
}

export function outputLength(o: { width: number; height: number; output: OutputFormat }): number {
  const px = o.width * o.height;
  return o.output === "rgb48le" ? px * 6 : o.output === "rgba64le" ? px * 8 : px * 2 + (px / 4) * 4;
}
