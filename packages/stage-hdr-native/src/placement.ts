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

/** object-fit: the content box (cx, cy, cw, ch) of a sw × sh source in `rect`, and that box clipped to the rect. */
function fitContent(rect: Rect, fit: Fit, sw: number, sh: number) {
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
  return {
    cx,
    cy,
    cw,
    ch,
    left: Math.max(rect.x, cx),
    right: Math.min(rect.x + rect.width, cx + cw),
    top: Math.max(rect.y, cy),
    bottom: Math.min(rect.y + rect.height, cy + ch),
  };
}

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
  const { cx, cy, cw, ch, left, right, top, bottom } = fitContent(rect, fit, sw, sh);
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

/**
 * A transformed and/or rounded video layer: per output pixel centre, the point in the untransformed layout box
 * (inverse affine), its coverage (the rounded rect, anti-aliased over ~1 output px) and the nearest source pixel
 * inside the object-fit content box. native/src/compositor.cc (Compositor::PlaceAffine, AffineCoverage) does the
 * same double arithmetic in the same order.
 */
export interface AffinePlacement {
  /** Output rows / columns that may be covered (the transformed box's bounds, 1 px margin, clipped). */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** Coverage 0..1 of output pixel (x, y) and its source pixel; cov 0 ⇒ untouched. */
  sample(x: number, y: number): { cov: number; sx: number; sy: number };
}

/** Used radii: CSS scales all of them down by one factor when adjacent radii overlap a side. */
export function usedRadii(r: readonly number[], w: number, h: number): number[] {
  let f = 1;
  const sides = [w / (r[0]! + r[2]!), w / (r[6]! + r[4]!), h / (r[1]! + r[7]!), h / (r[3]! + r[5]!)];
  for (const s of sides) if (s < f) f = s;
  return r.map((v) => v * f);
}

/** Inverse of [a, b, c, d, e, f] (CSS matrix order). */
export function invertAffine(m: readonly number[]): number[] {
  const [a, b, c, d, e, f] = m as [number, number, number, number, number, number];
  const det = a * d - b * c;
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  return [ia, ib, ic, id, -(ia * e + ic * f), -(ib * e + id * f)];
}

export function placeAffine(
  rect: Rect,
  fit: Fit,
  srcWidth: number,
  srcHeight: number,
  outWidth: number,
  outHeight: number,
  transform: readonly number[] | undefined,
  radius: readonly number[] | undefined,
): AffinePlacement {
  const m = transform ?? [1, 0, 0, 1, 0, 0];
  const inv = invertAffine(m);
  const r = usedRadii(radius ?? [0, 0, 0, 0, 0, 0, 0, 0], rect.width, rect.height);
  const sw = srcWidth;
  const sh = srcHeight;
  const { cx, cy, cw, ch, left, right, top, bottom } = fitContent(rect, fit, sw, sh);
  // output px per layout px (geometric mean of the axes' scales)
  const scale = Math.sqrt(Math.abs(m[0]! * m[3]! - m[1]! * m[2]!));
  let bx0 = Infinity;
  let bx1 = -Infinity;
  let by0 = Infinity;
  let by1 = -Infinity;
  for (const [px, py] of [[rect.x, rect.y], [rect.x + rect.width, rect.y], [rect.x, rect.y + rect.height], [rect.x + rect.width, rect.y + rect.height]] as const) {
    const X = m[0]! * px + m[2]! * py + m[4]!;
    const Y = m[1]! * px + m[3]! * py + m[5]!;
    bx0 = Math.min(bx0, X);
    bx1 = Math.max(bx1, X);
    by0 = Math.min(by0, Y);
    by1 = Math.max(by1, Y);
  }
  const x0 = clampInt(Math.floor(bx0 - 1), 0, outWidth);
  const x1 = Math.max(x0, clampInt(Math.ceil(bx1 + 1), 0, outWidth));
  const y0 = clampInt(Math.floor(by0 - 1), 0, outHeight);
  const y1 = Math.max(y0, clampInt(Math.ceil(by1 + 1), 0, outHeight));
  return {
    x0,
    x1,
    y0,
    y1,
    sample(x, y) {
      const X = x + 0.5;
      const Y = y + 0.5;
      const u = inv[0]! * X + inv[2]! * Y + inv[4]!;
      const v = inv[1]! * X + inv[3]! * Y + inv[5]!;
      if (!(u >= left && u < right && v >= top && v < bottom) && fit === "contain") return { cov: 0, sx: 0, sy: 0 };
      const d = roundedRectDistance(u - rect.x, v - rect.y, rect.width, rect.height, r);
      const cov = Math.min(1, Math.max(0, 0.5 - d * scale));
      if (!(cov > 0)) return { cov: 0, sx: 0, sy: 0 };
      return {
        cov,
        sx: clampInt(Math.floor(((u - cx) * sw) / cw), 0, sw - 1),
        sy: clampInt(Math.floor(((v - cy) * sh) / ch), 0, sh - 1),
      };
    },
  };
}

/** Signed distance (layout px, < 0 inside) of (lx, ly) to the box [0, w] × [0, h] with elliptical corners r. */
export function roundedRectDistance(lx: number, ly: number, w: number, h: number, r: readonly number[]): number {
  let rx = 0;
  let ry = 0;
  let ox = 0;
  let oy = 0;
  if (lx < r[0]! && ly < r[1]!) {
    rx = r[0]!;
    ry = r[1]!;
    ox = rx;
    oy = ry;
  } else if (lx > w - r[2]! && ly < r[3]!) {
    rx = r[2]!;
    ry = r[3]!;
    ox = w - rx;
    oy = ry;
  } else if (lx > w - r[4]! && ly > h - r[5]!) {
    rx = r[4]!;
    ry = r[5]!;
    ox = w - rx;
    oy = h - ry;
  } else if (lx < r[6]! && ly > h - r[7]!) {
    rx = r[6]!;
    ry = r[7]!;
    ox = rx;
    oy = h - ry;
  }
  if (rx > 0 && ry > 0) {
    const nx = (lx - ox) / rx;
    const ny = (ly - oy) / ry;
    return (Math.sqrt(nx * nx + ny * ny) - 1) * Math.min(rx, ry);
  }
  return Math.max(-lx, lx - w, -ly, ly - h);
}
