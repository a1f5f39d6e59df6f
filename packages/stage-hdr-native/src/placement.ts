/**
 * Where a video layer lands in the output: the object-fit content box, clipped to the rect and the
 * frame, and the nearest-neighbour source column/row of each covered output pixel (pixel centres).
 * native/src/compositor.cc (Compositor::Place) does the same double arithmetic in the same order.
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export type Fit = "cover" | "contain" | "fill";

export interface Placement {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  srcX(x: number): number;
  srcY(y: number): number;
}

const clampInt = (v: number, lo: number, hi: number): number => (!(v >= lo) ? lo : v > hi ? hi : Math.trunc(v));

export function placeLayer(
  rect: Rect,
  fit: Fit,
  srcWidth: number,
  srcHeight: number,
  outWidth: number,
  outHeight: number,
): Placement {
  const sw = srcWidth;
  const sh = srcHeight;
  let cx = rect.x;
  let cy = rect.y;
  let cw = rect.width;
  let ch = rect.height;
  if (fit !== "fill") {
    const sx = rect.width / sw;
    const sy = rect.height / sh;
    const s = fit === "cover" ? Math.max(sx, sy) : Math.min(sx, sy);
    cw = sw * s;
    ch = sh * s;
    cx = rect.x + (rect.width - cw) / 2;
    cy = rect.y + (rect.height - ch) / 2;
  }
  const left = Math.max(rect.x, cx);
  const right = Math.min(rect.x + rect.width, cx + cw);
  const top = Math.max(rect.y, cy);
  const bottom = Math.min(rect.y + rect.height, cy + ch);
  const x0 = clampInt(Math.ceil(left - 0.5), 0, outWidth);
  const x1 = Math.max(x0, clampInt(Math.ceil(right - 0.5), 0, outWidth));
  const y0 = clampInt(Math.ceil(top - 0.5), 0, outHeight);
  const y1 = Math.max(y0, clampInt(Math.ceil(bottom - 0.5), 0, outHeight));
  return {
    x0,
    x1,
    y0,
    y1,
    srcX: (x) => clampInt(Math.floor(((x + 0.5 - cx) * sw) / cw), 0, sw - 1),
    srcY: (y) => clampInt(Math.floor(((y + 0.5 - cy) * sh) / ch), 0, sh - 1),
  };
}
